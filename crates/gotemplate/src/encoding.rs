//! The encoding functions charts call, with Helm v4's and sprig's exact
//! behaviour on success and on failure: Helm's `toYaml`, `mustToYaml`,
//! `toYamlPretty`, `fromYaml`, `fromYamlArray`, `toJson`, `mustToJson`,
//! `fromJson`, `fromJsonArray`, `toToml`, `mustToToml`, `fromToml`, and
//! sprig's `toPrettyJson`, `mustToPrettyJson`, `toRawJson`, `mustToRawJson`,
//! `mustFromJson`.
//!
//! The codecs themselves live in the `goenc` crate; this module only turns
//! template values into JSON trees (with encoding/json's refusals: NaN,
//! infinities, cycles) and back, and applies each function's error policy
//! (swallow to "", put the text under `Error`, or fail the template).

use std::collections::BTreeMap;
use std::collections::HashSet;
use std::rc::Rc;

use goenc::Target;

use crate::func::{FuncError, FuncMap, Function, Param};
use crate::value::Value;

/// The functions of this module, by name.
pub fn functions() -> FuncMap {
    let mut m = FuncMap::default();
    let any: &'static [Param] = &[Param::Any];
    let string: &'static [Param] = &[Param::String];
    let mut add =
        |name: &str, params: &'static [Param], f: fn(Vec<Value>) -> Result<Value, FuncError>| {
            m.insert(name.to_string(), Function::pure(params, None, f));
        };
    add("toYaml", any, |a| {
        Ok(Value::from(to_yaml(first(&a)).unwrap_or_default()))
    });
    add("mustToYaml", any, |a| {
        to_yaml(first(&a)).map(Value::from).map_err(FuncError::new)
    });
    add("toYamlPretty", any, |a| {
        Ok(Value::from(to_yaml_pretty(first(&a)).unwrap_or_default()))
    });
    add("fromYaml", string, |a| Ok(from_yaml(str_arg(first(&a)))));
    add("fromYamlArray", string, |a| {
        Ok(from_yaml_array(str_arg(first(&a))))
    });
    add("toJson", any, |a| {
        Ok(Value::from(to_json(first(&a)).unwrap_or_default()))
    });
    add("mustToJson", any, |a| {
        to_json(first(&a)).map(Value::from).map_err(FuncError::new)
    });
    add("fromJson", string, |a| Ok(from_json(str_arg(first(&a)))));
    add("fromJsonArray", string, |a| {
        Ok(from_json_array(str_arg(first(&a))))
    });
    add("toPrettyJson", any, |a| {
        Ok(Value::from(to_pretty_json(first(&a)).unwrap_or_default()))
    });
    add("mustToPrettyJson", any, |a| {
        to_pretty_json(first(&a))
            .map(Value::from)
            .map_err(FuncError::new)
    });
    // sprig's toRawJson panics on error: the template fails like the must form
    add("toRawJson", any, |a| {
        to_raw_json(first(&a))
            .map(Value::from)
            .map_err(FuncError::new)
    });
    add("mustToRawJson", any, |a| {
        to_raw_json(first(&a))
            .map(Value::from)
            .map_err(FuncError::new)
    });
    add("mustFromJson", string, |a| {
        must_from_json(str_arg(first(&a)))
    });
    add("toToml", any, |a| {
        Ok(Value::from(to_toml(first(&a)).unwrap_or_else(|e| e)))
    });
    add("mustToToml", any, |a| {
        to_toml(first(&a)).map(Value::from).map_err(FuncError::new)
    });
    add("fromToml", string, |a| Ok(from_toml(str_arg(first(&a)))));
    m
}

/// The single argument (the executor checked the arity; nil if not).
fn first(args: &[Value]) -> &Value {
    const NIL: &Value = &Value::Nil;
    args.first().unwrap_or(NIL)
}

fn str_arg(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The tree encoding/json marshals for `v`, or its error text
/// (`json: unsupported value: NaN`, `... encountered a cycle via ...`).
pub fn marshal_tree(v: &Value) -> Result<serde_json::Value, String> {
    check_marshalable(v, true)?;
    Ok(v.to_json())
}

/// encoding/json's refusals, found before converting: non-finite floats
/// (the first in its key-sorted walk) and maps that contain themselves.
fn check_marshalable(v: &Value, finite_only: bool) -> Result<(), String> {
    enum Step {
        Enter(Value),
        Leave(usize),
    }
    let mut on_path: HashSet<usize> = HashSet::new();
    let mut work = vec![Step::Enter(v.clone())];
    while let Some(step) = work.pop() {
        match step {
            Step::Leave(p) => {
                on_path.remove(&p);
            }
            Step::Enter(v) => match &v {
                Value::Float64(f) if finite_only && !f.is_finite() => {
                    return Err(format!(
                        "json: unsupported value: {}",
                        goenc::gofloat::format_g(*f, 64)
                    ))
                }
                Value::List(_, items) => {
                    work.extend(items.iter().rev().map(|i| Step::Enter(i.clone())));
                }
                Value::Map(m) => {
                    let p = Rc::as_ptr(m) as *const () as usize;
                    if !on_path.insert(p) {
                        return Err("json: unsupported value: encountered a cycle via \
                                    map[string]interface {}"
                            .into());
                    }
                    work.push(Step::Leave(p));
                    let entries = m.borrow();
                    work.extend(entries.values().rev().map(|i| Step::Enter(i.clone())));
                }
                _ => {}
            },
        }
    }
    Ok(())
}

fn from_tree(tree: &serde_json::Value) -> Value {
    Value::from_json(tree)
}

fn error_map(msg: String) -> Value {
    let mut m = BTreeMap::new();
    m.insert("Error".to_string(), Value::from(msg));
    Value::map(m)
}

/// Helm's `toYaml` (sigs.k8s.io/yaml.Marshal, final newline trimmed).
pub fn to_yaml(v: &Value) -> Result<String, String> {
    let tree = marshal_tree(v).map_err(|e| format!("error marshaling into JSON: {e}"))?;
    let out = goenc::yaml::to_string(&tree).map_err(|e| e.to_string())?;
    Ok(out.strip_suffix('\n').map(str::to_string).unwrap_or(out))
}

/// Helm v4's `toYamlPretty` (go-yaml v3, indent 2, final newline trimmed).
pub fn to_yaml_pretty(v: &Value) -> Result<String, String> {
    let tree = marshal_tree(v)?;
    let out = goenc::yaml::to_string_pretty(&tree).map_err(|e| e.to_string())?;
    Ok(out.strip_suffix('\n').map(str::to_string).unwrap_or(out))
}

/// Helm's `fromYaml`: a map; on error the map holds the message under `Error`.
pub fn from_yaml(s: &str) -> Value {
    let target = Target::Map("map[string]interface {}");
    match goenc::yaml::from_str_into(s, &target, &goenc::yaml::Limits::default()) {
        Ok(serde_json::Value::Null) => Value::empty_map(),
        Ok(tree) => from_tree(&tree),
        Err(e) => error_map(e.to_string()),
    }
}

/// Helm's `fromYamlArray`: a list; on error the list is just the message.
pub fn from_yaml_array(s: &str) -> Value {
    let target = Target::Slice("[]interface {}");
    match goenc::yaml::from_str_into(s, &target, &goenc::yaml::Limits::default()) {
        Ok(serde_json::Value::Null) => Value::list(Vec::new()),
        Ok(tree) => from_tree(&tree),
        Err(e) => Value::list(vec![Value::from(e.to_string())]),
    }
}

/// Helm's `toJson` / `mustToJson` (json.Marshal).
pub fn to_json(v: &Value) -> Result<String, String> {
    Ok(goenc::json::to_string(&marshal_tree(v)?))
}

/// sprig's `toPrettyJson` (json.MarshalIndent with two spaces).
pub fn to_pretty_json(v: &Value) -> Result<String, String> {
    Ok(goenc::json::to_string_pretty(&marshal_tree(v)?))
}

/// sprig's `toRawJson` (no HTML escaping).
pub fn to_raw_json(v: &Value) -> Result<String, String> {
    Ok(goenc::json::to_string_raw(&marshal_tree(v)?))
}

/// Helm's `fromJson`: a map; on error the map holds the message under
/// `Error` (next to what Go had decoded when only a number failed).
pub fn from_json(s: &str) -> Value {
    match goenc::json::from_str_into(s, &Target::Map("map[string]interface {}")) {
        Ok(serde_json::Value::Null) => Value::empty_map(),
        Ok(tree) => from_tree(&tree),
        Err(e) => match e.partial_value() {
            Some(partial @ serde_json::Value::Object(_)) => {
                let v = from_tree(partial);
                if let Value::Map(m) = &v {
                    m.borrow_mut()
                        .insert("Error".into(), Value::from(e.to_string()));
                }
                v
            }
            _ => error_map(e.to_string()),
        },
    }
}

/// Helm's `fromJsonArray`: a list; on error the list is just the message.
pub fn from_json_array(s: &str) -> Value {
    match goenc::json::from_str_into(s, &Target::Slice("[]interface {}")) {
        Ok(serde_json::Value::Null) => Value::list(Vec::new()),
        Ok(tree) => from_tree(&tree),
        Err(e) => Value::list(vec![Value::from(e.to_string())]),
    }
}

/// sprig's `mustFromJson`: any JSON value, or the error.
pub fn must_from_json(s: &str) -> Result<Value, FuncError> {
    goenc::json::from_str(s)
        .map(|t| from_tree(&t))
        .map_err(|e| FuncError::new(e.to_string()))
}

/// Helm's `toToml` / `mustToToml` (BurntSushi/toml's encoder). Go writes
/// NaN and infinities as `nan`/`inf`; the JSON tree cannot hold them, so
/// such keys are left out here (a known difference).
pub fn to_toml(v: &Value) -> Result<String, String> {
    check_marshalable(v, false)?;
    let tree = v.to_json();
    goenc::toml::to_string(&tree).map_err(|e| e.to_string())
}

/// Helm's `fromToml`: a map; on error the map holds the message under `Error`.
pub fn from_toml(s: &str) -> Value {
    match goenc::toml::from_str(s) {
        Ok(tree) => from_tree(&tree),
        Err(e) => error_map(e.to_string()),
    }
}
