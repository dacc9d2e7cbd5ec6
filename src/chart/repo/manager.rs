//! `dependency update`, `build` and `list` as Helm's `downloader.Manager`,
//! `resolver.Resolver` and `action.Dependency` do them: resolve each
//! `Chart.yaml` dependency to one version, download every archive into a
//! staging directory beside `charts/`, move them in only when all arrived
//! (outdated archives deleted), and write `Chart.lock` atomically.
//! `dependency list` is [`super::list`]'s.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use gotemplate::semver::{Constraints, Version};

use super::archive::{chart_file_of, chart_file_of_path, package_dir};
use super::chartfile::{ChartFile, Dependency};
use super::credentials::{BasicAuth, Credentials};
use super::http::Http;
use super::index::{find_exact, highest_match, index_url, resolve_reference_url, Index};
use super::lock::{generated_now, hash_req, Lock};
use super::oci::{repository_ref, Registry};
use super::{display_url, RepoError};

/// Largest repository index read (goenc's YAML limit; the biggest public indexes are ~20 MiB).
const MAX_INDEX_BYTES: usize = 64 << 20;
/// Largest chart archive downloaded (Helm refuses charts over 100 MiB unpacked).
const MAX_ARCHIVE_BYTES: usize = 100 << 20;

/// How to reach repositories and registries.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Talk plain HTTP to OCI registries (Helm's `--plain-http`).
    pub plain_http: bool,
    /// Logins from Helm's configuration files.
    pub credentials: Credentials,
    /// Where progress lines go as they happen (they are also in [`Report::messages`]).
    pub progress: Option<fn(&str)>,
}

/// What a command did, in Helm's words, for the caller to print.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Progress lines as Helm prints them.
    pub messages: Vec<String>,
    /// The archives now in `charts/` that this run saved.
    pub saved: Vec<String>,
    /// Whether `Chart.lock` was (re)written.
    pub lock_written: bool,
}

/// One command's connections and fetched indexes.
struct Session<'a> {
    opts: &'a Options,
    http: Http,
    registry: Option<Registry>,
    indexes: HashMap<String, Index>,
    report: Report,
}

impl<'a> Session<'a> {
    fn new(opts: &'a Options) -> Result<Session<'a>, RepoError> {
        Ok(Session {
            opts,
            http: Http::new()?,
            registry: None,
            indexes: HashMap::new(),
            report: Report::default(),
        })
    }

    fn say(&mut self, line: String) {
        if let Some(progress) = self.opts.progress {
            progress(&line);
        }
        self.report.messages.push(line);
    }

    fn registry(&mut self) -> Result<&Registry, RepoError> {
        if self.registry.is_none() {
            self.registry = Some(Registry::new(self.opts.plain_http)?);
        }
        self.registry.as_ref().ok_or_else(|| RepoError::Oci {
            reference: "(registry client)".into(),
            message: "no client".into(),
        })
    }

    fn repo_auth(&self, repository: &str) -> Option<BasicAuth> {
        self.opts
            .credentials
            .repo_for_url(repository)
            .and_then(|r| r.auth.clone())
    }

    /// Fetch the index of every HTTP repository `deps` name (once each).
    async fn fetch_indexes(&mut self, deps: &[Dependency]) -> Result<(), RepoError> {
        let urls: BTreeSet<String> = deps
            .iter()
            .filter(|d| is_http_repo(&d.repository))
            .map(|d| d.repository.trim_end_matches('/').to_string())
            .collect();
        for url in urls {
            if self.indexes.contains_key(&url) {
                continue;
            }
            let auth = self.repo_auth(&url);
            let target = index_url(&url);
            let body = self
                .http
                .get(&target, auth.as_ref(), MAX_INDEX_BYTES)
                .await?;
            let text = String::from_utf8_lossy(&body);
            let index = Index::parse(&text, &display_url(&target))?;
            let shown = match self.opts.credentials.repo_for_url(&url) {
                Some(r) if !r.name.is_empty() => r.name.clone(),
                _ => display_url(&url),
            };
            self.say(format!(
                "...Successfully got an update from the {shown:?} chart repository"
            ));
            self.indexes.insert(url, index);
        }
        Ok(())
    }

    fn index(&self, repository: &str) -> Result<&Index, RepoError> {
        let url = repository.trim_end_matches('/');
        self.indexes.get(url).ok_or_else(|| RepoError::Fetch {
            url: display_url(&index_url(url)),
            reason: "the index was not fetched".into(),
        })
    }
}

fn is_http_repo(repository: &str) -> bool {
    !repository.is_empty() && !repository.starts_with("file://") && !is_oci(repository)
}

fn is_oci(repository: &str) -> bool {
    repository.starts_with("oci://")
}

fn constraint_of(d: &Dependency) -> Result<Constraints, RepoError> {
    Constraints::parse(&d.version).map_err(|message| RepoError::Constraint {
        name: d.name.clone(),
        message,
    })
}

/// Helm's `resolver.GetLocalPath`: `file://` paths are relative to the chart.
fn local_path(repository: &str, chart_dir: &Path) -> Result<PathBuf, RepoError> {
    let p = repository.trim_start_matches("file://");
    let path = if Path::new(p).is_absolute() {
        PathBuf::from(p)
    } else {
        chart_dir.join(p)
    };
    if !path.exists() {
        return Err(RepoError::LocalPath {
            path: path.display().to_string(),
        });
    }
    Ok(path)
}

/// Helm's `resolveRepoNames`: `@name` and `alias:name` become the URL of
/// that `repositories.yaml` entry; `file://` paths must exist; anything
/// else must be a URL or an OCI reference.
fn resolve_repo_names(
    deps: &mut [Dependency],
    chart_dir: &Path,
    creds: &Credentials,
) -> Result<(), RepoError> {
    let mut missing = Vec::new();
    for d in deps.iter_mut() {
        if d.repository.is_empty() || is_oci(&d.repository) {
            continue;
        }
        if d.repository.starts_with("file://") {
            local_path(&d.repository, chart_dir)?;
            continue;
        }
        let alias = d
            .repository
            .strip_prefix('@')
            .or_else(|| d.repository.strip_prefix("alias:"));
        if let Some(name) = alias {
            match creds.repo_by_name(name) {
                Some(entry) => d.repository = entry.url.clone(),
                None => missing.push(d.repository.clone()),
            }
            continue;
        }
        if reqwest::Url::parse(&d.repository).is_err() {
            missing.push(d.repository.clone());
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(RepoError::NoRepository {
            names: missing.join(", "),
        })
    }
}

/// Load `DIR/Chart.yaml` for a command that changes `charts/`.
fn load_chart_dir(dir: &Path) -> Result<ChartFile, RepoError> {
    match std::fs::metadata(dir) {
        Err(source) => Err(RepoError::Read {
            path: dir.display().to_string(),
            source,
        }),
        Ok(m) if !m.is_dir() => Err(RepoError::Archive {
            path: dir.display().to_string(),
            message: "only unpacked charts can be updated".into(),
        }),
        Ok(_) => ChartFile::load_dir(dir),
    }
}

/// `dependency update`: resolve, download, vendor, and write `Chart.lock`
/// (left alone when its digest would not change).
pub async fn update(chart_dir: &Path, opts: &Options) -> Result<Report, RepoError> {
    let chart = load_chart_dir(chart_dir)?;
    let Some(mut reqs) = chart.dependencies.clone() else {
        return Ok(Report::default());
    };
    resolve_repo_names(&mut reqs, chart_dir, &opts.credentials)?;
    let mut session = Session::new(opts)?;
    session.fetch_indexes(&reqs).await?;
    let locked = resolve(&mut session, &reqs, chart_dir).await?;
    download_all(&mut session, &locked, chart_dir).await?;
    let digest = hash_req(Some(&reqs), &locked);
    let old = Lock::read(chart_dir)?;
    if old.as_ref().map(|l| l.digest.as_str()) != Some(digest.as_str()) {
        let lock = Lock {
            generated: generated_now(),
            digest,
            dependencies: locked,
        };
        write_atomic(&chart_dir.join("Chart.lock"), lock.to_yaml().as_bytes())?;
        session.report.lock_written = true;
    }
    Ok(session.report)
}

/// `dependency build`: vendor exactly what `Chart.lock` says; refuse a lock
/// that does not belong to `Chart.yaml`. Without a lock, [`update`].
pub async fn build(chart_dir: &Path, opts: &Options) -> Result<Report, RepoError> {
    let chart = load_chart_dir(chart_dir)?;
    let Some(lock) = Lock::read(chart_dir)? else {
        return update(chart_dir, opts).await;
    };
    let mut reqs = chart.dependencies.clone();
    if let Some(reqs) = reqs.as_mut() {
        resolve_repo_names(reqs, chart_dir, &opts.credentials)?;
    }
    if hash_req(reqs.as_deref(), &lock.dependencies) != lock.digest {
        return Err(RepoError::OutOfSync);
    }
    let mut session = Session::new(opts)?;
    session.fetch_indexes(&lock.dependencies).await?;
    download_all(&mut session, &lock.dependencies, chart_dir).await?;
    Ok(session.report)
}

/// Helm's `Resolver.Resolve`: one locked entry per dependency.
async fn resolve(
    session: &mut Session<'_>,
    reqs: &[Dependency],
    chart_dir: &Path,
) -> Result<Vec<Dependency>, RepoError> {
    let mut locked = Vec::with_capacity(reqs.len());
    let mut missing = Vec::new();
    let mut oci_unmatched = None;
    for d in reqs {
        let constraint = constraint_of(d)?;
        let not_found = || {
            format!(
                "{:?} (repository {:?}, version {:?})",
                d.name, d.repository, d.version
            )
        };
        if d.repository.is_empty() {
            local_path(&format!("charts/{}", d.name), chart_dir)?;
            locked.push(Dependency::locked(&d.name, "", &d.version));
            continue;
        }
        if d.repository.starts_with("file://") {
            let dir = local_path(&d.repository, chart_dir)?;
            let sub = ChartFile::load_dir(&dir)?;
            match Version::parse(&sub.version) {
                Ok(v) if constraint.check(&v) => {
                    locked.push(Dependency::locked(&d.name, &d.repository, &sub.version));
                }
                _ => {
                    missing.push(not_found());
                    locked.push(Dependency::locked(&d.name, &d.repository, ""));
                }
            }
            continue;
        }
        let chosen = if is_oci(&d.repository) {
            if Version::parse(&d.version).is_ok() {
                highest_match([(d.version.as_str(), true)], &constraint).map(String::from)
            } else {
                let opts = session.opts;
                let tags = session
                    .registry()?
                    .tags(&repository_ref(&d.repository, &d.name), &opts.credentials)
                    .await
                    .map_err(|e| match e {
                        RepoError::Oci { message, .. } => RepoError::Oci {
                            reference: d.repository.clone(),
                            message: format!("could not retrieve list of tags: {message}"),
                        },
                        other => other,
                    })?;
                highest_match(tags.iter().map(|t| (t.as_str(), true)), &constraint)
                    .map(String::from)
            }
        } else {
            let index = session.index(&d.repository)?;
            let versions = index
                .versions(&d.name)
                .ok_or_else(|| RepoError::NotInIndex {
                    name: d.name.clone(),
                    url: display_url(&d.repository),
                })?;
            highest_match(
                versions
                    .iter()
                    .map(|v| (v.version.as_str(), !v.urls.is_empty())),
                &constraint,
            )
            .map(String::from)
        };
        match chosen {
            Some(v) => locked.push(Dependency::locked(&d.name, &d.repository, &v)),
            None if is_oci(&d.repository) => {
                oci_unmatched.get_or_insert_with(|| RepoError::OciNoMatch {
                    reference: format!("{}/{}", d.repository.trim_end_matches('/'), d.name),
                    version: d.version.clone(),
                });
                locked.push(Dependency::locked(&d.name, &d.repository, ""));
            }
            None => {
                missing.push(not_found());
                locked.push(Dependency::locked(&d.name, &d.repository, ""));
            }
        }
    }
    if !missing.is_empty() {
        return Err(RepoError::NoMatch {
            count: missing.len(),
            list: missing.join(", "),
        });
    }
    if let Some(err) = oci_unmatched {
        return Err(err);
    }
    Ok(locked)
}

/// Helm's `downloadAll` and `safeMoveDeps`: every archive into a staging
/// directory first; `charts/` changes only when all of them arrived.
async fn download_all(
    session: &mut Session<'_>,
    deps: &[Dependency],
    chart_dir: &Path,
) -> Result<(), RepoError> {
    let dest = chart_dir.join("charts");
    // charts/ itself is created only once everything arrived (in `move_into_charts`).
    if std::fs::metadata(&dest).is_ok_and(|m| !m.is_dir()) {
        return Err(RepoError::Archive {
            path: dest.display().to_string(),
            message: "is not a directory".into(),
        });
    }
    let staging = tempfile::Builder::new()
        .prefix(&format!("tmpcharts-{}", std::process::id()))
        .tempdir_in(chart_dir)
        .map_err(|source| RepoError::Write {
            path: chart_dir.join("tmpcharts-*").display().to_string(),
            source,
        })?;
    session.say(format!("Saving {} charts", deps.len()));
    let mut fetched: BTreeSet<String> = BTreeSet::new();
    for dep in deps {
        if dep.repository.is_empty() {
            session.say(format!(
                "Dependency {} did not declare a repository. Assuming it exists in the charts directory",
                dep.name
            ));
            check_unpacked(&dest.join(&dep.name), dep)?;
            continue;
        }
        if dep.repository.starts_with("file://") {
            let dir = local_path(&dep.repository, chart_dir)?;
            let sub = ChartFile::load_dir(&dir)?;
            let constraint = constraint_of(dep)?;
            let ok = Version::parse(&sub.version).is_ok_and(|v| constraint.check(&v));
            if !ok {
                return Err(RepoError::Unsatisfied {
                    name: dep.name.clone(),
                    version: sub.version.clone(),
                    constraint: dep.version.clone(),
                });
            }
            package_dir(&dir, &sub, staging.path())?;
            continue;
        }
        let (file_name, bytes) = if is_oci(&dep.repository) {
            let reference = repository_ref(&dep.repository, &dep.name);
            if !fetched.insert(format!("oci://{reference}:{}", dep.version)) {
                session.say(format!(
                    "Already downloaded {} from repo {}",
                    dep.name, dep.repository
                ));
                continue;
            }
            session.say(format!(
                "Downloading {} from repo {}",
                dep.name, dep.repository
            ));
            let opts = session.opts;
            let bytes = session
                .registry()?
                .pull(&reference, &dep.version, &opts.credentials)
                .await?;
            (format!("{}-{}.tgz", dep.name, dep.version), bytes)
        } else {
            let (url, digest) = {
                let index = session.index(&dep.repository)?;
                let versions = index
                    .versions(&dep.name)
                    .ok_or_else(|| RepoError::NotInIndex {
                        name: dep.name.clone(),
                        url: display_url(&dep.repository),
                    })?;
                let entry =
                    find_exact(versions, &dep.version).ok_or_else(|| RepoError::VersionGone {
                        name: dep.name.clone(),
                        version: dep.version.clone(),
                        url: display_url(&dep.repository),
                    })?;
                (
                    resolve_reference_url(&dep.repository, &entry.urls[0])?,
                    entry.digest.clone(),
                )
            };
            if !fetched.insert(url.clone()) {
                session.say(format!(
                    "Already downloaded {} from repo {}",
                    dep.name, dep.repository
                ));
                continue;
            }
            session.say(format!(
                "Downloading {} from repo {}",
                dep.name, dep.repository
            ));
            let auth = archive_auth(session, &dep.repository, &url);
            let bytes = session
                .http
                .get(&url, auth.as_ref(), MAX_ARCHIVE_BYTES)
                .await?;
            check_digest(&url, &digest, &bytes)?;
            let name = reqwest::Url::parse(&url)
                .ok()
                .and_then(|u| {
                    u.path_segments()
                        .and_then(|mut s| s.next_back().map(String::from))
                })
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("{}-{}.tgz", dep.name, dep.version));
            (name, bytes)
        };
        let shown = format!("{} ({})", file_name, display_url(&dep.repository));
        let inside = chart_file_of(&bytes, &shown)?;
        if inside.name != dep.name {
            return Err(RepoError::Archive {
                path: shown,
                message: format!("holds chart {:?}, not {:?}", inside.name, dep.name),
            });
        }
        let target = staging.path().join(&file_name);
        std::fs::write(&target, &bytes).map_err(|source| RepoError::Write {
            path: target.display().to_string(),
            source,
        })?;
    }
    let saved = move_into_charts(session, deps, staging.path(), &dest)?;
    session.report.saved = saved;
    Ok(())
}

/// Credentials for an archive URL: the repository's, when the archive is on
/// the repository's own scheme and host or the entry passes them everywhere.
fn archive_auth(session: &Session<'_>, repository: &str, url: &str) -> Option<BasicAuth> {
    let entry = session.opts.credentials.repo_for_url(repository)?;
    let auth = entry.auth.clone()?;
    let same_host = match (reqwest::Url::parse(repository), reqwest::Url::parse(url)) {
        (Ok(a), Ok(b)) => {
            a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port() == b.port()
        }
        _ => false,
    };
    (same_host || entry.pass_credentials_all).then_some(auth)
}

/// An archive whose index entry names a digest must have that digest.
fn check_digest(url: &str, expected: &str, bytes: &[u8]) -> Result<(), RepoError> {
    use sha2::{Digest as _, Sha256};
    let expected = expected.trim_start_matches("sha256:");
    if expected.is_empty() {
        return Ok(());
    }
    let actual = hex::encode(Sha256::digest(bytes));
    if !actual.eq_ignore_ascii_case(expected) {
        return Err(RepoError::Digest {
            url: display_url(url),
            expected: format!("sha256:{expected}"),
            actual: format!("sha256:{actual}"),
        });
    }
    Ok(())
}

/// A dependency without repository must be unpacked in `charts/` at a satisfying version.
fn check_unpacked(dir: &Path, dep: &Dependency) -> Result<(), RepoError> {
    let sub = ChartFile::load_dir(dir).map_err(|e| RepoError::Archive {
        path: dir.display().to_string(),
        message: format!("unable to load chart: {e}"),
    })?;
    let constraint = constraint_of(dep)?;
    let version = Version::parse(&sub.version).map_err(|message| RepoError::Archive {
        path: dir.display().to_string(),
        message: format!(
            "invalid version {} for dependency {}: {message}",
            sub.version, dep.name
        ),
    })?;
    if !constraint.check(&version) {
        return Err(RepoError::Unsatisfied {
            name: dep.name.clone(),
            version: sub.version,
            constraint: dep.version.clone(),
        });
    }
    Ok(())
}

/// Helm's `safeMoveDeps`: staged archives replace those in `charts/`; other
/// chart archives there are deleted unless they are a repository-less dependency.
fn move_into_charts(
    session: &mut Session<'_>,
    deps: &[Dependency],
    staging: &Path,
    dest: &Path,
) -> Result<Vec<String>, RepoError> {
    let list = |dir: &Path| -> Result<Vec<(String, PathBuf)>, RepoError> {
        let mut out = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|source| RepoError::Read {
            path: dir.display().to_string(),
            source,
        })?;
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_file()) {
                out.push((e.file_name().to_string_lossy().into_owned(), e.path()));
            }
        }
        out.sort();
        Ok(out)
    };
    std::fs::create_dir_all(dest).map_err(|source| RepoError::Write {
        path: dest.display().to_string(),
        source,
    })?;
    let staged = list(staging)?;
    let existing = list(dest)?;
    let mut saved = Vec::new();
    for (name, path) in &staged {
        let target = dest.join(name);
        std::fs::rename(path, &target).map_err(|source| RepoError::Write {
            path: target.display().to_string(),
            source,
        })?;
        saved.push(name.clone());
    }
    session.say("Deleting outdated charts".into());
    let local: BTreeSet<&str> = deps
        .iter()
        .filter(|d| d.repository.is_empty())
        .map(|d| d.name.as_str())
        .collect();
    for (name, path) in existing {
        if saved.contains(&name) {
            continue;
        }
        let Ok(chart) = chart_file_of_path(&path) else {
            continue;
        };
        if local.contains(chart.name.as_str()) {
            continue;
        }
        std::fs::remove_file(&path).map_err(|source| RepoError::Write {
            path: path.display().to_string(),
            source,
        })?;
    }
    Ok(saved)
}

/// Write `path` whole or not at all: a temporary file beside it, then a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RepoError> {
    use std::io::Write as _;
    let err = |source: std::io::Error| RepoError::Write {
        path: path.display().to_string(),
        source,
    };
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(RepoError::Archive {
            path: path.display().to_string(),
            message: "is a symlink; refusing to replace it".into(),
        });
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}
