//! Discovery: which kinds a group version serves, their plural names and scope,
//! parsed from an `APIResourceList` (`/api/v1`, `/apis/GROUP/VERSION`). Only the
//! group versions the objects at hand use are fetched, once each, and cached;
//! the cache of a group version is dropped when a CRD may have added kinds.

use std::collections::HashMap;

use kube::core::ApiResource;
use serde_json::Value;

use super::request::ResourceInfo;

/// The kinds one group version serves, by kind.
pub type GroupVersionKinds = HashMap<String, ResourceInfo>;

/// Parse an `APIResourceList` document. Subresources (`deployments/scale`) are skipped.
pub fn parse_resource_list(api_version: &str, doc: &Value) -> GroupVersionKinds {
    let (group, version) = match api_version.split_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api_version.to_string()),
    };
    let mut out = GroupVersionKinds::new();
    for r in doc
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = r.get("name").and_then(Value::as_str).unwrap_or_default();
        let kind = r.get("kind").and_then(Value::as_str).unwrap_or_default();
        if name.is_empty() || kind.is_empty() || name.contains('/') {
            continue;
        }
        let namespaced = r
            .get("namespaced")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        out.insert(
            kind.to_string(),
            ResourceInfo {
                api: ApiResource {
                    group: group.clone(),
                    version: version.clone(),
                    api_version: api_version.to_string(),
                    kind: kind.to_string(),
                    plural: name.to_string(),
                },
                namespaced,
            },
        );
    }
    out
}

/// The kinds a CRD object defines, as `(apiVersion, kind)` for each served version.
pub fn crd_kinds(crd: &Value) -> Vec<(String, String)> {
    let group = crd
        .pointer("/spec/group")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = crd
        .pointer("/spec/names/kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    crd.pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.get("served").and_then(Value::as_bool).unwrap_or(true))
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .map(|v| (format!("{group}/{v}"), kind.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_kinds_and_scope_skipping_subresources() {
        let doc = json!({"kind":"APIResourceList","groupVersion":"apps/v1","resources":[
            {"name":"deployments","kind":"Deployment","namespaced":true,"verbs":["get"]},
            {"name":"deployments/scale","kind":"Scale","namespaced":true},
            {"name":"statefulsets","kind":"StatefulSet","namespaced":true}]});
        let kinds = parse_resource_list("apps/v1", &doc);
        assert_eq!(kinds.len(), 2);
        let d = &kinds["Deployment"];
        assert_eq!(d.api.group, "apps");
        assert_eq!(d.api.plural, "deployments");
        assert!(d.namespaced);
        let core = parse_resource_list(
            "v1",
            &json!({"resources":[{"name":"namespaces","kind":"Namespace","namespaced":false}]}),
        );
        assert_eq!(core["Namespace"].api.group, "");
        assert!(!core["Namespace"].namespaced);
    }

    #[test]
    fn crd_defines_served_versions() {
        let crd = json!({"spec":{"group":"example.com","names":{"kind":"Notebook","plural":"notebooks"},
            "versions":[{"name":"v1","served":true},{"name":"v0","served":false}]}});
        assert_eq!(
            crd_kinds(&crd),
            vec![("example.com/v1".to_string(), "Notebook".to_string())]
        );
    }
}
