//! JSON store: bytes ⇄ the ordered tree (key order kept). As in sops, every
//! JSON number is a float; output is tab-indented like sops'.

use super::FormatError;
use crate::secrets::tree::{Item, Value};

/// Parse a JSON object into a map tree.
pub(crate) fn load(text: &str) -> Result<Value, FormatError> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| FormatError::Syntax {
        line: e.line(),
        col: e.column(),
        reason: "invalid JSON".into(),
    })?;
    match v {
        serde_json::Value::Object(_) => Ok(from_json(v)),
        _ => Err(FormatError::NotAMap),
    }
}

/// Convert a JSON value into a tree (numbers become floats, as in sops).
pub(crate) fn from_json(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::Str(s),
        serde_json::Value::Array(a) => Value::Seq(a.into_iter().map(from_json).collect()),
        serde_json::Value::Object(o) => Value::Map(
            o.into_iter()
                .map(|(k, v)| Item::Entry(k, from_json(v)))
                .collect(),
        ),
    }
}

/// Convert a tree into JSON; comments are dropped (JSON has none), floats
/// without a fraction print as integers, as Go's encoder does.
pub(crate) fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null | Value::Comment(_) => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                J::from(*f as i64)
            } else {
                serde_json::Number::from_f64(*f).map_or(J::Null, J::Number)
            }
        }
        Value::Str(s) | Value::Time(s) => J::String(s.clone()),
        Value::Bytes(b) => J::String(String::from_utf8_lossy(b).into_owned()),
        Value::Seq(vals) => J::Array(
            vals.iter()
                .filter(|v| !matches!(v, Value::Comment(_)))
                .map(to_json)
                .collect(),
        ),
        Value::Map(items) => J::Object(
            items
                .iter()
                .filter_map(|i| match i {
                    Item::Entry(k, v) => Some((k.clone(), to_json(v))),
                    Item::Comment(_) => None,
                })
                .collect(),
        ),
    }
}

/// Emit a tree as tab-indented JSON.
pub(crate) fn emit(tree: &Value) -> String {
    let json = to_json(tree);
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(&json, &mut ser)
        .expect("serializing a JSON value to memory cannot fail");
    buf.push(b'\n');
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}
