//! Which engine a chart is for, decided from `Chart.yaml` alone and never
//! guessed from template content: a chart whose `Chart.yaml` carries the
//! annotation `berth.deploy/engine: handlebars` is one of berth's own
//! handlebars charts; every other chart is a Helm chart (Go templates).

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use super::helm::{HelmChart, LoadError};
use super::{Chart, ChartError};

/// The `Chart.yaml` annotation that marks a berth (handlebars) chart.
pub const ENGINE_ANNOTATION: &str = "berth.deploy/engine";

/// A loaded chart of either kind.
#[derive(Debug)]
pub enum AnyChart {
    /// berth's own handlebars chart.
    Berth(Box<Chart>),
    /// A Helm chart, rendered by the Go template engine.
    Helm(Box<HelmChart>),
}

/// Why a chart did not load: every problem of a berth chart, or a Helm
/// chart's first (Helm's loader stops at the first).
#[derive(Debug)]
pub enum AnyChartError {
    Berth(Vec<ChartError>),
    Helm(Box<LoadError>),
}

/// Whether `Chart.yaml` in `dir` names the handlebars engine. An unreadable
/// or malformed file is left to the loader to report.
pub fn is_handlebars(dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join("Chart.yaml")) else {
        return false;
    };
    let Ok(doc) = serde_yaml_ng::from_str::<Json>(&text) else {
        return false;
    };
    doc.pointer(&format!(
        "/annotations/{}",
        ENGINE_ANNOTATION.replace('/', "~1")
    ))
    .and_then(Json::as_str)
        == Some("handlebars")
}

impl AnyChart {
    /// Load the chart in `dir` (a Helm chart may also be a packaged `.tgz`
    /// file) with the engine its `Chart.yaml` names; `root` shortens paths in
    /// messages.
    pub fn load(dir: &Path, root: &Path) -> Result<AnyChart, AnyChartError> {
        if is_handlebars(dir) {
            return Chart::load(dir, root)
                .map(|c| AnyChart::Berth(Box::new(c)))
                .map_err(AnyChartError::Berth);
        }
        let shown = dir
            .strip_prefix(root)
            .unwrap_or(dir)
            .to_string_lossy()
            .into_owned();
        HelmChart::load_path(dir, &shown)
            .map(|c| AnyChart::Helm(Box::new(c)))
            .map_err(|e| AnyChartError::Helm(Box::new(e)))
    }

    /// The chart's own `values.yaml`.
    pub fn values(&self) -> &Json {
        match self {
            AnyChart::Berth(c) => &c.values,
            AnyChart::Helm(c) => &c.values,
        }
    }

    /// `values.schema.json`: the path shown in messages and the schema.
    pub fn schema(&self) -> Option<(PathBuf, &Json)> {
        match self {
            AnyChart::Berth(c) => c.schema.as_ref().map(|(p, s)| (p.clone(), s)),
            AnyChart::Helm(c) => c.schema.as_ref().map(|s| {
                (
                    PathBuf::from(format!("{}/values.schema.json", c.display)),
                    s,
                )
            }),
        }
    }

    /// `name` from `Chart.yaml`.
    pub fn name(&self) -> &str {
        match self {
            AnyChart::Berth(c) => &c.meta.name,
            AnyChart::Helm(c) => &c.metadata.name,
        }
    }

    /// `version` from `Chart.yaml`.
    pub fn version(&self) -> &str {
        match self {
            AnyChart::Berth(c) => &c.meta.version,
            AnyChart::Helm(c) => &c.metadata.version,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_comes_from_the_annotation_only() {
        let tmp = tempfile::tempdir().unwrap();
        let write = |text: &str| std::fs::write(tmp.path().join("Chart.yaml"), text).unwrap();
        write("name: a\nversion: 1.0.0\nannotations:\n  berth.deploy/engine: handlebars\n");
        assert!(is_handlebars(tmp.path()));
        write("name: a\nversion: 1.0.0\n");
        assert!(!is_handlebars(tmp.path()));
        write("name: a\nversion: 1.0.0\nannotations:\n  berth.deploy/engine: go\n");
        assert!(!is_handlebars(tmp.path()));
    }
}
