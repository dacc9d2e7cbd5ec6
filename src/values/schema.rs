//! `values.schema.json`: the merged values of a release are validated against
//! it before anything renders. Problems name the value path and never print the
//! value (it may come from a secrets file).

use std::path::Path;

use serde_json::Value;

use super::ValuesError;

/// One schema violation: where in the values, and what is wrong (value masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaProblem {
    /// Dotted value path, e.g. `hub.replicas` (empty for the root).
    pub path: String,
    /// What is wrong, with the value itself masked.
    pub message: String,
}

impl std::fmt::Display for SchemaProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "(values root): {}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Validate `values` against `schema` (read from `schema_path`, named in errors).
/// Every problem is reported, not just the first.
pub fn validate_schema(
    schema_path: &Path,
    schema: &Value,
    values: &Value,
) -> Result<(), ValuesError> {
    let validator = jsonschema::validator_for(schema).map_err(|e| ValuesError::BadSchema {
        schema: schema_path.to_path_buf(),
        message: e.masked().to_string(),
    })?;
    let mut problems: Vec<SchemaProblem> = validator
        .iter_errors(values)
        .map(|e| SchemaProblem {
            path: dotted(e.instance_path().as_str()),
            message: e.masked().to_string(),
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    problems.sort_by(|a, b| a.path.cmp(&b.path).then(a.message.cmp(&b.message)));
    problems.dedup();
    Err(ValuesError::Schema {
        schema: schema_path.to_path_buf(),
        problems,
    })
}

/// `/hub/db/0/url` → `hub.db[0].url` (JSON-pointer escapes undone).
fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').filter(|s| !s.is_empty()) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            if seg.contains('.') {
                out.push_str(&seg.replace('.', "\\."));
            } else {
                out.push_str(&seg);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_path_masks_value() {
        let schema = json!({"type": "object", "properties": {"hub": {"type": "object",
            "properties": {"replicas": {"type": "integer"}, "db": {"type": "array", "items": {"type": "string"}}}}}});
        let values = json!({"hub": {"replicas": "s3cr3t-value", "db": ["ok", 5]}});
        let err = validate_schema(Path::new("values.schema.json"), &schema, &values).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("hub.replicas"), "{text}");
        assert!(text.contains("hub.db[1]"), "{text}");
        assert!(!text.contains("s3cr3t-value"), "{text}");
    }
}
