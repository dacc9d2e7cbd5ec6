//! How lists of the built-in kinds merge: the associative keys, sets and atomic
//! lists of the Kubernetes schemas (`x-kubernetes-list-type`/`-map-keys` and
//! `patchMergeKey`), by field name. Shared by server-side apply (field sets) and
//! strategic merge patch. Owns no state.

use serde_json::Value;

/// The merge behaviour of one list field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListType {
    /// Replaced as a whole.
    Atomic,
    /// Items identified by these keys (sorted by name as in `k:{…}`).
    Map(Vec<&'static str>),
    /// Set of scalars.
    Set,
}

/// The list type of `field` whose items look like `items`.
pub fn list_type(field: &str, items: &[Value]) -> ListType {
    let first = items.iter().find(|v| v.is_object());
    let has = |k: &str| first.map(|o| o.get(k).is_some()).unwrap_or(false);
    let all_objects = items.iter().all(Value::is_object);
    if !all_objects && field != "finalizers" {
        return ListType::Atomic;
    }
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims" => ListType::Map(vec!["name"]),
        "volumeMounts" => ListType::Map(vec!["mountPath"]),
        "volumeDevices" => ListType::Map(vec!["devicePath"]),
        "hostAliases" => ListType::Map(vec!["ip"]),
        "conditions" => ListType::Map(vec!["type"]),
        "ownerReferences" => ListType::Map(vec!["uid"]),
        "topologySpreadConstraints" => ListType::Map(vec!["topologyKey", "whenUnsatisfiable"]),
        "ports" if has("containerPort") => ListType::Map(vec!["containerPort", "protocol"]),
        "ports" if has("port") => ListType::Map(vec!["port", "protocol"]),
        "finalizers" => ListType::Set,
        _ => ListType::Atomic,
    }
}

/// The strategic-merge-patch merge key of `field` (the first associative key).
pub fn merge_key(field: &str, items: &[Value]) -> Option<&'static str> {
    match list_type(field, items) {
        ListType::Map(keys) => keys.first().copied(),
        _ => None,
    }
}

/// The value of key `k` in `item`, with the schema default filled in
/// (`protocol` defaults to TCP) as the API server does before comparing keys.
pub fn key_value(item: &Value, k: &str) -> Value {
    match item.get(k) {
        Some(v) => v.clone(),
        None if k == "protocol" => Value::String("TCP".into()),
        None => Value::Null,
    }
}

/// Whether two list items have the same key.
pub fn same_key(a: &Value, b: &Value, keys: &[&str]) -> bool {
    keys.iter().all(|k| key_value(a, k) == key_value(b, k))
}
