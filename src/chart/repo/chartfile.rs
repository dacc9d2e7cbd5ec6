//! The part of `Chart.yaml` dependencies need: name, version, apiVersion and
//! the `dependencies` list, read as Helm reads it (sigs.k8s.io/yaml, then
//! `Dependency.Validate`'s sanitising), from a directory or archive bytes.

use std::path::Path;

use serde_json::{json, Map, Value};

use super::RepoError;
use crate::chart::helm::metadata::sanitize;

/// One `Chart.yaml` `dependencies` entry (Helm's `chart.Dependency`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependency {
    /// The chart's name (must match the dependency's own `Chart.yaml`).
    pub name: String,
    /// A version or a Masterminds constraint range.
    pub version: String,
    /// Repository URL, `oci://` reference, `file://` path, `@name`, or empty (in `charts/`).
    pub repository: String,
    /// `condition` as written.
    pub condition: String,
    /// `tags` as written.
    pub tags: Vec<String>,
    /// `enabled` as written (Helm's struct field; false unless set).
    pub enabled: bool,
    /// `import-values` as written (strings or child/parent maps).
    pub import_values: Vec<Value>,
    /// `alias` as written.
    pub alias: String,
}

impl Dependency {
    /// A lock entry: name, repository and the exact version.
    pub fn locked(name: &str, repository: &str, version: &str) -> Dependency {
        Dependency {
            name: name.to_string(),
            repository: repository.to_string(),
            version: version.to_string(),
            ..Dependency::default()
        }
    }

    /// The fields Go's `encoding/json` writes for a `chart.Dependency`, in
    /// the struct's order, `omitempty` fields left out when empty.
    pub fn go_fields(&self) -> Vec<(&'static str, Value)> {
        let mut m = vec![("name", json!(self.name))];
        if !self.version.is_empty() {
            m.push(("version", json!(self.version)));
        }
        m.push(("repository", json!(self.repository)));
        if !self.condition.is_empty() {
            m.push(("condition", json!(self.condition)));
        }
        if !self.tags.is_empty() {
            m.push(("tags", json!(self.tags)));
        }
        if self.enabled {
            m.push(("enabled", json!(true)));
        }
        if !self.import_values.is_empty() {
            m.push(("import-values", Value::Array(self.import_values.clone())));
        }
        if !self.alias.is_empty() {
            m.push(("alias", json!(self.alias)));
        }
        m
    }

    /// `json.Marshal` of the `chart.Dependency` (struct field order, not sorted).
    pub fn to_go_json_text(&self) -> String {
        let fields: Vec<String> = self
            .go_fields()
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}:{}",
                    goenc::json::to_string(&json!(k)),
                    goenc::json::to_string(v)
                )
            })
            .collect();
        format!("{{{}}}", fields.join(","))
    }

    /// The dependency as a JSON object (key order does not matter to the YAML writer).
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.go_fields()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect::<Map<_, _>>(),
        )
    }
}

/// What dependency handling reads of a `Chart.yaml`.
#[derive(Debug, Clone)]
pub struct ChartFile {
    /// `name`.
    pub name: String,
    /// `version`.
    pub version: String,
    /// `apiVersion` (`v1` charts keep their dependencies in `requirements.yaml`).
    pub api_version: String,
    /// `dependencies`; `None` when the key is absent or null.
    pub dependencies: Option<Vec<Dependency>>,
}

impl ChartFile {
    /// Read `DIR/Chart.yaml`.
    pub fn load_dir(dir: &Path) -> Result<ChartFile, RepoError> {
        let path = dir.join("Chart.yaml");
        let text = std::fs::read_to_string(&path).map_err(|source| RepoError::Read {
            path: path.display().to_string(),
            source,
        })?;
        ChartFile::parse(&text, &path.display().to_string())
    }

    /// Parse the text of a `Chart.yaml`; `shown` names it in errors.
    pub fn parse(text: &str, shown: &str) -> Result<ChartFile, RepoError> {
        let invalid = |message: String| RepoError::Invalid {
            path: shown.to_string(),
            message,
        };
        let doc = goenc::yaml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let Value::Object(top) = doc else {
            return Err(invalid("not a YAML mapping".into()));
        };
        let name = string_field(&top, "name", "", shown)?;
        if name.is_empty() {
            return Err(invalid(
                "validation: chart.metadata.name is required".into(),
            ));
        }
        let version = string_field(&top, "version", "", shown)?;
        let api_version = string_field(&top, "apiVersion", "", shown)?;
        let dependencies = match top.get("dependencies") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => {
                let mut deps = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    deps.push(parse_dependency(item, i, shown)?);
                }
                Some(deps)
            }
            Some(_) => return Err(invalid("dependencies: must be a list".into())),
        };
        Ok(ChartFile {
            name,
            version,
            api_version,
            dependencies,
        })
    }
}

fn string_field(
    m: &Map<String, Value>,
    key: &str,
    at: &str,
    shown: &str,
) -> Result<String, RepoError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(RepoError::Invalid {
            path: shown.to_string(),
            message: format!(
                "{at}{key}: must be a string, not {}",
                goenc::json::to_string(other)
            ),
        }),
    }
}

fn parse_dependency(item: &Value, i: usize, shown: &str) -> Result<Dependency, RepoError> {
    let Value::Object(m) = item else {
        return Err(RepoError::Invalid {
            path: shown.to_string(),
            message: format!(
                "dependencies[{i}]: validation: dependencies must not contain empty or null nodes"
            ),
        });
    };
    let at = format!("dependencies[{i}].");
    let field = |key: &str| string_field(m, key, &at, shown).map(|s| sanitize(&s));
    let tags = match m.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| match t {
                Value::String(s) => Ok(sanitize(s)),
                _ => Err(RepoError::Invalid {
                    path: shown.to_string(),
                    message: format!("{at}tags: must be a list of strings"),
                }),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(RepoError::Invalid {
                path: shown.to_string(),
                message: format!("{at}tags: must be a list of strings"),
            })
        }
    };
    let enabled = match m.get("enabled") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(RepoError::Invalid {
                path: shown.to_string(),
                message: format!("{at}enabled: must be a boolean"),
            })
        }
    };
    let import_values = match m.get("import-values") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => {
            return Err(RepoError::Invalid {
                path: shown.to_string(),
                message: format!("{at}import-values: must be a list"),
            })
        }
    };
    Ok(Dependency {
        name: field("name")?,
        version: field("version")?,
        repository: field("repository")?,
        condition: field("condition")?,
        tags,
        enabled,
        import_values,
        alias: string_field(m, "alias", &at, shown)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_json_follows_go_field_order_and_omitempty() {
        let c = ChartFile::parse(
            "name: p\nversion: 1.0.0\ndependencies:\n- alias: a\n  name: x\n  repository: ''\n  version: ^1\n  tags: [t]\n",
            "Chart.yaml",
        )
        .unwrap();
        let d = &c.dependencies.unwrap()[0];
        assert_eq!(
            d.to_go_json_text(),
            r#"{"name":"x","version":"^1","repository":"","tags":["t"],"alias":"a"}"#
        );
    }

    #[test]
    fn a_number_where_a_string_belongs_names_the_field() {
        let err = ChartFile::parse(
            "name: p\ndependencies:\n- name: x\n  version: 1.5\n",
            "c/Chart.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("c/Chart.yaml: dependencies[0].version"),
            "{err}"
        );
    }
}
