//! Drift: fields of the desired object that another field manager owns on the
//! live object (per its `managedFields`) and holds at a different value. Each
//! is reported with the live value, the desired value and the owning manager,
//! so `kubectl scale` or a hand edit is shown, never silently overwritten.

use serde_json::Value;

/// One step of a managed-fields path.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// A map field (`f:name`).
    Field(String),
    /// A list item identified by its key fields (`k:{"name":"hub"}`).
    Key(serde_json::Map<String, Value>),
    /// A set item identified by its value (`v:"x"`).
    Item(Value),
    /// A list item by position (`i:0`).
    Index(usize),
}

/// A field owned by another manager whose live value differs from berth's.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    /// Dotted path, e.g. `spec.replicas` or `spec.template.spec.containers[name=hub].image`.
    pub path: String,
    /// The manager that owns the field now (e.g. `kubectl-scale`).
    pub manager: String,
    /// The value on the cluster.
    pub live: Value,
    /// The value berth applies.
    pub desired: Value,
}

/// Render a path for people: `spec.containers[name=hub].image`.
pub fn display_path(path: &[Segment]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Segment::Field(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Segment::Key(keys) => {
                let inner: Vec<String> = keys
                    .iter()
                    .map(|(k, v)| match v {
                        Value::String(s) => format!("{k}={s}"),
                        other => format!("{k}={other}"),
                    })
                    .collect();
                out.push_str(&format!("[{}]", inner.join(",")));
            }
            Segment::Item(v) => out.push_str(&format!("[{v}]")),
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Parse one `fieldsV1` key.
fn segment(key: &str) -> Option<Segment> {
    if let Some(name) = key.strip_prefix("f:") {
        return Some(Segment::Field(name.to_string()));
    }
    if let Some(json) = key.strip_prefix("k:") {
        return match serde_json::from_str::<Value>(json).ok()? {
            Value::Object(map) => Some(Segment::Key(map)),
            _ => None,
        };
    }
    if let Some(json) = key.strip_prefix("v:") {
        return serde_json::from_str(json).ok().map(Segment::Item);
    }
    if let Some(i) = key.strip_prefix("i:") {
        return i.parse().ok().map(Segment::Index);
    }
    None
}

/// Every leaf path a `fieldsV1` trie owns.
pub fn owned_leaves(fields: &Value) -> Vec<Vec<Segment>> {
    let mut out = Vec::new();
    walk(fields, &mut Vec::new(), &mut out);
    out
}

fn walk(node: &Value, path: &mut Vec<Segment>, out: &mut Vec<Vec<Segment>>) {
    let Some(map) = node.as_object() else {
        return;
    };
    let children: Vec<(&String, &Value)> = map.iter().filter(|(k, _)| k.as_str() != ".").collect();
    if children.is_empty() {
        if !path.is_empty() {
            out.push(path.clone());
        }
        return;
    }
    for (key, sub) in children {
        if let Some(seg) = segment(key) {
            path.push(seg);
            walk(sub, path, out);
            path.pop();
        }
    }
}

/// The value at `path` in `obj`.
pub fn lookup<'a>(obj: &'a Value, path: &[Segment]) -> Option<&'a Value> {
    let mut cur = obj;
    for seg in path {
        cur = match seg {
            Segment::Field(name) => cur.get(name)?,
            Segment::Index(i) => cur.get(*i)?,
            Segment::Key(keys) => cur
                .as_array()?
                .iter()
                .find(|item| keys.iter().all(|(k, v)| item.get(k) == Some(v)))?,
            Segment::Item(v) => cur.as_array()?.iter().find(|item| *item == v)?,
        };
    }
    Some(cur)
}

/// Loose equality: the API server may return `"80"` where the manifest says `80`.
fn same(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (a, b) {
        (Value::String(s), other) | (other, Value::String(s)) if !other.is_string() => {
            s.as_str() == other.to_string().as_str()
        }
        _ => false,
    }
}

/// Fields of `desired` owned on `live` by managers other than `field_manager`
/// and holding a different value there.
pub fn detect(live: &Value, desired: &Value, field_manager: &str) -> Vec<Drift> {
    let mut out = Vec::new();
    let entries = live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for entry in entries {
        let manager = entry
            .get("manager")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if manager == field_manager {
            continue;
        }
        let Some(fields) = entry.get("fieldsV1") else {
            continue;
        };
        for path in owned_leaves(fields) {
            if matches!(path.first(), Some(Segment::Field(f)) if f == "status") {
                continue;
            }
            let (Some(want), Some(have)) = (lookup(desired, &path), lookup(live, &path)) else {
                continue;
            };
            if !same(want, have) {
                let drift = Drift {
                    path: display_path(&path),
                    manager: manager.to_string(),
                    live: have.clone(),
                    desired: want.clone(),
                };
                if !out.contains(&drift) {
                    out.push(drift);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "hub", "managedFields": [
                {"manager": "berth", "operation": "Apply", "fieldsV1": {
                    "f:spec": {"f:template": {"f:spec": {"f:containers": {
                        "k:{\"name\":\"hub\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}}},
                {"manager": "kubectl-scale", "operation": "Update", "fieldsV1": {
                    "f:spec": {"f:replicas": {}}}},
                {"manager": "kubectl-edit", "operation": "Update", "fieldsV1": {
                    "f:metadata": {"f:labels": {"f:team": {}}}}}
            ]},
            "spec": {"replicas": 5, "template": {"spec": {"containers": [
                {"name": "hub", "image": "hub:1"}]}}}
        })
    }

    #[test]
    fn another_managers_changed_field_is_drift() {
        let desired = json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [
            {"name": "hub", "image": "hub:2"}]}}}});
        let drift = detect(&live(), &desired, "berth");
        assert_eq!(
            drift,
            vec![Drift {
                path: "spec.replicas".into(),
                manager: "kubectl-scale".into(),
                live: json!(5),
                desired: json!(2),
            }]
        );
    }

    #[test]
    fn same_value_or_field_berth_does_not_set_is_no_drift() {
        let desired = json!({"spec": {"replicas": 5}});
        assert!(detect(&live(), &desired, "berth").is_empty());
        let desired = json!({"spec": {"template": {}}});
        assert!(detect(&live(), &desired, "berth").is_empty());
    }

    #[test]
    fn keyed_list_items_and_paths() {
        let l = live();
        let leaves = owned_leaves(&l["metadata"]["managedFields"][0]["fieldsV1"]);
        let paths: Vec<String> = leaves.iter().map(|p| display_path(p)).collect();
        assert!(paths.contains(&"spec.template.spec.containers[name=hub].image".to_string()));
        let image = lookup(&l, &leaves[0]);
        assert!(image.is_some());
        let mut other = live();
        other["metadata"]["managedFields"][0]["manager"] = json!("helm");
        let desired = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "hub", "image": "hub:2"}]}}}});
        let drift = detect(&other, &desired, "berth");
        assert_eq!(drift.len(), 1);
        assert_eq!(
            drift[0].path,
            "spec.template.spec.containers[name=hub].image"
        );
        assert_eq!(drift[0].manager, "helm");
    }

    #[test]
    fn numbers_and_strings_compare_loosely() {
        assert!(same(&json!(80), &json!("80")));
        assert!(!same(&json!(80), &json!("81")));
    }
}
