//! `berth template [NAME] CHART`: render one Helm chart with `helm
//! template`'s arguments and print what `helm template` prints (Secret values
//! masked unless `--show-secrets`). No workspace, no cluster.

use std::path::Path;

use anyhow::{anyhow, bail, Context as _};

use crate::action::Exit;
use crate::chart::helm::{dependencies, HelmChart};
use crate::cli::{GlobalArgs, TemplateArgs};
use crate::manifest::helm::{self as sorter, Hook, Manifest, TemplateOutput};
use crate::template::go::objects::KubeVersion;
use crate::template::go::render::{ClusterInfo, ReleaseInfo, Render};
use crate::ui::Ui;
use crate::values::{CommandLineValues, Loader};

/// Run `berth template`.
pub fn run(ui: &Ui, _global: &GlobalArgs, args: &TemplateArgs) -> anyhow::Result<Exit> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (name, chart_arg) = name_and_chart(
        &args.args,
        args.generate_name,
        Some(TEMPLATE_RELEASE_NAME),
        now,
    )?;
    let (name, chart_arg) = (name.as_str(), chart_arg.as_str());
    validate_release_name(name)?;
    let kube_version = match &args.kube_version {
        Some(v) => KubeVersion::parse(v).ok_or_else(|| anyhow!("invalid kube version '{v}'"))?,
        None => KubeVersion::helm_default(),
    };
    let loaded = HelmChart::load_path(Path::new(chart_arg), chart_arg.trim_end_matches('/'))?;
    if loaded.metadata.is_library() {
        bail!("library charts are not installable");
    }
    loaded.check_dependencies().map_err(|e| anyhow!(e))?;
    check_kube_version(&loaded, &kube_version)?;

    let cli_values = CommandLineValues::from_args(&args.values)?;
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let mut loader = Loader::new(&cwd);
    let user = loader.user_values(&[], &cli_values)?;
    let processed = dependencies::process(&loaded, &user)?;
    for warning in processed.warnings {
        loader.warn_once(warning);
    }
    let chart = processed.chart;
    let values = loader.coalesce_user(&chart.defaults(), user)?;
    if !args.skip_schema_validation {
        crate::chart::helm::schema::validate(&chart, &values)?;
    }

    let render = Render {
        chart: &chart,
        values: &values,
        release: ReleaseInfo {
            name: name.to_string(),
            namespace: args.namespace.clone(),
            revision: 1,
            is_install: !args.is_upgrade,
            is_upgrade: args.is_upgrade,
        },
        cluster: ClusterInfo {
            kube_version,
            extra_api_versions: args.api_versions.clone(),
        },
        lookup: None,
        strict: false,
    };
    let mut files = render.run().map_err(|e| anyhow!("{e}"))?;
    files.retain(|path, _| !path.ends_with("NOTES.txt"));
    let (mut hooks, mut manifests) = sorter::sort_manifests(&files)?;
    if !args.show_secrets {
        let masked = mask_secrets(&mut hooks, &mut manifests);
        if masked > 0 {
            ui.info(format!(
                "{masked} Secret value(s) masked; pass --show-secrets to print them"
            ));
        }
    }
    let crds = if args.include_crds {
        chart.crds(&chart.metadata.name)
    } else {
        Vec::new()
    };
    let opts = TemplateOutput {
        crds,
        no_hooks: args.no_hooks,
        skip_tests: args.skip_tests,
    };
    if let Some(dir) = &args.output_dir {
        let dir = if args.release_name {
            dir.join(name)
        } else {
            dir.clone()
        };
        for path in write_output_dir(&dir, &hooks, &manifests, &opts)? {
            println!("wrote {}", path.display());
        }
        return Ok(Exit::Ok);
    }
    let text = sorter::template_text(&hooks, &manifests, &opts);
    let text = if args.show_only.is_empty() {
        text
    } else {
        sorter::show_only(&text, &args.show_only).map_err(|e| anyhow!(e))?
    };
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(Exit::Ok)
}

/// `helm template --output-dir`: every document appended to
/// `DIR/<its source path>` as `---\n# Source: PATH\n...` (CRDs first, then
/// resources, then hooks), files 0600 and written whole before renaming into
/// place. Returns one path per document written, in Helm's order (Helm
/// prints `wrote PATH` for each).
fn write_output_dir(
    dir: &Path,
    hooks: &[Hook],
    manifests: &[Manifest],
    opts: &TemplateOutput,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut order: Vec<String> = Vec::new();
    let mut push = |source: &str, text: String| {
        order.push(source.to_string());
        let doc = format!("---\n# Source: {source}\n{text}\n");
        match files.iter_mut().find(|(s, _)| s == source) {
            Some((_, body)) => body.push_str(&doc),
            None => files.push((source.to_string(), doc)),
        }
    };
    for (source, data) in &opts.crds {
        push(source, String::from_utf8_lossy(data).into_owned());
    }
    for m in manifests {
        push(&m.source, m.content.clone());
    }
    if !opts.no_hooks {
        for h in hooks {
            if opts.skip_tests && h.events.contains(&crate::manifest::helm::HookEvent::Test) {
                continue;
            }
            push(&h.source, h.content.clone());
        }
    }
    for (source, body) in files {
        // Sources are chart-relative paths the loader built; never leave DIR.
        if source
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        {
            bail!("refusing to write {source:?} outside the output directory");
        }
        let path = dir.join(&source);
        let parent = path.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let mut tmp = tempfile::NamedTempFile::new_in(parent)
            .with_context(|| format!("cannot write in {}", parent.display()))?;
        use std::io::Write as _;
        tmp.write_all(body.as_bytes())?;
        tmp.persist(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(order.iter().map(|source| dir.join(source)).collect())
}

/// The release name `helm template` uses when NAME is left out: it sets
/// `Install.ReleaseName` to this before `NameAndChart` runs, so even
/// `--generate-name` ends here (Helm v4.2.3 `pkg/cmd/template.go`).
pub const TEMPLATE_RELEASE_NAME: &str = "release-name";

/// Why the positional arguments name no release and chart; the texts are Helm's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// `NAME CHART` together with `--generate-name`.
    #[error("cannot set --generate-name and also specify a name")]
    GenerateWithName,
    /// More than `NAME CHART`.
    #[error("expected at most two arguments, unexpected arguments: {0}")]
    TooManyArguments(String),
    /// Only `CHART`, no preset name and no `--generate-name`.
    #[error("must either provide a name or specify --generate-name")]
    NoName,
}

/// Helm v4.2.3's `Install.NameAndChart`: `(release name, chart argument)`
/// from `[NAME] CHART`. `preset` is `Install.ReleaseName` (what `helm
/// template` sets before calling it; `helm install` leaves it empty);
/// `now_unix` is the clock [`generated_name`] uses.
pub fn name_and_chart(
    args: &[String],
    generate_name: bool,
    preset: Option<&str>,
    now_unix: u64,
) -> Result<(String, String), NameError> {
    match args {
        [] => Err(NameError::NoName),
        [chart] => match preset {
            Some(name) if !name.is_empty() => Ok((name.to_string(), chart.clone())),
            _ if generate_name => Ok((generated_name(chart, now_unix), chart.clone())),
            _ => Err(NameError::NoName),
        },
        [_, _] if generate_name => Err(NameError::GenerateWithName),
        [name, chart] => Ok((name.clone(), chart.clone())),
        [_, _, rest @ ..] => Err(NameError::TooManyArguments(rest.join(", "))),
    }
}

/// Helm's generated release name: the chart argument's base name (Go's
/// `filepath.Base`; `chart` for `.`), cut at its first `.` (so
/// `app-1.2.0.tgz` gives `app-1`), then `-` and the Unix time in seconds.
pub fn generated_name(chart_arg: &str, now_unix: u64) -> String {
    let mut base = go_base(chart_arg);
    if base == "." || base.is_empty() {
        base = "chart";
    }
    if let Some(i) = base.find('.') {
        base = &base[..i];
    }
    format!("{base}-{now_unix}")
}

/// Go's `filepath.Base` on Unix: the last element, trailing slashes
/// ignored; `.` for an empty path, `/` for slashes only.
fn go_base(path: &str) -> &str {
    if path.is_empty() {
        return ".";
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// Helm's release name rule: a DNS-1123 subdomain of at most 53 characters.
fn validate_release_name(name: &str) -> anyhow::Result<()> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if name.is_empty() || name.len() > 53 || !name.split('.').all(label_ok) {
        bail!(
            "release name {name:?}: invalid release name, must be lowercase letters, digits, '-' and '.', start and end with a letter or digit, and be at most 53 characters"
        );
    }
    Ok(())
}

/// Helm refuses a chart whose `kubeVersion` constraint excludes the target.
fn check_kube_version(chart: &HelmChart, kube: &KubeVersion) -> anyhow::Result<()> {
    let constraint = &chart.metadata.kube_version;
    if constraint.is_empty() {
        return Ok(());
    }
    match crate::template::go::semver_matches(constraint, &kube.normalized) {
        Ok(true) => Ok(()),
        _ => bail!(
            "chart requires kubeVersion: {constraint} which is incompatible with Kubernetes {}",
            kube.version
        ),
    }
}

/// Mask `data`/`stringData` of every Secret document (hooks included), the
/// way `berth render` masks them. Returns how many values were masked.
fn mask_secrets(hooks: &mut [Hook], manifests: &mut [Manifest]) -> usize {
    let mut masked = 0;
    let mut mask = |kind: &str, source: &str, content: &mut String| {
        if kind != "Secret" {
            return;
        }
        let Ok(body) = serde_yaml_ng::from_str::<serde_json::Value>(content) else {
            return;
        };
        let mut objects = [crate::manifest::Object {
            body,
            source: source.to_string(),
        }];
        let n = crate::manifest::mask_secret_values(&mut objects);
        if n > 0 {
            masked += n;
            *content = crate::template::go::to_yaml(&objects[0].body);
        }
    };
    for h in hooks.iter_mut() {
        mask(&h.kind, &h.source, &mut h.content);
    }
    for m in manifests.iter_mut() {
        mask(&m.kind, &m.source, &mut m.content);
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    // The rule comes from Helm v4.2.3's source (`Install.NameAndChart`); the
    // oracle (Helm's SDK) has no CLI to ask, so these pin the source's cases.
    #[test]
    fn generated_names_follow_helms_name_and_chart() {
        let t = 1_764_633_600;
        assert_eq!(
            generated_name("./charts/jupyterhub", t),
            "jupyterhub-1764633600"
        );
        assert_eq!(generated_name("charts/app/", t), "app-1764633600");
        assert_eq!(generated_name("app-1.2.0.tgz", t), "app-1-1764633600");
        assert_eq!(generated_name(".", t), "chart-1764633600");
        assert_eq!(generated_name("", t), "chart-1764633600");
        let (name, chart) = name_and_chart(&args(&["./web"]), true, None, t).unwrap();
        assert_eq!((name.as_str(), chart.as_str()), ("web-1764633600", "./web"));
    }

    #[test]
    fn names_and_charts_are_refused_with_helms_errors() {
        let t = 1;
        assert_eq!(
            name_and_chart(&args(&["rel", "c"]), true, Some(TEMPLATE_RELEASE_NAME), t),
            Err(NameError::GenerateWithName)
        );
        assert_eq!(
            name_and_chart(&args(&["a", "b", "c", "d"]), false, None, t)
                .unwrap_err()
                .to_string(),
            "expected at most two arguments, unexpected arguments: c, d"
        );
        assert_eq!(
            name_and_chart(&args(&["c"]), false, None, t),
            Err(NameError::NoName)
        );
        // helm template presets the name, so -g with CHART alone keeps it.
        let (name, _) =
            name_and_chart(&args(&["c"]), true, Some(TEMPLATE_RELEASE_NAME), t).unwrap();
        assert_eq!(name, "release-name");
    }
}
