//! Helm charts (Go templates) as Helm's directory loader reads them
//! (`pkg/chart/v2/loader`): the chart directory walked in lexical order with
//! `.helmignore` applied, `Chart.yaml` with Helm's validation, `values.yaml`,
//! `values.schema.json`, `templates/`, every other file kept for `.Files`
//! (`crds/` among them), and subcharts from `charts/`. Reading files only:
//! no values are merged and nothing is rendered here.

pub mod archive;
pub mod dependencies;
pub mod ignore;
pub mod metadata;
pub mod schema;

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

pub use metadata::{Dependency, Maintainer, Metadata, MetadataError};

/// The largest file Helm loads from a chart (Helm's `MaxDecompressedFileSize`).
pub const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;

/// Errors of loading a Helm chart. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: chart directory does not exist")]
    Missing { path: String },
    #[error("{path}: Chart.yaml file is missing")]
    NoChartYaml { path: String },
    /// A subchart (the error around it names it and its parent) without
    /// `Chart.yaml`, in Helm's words.
    #[error("Chart.yaml file is missing")]
    SubchartWithoutChartYaml,
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Ignore {
        path: String,
        #[source]
        source: ignore::IgnoreError,
    },
    #[error("{path}: cannot load irregular file as it has file mode type bits set")]
    Irregular { path: String },
    #[error("{path}: chart file is larger than the maximum file size {MAX_FILE_BYTES}")]
    TooLarge { path: String },
    #[error("{path}: {message}")]
    Yaml { path: String, message: String },
    #[error("{path}: {source}")]
    Metadata {
        path: String,
        #[source]
        source: MetadataError,
    },
    #[error("{path}: {source}")]
    Values {
        path: String,
        #[source]
        source: Box<crate::values::ValuesError>,
    },
    #[error("{path}: invalid JSON: {source}")]
    Schema {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("error unpacking subchart {name} in {parent}: {source}")]
    Subchart {
        name: String,
        parent: String,
        #[source]
        source: Box<LoadError>,
    },
    /// A subchart archive in `charts/` that does not unpack (Helm's text).
    #[error("{0}")]
    Unpack(archive::ArchiveError),
    /// `charts/NAME.tgz` is not a file.
    #[error("error unpacking subchart tar in {parent}: expected {expected}, got {got}")]
    SubchartTar {
        parent: String,
        expected: String,
        got: String,
    },
    /// A chart archive given as the chart that does not unpack.
    #[error("{path}: unable to load chart archive: {source}")]
    Archive {
        path: String,
        #[source]
        source: archive::ArchiveError,
    },
    /// A chart file given as the chart that is not a gzip stream.
    #[error("file '{path}' does not appear to be a gzipped archive; got '{content_type}'")]
    NotArchive { path: String, content_type: String },
    /// A YAML file given where the chart goes (`helm template values.yaml chart`).
    #[error("file '{path}' seems to be a YAML file, but expected a gzipped archive")]
    YamlNotArchive { path: String },
}

/// One file of a chart: its chart-relative, `/`-separated name and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartFile {
    pub name: String,
    pub data: Vec<u8>,
}

impl ChartFile {
    /// The file as text (Go treats template bytes as a string; invalid UTF-8
    /// is replaced here).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// A loaded Helm chart and its subcharts.
#[derive(Debug, Clone)]
pub struct HelmChart {
    /// The chart directory as shown in messages.
    pub display: String,
    pub metadata: Metadata,
    /// The chart's own `values.yaml` (an empty map when absent).
    pub values: Json,
    /// `values.schema.json`, parsed.
    pub schema: Option<Json>,
    /// `templates/...` files, in load order.
    pub templates: Vec<ChartFile>,
    /// Every other file, for `.Files` (`crds/` included), in load order.
    pub files: Vec<ChartFile>,
    /// Subcharts from `charts/`, by name.
    pub dependencies: Vec<HelmChart>,
}

impl HelmChart {
    /// Load the chart in `dir`; `shown` is how messages name the directory.
    pub fn load(dir: &Path, shown: &str) -> Result<HelmChart, LoadError> {
        if !dir.is_dir() {
            return Err(LoadError::Missing { path: shown.into() });
        }
        let ignore_path = dir.join(".helmignore");
        let rules = if ignore_path.is_file() {
            let text = read_text(&ignore_path, &format!("{shown}/.helmignore"))?;
            ignore::Rules::parse(&text).map_err(|source| LoadError::Ignore {
                path: format!("{shown}/.helmignore"),
                source,
            })?
        } else {
            ignore::Rules::defaults()
        };
        let mut files = Vec::new();
        walk(dir, "", &rules, shown, &mut files)?;
        from_files(files, shown)
    }

    /// Load a chart directory or a packaged chart (`.tgz`) file, as Helm's
    /// `loader.Load` decides by what the path is; `shown` names it in messages.
    pub fn load_path(path: &Path, shown: &str) -> Result<HelmChart, LoadError> {
        if path.is_dir() || !path.exists() {
            return HelmChart::load(path, shown);
        }
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
            path: shown.into(),
            source,
        })?;
        if !bytes.starts_with(&[0x1f, 0x8b, 0x08]) {
            if shown.ends_with(".yml") || shown.ends_with(".yaml") {
                return Err(LoadError::YamlNotArchive { path: shown.into() });
            }
            return Err(LoadError::NotArchive {
                path: shown.into(),
                content_type: archive::content_type(&bytes).into(),
            });
        }
        let files = archive::load_archive_files(&bytes).map_err(|source| LoadError::Archive {
            path: shown.into(),
            source,
        })?;
        from_files(files, shown)
    }

    /// Load a chart from the bytes of a packaged chart (`.tgz`), as Helm's
    /// `LoadArchive` does (no `.helmignore`: archives are read whole);
    /// `shown` names it in messages.
    pub fn from_archive(bytes: &[u8], shown: &str) -> Result<HelmChart, LoadError> {
        let files = archive::load_archive_files(bytes).map_err(LoadError::Unpack)?;
        from_files(files, shown)
    }

    /// Helm's `CheckDependencies`: every `dependencies` entry of `Chart.yaml`
    /// must be a loaded subchart, matched by chart name (an alias does not
    /// count; conditions and versions are not considered). The error is the
    /// text `helm template` prints.
    pub fn check_dependencies(&self) -> Result<(), String> {
        let missing: Vec<&str> = self
            .metadata
            .dependencies
            .iter()
            .filter(|d| !self.dependencies.iter().any(|c| c.metadata.name == d.name))
            .map(|d| d.name.as_str())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(format!(
            "an error occurred while checking for chart dependencies. You may need to run 'helm dependency build' to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: {}",
            missing.join(", ")
        ))
    }

    /// The chart's defaults and its subcharts', for Helm's coalescing.
    pub fn defaults(&self) -> crate::values::ChartDefaults<'_> {
        static EMPTY: std::sync::OnceLock<serde_json::Map<String, Json>> =
            std::sync::OnceLock::new();
        crate::values::ChartDefaults {
            name: &self.metadata.name,
            values: self
                .values
                .as_object()
                .unwrap_or_else(|| EMPTY.get_or_init(serde_json::Map::new)),
            dependencies: self.dependencies.iter().map(HelmChart::defaults).collect(),
        }
    }

    /// The chart's `crds/` objects (`.yaml`, `.yml`, `.json`), then its
    /// subcharts', as `(shown file name, bytes)`; names carry the chart path
    /// (`parent/charts/sub/crds/x.yaml`) as Helm prints them.
    pub fn crds(&self, chart_path: &str) -> Vec<(String, &[u8])> {
        let mut out = Vec::new();
        for f in &self.files {
            let ext = f.name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
            if f.name.starts_with("crds/")
                && matches!(ext.as_deref(), Some("yaml" | "yml" | "json"))
            {
                out.push((format!("{chart_path}/{}", f.name), f.data.as_slice()));
            }
        }
        for dep in &self.dependencies {
            out.extend(dep.crds(&format!("{chart_path}/charts/{}", dep.metadata.name)));
        }
        out
    }
}

fn read_text(path: &Path, shown: &str) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: shown.into(),
        source,
    })
}

/// Walk `dir` in lexical order (as Go's `filepath.Walk`), following
/// symlinks, collecting files that `.helmignore` keeps.
fn walk(
    dir: &Path,
    prefix: &str,
    rules: &ignore::Rules,
    shown: &str,
    out: &mut Vec<ChartFile>,
) -> Result<(), LoadError> {
    let read_err = |p: &str, source| LoadError::Read {
        path: format!("{shown}/{p}"),
        source,
    };
    let mut entries: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| read_err(prefix, e))?
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    entries.sort();
    for (name, path) in entries {
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let meta = std::fs::metadata(&path).map_err(|e| read_err(&rel, e))?;
        if meta.is_dir() {
            if !rules.ignore(&rel, true) {
                walk(&path, &rel, rules, shown, out)?;
            }
            continue;
        }
        if rules.ignore(&rel, false) {
            continue;
        }
        if !meta.is_file() {
            return Err(LoadError::Irregular {
                path: format!("{shown}/{rel}"),
            });
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(LoadError::TooLarge {
                path: format!("{shown}/{rel}"),
            });
        }
        let mut data = std::fs::read(&path).map_err(|e| read_err(&rel, e))?;
        if data.starts_with(&[0xEF, 0xBB, 0xBF]) {
            data.drain(..3);
        }
        out.push(ChartFile { name: rel, data });
    }
    Ok(())
}

/// Helm's `LoadFiles`: sort the walked files into the chart's parts.
fn from_files(files: Vec<ChartFile>, shown: &str) -> Result<HelmChart, LoadError> {
    let chart_yaml = files
        .iter()
        .find(|f| f.name == "Chart.yaml")
        .ok_or_else(|| LoadError::NoChartYaml { path: shown.into() })?;
    let chart_path = format!("{shown}/Chart.yaml");
    let doc = parse_yaml(&chart_yaml.text(), &chart_path)?;
    let metadata = Metadata::from_json(&doc).map_err(|source| LoadError::Metadata {
        path: chart_path.clone(),
        source,
    })?;
    let mut chart = HelmChart {
        display: shown.into(),
        metadata,
        values: Json::Object(Default::default()),
        schema: None,
        templates: Vec::new(),
        files: Vec::new(),
        dependencies: Vec::new(),
    };
    let mut subcharts: Vec<(String, Vec<ChartFile>)> = Vec::new();
    for f in files {
        match f.name.as_str() {
            "Chart.yaml" | "Chart.lock" | "requirements.lock" => {}
            "values.yaml" => {
                let path = format!("{shown}/values.yaml");
                chart.values =
                    crate::values::parse_values(&f.text(), Path::new(&path)).map_err(|source| {
                        LoadError::Values {
                            path,
                            source: Box::new(source),
                        }
                    })?;
            }
            "values.schema.json" => {
                let schema =
                    serde_json::from_slice(&f.data).map_err(|source| LoadError::Schema {
                        path: format!("{shown}/values.schema.json"),
                        source,
                    })?;
                chart.schema = Some(schema);
            }
            name if name.starts_with("templates/") => chart.templates.push(f),
            name if name.starts_with("charts/") && !name.ends_with(".prov") => {
                let rest = &name["charts/".len()..];
                let (sub, inner) = rest.split_once('/').unwrap_or((rest, ""));
                let sub = sub.to_string();
                let inner = ChartFile {
                    name: inner.to_string(),
                    data: f.data,
                };
                match subcharts.iter_mut().find(|(n, _)| *n == sub) {
                    Some((_, list)) => list.push(inner),
                    None => subcharts.push((sub, vec![inner])),
                }
            }
            _ => chart.files.push(f),
        }
    }
    for (name, files) in subcharts {
        if name.starts_with('_') || name.starts_with('.') {
            continue;
        }
        if name.ends_with(".tgz") {
            let sub_err = |source| LoadError::Subchart {
                name: name.clone(),
                parent: chart.metadata.name.clone(),
                source: Box::new(source),
            };
            let Some(first) = files.first() else {
                continue;
            };
            if !first.name.is_empty() {
                return Err(LoadError::SubchartTar {
                    parent: chart.metadata.name.clone(),
                    expected: name.clone(),
                    got: format!("{name}/{}", first.name),
                });
            }
            let sub = HelmChart::from_archive(&first.data, &format!("{shown}/charts/{name}"))
                .map_err(|e| sub_err(subchart_error(e)))?;
            chart.dependencies.push(sub);
            continue;
        }
        // A file directly in charts/ is a subchart without Chart.yaml to
        // Helm (it refuses it), unless its name starts with `_` or `.`.
        let files: Vec<ChartFile> = files.into_iter().filter(|f| !f.name.is_empty()).collect();
        let sub = from_files(files, &format!("{shown}/charts/{name}")).map_err(|source| {
            LoadError::Subchart {
                name: name.clone(),
                parent: chart.metadata.name.clone(),
                source: Box::new(subchart_error(source)),
            }
        })?;
        chart.dependencies.push(sub);
    }
    Ok(chart)
}

/// A subchart's load error as Helm words it inside `error unpacking subchart`.
fn subchart_error(e: LoadError) -> LoadError {
    match e {
        LoadError::NoChartYaml { .. } => LoadError::SubchartWithoutChartYaml,
        other => other,
    }
}

/// Parse a YAML document into a JSON tree (Helm reads through sigs.k8s.io/yaml).
fn parse_yaml(text: &str, path: &str) -> Result<Json, LoadError> {
    serde_yaml_ng::from_str::<Json>(text).map_err(|e| LoadError::Yaml {
        path: path.into(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn loads_parts_subcharts_and_honours_helmignore() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(
            d,
            "Chart.yaml",
            "apiVersion: v2\nname: top\nversion: 1.0.0\n",
        );
        write(d, "values.yaml", "a: 1\n");
        write(d, ".helmignore", "*.bak\n");
        write(d, "templates/a.yaml", "kind: A\n");
        write(d, "templates/.hidden", "x");
        write(d, "templates/_h.tpl", "{{ define \"x\" }}{{ end }}");
        write(d, "files/conf.ini", "k=v\n");
        write(d, "files/old.bak", "x");
        write(d, "crds/c.yaml", "kind: CustomResourceDefinition\n");
        write(
            d,
            "charts/sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        );
        write(d, "charts/sub/templates/s.yaml", "kind: S\n");
        write(
            d,
            "charts/sub/crds/s.yaml",
            "kind: CustomResourceDefinition\n",
        );
        let chart = HelmChart::load(d, "top").unwrap();
        let names: Vec<&str> = chart.templates.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["templates/_h.tpl", "templates/a.yaml"]);
        let files: Vec<&str> = chart.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(files, [".helmignore", "crds/c.yaml", "files/conf.ini"]);
        assert_eq!(chart.dependencies.len(), 1);
        assert_eq!(chart.dependencies[0].templates[0].name, "templates/s.yaml");
        let crds: Vec<String> = chart.crds("top").into_iter().map(|(n, _)| n).collect();
        assert_eq!(crds, ["top/crds/c.yaml", "top/charts/sub/crds/s.yaml"]);
    }

    #[test]
    fn missing_chart_yaml_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "values.yaml", "a: 1\n");
        let err = HelmChart::load(tmp.path(), "c").unwrap_err();
        assert_eq!(err.to_string(), "c: Chart.yaml file is missing");
    }
}
