//! The workspace: finding its root, reading `berth.yaml` and `profiles/*.yaml`,
//! resolving `extends`, combining several profiles, and ordering releases by
//! `needs` into a [`Plan`]. It reads only workspace files (never values,
//! secrets or templates) and knows nothing of rendering or the cluster.

pub mod names;
mod profile;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use profile::{ProfileFile, ReleaseSpec};

use crate::values::ValueSource;

/// Errors of the workspace: every variant names the file, profile or release at fault.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("no berth workspace found from {start}: no ancestor holds berth.yaml or profiles/ (use --workspace DIR)")]
    NotFound { start: PathBuf },
    #[error("workspace directory {path} does not exist")]
    MissingRoot { path: PathBuf },
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_yaml_ng::Error,
    },
    #[error("unknown profile `{name}` (known: {known})")]
    UnknownProfile { name: String, known: String },
    #[error("profile `{name}` extends itself through {chain}")]
    ExtendsCycle { name: String, chain: String },
    #[error("{path}: release `{release}` has no chart (only a release inherited through `extends` may omit it)")]
    MissingChart { path: PathBuf, release: String },
    #[error("{path}: release `{release}` is listed twice")]
    DuplicateRelease { path: PathBuf, release: String },
    #[error("{path}: release `{release}` is inherited differently from two of the profiles in `extends`; define it in one of them, or override it here")]
    InheritedConflict { path: PathBuf, release: String },
    #[error("{path}: `set` of release `{release}`: {message}")]
    BadSet {
        path: PathBuf,
        release: String,
        message: String,
    },
    #[error("release `{release}` needs `{need}`, which is not a release of profile(s) {profiles}")]
    UnknownNeed {
        release: String,
        need: String,
        profiles: String,
    },
    #[error("`needs` form a cycle: {cycle}")]
    NeedsCycle { cycle: String },
    #[error("release `{release}` is defined differently by profiles `{first}` and `{second}` ({difference})")]
    ProfileConflict {
        release: String,
        first: String,
        second: String,
        difference: String,
    },
    #[error("profiles `{first}` and `{second}` guard different kube contexts (`{first_context}` and `{second_context}`)")]
    ContextConflict {
        first: String,
        first_context: String,
        second: String,
        second_context: String,
    },
    #[error("no profile given")]
    NoProfile,
    /// A value the schema accepts but berth cannot use (a bad name, an out-of-range number).
    #[error("{path}: {}{message}", .line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    Invalid {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
}

/// `berth.yaml`: optional workspace settings. Every key is optional; unknown keys are errors.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Settings {
    /// Default kube-context guard for profiles that set none.
    pub context: Option<String>,
    /// How many revision records to keep per release (default 10).
    pub history_limit: usize,
    /// Server-side apply field manager (default `berth`).
    pub field_manager: String,
    /// Deploy lease duration in seconds (default 300; 1 to 86,400).
    pub lease_seconds: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            context: None,
            history_limit: 10,
            field_manager: "berth".to_string(),
            lease_seconds: 300,
        }
    }
}

/// A workspace on disk: its root directory and settings.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The absolute workspace root.
    pub root: PathBuf,
    /// `berth.yaml`, or the defaults when it is absent.
    pub settings: Settings,
}

/// What a set of profiles deploys: releases in `needs` order.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The selected profiles, as given.
    pub profiles: Vec<String>,
    /// The kube-context guard (profile `context`, else `berth.yaml` `context`).
    pub context: Option<String>,
    /// Releases in a topological order of `needs` (ties keep declaration order).
    pub releases: Vec<ReleasePlan>,
}

/// One release to render and deploy.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleasePlan {
    pub name: String,
    pub namespace: String,
    /// The selected profile this release comes from.
    pub profile: String,
    /// That profile's description (templates see it as `profile.description`).
    pub profile_description: String,
    /// The chart directory (absolute).
    pub chart: PathBuf,
    pub needs: Vec<String>,
    /// Value sources above the chart's `values.yaml`, lowest precedence first:
    /// profile values, profile secrets, release values, release secrets, release `set`.
    pub sources: Vec<ValueSource>,
}

impl Workspace {
    /// Find the workspace: `explicit` (`--workspace`), else the nearest ancestor of the
    /// current directory holding `berth.yaml` or `profiles/`. Reads `berth.yaml`.
    pub fn discover(explicit: Option<&Path>) -> Result<Workspace, WorkspaceError> {
        let cwd = std::env::current_dir().map_err(|source| WorkspaceError::Read {
            path: PathBuf::from("."),
            source,
        })?;
        let root = match explicit {
            Some(dir) => {
                let dir = cwd.join(dir);
                if !dir.is_dir() {
                    return Err(WorkspaceError::MissingRoot { path: dir });
                }
                dir
            }
            None => cwd
                .ancestors()
                .find(|d| d.join("berth.yaml").is_file() || d.join("profiles").is_dir())
                .map(Path::to_path_buf)
                .ok_or(WorkspaceError::NotFound { start: cwd.clone() })?,
        };
        Workspace::open(root)
    }

    /// Open the workspace rooted at `root` (no discovery).
    pub fn open(root: PathBuf) -> Result<Workspace, WorkspaceError> {
        let root = std::path::absolute(&root).map_err(|source| WorkspaceError::Read {
            path: root.clone(),
            source,
        })?;
        let file = root.join("berth.yaml");
        let settings = if file.is_file() {
            let text = read(&file)?;
            if text.trim().is_empty() {
                Settings::default()
            } else {
                let settings: Settings =
                    serde_yaml_ng::from_str(&text).map_err(|source| WorkspaceError::Parse {
                        path: rel(&root, &file),
                        source,
                    })?;
                let n = settings.lease_seconds;
                if n == 0 || n > names::MAX_LEASE_SECONDS {
                    return Err(WorkspaceError::Invalid {
                        path: rel(&root, &file),
                        line: names::locate(&text, "leaseSeconds", &n.to_string()),
                        message: format!(
                            "leaseSeconds: {n} is out of range; use 1 to {} seconds",
                            names::MAX_LEASE_SECONDS
                        ),
                    });
                }
                settings
            }
        } else {
            Settings::default()
        };
        Ok(Workspace { root, settings })
    }

    /// `path` relative to the workspace root when inside it (for messages).
    pub fn display_path(&self, path: &Path) -> PathBuf {
        rel(&self.root, path)
    }

    /// Names of every profile in `profiles/`, sorted.
    pub fn profile_names(&self) -> Result<Vec<String>, WorkspaceError> {
        let dir = self.root.join("profiles");
        let mut names = Vec::new();
        if !dir.is_dir() {
            return Ok(names);
        }
        let entries = std::fs::read_dir(&dir).map_err(|source| WorkspaceError::Read {
            path: dir.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| WorkspaceError::Read {
                path: dir.clone(),
                source,
            })?;
            let path = entry.path();
            let ext = path.extension().and_then(|e| e.to_str());
            if matches!(ext, Some("yaml") | Some("yml")) {
                if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                    names.push(stem.to_string());
                }
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Read one profile file as written (no `extends` resolution).
    pub fn profile_file(&self, name: &str) -> Result<ProfileFile, WorkspaceError> {
        profile::load(self, name)
    }

    /// The releases of one profile after `extends`, in declaration order, with its
    /// context guard — without checking `needs` (a profile may need releases that a
    /// profile combined with it provides).
    pub fn profile_releases(
        &self,
        name: &str,
    ) -> Result<(Option<String>, Vec<ReleasePlan>), WorkspaceError> {
        let resolved = profile::resolve(self, name)?;
        Ok((
            resolved.context.or_else(|| self.settings.context.clone()),
            resolved.releases,
        ))
    }

    /// Resolve the releases of `profiles` (with `extends`), check that profiles that
    /// share a release agree on it, check `needs`, and order releases topologically.
    pub fn plan(&self, profiles: &[String]) -> Result<Plan, WorkspaceError> {
        if profiles.is_empty() {
            return Err(WorkspaceError::NoProfile);
        }
        let mut releases: Vec<ReleasePlan> = Vec::new();
        let mut context: Option<(String, String)> = None;
        for name in profiles {
            let resolved = profile::resolve(self, name)?;
            if let Some(ctx) = resolved.context.clone() {
                match &context {
                    Some((first, first_ctx)) if *first_ctx != ctx => {
                        return Err(WorkspaceError::ContextConflict {
                            first: first.clone(),
                            first_context: first_ctx.clone(),
                            second: name.clone(),
                            second_context: ctx,
                        })
                    }
                    Some(_) => {}
                    None => context = Some((name.clone(), ctx)),
                }
            }
            for release in resolved.releases {
                if let Some(existing) = releases.iter().find(|r| r.name == release.name) {
                    if let Some(difference) = difference(existing, &release) {
                        return Err(WorkspaceError::ProfileConflict {
                            release: release.name.clone(),
                            first: existing.profile.clone(),
                            second: release.profile.clone(),
                            difference,
                        });
                    }
                    continue;
                }
                releases.push(release);
            }
        }
        let releases = order(releases, profiles)?;
        Ok(Plan {
            profiles: profiles.to_vec(),
            context: context
                .map(|(_, c)| c)
                .or_else(|| self.settings.context.clone()),
            releases,
        })
    }
}

/// What differs between two definitions of one release (None when they agree).
fn difference(a: &ReleasePlan, b: &ReleasePlan) -> Option<String> {
    if a.chart != b.chart {
        return Some(format!(
            "chart {} vs {}",
            a.chart.display(),
            b.chart.display()
        ));
    }
    if a.namespace != b.namespace {
        return Some(format!("namespace {} vs {}", a.namespace, b.namespace));
    }
    if a.needs != b.needs {
        return Some("needs differ".to_string());
    }
    if a.sources != b.sources {
        return Some("values, secrets or set differ".to_string());
    }
    None
}

/// Order releases so that every release comes after what it needs (Kahn's algorithm,
/// ties in declaration order). Unknown needs and cycles are errors naming the releases.
fn order(
    releases: Vec<ReleasePlan>,
    profiles: &[String],
) -> Result<Vec<ReleasePlan>, WorkspaceError> {
    let names: BTreeSet<&str> = releases.iter().map(|r| r.name.as_str()).collect();
    for r in &releases {
        for need in &r.needs {
            if !names.contains(need.as_str()) {
                return Err(WorkspaceError::UnknownNeed {
                    release: r.name.clone(),
                    need: need.clone(),
                    profiles: profiles.join(","),
                });
            }
        }
    }
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut pending: Vec<ReleasePlan> = releases;
    let mut out = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|r| r.needs.iter().all(|n| placed.contains(n)));
        match ready {
            Some(i) => {
                let r = pending.remove(i);
                placed.insert(r.name.clone());
                out.push(r);
            }
            None => {
                return Err(WorkspaceError::NeedsCycle {
                    cycle: find_cycle(&pending),
                })
            }
        }
    }
    Ok(out)
}

/// A cycle among `pending` (every one of which waits on another), as `a → b → a`.
fn find_cycle(pending: &[ReleasePlan]) -> String {
    let by_name: BTreeMap<&str, &ReleasePlan> =
        pending.iter().map(|r| (r.name.as_str(), r)).collect();
    let mut path: Vec<&str> = Vec::new();
    let mut current = pending[0].name.as_str();
    loop {
        if let Some(pos) = path.iter().position(|n| *n == current) {
            let mut cycle: Vec<&str> = path[pos..].to_vec();
            cycle.push(current);
            return cycle.join(" → ");
        }
        path.push(current);
        let next = by_name.get(current).and_then(|r| {
            r.needs
                .iter()
                .find(|n| by_name.contains_key(n.as_str()))
                .map(String::as_str)
        });
        match next {
            Some(n) => current = n,
            None => return path.join(" → "),
        }
    }
}

fn read(path: &Path) -> Result<String, WorkspaceError> {
    std::fs::read_to_string(path).map_err(|source| WorkspaceError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn rel(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}
