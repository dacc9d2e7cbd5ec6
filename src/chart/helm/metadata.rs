//! `Chart.yaml` of a Helm chart as Helm's `chart.Metadata` reads it: unknown
//! keys ignored (as Helm ignores them), scalars written as numbers or bools
//! into string fields turned into their Go text (`appVersion: 1.10` is
//! `1.1`), Helm's validation and its messages, and the `.Chart` map templates
//! see (Go field names, `IsRoot`).

use serde_json::Value as Json;

use gotemplate::Value;

/// A `Chart.yaml` that Helm would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("cannot load Chart.yaml: {0}")]
    Load(String),
    #[error("validation: {0}")]
    Validation(String),
}

/// A maintainer entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Maintainer {
    pub name: String,
    pub email: String,
    pub url: String,
}

/// One `dependencies` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependency {
    pub name: String,
    pub version: String,
    pub repository: String,
    pub condition: String,
    pub tags: Vec<String>,
    pub enabled: bool,
    pub import_values: Vec<Json>,
    pub alias: String,
}

/// Helm's chart metadata.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    pub name: String,
    pub home: String,
    pub sources: Vec<String>,
    pub version: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub maintainers: Vec<Maintainer>,
    pub icon: String,
    pub api_version: String,
    pub condition: String,
    pub tags: String,
    pub app_version: String,
    pub deprecated: bool,
    /// Annotations in key order.
    pub annotations: Vec<(String, String)>,
    pub kube_version: String,
    pub dependencies: Vec<Dependency>,
    pub kind: String,
}

/// A field's text as Go's JSON decoding into a `string` gets it from
/// sigs.k8s.io/yaml: numbers and bools become their text.
fn go_string(v: &Json, field: &str) -> Result<String, MetadataError> {
    match v {
        Json::Null => Ok(String::new()),
        Json::String(s) => Ok(s.clone()),
        Json::Bool(b) => Ok(b.to_string()),
        Json::Number(_) => Ok(scalar_text(v).unwrap_or_default()),
        _ => Err(MetadataError::Load(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go struct field {}.{field} of type string",
            json_kind(v),
            go_struct(field)
        ))),
    }
}

/// The text sigs.k8s.io/yaml gives a YAML number or bool decoded into a Go
/// `string` field: integers in decimal, floats as `strconv.FormatFloat(f,
/// 'g', -1, 32)` (`1.10` → `1.1`), bools as `true`/`false`. `None` for
/// anything else.
pub(crate) fn scalar_text(v: &Json) -> Option<String> {
    match v {
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(match (n.as_i64(), n.as_u64()) {
            (Some(i), _) if !n.is_f64() => i.to_string(),
            (_, Some(u)) if !n.is_f64() => u.to_string(),
            _ => float32_g(n.as_f64().unwrap_or(0.0)),
        }),
        _ => None,
    }
}

/// `strconv.FormatFloat(f, 'g', -1, 32)`: the shortest digits that read back
/// as the same float32, exponent form below 1e-4 or from 1e6 on.
fn float32_g(f: f64) -> String {
    let f32v = f as f32;
    if !f32v.is_finite() || f32v == 0.0 {
        return gotemplate::fmt::format_float_g(f32v as f64);
    }
    // Rust prints the shortest float32 round-trip digits; re-read them as a
    // float64 so %g's layout rules apply to exactly those digits.
    let digits: f64 = format!("{f32v:e}").parse().unwrap_or(f);
    gotemplate::fmt::format_float_g(digits)
}

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Array(_) => "array",
        Json::Object(_) => "object",
        Json::Number(_) => "number",
        Json::Bool(_) => "bool",
        Json::String(_) => "string",
        Json::Null => "null",
    }
}

/// The Go struct a `Chart.yaml` field belongs to, as Go's JSON errors name it.
fn go_struct(field: &str) -> &'static str {
    if field.starts_with("dependencies.") {
        "Dependency"
    } else if field.starts_with("maintainers.") {
        "Maintainer"
    } else {
        "Metadata"
    }
}

/// `import-values`: a list (Go's `[]interface{}`) or nothing.
fn import_values(v: &Json) -> Result<Vec<Json>, MetadataError> {
    match v {
        Json::Null => Ok(Vec::new()),
        Json::Array(items) => Ok(items.clone()),
        other => Err(MetadataError::Load(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go struct field Dependency.dependencies.import-values of type []interface {{}}",
            json_kind(other)
        ))),
    }
}

fn go_strings(v: &Json, field: &str) -> Result<Vec<String>, MetadataError> {
    match v {
        Json::Null => Ok(Vec::new()),
        Json::Array(items) => items.iter().map(|i| go_string(i, field)).collect(),
        other => Err(MetadataError::Load(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go struct field {}.{field} of type []string",
            json_kind(other),
            go_struct(field)
        ))),
    }
}

fn field<'a>(map: &'a serde_json::Map<String, Json>, key: &str) -> &'a Json {
    map.get(key).unwrap_or(&Json::Null)
}

impl Metadata {
    /// Read `Chart.yaml` already turned into a JSON tree, then validate it as Helm does.
    pub fn from_json(doc: &Json) -> Result<Metadata, MetadataError> {
        let empty = serde_json::Map::new();
        let map = match doc {
            Json::Object(m) => m,
            Json::Null => &empty,
            other => {
                return Err(MetadataError::Load(format!(
                    "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type chart.Metadata",
                    json_kind(other)
                )))
            }
        };
        let s = |key: &str| go_string(field(map, key), key);
        let maintainers = match field(map, "maintainers") {
            Json::Array(items) => items
                .iter()
                .map(|m| {
                    let empty = serde_json::Map::new();
                    let m = m.as_object().unwrap_or(&empty);
                    Ok(Maintainer {
                        name: go_string(field(m, "name"), "maintainers.name")?,
                        email: go_string(field(m, "email"), "maintainers.email")?,
                        url: go_string(field(m, "url"), "maintainers.url")?,
                    })
                })
                .collect::<Result<Vec<_>, MetadataError>>()?,
            _ => Vec::new(),
        };
        let mut null_dependency = false;
        let dependencies = match field(map, "dependencies") {
            Json::Array(items) => items
                .iter()
                .map(|d| {
                    let empty = serde_json::Map::new();
                    null_dependency |= d.is_null();
                    let d = d.as_object().unwrap_or(&empty);
                    Ok(Dependency {
                        name: go_string(field(d, "name"), "dependencies.name")?,
                        version: go_string(field(d, "version"), "dependencies.version")?,
                        repository: go_string(field(d, "repository"), "dependencies.repository")?,
                        condition: go_string(field(d, "condition"), "dependencies.condition")?,
                        tags: go_strings(field(d, "tags"), "dependencies.tags")?,
                        enabled: field(d, "enabled").as_bool().unwrap_or(false),
                        import_values: import_values(field(d, "import-values"))?,
                        alias: go_string(field(d, "alias"), "dependencies.alias")?,
                    })
                })
                .collect::<Result<Vec<_>, MetadataError>>()?,
            _ => Vec::new(),
        };
        let annotations = match field(map, "annotations") {
            Json::Object(a) => a
                .iter()
                .map(|(k, v)| Ok((k.clone(), go_string(v, "annotations")?)))
                .collect::<Result<Vec<_>, MetadataError>>()?,
            _ => Vec::new(),
        };
        let mut md = Metadata {
            name: s("name")?,
            home: s("home")?,
            sources: go_strings(field(map, "sources"), "sources")?,
            version: s("version")?,
            description: s("description")?,
            keywords: go_strings(field(map, "keywords"), "keywords")?,
            maintainers,
            icon: s("icon")?,
            api_version: s("apiVersion")?,
            condition: s("condition")?,
            tags: s("tags")?,
            app_version: s("appVersion")?,
            deprecated: field(map, "deprecated").as_bool().unwrap_or(false),
            annotations,
            kube_version: s("kubeVersion")?,
            dependencies,
            kind: s("type")?,
        };
        if md.api_version.is_empty() {
            // Helm 2 charts without apiVersion load as v1.
            md.api_version = "v1".into();
        }
        md.validate(null_dependency)?;
        Ok(md)
    }

    /// Helm's `Metadata.Validate`, with its messages.
    fn validate(&mut self, null_dependency: bool) -> Result<(), MetadataError> {
        for s in [
            &mut self.name,
            &mut self.description,
            &mut self.home,
            &mut self.icon,
            &mut self.condition,
            &mut self.tags,
            &mut self.app_version,
            &mut self.kube_version,
        ] {
            *s = sanitize(s);
        }
        let v = |m: String| Err(MetadataError::Validation(m));
        if self.name.is_empty() {
            return v("chart.metadata.name is required".into());
        }
        if self.name == "." || self.name == ".." {
            return v(format!(
                "chart.metadata.name {:?} is not allowed",
                self.name
            ));
        }
        if self.name.contains('/') {
            return v(format!("chart.metadata.name {:?} is invalid", self.name));
        }
        if self.version.is_empty() {
            return v("chart.metadata.version is required".into());
        }
        if !is_semver(&self.version) {
            return v(format!(
                "chart.metadata.version {:?} is invalid",
                self.version
            ));
        }
        if !matches!(self.kind.as_str(), "" | "application" | "library") {
            return v("chart.metadata.type must be application or library".into());
        }
        if null_dependency {
            return v("dependencies must not contain empty or null nodes".into());
        }
        let mut seen = std::collections::HashSet::new();
        for d in &mut self.dependencies {
            for s in [
                &mut d.name,
                &mut d.version,
                &mut d.repository,
                &mut d.condition,
            ] {
                *s = sanitize(s);
            }
            for t in &mut d.tags {
                *t = sanitize(t);
            }
            let alias_ok = d
                .alias
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !alias_ok {
                return v(format!(
                    "dependency {:?} has disallowed characters in the alias",
                    d.name
                ));
            }
            let key = if d.alias.is_empty() {
                &d.name
            } else {
                &d.alias
            };
            if !seen.insert(key.clone()) {
                return v(format!(
                    "more than one dependency with name or alias {key:?}"
                ));
            }
        }
        Ok(())
    }

    /// Whether this is a library chart (`type: library`): defines only.
    pub fn is_library(&self) -> bool {
        self.kind == "library"
    }

    /// The `.Chart` map templates see: Go field names, every field present
    /// (as Helm's `structToMap` builds it), plus `IsRoot`.
    pub fn to_template(&self, is_root: bool) -> Value {
        let s = |v: &str| Value::str(v);
        let list =
            |items: &[String]| Value::list(items.iter().map(|i| Value::str(i.as_str())).collect());
        let maintainers = self
            .maintainers
            .iter()
            .map(|m| {
                Value::map(
                    [
                        ("Name".to_string(), s(&m.name)),
                        ("Email".to_string(), s(&m.email)),
                        ("URL".to_string(), s(&m.url)),
                    ]
                    .into_iter()
                    .collect(),
                )
            })
            .collect();
        let dependencies = self
            .dependencies
            .iter()
            .map(|d| {
                Value::map(
                    [
                        ("Name".to_string(), s(&d.name)),
                        ("Version".to_string(), s(&d.version)),
                        ("Repository".to_string(), s(&d.repository)),
                        ("Condition".to_string(), s(&d.condition)),
                        ("Tags".to_string(), list(&d.tags)),
                        ("Enabled".to_string(), Value::Bool(d.enabled)),
                        (
                            "ImportValues".to_string(),
                            Value::list(d.import_values.iter().map(Value::from_json).collect()),
                        ),
                        ("Alias".to_string(), s(&d.alias)),
                    ]
                    .into_iter()
                    .collect(),
                )
            })
            .collect();
        let annotations = Value::map(
            self.annotations
                .iter()
                .map(|(k, v)| (k.clone(), s(v)))
                .collect(),
        );
        Value::map(
            [
                ("Name", s(&self.name)),
                ("Home", s(&self.home)),
                ("Sources", list(&self.sources)),
                ("Version", s(&self.version)),
                ("Description", s(&self.description)),
                ("Keywords", list(&self.keywords)),
                ("Maintainers", Value::list(maintainers)),
                ("Icon", s(&self.icon)),
                ("APIVersion", s(&self.api_version)),
                ("Condition", s(&self.condition)),
                ("Tags", s(&self.tags)),
                ("AppVersion", s(&self.app_version)),
                ("Deprecated", Value::Bool(self.deprecated)),
                ("Annotations", annotations),
                ("KubeVersion", s(&self.kube_version)),
                ("Dependencies", Value::list(dependencies)),
                ("Type", s(&self.kind)),
                ("IsRoot", Value::Bool(is_root)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        )
    }
}

/// Helm's `sanitizeString`: spaces normalised, non-printable characters dropped.
pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if c.is_control() {
                None
            } else {
                Some(c)
            }
        })
        .collect()
}

/// Masterminds/semver `NewVersion` acceptance: an optional `v`, one to three
/// numeric parts, optional `-prerelease` and `+metadata`.
fn is_semver(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    let (core, rest) = match v.find(['-', '+']) {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return false;
    }
    if !parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    let ident_ok = |s: &str| {
        !s.is_empty()
            && s.split('.').all(|id| {
                !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    };
    let (pre, meta) = match rest.split_once('+') {
        Some((pre, meta)) => (pre, Some(meta)),
        None => (rest, None),
    };
    if let Some(pre) = pre.strip_prefix('-') {
        if !ident_ok(pre) {
            return false;
        }
    } else if !pre.is_empty() {
        return false;
    }
    meta.is_none_or(ident_ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_in_string_fields_read_as_go_text() {
        let md = Metadata::from_json(
            &json!({"apiVersion": "v2", "name": "c", "version": "1.0.0", "appVersion": 1.10}),
        )
        .unwrap();
        assert_eq!(md.app_version, "1.1");
        let md = Metadata::from_json(&json!({"name": "c", "version": 1})).unwrap();
        assert_eq!(md.version, "1");
        assert_eq!(scalar_text(&json!(1.234567891)).unwrap(), "1.2345679");
        assert_eq!(scalar_text(&json!(1e7)).unwrap(), "1e+07");
        assert_eq!(scalar_text(&json!(true)).unwrap(), "true");
        assert_eq!(md.api_version, "v1");
    }

    #[test]
    fn helm_validation_messages() {
        let e = Metadata::from_json(&json!({"apiVersion": "v2", "version": "1.0.0"})).unwrap_err();
        assert_eq!(e.to_string(), "validation: chart.metadata.name is required");
        let e = Metadata::from_json(&json!({"apiVersion": "v2", "name": "c", "version": "x"}))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "validation: chart.metadata.version \"x\" is invalid"
        );
        let e = Metadata::from_json(
            &json!({"apiVersion": "v2", "name": "c", "version": "1.0.0", "type": "app"}),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "validation: chart.metadata.type must be application or library"
        );
    }

    #[test]
    fn semver_acceptance() {
        for ok in [
            "1.0.0",
            "v1.2.3",
            "1.2",
            "1",
            "1.0.0-rc.1+build.5",
            "0.1.0-alpha",
        ] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in ["", "x", "1.2.3.4", "1..2", "1.0.0-", "1.0.0+"] {
            assert!(!is_semver(bad), "{bad}");
        }
    }
}
