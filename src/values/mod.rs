//! Values: loading values files, decrypting secrets files (through
//! [`crate::secrets::decrypt_values`], in memory only), Helm's `--set` syntax,
//! the one merge function and the one precedence order, and schema validation.
//!
//! Precedence, lowest first: chart `values.yaml` < profile `values` < profile
//! `secrets` < release `values` < release `secrets` < release `set` < command
//! line `-f` files < `--set` / `--set-string` / `--set-file`. Maps merge deeply;
//! lists and scalars replace; `null` deletes a key. This module never renders
//! templates and never prints a value.

mod schema;
mod set;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

pub use schema::{validate_schema, SchemaProblem};
pub use set::{parse as parse_set, Assignment, Seg, SetError, SetKind};

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
        source: serde_yaml_ng::Error,
    },
    #[error("{path}: a values file must hold a mapping at the top level")]
    NotAMap { path: PathBuf },
    #[error("cannot decrypt secrets file {path}: the render stops rather than go on with missing values")]
    Secrets {
        path: PathBuf,
        #[source]
        source: crate::secrets::SecretsError,
    },
    #[error("{flag} `{key}`: {source}")]
    Set {
        flag: String,
        key: String,
        #[source]
        source: SetError,
    },
    #[error("--set-file `{key}`: cannot read {path}")]
    SetFile {
        key: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{schema}: the schema itself is invalid: {message}")]
    BadSchema { schema: PathBuf, message: String },
    #[error("values do not match {schema}:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Schema {
        schema: PathBuf,
        problems: Vec<SchemaProblem>,
    },
}

/// Parse a dotted value path (`hub.db[0].url`, `a\.b`), as release `set` keys use.
pub fn parse_set_path(path: &str) -> Result<Vec<Seg>, SetError> {
    set::parse_path(path)
}

/// Merge `overlay` into `base`: maps merge deeply, lists and scalars replace,
/// `null` in the overlay deletes the key.
pub fn merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                if value.is_null() {
                    base.remove(&key);
                    continue;
                }
                match base.get_mut(&key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge(existing, value)
                    }
                    _ => {
                        base.insert(key, without_nulls(value));
                    }
                }
            }
        }
        (base, overlay) => *base = without_nulls(overlay),
    }
}

/// Drop null-valued keys from maps (a `null` deletes, even where nothing was).
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Parse YAML text of a values file (empty → empty map; top level must be a map).
pub fn parse_values(text: &str, path: &Path) -> Result<Value, ValuesError> {
    let value: Value = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_yaml_ng::from_str(text).map_err(|source| ValuesError::Parse {
            path: path.to_path_buf(),
            source,
        })?
    };
    match value {
        Value::Null => Ok(Value::Object(Map::new())),
        Value::Object(_) => Ok(value),
        _ => Err(ValuesError::NotAMap {
            path: path.to_path_buf(),
        }),
    }
}

/// The command line's values: `-f` files and the `--set` overlay, resolved once.
#[derive(Debug, Clone, Default)]
pub struct CommandLineValues {
    files: Vec<Value>,
    overlay: Option<Value>,
}

impl CommandLineValues {
    /// Read `-f` files and parse `--set`, `--set-string`, `--set-file` (in that
    /// order, into one overlay as Helm does). Paths are relative to the current directory.
    pub fn from_args(args: &crate::cli::ValueArgs) -> Result<CommandLineValues, ValuesError> {
        let mut files = Vec::new();
        for path in &args.values {
            let text = std::fs::read_to_string(path).map_err(|source| ValuesError::Read {
                path: path.clone(),
                source,
            })?;
            files.push(parse_values(&text, path)?);
        }
        let mut overlay = Value::Object(Map::new());
        let mut any = false;
        let groups = [
            ("--set", SetKind::Typed, &args.set),
            ("--set-string", SetKind::String, &args.set_string),
            ("--set-file", SetKind::File, &args.set_file),
        ];
        for (flag, kind, inputs) in groups {
            for input in inputs {
                let assignments = set::parse(input, kind).map_err(|source| ValuesError::Set {
                    flag: flag.to_string(),
                    key: input.split('=').next().unwrap_or_default().to_string(),
                    source,
                })?;
                for a in assignments {
                    let value = if kind == SetKind::File {
                        let file = PathBuf::from(a.value.as_str().unwrap_or_default());
                        let text = std::fs::read_to_string(&file).map_err(|source| {
                            ValuesError::SetFile {
                                key: a.key.clone(),
                                path: file.clone(),
                                source,
                            }
                        })?;
                        Value::String(text)
                    } else {
                        a.value
                    };
                    set::apply(&mut overlay, &a.path, value, &a.key).map_err(|source| {
                        ValuesError::Set {
                            flag: flag.to_string(),
                            key: a.key.clone(),
                            source,
                        }
                    })?;
                    any = true;
                }
            }
        }
        Ok(CommandLineValues {
            files,
            overlay: any.then_some(overlay),
        })
    }
}

/// Loads values and secrets files once per render (a file shared by several
/// releases is read — and decrypted — once).
#[derive(Debug, Default)]
pub struct Loader {
    root: PathBuf,
    files: HashMap<PathBuf, Arc<Value>>,
}

impl Loader {
    /// A loader showing paths relative to `root` in errors.
    pub fn new(root: &Path) -> Loader {
        Loader {
            root: root.to_path_buf(),
            files: HashMap::new(),
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

    /// A SOPS secrets file, decrypted in memory. Failure stops the caller.
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
            v @ Value::Object(_) => v,
            _ => return Err(ValuesError::NotAMap { path: shown }),
        };
        let value = Arc::new(value);
        self.files.insert(path.to_path_buf(), value.clone());
        Ok(value)
    }

    /// The merged values of one release: `chart` (its values.yaml), then `sources`
    /// in order, then the command line.
    pub fn release_values(
        &mut self,
        chart: &Value,
        sources: &[ValueSource],
        cli: &CommandLineValues,
    ) -> Result<Value, ValuesError> {
        let mut values = chart.clone();
        for source in sources {
            match source {
                ValueSource::File(path) => {
                    let layer = self.file(path)?;
                    merge(&mut values, (*layer).clone());
                }
                ValueSource::Secrets(path) => {
                    let layer = self.secrets(path)?;
                    merge(&mut values, (*layer).clone());
                }
                ValueSource::Set { origin, entries } => {
                    let mut overlay = Value::Object(Map::new());
                    for (key, value) in entries {
                        let path = set::parse_path(key).map_err(|source| ValuesError::Set {
                            flag: origin.clone(),
                            key: key.clone(),
                            source,
                        })?;
                        set::apply(&mut overlay, &path, value.clone(), key).map_err(|source| {
                            ValuesError::Set {
                                flag: origin.clone(),
                                key: key.clone(),
                                source,
                            }
                        })?;
                    }
                    merge(&mut values, overlay);
                }
            }
        }
        for file in &cli.files {
            merge(&mut values, file.clone());
        }
        if let Some(overlay) = &cli.overlay {
            merge(&mut values, overlay.clone());
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_deep_replace_and_delete() {
        let mut base = json!({"a": {"b": 1, "c": [1, 2], "d": "x"}, "e": 1});
        merge(
            &mut base,
            json!({"a": {"c": [3], "d": null, "f": {"g": null, "h": 2}}, "e": {"x": 1}}),
        );
        assert_eq!(
            base,
            json!({"a": {"b": 1, "c": [3], "f": {"h": 2}}, "e": {"x": 1}})
        );
    }
}
