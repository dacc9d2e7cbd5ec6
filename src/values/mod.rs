//! Values: reading values files (and decrypted secrets files, through
//! [`crate::secrets::decrypt_values`], in memory only), Helm's `--set` family,
//! Helm's layering, and schema validation. This module never renders
//! templates and never puts a value into an error or a warning.
//!
//! Layering is Helm's: every user-supplied layer is merged first, in this
//! order (lowest first) — profile `values`, profile `secrets`, release
//! `values`, release `secrets`, release `set`, command-line `-f` files, then
//! `--set-json`, `--set`, `--set-string`, `--set-file`, `--set-literal` (each
//! parsed *into* what is already there, as Helm's `MergeValues` does) — and the
//! result is coalesced onto the chart's `values.yaml` once ([`coalesce`]).
//!
//! Numbers follow Helm's types: a number read from a file is a float
//! (`is_f64`), as Go reads every YAML/JSON number as float64; integers from
//! `--set` (and release `set:` entries) are integers, as Helm's int64.

mod merge;
mod schema;
mod set;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

pub use merge::{
    coalesce, coalesce_chart, coalesce_mode, coalesce_tables_mode, merge_maps, ChartDefaults,
    CoalesceWarning, SubchartValuesError,
};
pub use schema::{validate_schema, SchemaProblem};
pub use set::{
    parse as parse_set, parse_into as parse_set_into, parse_json_object, set_path, FileReader, Seg,
    SetError, SetKind, SetProblem, MAX_DEPTH, MAX_INDEX, MAX_NAME_LEVEL,
};

/// Where one layer of values comes from (above the chart's `values.yaml`).
#[derive(Debug, Clone, PartialEq)]
pub enum ValueSource {
    /// A plain YAML values file.
    File(PathBuf),
    /// A SOPS-encrypted values file, decrypted in memory.
    Secrets(PathBuf),
    /// Dotted-path assignments (a release's `set`), with where they were written.
    Set {
        origin: String,
        entries: Vec<(String, Value)>,
    },
}

/// Errors of the values step. Variants name the file or flag; none carries a value.
#[derive(Debug, thiserror::Error)]
pub enum ValuesError {
    #[error(transparent)]
    Subchart(#[from] SubchartValuesError),
    #[error("cannot read values file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: invalid YAML: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: goenc::yaml::Error,
    },
    #[error("{path}: values nest deeper than {MAX_VALUES_DEPTH} maps and lists")]
    TooDeep { path: PathBuf },
    #[error("{path}: a values file must hold a mapping at the top level")]
    NotAMap { path: PathBuf },
    #[error("cannot decrypt secrets file {path}: the render stops rather than go on with missing values")]
    Secrets {
        path: PathBuf,
        #[source]
        source: crate::secrets::SecretsError,
    },
    /// A `--set`-family expression or a release `set:` entry; `flag` names
    /// which one (`--set #2`, or the release's file and name).
    #[error("{flag}: {source}")]
    Set {
        flag: String,
        #[source]
        source: SetError,
    },
    #[error("{schema}: the schema itself is invalid: {message}")]
    BadSchema { schema: PathBuf, message: String },
    #[error("values do not match {schema}:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Schema {
        schema: PathBuf,
        problems: Vec<SchemaProblem>,
    },
}

/// Parse a dotted value path (`hub.db[0].url`, `a\\.b`), as release `set` keys use.
pub fn parse_set_path(path: &str) -> Result<Vec<Seg>, SetError> {
    set::parse_path(path)
}

/// Every number as a float, as Go reads the numbers of a YAML or JSON file
/// (float64). Integers above 2^53 lose precision exactly as they do in Helm.
pub fn file_numbers(value: Value) -> Value {
    match value {
        Value::Number(n) if !n.is_f64() => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Number(n)),
        Value::Array(items) => Value::Array(items.into_iter().map(file_numbers).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, file_numbers(v))).collect())
        }
        other => other,
    }
}

/// Read one values document (a chart's `values.yaml`, a profile or release
/// values file, a `-f` file): empty → empty map; the top level must be a map;
/// numbers are floats ([`file_numbers`]). The one reader of values text.
pub fn parse_values(text: &str, path: &Path) -> Result<Value, ValuesError> {
    let limits = goenc::yaml::Limits {
        max_depth: MAX_VALUES_DEPTH,
        ..goenc::yaml::Limits::default()
    };
    let mut values = Map::new();
    for doc in split_documents(text) {
        let parsed = goenc::yaml::from_str_into(doc, &goenc::Target::Map("common.Values"), &limits)
            .map_err(|source| ValuesError::Parse {
                path: path.to_path_buf(),
                source,
            })?;
        match parsed {
            Value::Object(map) => merge_maps(&mut values, map),
            Value::Null => {}
            _ => {
                return Err(ValuesError::NotAMap {
                    path: path.to_path_buf(),
                })
            }
        }
    }
    let values = Value::Object(values);
    if too_deep(&values) {
        return Err(ValuesError::TooDeep {
            path: path.to_path_buf(),
        });
    }
    Ok(file_numbers(values))
}

/// The documents of a values file as Helm's `LoadValues` reads them
/// (apimachinery's `YAMLReader`): a line starting with `---` ends a
/// document; empty documents are skipped.
fn split_documents(text: &str) -> Vec<&str> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("---") {
            let rest = rest.trim();
            if rest.is_empty() || rest.starts_with('#') {
                if !text[start..pos].trim().is_empty() {
                    docs.push(&text[start..pos]);
                }
                start = pos + line.len();
            }
        }
        pos += line.len();
    }
    if !text[start..].trim().is_empty() {
        docs.push(&text[start..]);
    }
    docs
}

/// Most nested maps and lists a values document may have. The merges recurse
/// once per level, so a reader that allows deeper documents is stopped here
/// with an error rather than by the stack.
pub const MAX_VALUES_DEPTH: usize = 256;

/// Whether `value` nests deeper than [`MAX_VALUES_DEPTH`] (checked without recursion).
fn too_deep(value: &Value) -> bool {
    let mut stack = vec![(value, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth + 1 > MAX_VALUES_DEPTH {
            return true;
        }
        stack.extend(children.map(|c| (c, depth + 1)));
    }
    false
}

/// One `--set`-family flag occurrence, in Helm's order of application.
#[derive(Debug, Clone)]
struct SetFlag {
    /// `--set #2` and the like, for errors.
    flag: String,
    kind: SetKind,
    expr: String,
}

/// The command line's values: `-f` files (read once) and the `--set` family,
/// applied onto each release's user layers in Helm's order.
#[derive(Debug, Clone, Default)]
pub struct CommandLineValues {
    files: Vec<Map<String, Value>>,
    sets: Vec<SetFlag>,
    /// `--set-file` contents by path text, read once.
    file_contents: HashMap<String, String>,
}

impl CommandLineValues {
    /// Read `-f` files and `--set-file` files, and check every `--set`-family
    /// expression (parsed onto the `-f` files, so syntax and type errors show
    /// once, before any release). Paths are relative to the current directory.
    pub fn from_args(args: &crate::cli::ValueArgs) -> Result<CommandLineValues, ValuesError> {
        let mut files = Vec::new();
        for path in &args.values {
            let text = std::fs::read_to_string(path).map_err(|source| ValuesError::Read {
                path: path.clone(),
                source,
            })?;
            match parse_values(&text, path)? {
                Value::Object(map) => files.push(map),
                _ => return Err(ValuesError::NotAMap { path: path.clone() }),
            }
        }
        let mut sets = Vec::new();
        // Helm's MergeValues order.
        let groups = [
            ("--set-json", SetKind::Json, &args.set_json),
            ("--set", SetKind::Typed, &args.set),
            ("--set-string", SetKind::String, &args.set_string),
            ("--set-file", SetKind::File, &args.set_file),
            ("--set-literal", SetKind::Literal, &args.set_literal),
        ];
        for (name, kind, inputs) in groups {
            for (i, expr) in inputs.iter().enumerate() {
                let flag = if inputs.len() > 1 {
                    format!("{name} #{}", i + 1)
                } else {
                    name.to_string()
                };
                sets.push(SetFlag {
                    flag,
                    kind,
                    expr: expr.clone(),
                });
            }
        }
        let mut cli = CommandLineValues {
            files,
            sets,
            file_contents: HashMap::new(),
        };
        // Read --set-file files once, and check everything on the -f files.
        let mut contents = HashMap::new();
        let mut check = Map::new();
        cli.apply_with(&mut check, &mut |path: &str| {
            if let Some(text) = contents.get(path) {
                return Ok(Value::String(String::clone(text)));
            }
            let text = read_set_file(path)?;
            contents.insert(path.to_string(), text.clone());
            Ok(Value::String(text))
        })?;
        cli.file_contents = contents;
        Ok(cli)
    }

    /// Apply the `-f` files and the `--set` family onto `user` (the layers below).
    pub fn apply(&self, user: &mut Map<String, Value>) -> Result<(), ValuesError> {
        let contents = &self.file_contents;
        self.apply_with(user, &mut |path: &str| match contents.get(path) {
            Some(text) => Ok(Value::String(text.clone())),
            None => read_set_file(path).map(Value::String),
        })
    }

    fn apply_with(
        &self,
        user: &mut Map<String, Value>,
        read_file: &mut FileReader<'_>,
    ) -> Result<(), ValuesError> {
        for file in &self.files {
            merge_maps(user, file.clone());
        }
        for set in &self.sets {
            let fail = |source: SetError| ValuesError::Set {
                flag: set.flag.clone(),
                source,
            };
            if set.kind == SetKind::Json && set.expr.trim_start().starts_with('{') {
                // A whole JSON object, merged as a file is (Helm's `--set-json '{…}'`).
                merge_maps(user, parse_json_object(&set.expr).map_err(fail)?);
                continue;
            }
            set::parse_into(&set.expr, set.kind, user, read_file).map_err(fail)?;
        }
        Ok(())
    }
}

/// A `--set-file` file's text; the error names the path (a path, not a value).
fn read_set_file(path: &str) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read file {path}: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("file {path} is not UTF-8 text"))
}

/// Loads values and secrets files once per render (a file shared by several
/// releases is read — and decrypted — once), and prints each coalescing
/// warning once.
#[derive(Debug, Default)]
pub struct Loader {
    root: PathBuf,
    files: HashMap<PathBuf, Arc<Value>>,
    warned: HashSet<String>,
}

impl Loader {
    /// A loader showing paths relative to `root` in errors.
    pub fn new(root: &Path) -> Loader {
        Loader {
            root: root.to_path_buf(),
            files: HashMap::new(),
            warned: HashSet::new(),
        }
    }

    fn display(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.to_path_buf())
    }

    /// A plain values file.
    pub fn file(&mut self, path: &Path) -> Result<Arc<Value>, ValuesError> {
        if let Some(v) = self.files.get(path) {
            return Ok(v.clone());
        }
        let shown = self.display(path);
        let text = std::fs::read_to_string(path).map_err(|source| ValuesError::Read {
            path: shown.clone(),
            source,
        })?;
        let value = Arc::new(parse_values(&text, &shown)?);
        self.files.insert(path.to_path_buf(), value.clone());
        Ok(value)
    }

    /// A SOPS secrets file, decrypted in memory, with the types sops stored
    /// (`type:int` and `type:float` as numbers — floats, as Helm reads the
    /// decrypted file —, `type:bool` as booleans). Failure stops the caller.
    pub fn secrets(&mut self, path: &Path) -> Result<Arc<Value>, ValuesError> {
        if let Some(v) = self.files.get(path) {
            return Ok(v.clone());
        }
        let shown = self.display(path);
        let value =
            crate::secrets::decrypt_values(path).map_err(|source| ValuesError::Secrets {
                path: shown.clone(),
                source,
            })?;
        let value = match value {
            Value::Null => Value::Object(Map::new()),
            v @ Value::Object(_) => file_numbers(v),
            _ => return Err(ValuesError::NotAMap { path: shown }),
        };
        let value = Arc::new(value);
        self.files.insert(path.to_path_buf(), value.clone());
        Ok(value)
    }

    /// The user-supplied values of one release: `sources` in order, then the
    /// command line, merged as Helm merges user values (before the chart).
    pub fn user_values(
        &mut self,
        sources: &[ValueSource],
        cli: &CommandLineValues,
    ) -> Result<Map<String, Value>, ValuesError> {
        let mut user = Map::new();
        for source in sources {
            match source {
                ValueSource::File(path) => {
                    if let Value::Object(layer) = &*self.file(path)? {
                        merge_maps(&mut user, layer.clone());
                    }
                }
                ValueSource::Secrets(path) => {
                    if let Value::Object(layer) = &*self.secrets(path)? {
                        merge_maps(&mut user, layer.clone());
                    }
                }
                ValueSource::Set { origin, entries } => {
                    for (key, value) in entries {
                        let fail = |source: SetError| ValuesError::Set {
                            flag: origin.clone(),
                            source,
                        };
                        let path = set::parse_path(key).map_err(fail)?;
                        set::set_path(&mut user, &path, value.clone()).map_err(|problem| {
                            fail(SetError {
                                pos: key.chars().count().max(1),
                                problem,
                                path: Some(key.clone()),
                            })
                        })?;
                    }
                }
            }
        }
        cli.apply(&mut user)?;
        Ok(user)
    }

    /// `user` (from [`Loader::user_values`]) coalesced onto `chart` and its
    /// subcharts as Helm's `CoalesceValues` does, for a chart whose
    /// dependencies were processed with those same user values first.
    /// Warnings print to stderr once per loader.
    pub fn coalesce_user(
        &mut self,
        chart: &ChartDefaults,
        user: Map<String, Value>,
    ) -> Result<Value, ValuesError> {
        let (values, warnings) = coalesce_chart(chart, user)?;
        self.warn(warnings);
        Ok(Value::Object(values))
    }

    /// Print `text` to stderr once per loader (a warning of a step that runs
    /// for each release).
    pub fn warn_once(&mut self, text: String) {
        let text = format!("warning: {text}");
        if self.warned.insert(text.clone()) {
            eprintln!("{text}");
        }
    }

    fn warn(&mut self, warnings: Vec<CoalesceWarning>) {
        for warning in warnings {
            let text = format!("warning: {warning}");
            if self.warned.insert(text.clone()) {
                eprintln!("{text}");
            }
        }
    }

    /// The values one release renders with: its user values ([`Loader::user_values`])
    /// coalesced onto `chart` (the chart's `values.yaml`) as Helm does. Each
    /// type-mismatch warning is printed to stderr once per loader.
    pub fn release_values(
        &mut self,
        chart_name: &str,
        chart: &Value,
        sources: &[ValueSource],
        cli: &CommandLineValues,
    ) -> Result<Value, ValuesError> {
        let user = self.user_values(sources, cli)?;
        let empty = Map::new();
        let defaults = chart.as_object().unwrap_or(&empty);
        let (values, warnings) = coalesce(chart_name, defaults, user);
        self.warn(warnings);
        Ok(Value::Object(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_numbers_are_floats_and_depth_is_limited() {
        let v = parse_values("a: 1\nb: [2, {c: -3}]\nd: 1.5\ne: x\n", Path::new("v.yaml")).unwrap();
        assert!(v["a"].is_f64() && v["b"][0].is_f64() && v["b"][1]["c"].is_f64());
        assert_eq!(v["d"].as_f64(), Some(1.5));
        let mut deep = Value::from(1);
        for _ in 0..MAX_VALUES_DEPTH {
            deep = Value::Array(vec![deep]);
        }
        assert!(!too_deep(&deep));
        assert!(too_deep(&Value::Array(vec![deep])));
    }
}
