//! sigs.k8s.io/yaml's second half: the decoded YAML value → JSON → the
//! value Helm finally holds. Map keys become strings (`1` → "1", `true` →
//! "true", floats at 32-bit `%g`, nil and uint64 keys refused), json.Marshal
//! refuses NaN and infinities, and decoding the JSON back makes every
//! number a float64 (map keys keep document order; Go's maps have none). The target check reproduces
//! encoding/json's "cannot unmarshal X into Go value of type T".

use serde_json::{Map, Number, Value};

use super::decode::GoValue;
use super::gosyntax::go_syntax;
use super::{Error, ErrorKind, Target};
use crate::gofloat;

/// Convert a decoded YAML value into Helm's JSON-shaped value: first the
/// key conversion (its errors come first in Go), then json.Marshal's walk in
/// key order (its first NaN or infinity fails), as numbers become float64.
/// Both walks use explicit stacks: values may nest 10,000 deep.
pub fn to_json(v: GoValue) -> Result<Value, Error> {
    check_keys(&v)?;
    check_finite(&v)?;
    build(v, false)
}

/// sigs.k8s.io/yaml's `YAMLToJSON` alone (what Kubernetes clients send a
/// manifest as): the same key conversion and NaN check, but integers stay
/// integers, as a JSON decoder with `UseNumber` (Kubernetes' unstructured
/// objects) keeps them.
pub fn to_json_keep_ints(v: GoValue) -> Result<Value, Error> {
    check_keys(&v)?;
    check_finite(&v)?;
    build(v, true)
}

/// json.Marshal's first NaN or infinity, found in its walk order (map keys
/// sorted, a colliding key's later value only), before the value is built in
/// document order.
fn check_finite(v: &GoValue) -> Result<(), Error> {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            GoValue::Float(f) => {
                number(*f)?;
            }
            GoValue::Seq(items) => stack.extend(items.iter().rev()),
            GoValue::Map(m) => {
                let mut entries: Vec<(String, &GoValue)> = Vec::with_capacity(m.entries.len());
                for (k, v) in &m.entries {
                    let key = match k {
                        GoValue::Str(s) => s.clone(),
                        k => key_string(k, v).unwrap_or_default(),
                    };
                    entries.push((key, v));
                }
                // Stable: among colliding keys the later one is last.
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                let mut kept: Vec<&GoValue> = Vec::with_capacity(entries.len());
                for (i, (key, v)) in entries.iter().enumerate() {
                    if entries.get(i + 1).is_some_and(|next| next.0 == *key) {
                        continue;
                    }
                    kept.push(v);
                }
                stack.extend(kept.into_iter().rev());
            }
            _ => {}
        }
    }
    Ok(())
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

fn check_keys(v: &GoValue) -> Result<(), Error> {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            GoValue::Seq(items) => stack.extend(items),
            GoValue::Map(m) => {
                for (k, v) in &m.entries {
                    if matches!(
                        k,
                        GoValue::Nil | GoValue::Uint(_) | GoValue::Seq(_) | GoValue::Map(_)
                    ) {
                        key_string(k, v)?;
                    }
                    stack.push(v);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

enum Open {
    Seq(std::vec::IntoIter<GoValue>, Vec<Value>),
    Map(
        std::vec::IntoIter<(String, GoValue)>,
        Map<String, Value>,
        Option<String>,
    ),
}

fn number(f: f64) -> Result<Value, Error> {
    Number::from_f64(f).map(Value::Number).ok_or_else(|| {
        Error::convert(
            ErrorKind::Json,
            format!("json: unsupported value: {}", gofloat::format_g(f, 64)),
        )
    })
}

fn build(root: GoValue, keep_ints: bool) -> Result<Value, Error> {
    let mut stack: Vec<Open> = Vec::new();
    let mut next = Some(root);
    loop {
        let produced = match next.take() {
            Some(GoValue::Nil) => Some(Value::Null),
            Some(GoValue::Bool(b)) => Some(Value::Bool(b)),
            Some(GoValue::Int(i)) if keep_ints => Some(Value::from(i)),
            Some(GoValue::Uint(u)) if keep_ints => Some(Value::from(u)),
            Some(GoValue::Int(i)) => Some(number(i as f64)?),
            Some(GoValue::Uint(u)) => Some(number(u as f64)?),
            Some(GoValue::Float(f)) => Some(number(f)?),
            Some(GoValue::Str(s)) => Some(Value::String(s)),
            Some(GoValue::Seq(items)) => {
                let n = items.len();
                stack.push(Open::Seq(items.into_iter(), Vec::with_capacity(n)));
                None
            }
            Some(GoValue::Map(m)) => {
                let mut entries: Vec<(String, GoValue)> = Vec::with_capacity(m.entries.len());
                for (k, v) in m.entries {
                    let key = match k {
                        GoValue::Str(s) => s,
                        k => key_string(&k, &v)?,
                    };
                    entries.push((key, v));
                }
                // Keys that collide after conversion: the later entry wins
                // (Go's map iteration order decides; berth takes document
                // order). Keys stay in document order: Go's map has none, and
                // berth's own charts show values in the order authors wrote.
                let mut at: std::collections::HashMap<String, usize> =
                    std::collections::HashMap::with_capacity(entries.len());
                let mut deduped: Vec<(String, GoValue)> = Vec::with_capacity(entries.len());
                for e in entries {
                    match at.get(&e.0) {
                        Some(&i) => deduped[i] = e,
                        None => {
                            at.insert(e.0.clone(), deduped.len());
                            deduped.push(e);
                        }
                    }
                }
                let entries = deduped;
                let n = entries.len();
                stack.push(Open::Map(entries.into_iter(), Map::with_capacity(n), None));
                None
            }
            None => None,
        };
        // hand the produced value to its parent, then find the next child
        let mut produced = produced;
        loop {
            let Some(top) = stack.last_mut() else {
                return Ok(produced.unwrap_or(Value::Null));
            };
            match top {
                Open::Seq(rest, out) => {
                    if let Some(v) = produced.take() {
                        out.push(v);
                    }
                    match rest.next() {
                        Some(child) => {
                            next = Some(child);
                            break;
                        }
                        None => {
                            let done = std::mem::take(out);
                            stack.pop();
                            produced = Some(Value::Array(done));
                        }
                    }
                }
                Open::Map(rest, out, key) => {
                    if let (Some(v), Some(k)) = (produced.take(), key.take()) {
                        out.insert(k, v);
                    }
                    match rest.next() {
                        Some((k, child)) => {
                            *key = Some(k);
                            next = Some(child);
                            break;
                        }
                        None => {
                            let done = std::mem::take(out);
                            stack.pop();
                            produced = Some(Value::Object(done));
                        }
                    }
                }
            }
        }
    }
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
