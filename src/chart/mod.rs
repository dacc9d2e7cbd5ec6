//! Charts: `Chart.yaml`, `values.yaml`, `values.schema.json`, and handlebars
//! templates (`templates/*.yaml`, partials `templates/_*.tpl`) rendered into
//! Kubernetes objects. Pure: no cluster, no environment, no secrets — values and
//! git facts come in through [`TemplateContext`]. Same inputs, same bytes.

pub mod any;
pub mod helm;
pub mod helpers;
mod partials;
pub mod repo;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use handlebars::{Context, Handlebars, RenderError, RenderErrorReason, TemplateError};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

use crate::manifest::{ManifestError, Object};

/// Errors of loading or rendering a chart. Each names the file (and line where known).
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("chart directory {path} does not exist")]
    Missing { path: String },
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    ChartYaml {
        path: String,
        #[source]
        source: serde_yaml_ng::Error,
    },
    #[error("{path}: invalid JSON: {source}")]
    Schema {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: {source}")]
    Values {
        path: String,
        #[source]
        source: crate::values::ValuesError,
    },
    #[error("{file}:{line}:{column}: template syntax error: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{file}:{line}:{column}: missing value `{path}` (use `default` or `required`, or set it)"
    )]
    MissingValue {
        file: String,
        line: usize,
        column: usize,
        path: String,
    },
    #[error("{file}:{line}:{column}: {message}")]
    Render {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: partials include each other: {}", .cycle.join(" → "))]
    PartialCycle { file: String, cycle: Vec<String> },
    #[error("{file}: partial `{partial}` includes a partial whose name is computed (`{{{{> (…)}}}}`); inside partials only written names are allowed, so that partials cannot include each other without end")]
    DynamicPartial { file: String, partial: String },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

/// `Chart.yaml` as berth models it. Unknown keys are errors naming file, line and key.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChartMeta {
    #[serde(default = "v2")]
    pub api_version: String,
    pub name: String,
    #[serde(deserialize_with = "scalar_string")]
    pub version: String,
    #[serde(
        default,
        deserialize_with = "opt_scalar_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub app_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maintainers: Vec<Maintainer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_version: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub annotations: serde_json::Map<String, Value>,
}

/// A chart maintainer.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Maintainer {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

fn v2() -> String {
    "v2".to_string()
}

fn scalar_to_string(v: serde_yaml_ng::Value) -> Option<String> {
    match v {
        serde_yaml_ng::Value::String(s) => Some(s),
        serde_yaml_ng::Value::Number(n) => Some(n.to_string()),
        serde_yaml_ng::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn scalar_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = serde_yaml_ng::Value::deserialize(d)?;
    scalar_to_string(v).ok_or_else(|| serde::de::Error::custom("expected a version string"))
}

fn opt_scalar_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = serde_yaml_ng::Value::deserialize(d)?;
    if v.is_null() {
        return Ok(None);
    }
    scalar_to_string(v)
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom("expected a version string"))
}

/// Where a partial's text lives, to name file and line in errors.
#[derive(Debug, Clone)]
struct PartialOrigin {
    file: String,
    line_offset: usize,
}

/// A loaded chart with its templates compiled.
pub struct Chart {
    /// The chart directory.
    pub dir: PathBuf,
    /// The chart directory as shown in messages (relative to the workspace).
    pub display: String,
    pub meta: ChartMeta,
    /// `values.yaml` (empty map when absent).
    pub values: Value,
    /// `values.schema.json`: shown path and the schema.
    pub schema: Option<(PathBuf, Value)>,
    registry: Handlebars<'static>,
    /// Document templates by shown path, sorted.
    templates: Vec<String>,
    partials: HashMap<String, PartialOrigin>,
    /// Partial names written literally in some template (render errors may print these).
    written_partials: std::collections::BTreeSet<String>,
}

impl std::fmt::Debug for Chart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chart")
            .field("dir", &self.dir)
            .field("meta", &self.meta)
            .field("templates", &self.templates)
            .finish()
    }
}

/// Floats without a fraction, within int64, as integers (handlebars prints a
/// float `2.0` as `2.0`; charts written for it expect `2`).
fn integral_floats_as_ints(value: Value) -> Value {
    match value {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            // The bounds are exact powers of two, so the cast is exact.
            Some(f) if f.fract() == 0.0 && f >= -(2f64.powi(63)) && f < 2f64.powi(63) => {
                Value::from(f as i64)
            }
            _ => Value::Number(n),
        },
        Value::Array(items) => {
            Value::Array(items.into_iter().map(integral_floats_as_ints).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, integral_floats_as_ints(v)))
                .collect(),
        ),
        other => other,
    }
}

/// What templates see besides `values`.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateContext<'a> {
    pub release: ReleaseInfo<'a>,
    pub profile: ProfileInfo<'a>,
    pub git: &'a crate::git::GitInfo,
}

/// `release.*` in templates.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseInfo<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub revision: u32,
    pub is_upgrade: bool,
}

/// `profile.*` in templates.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileInfo<'a> {
    pub name: &'a str,
    pub description: &'a str,
}

impl Chart {
    /// Load the chart in `dir`; `root` is only used to shorten paths in messages.
    /// Every template is compiled now; syntax errors name file, line and column.
    pub fn load(dir: &Path, root: &Path) -> Result<Chart, Vec<ChartError>> {
        let show = |p: &Path| {
            p.strip_prefix(root)
                .unwrap_or(p)
                .to_string_lossy()
                .into_owned()
        };
        let display = show(dir);
        if !dir.is_dir() {
            return Err(vec![ChartError::Missing { path: display }]);
        }
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|source| {
                vec![ChartError::Read {
                    path: show(p),
                    source,
                }]
            })
        };
        let meta_path = dir.join("Chart.yaml");
        let meta: ChartMeta = serde_yaml_ng::from_str(&read(&meta_path)?).map_err(|source| {
            vec![ChartError::ChartYaml {
                path: show(&meta_path),
                source,
            }]
        })?;
        let values_path = dir.join("values.yaml");
        let values = if values_path.is_file() {
            crate::values::parse_values(&read(&values_path)?, Path::new(&show(&values_path)))
                .map_err(|source| {
                    vec![ChartError::Values {
                        path: show(&values_path),
                        source,
                    }]
                })?
        } else {
            json!({})
        };
        let schema_path = dir.join("values.schema.json");
        let schema = if schema_path.is_file() {
            let schema: Value = serde_json::from_str(&read(&schema_path)?).map_err(|source| {
                vec![ChartError::Schema {
                    path: show(&schema_path),
                    source,
                }]
            })?;
            Some((PathBuf::from(show(&schema_path)), schema))
        } else {
            None
        };

        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        helpers::register(&mut registry);

        let mut files = Vec::new();
        let tdir = dir.join("templates");
        if tdir.is_dir() {
            collect_files(&tdir, &mut files).map_err(|source| {
                vec![ChartError::Read {
                    path: show(&tdir),
                    source,
                }]
            })?;
        }
        files.sort();

        let mut errors = Vec::new();
        let mut templates = Vec::new();
        let mut partials = HashMap::new();
        let mut graph: std::collections::BTreeMap<
            String,
            std::collections::BTreeSet<partials::Ref>,
        > = Default::default();
        let mut written_partials = std::collections::BTreeSet::new();
        let mut note_refs = |body: &str, partial: Option<&str>| {
            if let Ok(t) = handlebars::template::Template::compile(body) {
                let refs = partials::refs(&t);
                for r in &refs {
                    if let partials::Ref::Static(n) = r {
                        written_partials.insert(n.clone());
                    }
                }
                if let Some(p) = partial {
                    graph.insert(p.to_string(), refs);
                }
            }
        };
        for file in files {
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let shown = show(&file);
            let text = match std::fs::read_to_string(&file) {
                Ok(t) => t,
                Err(source) => {
                    errors.push(ChartError::Read {
                        path: shown,
                        source,
                    });
                    continue;
                }
            };
            if let Some(rest) = name.strip_prefix('_') {
                let partial = rest.rsplit_once('.').map(|(stem, _)| stem).unwrap_or(rest);
                let mut register = |pname: &str, body: &str, line_offset: usize| match registry
                    .register_partial(pname, body)
                {
                    Ok(()) => {
                        note_refs(body, Some(pname));
                        partials.insert(
                            pname.to_string(),
                            PartialOrigin {
                                file: shown.clone(),
                                line_offset,
                            },
                        );
                    }
                    Err(e) => errors.push(syntax_error(&e, &shown, line_offset)),
                };
                register(partial, &text, 0);
                for (pname, body, offset) in inline_partials(&text) {
                    register(&pname, &body, offset);
                }
            } else {
                let ext = file
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or_default();
                if !matches!(ext, "yaml" | "yml" | "json") {
                    continue;
                }
                match registry.register_template_string(&shown, &text) {
                    Ok(()) => {
                        note_refs(&text, None);
                        templates.push(shown)
                    }
                    Err(e) => errors.push(syntax_error(&e, &shown, 0)),
                }
            }
        }
        match partials::check(&graph) {
            Ok(()) => {}
            Err(partials::GraphError::Cycle(cycle)) => errors.push(ChartError::PartialCycle {
                file: cycle
                    .first()
                    .and_then(|p| partials.get(p))
                    .map(|o: &PartialOrigin| o.file.clone())
                    .unwrap_or_else(|| display.clone()),
                cycle,
            }),
            Err(partials::GraphError::DynamicInPartial(partial)) => {
                errors.push(ChartError::DynamicPartial {
                    file: partials
                        .get(&partial)
                        .map(|o: &PartialOrigin| o.file.clone())
                        .unwrap_or_else(|| display.clone()),
                    partial,
                })
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Chart {
            dir: dir.to_path_buf(),
            display,
            meta,
            values,
            schema,
            registry,
            templates,
            partials,
            written_partials,
        })
    }

    /// The document templates of the chart (shown paths, sorted).
    pub fn templates(&self) -> &[String] {
        &self.templates
    }

    /// The full template context for `values`. Integral floats (every number
    /// read from a file is a float, as in Helm) are integers here, so
    /// handlebars prints `2`, not `2.0`, as it always has.
    pub fn context(&self, values: Value, extra: &TemplateContext) -> Value {
        let values = integral_floats_as_ints(values);
        let git = json!({
            "sha": extra.git.sha,
            "shortSha": extra.git.short_sha,
            "tag": extra.git.tag,
            "branch": extra.git.branch,
            "dirty": extra.git.dirty,
        });
        json!({
            "values": values,
            "release": extra.release,
            "chart": self.meta,
            "profile": extra.profile,
            "git": git,
        })
    }

    /// Render every template with `context` (from [`Chart::context`]) into
    /// objects in template order. Problems are collected, not stopped at: the
    /// objects of templates that rendered, and every error.
    pub fn render(&self, context: Value) -> (Vec<Object>, Vec<ChartError>) {
        let ctx = Context::from(context);
        let mut objects = Vec::new();
        let mut errors = Vec::new();
        for name in &self.templates {
            match self.registry.render_with_context(name, &ctx) {
                Ok(text) => match crate::manifest::parse_documents(&text, name) {
                    Ok(mut objs) => objects.append(&mut objs),
                    Err(e) => errors.push(ChartError::Manifest(e)),
                },
                Err(e) => errors.push(self.render_error(e, name)),
            }
        }
        (objects, errors)
    }

    /// Turn a handlebars error into one naming the real file and line.
    fn render_error(&self, e: RenderError, template: &str) -> ChartError {
        let (file, offset) = match e.template_name.as_deref() {
            Some(n) => match self.partials.get(n) {
                Some(origin) => (origin.file.clone(), origin.line_offset),
                None => (n.to_string(), 0),
            },
            None => (template.to_string(), 0),
        };
        let line = e.line_no.unwrap_or(0) + offset;
        let column = e.column_no.unwrap_or(0);
        match e.reason() {
            RenderErrorReason::MissingVariable(path) => ChartError::MissingValue {
                file,
                line,
                column,
                path: path
                    .clone()
                    .unwrap_or_else(|| "(a helper's result)".to_string()),
            },
            RenderErrorReason::Other(message) => ChartError::Render {
                file,
                line,
                column,
                message: message.clone(),
            },
            RenderErrorReason::TemplateError(t) => syntax_error(t, &file, offset),
            // A computed name may come from values (even a secrets file): only
            // names written in a template are printed.
            RenderErrorReason::PartialNotFound(name) => ChartError::Render {
                file,
                line,
                column,
                message: if self.written_partials.contains(name) {
                    format!("partial not found: {name}")
                } else {
                    "partial not found (its name is computed by the template and not shown)"
                        .to_string()
                },
            },
            other => ChartError::Render {
                file,
                line,
                column,
                message: other.to_string(),
            },
        }
    }
}

fn syntax_error(e: &TemplateError, file: &str, line_offset: usize) -> ChartError {
    let (line, column) = e.pos().unwrap_or((0, 0));
    ChartError::Syntax {
        file: file.to_string(),
        line: line + line_offset,
        column,
        message: e.reason().to_string(),
    }
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// `{{#*inline "NAME"}}…{{/inline}}` blocks of a partial file: name, body and the
/// number of lines before the body (so errors name the file's own line numbers).
/// A tag alone on its line takes its line break with it, as handlebars does.
fn inline_partials(text: &str) -> Vec<(String, String, usize)> {
    let open = &*INLINE_OPEN;
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(m) = open.captures(&text[pos..]) {
        let (Some(whole), Some(name)) = (m.get(0), m.get(1)) else {
            break;
        };
        let mut body_start = pos + whole.end();
        let rest = &text[body_start..];
        let line_end = rest.find('\n');
        if let Some(nl) = line_end {
            if rest[..nl].trim().is_empty() {
                body_start += nl + 1;
            }
        }
        let Some(close_rel) = find_close(&text[body_start..]) else {
            break;
        };
        let close = body_start + close_rel.0;
        let mut body_end = close;
        let line_start = text[..close].rfind('\n').map(|i| i + 1).unwrap_or(0);
        if line_start >= body_start && text[line_start..close].trim().is_empty() {
            body_end = line_start;
        }
        let offset = text[..body_start].matches('\n').count();
        out.push((
            name.as_str().to_string(),
            text[body_start..body_end].to_string(),
            offset,
        ));
        pos = body_start + close_rel.1;
    }
    out
}

/// `{{#*inline "NAME"}}` (with optional `~` whitespace control).
static INLINE_OPEN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"\{\{~?#\*inline\s+"([^"]+)"\s*~?\}\}"#).expect("fixed pattern")
});

/// `{{/inline}}`.
static INLINE_CLOSE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\{\{~?/inline\s*~?\}\}").expect("fixed pattern")
});

/// Start and end (relative) of the `{{/inline}}` closing the current block.
fn find_close(text: &str) -> Option<(usize, usize)> {
    INLINE_CLOSE.find(text).map(|m| (m.start(), m.end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_blocks_with_offsets() {
        let text = "{{! helpers }}\n{{#*inline \"labels\"}}\napp: x\n{{/inline}}\n{{#*inline \"b\"}}y{{/inline}}\n";
        let found = inline_partials(text);
        assert_eq!(found[0], ("labels".to_string(), "app: x\n".to_string(), 2));
        assert_eq!(found[1], ("b".to_string(), "y".to_string(), 4));
    }
}
