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

/// The normalised copy of `obj`.
pub fn normalise(obj: &Value) -> Value {
    let mut out = obj.clone();
    if let Some(map) = out.as_object_mut() {
        map.remove("status");
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            for key in SERVER_METADATA {
                meta.remove(*key);
            }
            if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
                for key in SERVER_ANNOTATIONS {
                    ann.remove(*key);
                }
            }
            for key in ["annotations", "labels"] {
                if meta
                    .get(key)
                    .is_some_and(|v| v.as_object().is_some_and(Map::is_empty) || v.is_null())
                {
                    meta.remove(key);
                }
            }
        }
    }
    if is_secret(&out) {
        fold_string_data(&mut out);
    }
    sort_keys(&out)
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

fn sort_level(v: &Value, top: bool) -> Value {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| {
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
            let mut out = Map::new();
            for k in keys {
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
