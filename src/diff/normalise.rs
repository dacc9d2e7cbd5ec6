//! Normalisation: both sides of a diff lose what the server generates or
//! bookkeeps (`managedFields`, `resourceVersion`, `uid`, `generation`,
//! `creationTimestamp`, `status`, server-set annotations), Secret `stringData`
//! is folded into `data`, and object keys are put in one canonical order so that
//! two equal objects render to the same bytes.

use base64::Engine as _;
use serde_json::{Map, Value};

/// Metadata fields the server owns.
const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Annotations written by tools or controllers, not by the user.
const SERVER_ANNOTATIONS: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
];

/// Whether an object is a Secret (whose data is masked in diffs).
pub fn is_secret(obj: &Value) -> bool {
    obj.get("kind").and_then(Value::as_str) == Some("Secret")
        && obj
            .get("apiVersion")
            .and_then(Value::as_str)
            .is_none_or(|v| v == "v1")
}

/// Whether `obj` is a `kind: List` (or any `*List` kind) with `items`.
pub fn is_list(obj: &Value) -> bool {
    obj.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && obj.get("items").is_some_and(Value::is_array)
}

/// Whether `obj` is a Secret or a list holding one (at any depth).
pub fn holds_secret(obj: &Value) -> bool {
    is_secret(obj)
        || (is_list(obj)
            && obj
                .get("items")
                .and_then(Value::as_array)
                .is_some_and(|items| items.iter().any(holds_secret)))
}

/// The normalised copy of `obj`. Built in one pass: the dropped fields
/// (`managedFields` above all, often the largest part of a live object) are
/// never copied, and keys come out in canonical order.
pub fn normalise(obj: &Value) -> Value {
    let Value::Object(map) = obj else {
        return sort_keys(obj);
    };
    let mut out = Map::new();
    for k in sorted_keys(map, true) {
        let v = &map[k];
        match k.as_str() {
            "status" => {}
            "metadata" => {
                out.insert(k.clone(), normalise_metadata(v));
            }
            _ => {
                out.insert(k.clone(), sort_level(v, false));
            }
        }
    }
    let mut out = Value::Object(out);
    if is_secret(&out) && out.get("stringData").is_some() {
        // Rare (the server folds stringData itself): re-sort after folding.
        fold_string_data(&mut out);
        return sort_keys(&out);
    }
    out
}

/// `metadata` without server-owned fields, annotations or empty maps.
fn normalise_metadata(meta: &Value) -> Value {
    let Value::Object(map) = meta else {
        return sort_level(meta, false);
    };
    let mut out = Map::new();
    for k in sorted_keys(map, false) {
        if SERVER_METADATA.contains(&k.as_str()) {
            continue;
        }
        let v = &map[k];
        let v = if k == "annotations" {
            match v {
                Value::Object(ann) => {
                    let mut kept = Map::new();
                    for a in sorted_keys(ann, false) {
                        if !SERVER_ANNOTATIONS.contains(&a.as_str()) {
                            kept.insert(a.clone(), sort_level(&ann[a], false));
                        }
                    }
                    Value::Object(kept)
                }
                other => sort_level(other, false),
            }
        } else {
            sort_level(v, false)
        };
        if (k == "annotations" || k == "labels")
            && (v.is_null() || v.as_object().is_some_and(Map::is_empty))
        {
            continue;
        }
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

/// Move Secret `stringData` into `data` (base64), as the API server does on write.
fn fold_string_data(secret: &mut Value) {
    let Some(map) = secret.as_object_mut() else {
        return;
    };
    let Some(Value::Object(string_data)) = map.remove("stringData") else {
        return;
    };
    let data = map
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if data.is_null() {
        *data = Value::Object(Map::new());
    }
    if let Some(data) = data.as_object_mut() {
        for (k, v) in string_data {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            data.insert(
                k,
                Value::String(base64::engine::general_purpose::STANDARD.encode(text)),
            );
        }
    }
}

/// Keys in canonical order: `apiVersion`, `kind`, `metadata` first at the top,
/// everything else sorted.
fn sort_keys(v: &Value) -> Value {
    sort_level(v, true)
}

/// The keys of `map` in canonical order (see [`sort_keys`]).
fn sorted_keys(map: &Map<String, Value>, top: bool) -> Vec<&String> {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_unstable_by_key(|k| {
        let rank = if top {
            match k.as_str() {
                "apiVersion" => 0,
                "kind" => 1,
                "metadata" => 2,
                _ => 3,
            }
        } else {
            3
        };
        (rank, k.as_str())
    });
    keys
}

fn sort_level(v: &Value, top: bool) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for k in sorted_keys(map, top) {
                out.insert(k.clone(), sort_level(&map[k], false));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| sort_level(i, false)).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn drops_server_fields_and_annotations() {
        let live = json!({
            "kind": "Deployment", "apiVersion": "apps/v1",
            "metadata": {"name": "hub", "namespace": "j", "uid": "u", "resourceVersion": "7",
                "generation": 3, "creationTimestamp": "2024-01-01T00:00:00Z",
                "managedFields": [{"manager": "berth"}],
                "annotations": {"deployment.kubernetes.io/revision": "2",
                                "kubectl.kubernetes.io/last-applied-configuration": "{}"}},
            "spec": {"replicas": 2},
            "status": {"replicas": 2}
        });
        let n = normalise(&live);
        assert_eq!(
            n,
            json!({"apiVersion":"apps/v1","kind":"Deployment",
                "metadata":{"name":"hub","namespace":"j"},"spec":{"replicas":2}})
        );
        let text = serde_json::to_string(&n).unwrap();
        assert!(text.starts_with(r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata""#));
    }

    #[test]
    fn keeps_user_annotations_and_sorts_keys() {
        let a = json!({"spec":{"b":1,"a":2},"metadata":{"annotations":{"x":"1"},"name":"n"},"kind":"K","apiVersion":"v1"});
        let b = json!({"apiVersion":"v1","kind":"K","metadata":{"name":"n","annotations":{"x":"1"}},"spec":{"a":2,"b":1}});
        assert_eq!(
            serde_json::to_string(&normalise(&a)).unwrap(),
            serde_json::to_string(&normalise(&b)).unwrap()
        );
    }

    #[test]
    fn secret_string_data_folds_into_data() {
        let s = json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},
            "data":{"a":"YQ=="},"stringData":{"b":"hello"}});
        let n = normalise(&s);
        assert_eq!(n["data"], json!({"a":"YQ==","b":"aGVsbG8="}));
        assert!(n.get("stringData").is_none());
    }
}
