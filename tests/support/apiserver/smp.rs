//! Strategic merge patch (`application/strategic-merge-patch+json`) for the
//! subset kubectl's `apply`/`diff`/`edit`/`scale` send: recursive maps, `null`
//! deletes, lists merged by their patch merge key, `$patch: replace|delete`,
//! `$retainKeys`, `$setElementOrder/…` and `$deleteFromPrimitiveList/…`.
//! Pure functions on JSON values.

use super::lists::{list_type, merge_key, ListType};
use serde_json::{Map, Value};

/// Apply a strategic merge `patch` to `target` (in place).
pub fn apply(target: &mut Value, patch: &Value) {
    merge_value(target, patch);
}

fn merge_value(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if p.get("$patch").and_then(Value::as_str) == Some("replace") {
                *target = strip(patch);
                return;
            }
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            let Value::Object(t) = target else { return };
            merge_map(t, p);
        }
        other => *target = strip(other),
    }
}

fn merge_map(t: &mut Map<String, Value>, p: &Map<String, Value>) {
    for (k, v) in p {
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Some(del)) = (t.get_mut(field), v.as_array()) {
                list.retain(|x| !del.contains(x));
            }
            continue;
        }
        if k.starts_with('$') {
            continue;
        }
        match v {
            Value::Null => {
                t.remove(k);
            }
            Value::Object(_) => {
                if v.get("$patch").and_then(Value::as_str) == Some("delete") {
                    t.remove(k);
                    continue;
                }
                let entry = t.entry(k.clone()).or_insert(Value::Null);
                merge_value(entry, v);
            }
            Value::Array(items) => {
                let current = t.get_mut(k);
                match current {
                    Some(Value::Array(cur)) => merge_list(k, cur, items),
                    _ => {
                        let mut fresh = Vec::new();
                        merge_list(k, &mut fresh, items);
                        t.insert(k.clone(), Value::Array(fresh));
                    }
                }
            }
            scalar => {
                t.insert(k.clone(), scalar.clone());
            }
        }
    }
    if let Some(Value::Array(retain)) = p.get("$retainKeys") {
        let keep: Vec<&str> = retain.iter().filter_map(Value::as_str).collect();
        t.retain(|k, _| keep.contains(&k.as_str()));
    }
}

fn merge_list(field: &str, cur: &mut Vec<Value>, items: &[Value]) {
    if items
        .iter()
        .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        *cur = items
            .iter()
            .filter(|i| i.get("$patch").is_none())
            .map(strip)
            .collect();
        return;
    }
    let probe: Vec<Value> = items.iter().chain(cur.iter()).cloned().collect();
    if let Some(key) = merge_key(field, &probe) {
        for item in items {
            let kv = item.get(key);
            let pos = cur.iter().position(|c| c.get(key) == kv);
            let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
            match (pos, delete) {
                (Some(i), true) => {
                    cur.remove(i);
                }
                (None, true) => {}
                (Some(i), false) => merge_value(&mut cur[i], item),
                (None, false) => cur.push(strip(item)),
            }
        }
    } else if list_type(field, &probe) == ListType::Set {
        for item in items {
            if !cur.contains(item) {
                cur.push(item.clone());
            }
        }
    } else {
        *cur = items.iter().map(strip).collect();
    }
}

/// Remove patch directives from a value that is inserted whole.
fn strip(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_containers_by_name_and_deletes_nulls() {
        let mut t = json!({"spec": {"replicas": 1, "paused": true, "template": {"spec": {"containers": [
            {"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]}}}});
        let p = json!({"spec": {"replicas": 3, "paused": null, "template": {"spec": {
            "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
            "containers": [{"name": "b", "image": "b:2"}]}}}});
        apply(&mut t, &p);
        assert_eq!(
            t,
            json!({"spec": {"replicas": 3, "template": {"spec": {"containers": [
            {"name": "a", "image": "a:1"}, {"name": "b", "image": "b:2"}]}}}})
        );
    }
}
