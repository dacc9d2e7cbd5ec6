//! `dependency list` as Helm's `action.Dependency.List` reports it: each
//! `Chart.yaml` dependency's status against what `charts/` holds (archives
//! and unpacked directories), the warnings about `charts/` entries, and the
//! table as Helm prints it. Reads only; never changes `charts/`.

use std::path::{Path, PathBuf};

use gotemplate::semver::{Constraints, Version};

use super::archive::chart_file_of_path;
use super::chartfile::{ChartFile, Dependency};
use super::RepoError;

/// One row of `dependency list`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ListRow {
    /// Dependency name.
    pub name: String,
    /// Version or constraint as written.
    pub version: String,
    /// Repository as written.
    pub repository: String,
    /// Helm's status: `ok`, `missing`, `unpacked`, `wrong version`,
    /// `invalid version`, `corrupt`, `misnamed` or `too many matches`.
    pub status: String,
}

/// `dependency list`: each dependency's status as `helm dependency list`
/// reports it, and the warnings it prints about `charts/`. `None` when
/// `Chart.yaml` declares no dependencies.
pub fn list(chart_dir: &Path) -> Result<(Option<Vec<ListRow>>, Vec<String>), RepoError> {
    let chart = ChartFile::load_dir(chart_dir)?;
    let Some(deps) = chart.dependencies else {
        return Ok((None, Vec::new()));
    };
    let charts = chart_dir.join("charts");
    let subcharts = loaded_subcharts(&charts);
    let rows = deps
        .iter()
        .map(|d| ListRow {
            name: d.name.clone(),
            version: d.version.clone(),
            repository: d.repository.clone(),
            status: status(&charts, d, &subcharts),
        })
        .collect();
    let mut warnings = Vec::new();
    for (path, loaded) in &subcharts {
        match loaded {
            None => warnings.push(format!(
                "WARNING: {:?} is not a chart.",
                path.display().to_string()
            )),
            Some(c) if !deps.iter().any(|d| d.name == c.name) => warnings.push(format!(
                "WARNING: {:?} is not in Chart.yaml.",
                path.display().to_string()
            )),
            Some(_) => {}
        }
    }
    Ok((Some(rows), warnings))
}

/// Every directory and `.tgz` in `charts/`, in name order, with its
/// `Chart.yaml` when it has a readable one.
fn loaded_subcharts(charts: &Path) -> Vec<(PathBuf, Option<ChartFile>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(charts) else {
        return out;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            out.push((path.clone(), ChartFile::load_dir(&path).ok()));
        } else if path.extension().is_some_and(|e| e == "tgz") {
            out.push((path.clone(), chart_file_of_path(&path).ok()));
        }
    }
    out
}

/// Helm's `dependencyStatus`.
fn status(charts: &Path, dep: &Dependency, subcharts: &[(PathBuf, Option<ChartFile>)]) -> String {
    let prefix = format!("{}-", dep.name);
    let mut archives: Vec<PathBuf> = std::fs::read_dir(charts)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".tgz"))
                })
                .collect()
        })
        .unwrap_or_default();
    archives.sort();
    let candidate = match archives.len() {
        0 => None,
        1 => archives.first().cloned(),
        _ => {
            let strict: Vec<&PathBuf> = archives
                .iter()
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .and_then(|n| n.strip_suffix(".tgz"))
                        .and_then(|n| n.strip_prefix(&prefix))
                        .is_some_and(super::oci::is_strict_semver)
                })
                .collect();
            match strict.len() {
                1 => strict.first().map(|p| (*p).clone()),
                0 => None,
                _ => return "too many matches".into(),
            }
        }
    };
    if let Some(archive) = candidate {
        return match chart_file_of_path(&archive) {
            Err(_) => "corrupt".into(),
            Ok(c) if c.name != dep.name => "misnamed".into(),
            Ok(c) => version_status(&c.version, dep).unwrap_or("ok").into(),
        };
    }
    let found = subcharts
        .iter()
        .rev()
        .filter_map(|(_, c)| c.as_ref())
        .find(|c| c.name == dep.name);
    match found {
        None => "missing".into(),
        Some(c) => version_status(&c.version, dep).unwrap_or("unpacked").into(),
    }
}

/// `Some(problem)` when `version` does not satisfy the dependency's constraint.
fn version_status(version: &str, dep: &Dependency) -> Option<&'static str> {
    if version == dep.version {
        return None;
    }
    let Ok(constraint) = Constraints::parse(&dep.version) else {
        return Some("invalid version");
    };
    let Ok(v) = Version::parse(version) else {
        return Some("invalid version");
    };
    (!constraint.check(&v)).then_some("wrong version")
}

/// `helm dependency list`'s table (gosuri/uitable: every cell padded to its
/// column's width, at most 80 characters, cells joined by a tab).
pub fn format_table(rows: &[ListRow]) -> String {
    const MAX: usize = 80;
    let cut = |s: &str| -> String {
        if s.chars().count() > MAX {
            let mut t: String = s.chars().take(MAX - 3).collect();
            t.push_str("...");
            t
        } else {
            s.to_string()
        }
    };
    let mut table: Vec<[String; 4]> = vec![[
        "NAME".into(),
        "VERSION".into(),
        "REPOSITORY".into(),
        "STATUS".into(),
    ]];
    for r in rows {
        table.push([
            cut(&r.name),
            cut(&r.version),
            cut(&r.repository),
            cut(&r.status),
        ]);
    }
    let mut widths = [0usize; 4];
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let lines: Vec<String> = table
        .iter()
        .map(|row| {
            row.iter()
                .zip(widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect();
    lines.join("\n")
}
