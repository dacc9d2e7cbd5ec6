//! Profile files (`profiles/<name>.yaml`) as written, and their resolution:
//! `extends` chains, release overlays, namespaces and the value-source order.

use std::path::PathBuf;

use serde::Deserialize;

use super::{read, rel, ReleasePlan, Workspace, WorkspaceError};
use crate::values::ValueSource;

/// One profile file as written. Unknown keys are errors naming file, line and key.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    #[serde(default)]
    pub description: String,
    /// Default namespace of the profile's releases.
    pub namespace: Option<String>,
    /// Kube-context guard.
    pub context: Option<String>,
    /// Profiles whose releases and values this one starts from.
    #[serde(default)]
    pub extends: Vec<String>,
    /// Values files merged into every release of the profile.
    #[serde(default)]
    pub values: Vec<PathBuf>,
    /// SOPS files merged into every release of the profile.
    #[serde(default)]
    pub secrets: Vec<PathBuf>,
    #[serde(default)]
    pub releases: Vec<ReleaseSpec>,
}

/// One release entry of a profile file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseSpec {
    pub name: String,
    /// Chart directory, relative to the workspace root. May be omitted only when
    /// the entry adjusts a release inherited through `extends`.
    pub chart: Option<PathBuf>,
    pub namespace: Option<String>,
    pub needs: Option<Vec<String>>,
    #[serde(default)]
    pub values: Vec<PathBuf>,
    #[serde(default)]
    pub secrets: Vec<PathBuf>,
    /// Dotted paths to values (`hub.replicas: 2`).
    #[serde(default)]
    pub set: serde_json::Map<String, serde_json::Value>,
}

/// A profile after `extends`.
pub(super) struct Resolved {
    pub context: Option<String>,
    pub releases: Vec<ReleasePlan>,
}

/// A release while `extends` chains are being resolved.
#[derive(Debug, Clone, PartialEq)]
struct Partial {
    name: String,
    chart: PathBuf,
    namespace: Option<String>,
    profile_namespace: Option<String>,
    needs: Vec<String>,
    profile_values: Vec<PathBuf>,
    profile_secrets: Vec<PathBuf>,
    values: Vec<PathBuf>,
    secrets: Vec<PathBuf>,
    set: Vec<(String, serde_json::Value)>,
    set_origin: String,
}

struct Chain {
    context: Option<String>,
    /// The profile's own namespace, else the first base's.
    namespace: Option<String>,
    releases: Vec<Partial>,
}

pub(super) fn load(ws: &Workspace, name: &str) -> Result<ProfileFile, WorkspaceError> {
    let file = profile_path(ws, name)?;
    let text = read(&file)?;
    if text.trim().is_empty() {
        return Ok(ProfileFile::default());
    }
    let parsed: ProfileFile =
        serde_yaml_ng::from_str(&text).map_err(|source| WorkspaceError::Parse {
            path: rel(&ws.root, &file),
            source,
        })?;
    let invalid = |key: &str, value: &str, message: String| WorkspaceError::Invalid {
        path: rel(&ws.root, &file),
        line: super::names::locate(&text, key, value),
        message,
    };
    if let Some(ns) = &parsed.namespace {
        if let Some(p) = super::names::namespace_problem(ns) {
            return Err(invalid("namespace", ns, p));
        }
    }
    for r in &parsed.releases {
        if let Some(p) = super::names::release_name_problem(&r.name) {
            return Err(invalid("name", &r.name, p));
        }
        if let Some(ns) = &r.namespace {
            if let Some(p) = super::names::namespace_problem(ns) {
                return Err(invalid("namespace", ns, p));
            }
        }
    }
    Ok(parsed)
}

fn profile_path(ws: &Workspace, name: &str) -> Result<PathBuf, WorkspaceError> {
    let dir = ws.root.join("profiles");
    let valid = !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != "..";
    if valid {
        for ext in ["yaml", "yml"] {
            let p = dir.join(format!("{name}.{ext}"));
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    let known = ws.profile_names()?;
    Err(WorkspaceError::UnknownProfile {
        name: name.to_string(),
        known: if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        },
    })
}

/// Resolve the selected profile `name` into release plans.
pub(super) fn resolve(ws: &Workspace, name: &str) -> Result<Resolved, WorkspaceError> {
    let file = load(ws, name)?;
    let description = file.description.clone();
    let chain = resolve_chain(ws, name, &mut Vec::new())?;
    let releases = chain
        .releases
        .into_iter()
        .map(|p| {
            let mut sources = Vec::new();
            sources.extend(
                p.profile_values
                    .iter()
                    .map(|f| ValueSource::File(ws.root.join(f))),
            );
            sources.extend(
                p.profile_secrets
                    .iter()
                    .map(|f| ValueSource::Secrets(ws.root.join(f))),
            );
            sources.extend(p.values.iter().map(|f| ValueSource::File(ws.root.join(f))));
            sources.extend(
                p.secrets
                    .iter()
                    .map(|f| ValueSource::Secrets(ws.root.join(f))),
            );
            if !p.set.is_empty() {
                sources.push(ValueSource::Set {
                    origin: p.set_origin.clone(),
                    entries: p.set.clone(),
                });
            }
            ReleasePlan {
                namespace: p
                    .namespace
                    .or(p.profile_namespace)
                    .unwrap_or_else(|| "default".to_string()),
                profile: name.to_string(),
                profile_description: description.clone(),
                chart: ws.root.join(&p.chart),
                needs: p.needs,
                sources,
                name: p.name,
            }
        })
        .collect();
    Ok(Resolved {
        context: chain.context,
        releases,
    })
}

fn resolve_chain(
    ws: &Workspace,
    name: &str,
    stack: &mut Vec<String>,
) -> Result<Chain, WorkspaceError> {
    if stack.iter().any(|s| s == name) {
        let mut chain = stack.clone();
        chain.push(name.to_string());
        return Err(WorkspaceError::ExtendsCycle {
            name: name.to_string(),
            chain: chain.join(" → "),
        });
    }
    let file = load(ws, name)?;
    let path = rel(&ws.root, &profile_path(ws, name)?);
    stack.push(name.to_string());

    let mut releases: Vec<Partial> = Vec::new();
    let mut context = None;
    let mut namespace = file.namespace.clone();
    for base in &file.extends {
        let chain = resolve_chain(ws, base, stack)?;
        if context.is_none() {
            context = chain.context;
        }
        if namespace.is_none() {
            namespace = chain.namespace;
        }
        for r in chain.releases {
            match releases.iter().find(|e| e.name == r.name) {
                Some(existing) if *existing == r => {}
                Some(_) => {
                    return Err(WorkspaceError::InheritedConflict {
                        path: path.clone(),
                        release: r.name.clone(),
                    })
                }
                None => releases.push(r),
            }
        }
    }
    stack.pop();

    // This profile's own settings sit above what it inherits.
    for r in &mut releases {
        r.profile_values.extend(file.values.iter().cloned());
        r.profile_secrets.extend(file.secrets.iter().cloned());
        if file.namespace.is_some() {
            r.profile_namespace = file.namespace.clone();
        }
    }
    if file.context.is_some() {
        context = file.context.clone();
    }

    let mut own: Vec<&str> = Vec::new();
    for spec in &file.releases {
        if own.contains(&spec.name.as_str()) {
            return Err(WorkspaceError::DuplicateRelease {
                path: path.clone(),
                release: spec.name.clone(),
            });
        }
        own.push(&spec.name);
        let origin = format!("{} (release {} set)", path.display(), spec.name);
        let mut set = Vec::new();
        for (key, value) in &spec.set {
            crate::values::parse_set_path(key).map_err(|e| WorkspaceError::BadSet {
                path: path.clone(),
                release: spec.name.clone(),
                message: e.to_string(),
            })?;
            set.push((key.clone(), value.clone()));
        }
        if let Some(existing) = releases.iter_mut().find(|r| r.name == spec.name) {
            // An overlay of an inherited release.
            if let Some(chart) = &spec.chart {
                existing.chart = chart.clone();
            }
            if spec.namespace.is_some() {
                existing.namespace = spec.namespace.clone();
            }
            if let Some(needs) = &spec.needs {
                existing.needs = needs.clone();
            }
            existing.values.extend(spec.values.iter().cloned());
            existing.secrets.extend(spec.secrets.iter().cloned());
            existing.set.extend(set);
            existing.set_origin = origin;
            continue;
        }
        let chart = spec
            .chart
            .clone()
            .ok_or_else(|| WorkspaceError::MissingChart {
                path: path.clone(),
                release: spec.name.clone(),
            })?;
        releases.push(Partial {
            name: spec.name.clone(),
            chart,
            namespace: spec.namespace.clone(),
            profile_namespace: namespace.clone(),
            needs: spec.needs.clone().unwrap_or_default(),
            profile_values: file.values.clone(),
            profile_secrets: file.secrets.clone(),
            values: spec.values.clone(),
            secrets: spec.secrets.clone(),
            set,
            set_origin: origin,
        });
    }
    Ok(Chain {
        context,
        namespace,
        releases,
    })
}
