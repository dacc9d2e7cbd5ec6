//! sigs.k8s.io/yaml's second half: the decoded YAML value → JSON → the
//! value Helm finally holds. Map keys become strings (`1` → "1", `true` →
//! "true", floats at 32-bit `%g`, nil and uint64 keys refused), json.Marshal
//! refuses NaN and infinities, and decoding the JSON back makes every
//! number a float64 and every map key-sorted. The target check reproduces
//! encoding/json's "cannot unmarshal X into Go value of type T".

use serde_json::{Map, Number, Value};

use super::decode::GoValue;
use super::gosyntax::go_syntax;
use super::{Error, ErrorKind, Target};
use crate::gofloat;

/// A value with string keys and float numbers, before json.Marshal's checks.
enum JValue {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<JValue>),
    Obj(Vec<(String, JValue)>),
}

/// Convert a decoded YAML value into Helm's JSON-shaped value.
pub fn to_json(v: GoValue) -> Result<Value, Error> {
    let j = convert(v)?;
    marshal(j)
}

fn key_string(k: &GoValue, v: &GoValue) -> Result<String, Error> {
    Ok(match k {
        GoValue::Str(s) => s.clone(),
        GoValue::Int(i) => i.to_string(),
        GoValue::Bool(b) => b.to_string(),
        GoValue::Float(f) => match gofloat::format_g(*f, 32).as_str() {
            "+Inf" => ".inf".into(),
            "-Inf" => "-.inf".into(),
            "NaN" => ".nan".into(),
            s => s.to_string(),
        },
        GoValue::Nil | GoValue::Uint(_) | GoValue::Seq(_) | GoValue::Map(_) => {
            let type_name = match k {
                GoValue::Nil => "%!s(<nil>)",
                GoValue::Uint(_) => "uint64",
                GoValue::Seq(_) => "[]interface {}",
                _ => "map[interface {}]interface {}",
            };
            return Err(Error::convert(
                ErrorKind::Key,
                format!(
                    "unsupported map key of type: {type_name}, key: {}, value: {}",
                    go_syntax(k),
                    go_syntax(v)
                ),
            ));
        }
    })
}

fn convert(v: GoValue) -> Result<JValue, Error> {
    Ok(match v {
        GoValue::Nil => JValue::Null,
        GoValue::Bool(b) => JValue::Bool(b),
        GoValue::Int(i) => JValue::Num(i as f64),
        GoValue::Uint(u) => JValue::Num(u as f64),
        GoValue::Float(f) => JValue::Num(f),
        GoValue::Str(s) => JValue::Str(s),
        GoValue::Seq(items) => {
            JValue::Arr(items.into_iter().map(convert).collect::<Result<_, _>>()?)
        }
        GoValue::Map(m) => {
            let mut out: Vec<(String, JValue)> = Vec::with_capacity(m.entries.len());
            for (k, v) in m.entries {
                let key = key_string(&k, &v)?;
                out.push((key, convert(v)?));
            }
            // keys that collide after conversion: the later entry wins
            // (Go's map iteration order decides; berth takes document order)
            out.reverse();
            let mut seen = std::collections::HashSet::new();
            out.retain(|(k, _)| seen.insert(k.clone()));
            out.sort_by(|a, b| a.0.cmp(&b.0));
            JValue::Obj(out)
        }
    })
}

/// json.Marshal's refusal of non-finite floats (in its key-sorted walk),
/// then the float64 tree json.Unmarshal gives back.
fn marshal(v: JValue) -> Result<Value, Error> {
    Ok(match v {
        JValue::Null => Value::Null,
        JValue::Bool(b) => Value::Bool(b),
        JValue::Num(f) => match Number::from_f64(f) {
            Some(n) => Value::Number(n),
            None => {
                return Err(Error::convert(
                    ErrorKind::Json,
                    format!("json: unsupported value: {}", gofloat::format_g(f, 64)),
                ))
            }
        },
        JValue::Str(s) => Value::String(s),
        JValue::Arr(items) => {
            Value::Array(items.into_iter().map(marshal).collect::<Result<_, _>>()?)
        }
        JValue::Obj(entries) => {
            let mut m = Map::with_capacity(entries.len());
            for (k, v) in entries {
                m.insert(k, marshal(v)?);
            }
            Value::Object(m)
        }
    })
}

/// encoding/json's name for a JSON value's kind in type errors.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// json.Unmarshal of the value into the caller's Go type.
pub fn into_target(v: Value, target: &Target) -> Result<Value, Error> {
    let (ok, type_name) = match target {
        Target::Any => return Ok(v),
        Target::Map(name) => (matches!(v, Value::Object(_) | Value::Null), name),
        Target::Slice(name) => (matches!(v, Value::Array(_) | Value::Null), name),
    };
    if ok {
        return Ok(v);
    }
    Err(Error::unmarshal(
        ErrorKind::Type,
        format!(
            "json: cannot unmarshal {} into Go value of type {type_name}",
            json_kind(&v)
        ),
    ))
}
