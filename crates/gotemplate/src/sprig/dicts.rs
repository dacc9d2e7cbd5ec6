//! sprig's dictionary functions: `dict`, `get`, `set`, `unset`, `hasKey`,
//! `pluck`, `dig`, `keys`, `values`, `pick`, `omit`, `merge`/`mergeOverwrite`
//! (dario.cat/mergo's rules, mutating the first map in place as Go does),
//! `deepCopy`. Maps are shared references: `set` is seen by every holder.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::conv::{arg, deep_copy, empty, marg, sarg, strings, strval};
use super::reg;
use crate::func::{FuncError, FuncMap, Param};
use crate::value::{Map, Value};

use Param::{Any, Map as MapP, String as Str};

/// A nil `map[string]interface {}` argument reads as empty and panics on writes.
const NIL_MAP_WRITE: &str = "assignment to entry in nil map";

pub(super) fn register(m: &mut FuncMap) {
    reg(m, "dict", &[], Some(Any), |a| {
        let mut d = BTreeMap::new();
        let mut i = 0;
        while i < a.len() {
            let key = strval(&a[i]);
            let value = a.get(i + 1).cloned().unwrap_or_else(|| Value::str(""));
            d.insert(key, value);
            i += 2;
        }
        Ok(Value::map(d))
    });
    reg(m, "get", &[MapP, Str], None, |a| {
        let key = sarg(&a, 1);
        Ok(marg(&a, 0)
            .and_then(|d| d.borrow().get(&*key).cloned())
            .unwrap_or_else(|| Value::str("")))
    });
    reg(m, "set", &[MapP, Str, Any], None, |a| {
        let d = marg(&a, 0).ok_or_else(|| FuncError::new(NIL_MAP_WRITE))?;
        d.borrow_mut().insert(sarg(&a, 1).to_string(), arg(&a, 2));
        Ok(Value::Map(d))
    });
    reg(m, "unset", &[MapP, Str], None, |a| {
        let key = sarg(&a, 1);
        match marg(&a, 0) {
            Some(d) => {
                d.borrow_mut().remove(&*key);
                Ok(Value::Map(d))
            }
            // Go returns the nil map, which prints as map[].
            None => Ok(Value::empty_map()),
        }
    });
    reg(m, "hasKey", &[MapP, Str], None, |a| {
        let key = sarg(&a, 1);
        Ok(Value::Bool(
            marg(&a, 0).is_some_and(|d| d.borrow().contains_key(&*key)),
        ))
    });
    reg(m, "pluck", &[Str], Some(MapP), |a| {
        let key = sarg(&a, 0);
        let out = (1..a.len())
            .filter_map(|i| marg(&a, i).and_then(|d| d.borrow().get(&*key).cloned()))
            .collect();
        Ok(Value::list(out))
    });
    reg(m, "keys", &[], Some(MapP), |a| {
        let mut out = Vec::new();
        for i in 0..a.len() {
            if let Some(d) = marg(&a, i) {
                out.extend(d.borrow().keys().cloned());
            }
        }
        Ok(strings(out))
    });
    reg(m, "values", &[MapP], None, |a| {
        Ok(Value::list(
            marg(&a, 0)
                .map(|d| d.borrow().values().cloned().collect())
                .unwrap_or_default(),
        ))
    });
    reg(m, "pick", &[MapP], Some(Str), |a| {
        let mut out = BTreeMap::new();
        if let Some(d) = marg(&a, 0) {
            let d = d.borrow();
            for i in 1..a.len() {
                let k = sarg(&a, i);
                if let Some(v) = d.get(&*k) {
                    out.insert(k.to_string(), v.clone());
                }
            }
        }
        Ok(Value::map(out))
    });
    reg(m, "omit", &[MapP], Some(Str), |a| {
        let omit: Vec<_> = (1..a.len()).map(|i| sarg(&a, i)).collect();
        let out = marg(&a, 0)
            .map(|d| {
                d.borrow()
                    .iter()
                    .filter(|(k, _)| !omit.iter().any(|o| &**o == k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Value::map(out))
    });
    for (name, overwrite) in [
        ("merge", false),
        ("mustMerge", false),
        ("mergeOverwrite", true),
        ("mustMergeOverwrite", true),
    ] {
        reg(m, name, &[MapP], Some(MapP), move |a| {
            // A nil destination map gets a new map, as mergo makes one.
            let dst = marg(&a, 0).unwrap_or_else(|| Rc::new(RefCell::new(BTreeMap::new())));
            for i in 1..a.len() {
                if let Some(src) = marg(&a, i) {
                    merge_into(&dst, &src, overwrite, 0)?;
                }
            }
            Ok(Value::Map(dst))
        });
    }
    for name in ["deepCopy", "mustDeepCopy"] {
        reg(m, name, &[Any], None, |a| match a.first() {
            None | Some(Value::Nil) => Err(FuncError::new(
                "reflect: call of reflect.Value.Type on zero Value",
            )),
            Some(v) => Ok(deep_copy(v)),
        });
    }
    reg(m, "dig", &[], Some(Any), |a| {
        if a.len() < 3 {
            return Err(FuncError::new("dig needs at least three arguments"));
        }
        let last = &a[a.len() - 1];
        let Value::Map(mut dict) = last.clone() else {
            return Err(FuncError::new(format!(
                "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                conversion_type(last)
            )));
        };
        let default = a[a.len() - 2].clone();
        let mut keys = Vec::new();
        for k in &a[..a.len() - 2] {
            match k {
                Value::String(s) => keys.push(s.clone()),
                other => {
                    return Err(FuncError::new(format!(
                        "interface conversion: interface {{}} is {}, not string",
                        conversion_type(other)
                    )))
                }
            }
        }
        for (i, key) in keys.iter().enumerate() {
            let step = match dict.borrow().get(&**key) {
                None => return Ok(default),
                Some(v) => v.clone(),
            };
            if i + 1 == keys.len() {
                return Ok(step);
            }
            dict = match step {
                Value::Map(m) => m,
                other => {
                    return Err(FuncError::new(format!(
                        "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                        conversion_type(&other)
                    )))
                }
            };
        }
        Ok(default)
    });
}

/// The type a Go `interface conversion` panic names (`nil` for nil).
fn conversion_type(v: &Value) -> String {
    if v.is_nil() {
        "nil".into()
    } else {
        v.type_name()
    }
}

/// The deepest nesting `merge` follows (mergo has none; a map that contains
/// itself would loop forever in Go too).
const MAX_MERGE_DEPTH: usize = 10_000;

/// mergo's `deepMerge` for two `map[string]interface {}` (Merge, or
/// MergeWithOverwrite when `overwrite`):
/// - a nil source value replaces only with overwrite;
/// - two maps merge recursively, in place; a map into an empty or missing
///   destination is stored as is (the same map, shared);
/// - a slice replaces with overwrite or when the destination is empty;
/// - otherwise the source replaces with overwrite, or when the destination
///   value is missing or empty (so `false`, `0` and `""` are overwritten
///   even by a plain merge).
fn merge_into(dst: &Map, src: &Map, overwrite: bool, depth: usize) -> Result<(), FuncError> {
    if depth > MAX_MERGE_DEPTH {
        return Err(FuncError::new(format!(
            "merge: maps nested deeper than {MAX_MERGE_DEPTH}"
        )));
    }
    if std::rc::Rc::ptr_eq(dst, src) {
        return Ok(());
    }
    let entries: Vec<(String, Value)> = src
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let dst_was_empty = dst.borrow().is_empty();
    for (key, sv) in entries {
        if sv.is_nil() {
            if overwrite {
                dst.borrow_mut().insert(key, Value::Nil);
            }
            continue;
        }
        let dv = dst.borrow().get(&key).cloned();
        match (&sv, &dv) {
            (Value::Map(sm), Some(Value::Map(dm))) => {
                merge_into(dm, sm, overwrite, depth + 1)?;
                if !empty(dv.as_ref().unwrap_or(&Value::Nil)) {
                    continue;
                }
            }
            (Value::List(..), _) => {
                let keep = match &dv {
                    Some(d) if !(overwrite || dst_was_empty) => d.clone(),
                    _ if overwrite || dst_was_empty => sv.clone(),
                    _ => Value::List(crate::value::SliceType::Interface, Default::default()),
                };
                dst.borrow_mut().insert(key.clone(), keep);
                if let Some(d) = &dv {
                    if !empty(d) {
                        continue;
                    }
                }
            }
            _ => {}
        }
        let set = overwrite || dv.as_ref().is_none_or(empty);
        if set {
            dst.borrow_mut().insert(key, sv);
        }
    }
    Ok(())
}
