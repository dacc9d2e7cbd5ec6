//! Shared helpers for the differential tests: the case-file format and
//! value comparison that ignores the int/float distinction JSON loses.
#![allow(dead_code)]

use serde_json::Value;

/// Cases of a data file: `=== name` lines, each followed by its text.
pub fn cases(file: &str) -> Vec<(String, String)> {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out: Vec<(String, String)> = Vec::new();
    for chunk in text.split("=== ").skip(1) {
        let (name, body) = chunk.split_once('\n').unwrap_or((chunk, ""));
        out.push((name.trim_end_matches('\r').to_string(), body.to_string()));
    }
    // a case's text ends where the next `=== ` line starts
    out
}

/// Numbers compared as f64 (the oracle's JSON cannot say int or float).
pub fn normalize(v: &Value) -> Value {
    match v {
        Value::Number(n) => serde_json::Number::from_f64(n.as_f64().unwrap_or(f64::NAN))
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), normalize(v)))
                    .collect(),
            )
        }
        other => other.clone(),
    }
}
