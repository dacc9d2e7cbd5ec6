//! The resource types the test API server knows: the built-in kinds berth deploys
//! and the custom kinds registered by established CRDs. Owns discovery documents
//! (`/api`, `/apis`, group versions, aggregated discovery v2); knows nothing of
//! stored objects.

use serde_json::{json, Value};
use std::collections::BTreeMap;

/// One REST resource (a kind served at a group/version under a plural name).
#[derive(Clone, Debug)]
pub struct ResourceType {
    /// API group ("" for core).
    pub group: String,
    /// Version, e.g. "v1".
    pub version: String,
    /// Kind, e.g. "Deployment".
    pub kind: String,
    /// Plural resource name used in paths, e.g. "deployments".
    pub plural: String,
    /// Singular lower-case name.
    pub singular: String,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Short names kubectl accepts (e.g. "deploy").
    pub short_names: Vec<String>,
    /// Categories (e.g. "all").
    pub categories: Vec<String>,
    /// Whether a `/status` subresource exists.
    pub status: bool,
    /// Whether a `/scale` subresource exists.
    pub scale: bool,
    /// Whether this type came from a CRD.
    pub custom: bool,
}

impl ResourceType {
    /// Whether objects carry `metadata.generation` (bumped on spec changes).
    pub fn has_generation(&self) -> bool {
        self.custom
            || !matches!(
                self.kind.as_str(),
                "Namespace"
                    | "ConfigMap"
                    | "Secret"
                    | "Service"
                    | "ServiceAccount"
                    | "PersistentVolumeClaim"
                    | "Pod"
                    | "Event"
                    | "Role"
                    | "RoleBinding"
                    | "ClusterRole"
                    | "ClusterRoleBinding"
            )
    }
}

impl ResourceType {
    /// `group/version`, or `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
    /// The `Kind` of lists of this resource.
    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }
    /// Key identifying the resource independent of version.
    pub fn key(&self) -> (String, String) {
        (self.group.clone(), self.plural.clone())
    }
}

/// Verbs every resource in this server supports.
pub const VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

#[allow(clippy::too_many_arguments)]
fn rt(
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
    namespaced: bool,
    short: &[&str],
    status: bool,
    scale: bool,
) -> ResourceType {
    let all = matches!(
        kind,
        "Pod"
            | "Service"
            | "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "Job"
            | "CronJob"
            | "HorizontalPodAutoscaler"
    );
    ResourceType {
        group: group.into(),
        version: version.into(),
        kind: kind.into(),
        plural: plural.into(),
        singular: kind.to_lowercase(),
        namespaced,
        short_names: short.iter().map(|s| s.to_string()).collect(),
        categories: if all { vec!["all".into()] } else { vec![] },
        status,
        scale,
        custom: false,
    }
}

/// The built-in kinds served from the start.
pub fn builtins() -> Vec<ResourceType> {
    vec![
        rt(
            "",
            "v1",
            "Namespace",
            "namespaces",
            false,
            &["ns"],
            true,
            false,
        ),
        rt(
            "",
            "v1",
            "ConfigMap",
            "configmaps",
            true,
            &["cm"],
            false,
            false,
        ),
        rt("", "v1", "Secret", "secrets", true, &[], false, false),
        rt("", "v1", "Service", "services", true, &["svc"], true, false),
        rt(
            "",
            "v1",
            "ServiceAccount",
            "serviceaccounts",
            true,
            &["sa"],
            false,
            false,
        ),
        rt(
            "",
            "v1",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            true,
            &["pvc"],
            true,
            false,
        ),
        rt("", "v1", "Pod", "pods", true, &["po"], true, false),
        rt("", "v1", "Event", "events", true, &["ev"], false, false),
        rt(
            "apps",
            "v1",
            "Deployment",
            "deployments",
            true,
            &["deploy"],
            true,
            true,
        ),
        rt(
            "apps",
            "v1",
            "StatefulSet",
            "statefulsets",
            true,
            &["sts"],
            true,
            true,
        ),
        rt(
            "apps",
            "v1",
            "DaemonSet",
            "daemonsets",
            true,
            &["ds"],
            true,
            false,
        ),
        rt(
            "apps",
            "v1",
            "ReplicaSet",
            "replicasets",
            true,
            &["rs"],
            true,
            true,
        ),
        rt("batch", "v1", "Job", "jobs", true, &[], true, false),
        rt(
            "batch",
            "v1",
            "CronJob",
            "cronjobs",
            true,
            &["cj"],
            true,
            false,
        ),
        rt(
            "networking.k8s.io",
            "v1",
            "Ingress",
            "ingresses",
            true,
            &["ing"],
            true,
            false,
        ),
        rt(
            "networking.k8s.io",
            "v1",
            "NetworkPolicy",
            "networkpolicies",
            true,
            &["netpol"],
            false,
            false,
        ),
        rt(
            "rbac.authorization.k8s.io",
            "v1",
            "Role",
            "roles",
            true,
            &[],
            false,
            false,
        ),
        rt(
            "rbac.authorization.k8s.io",
            "v1",
            "RoleBinding",
            "rolebindings",
            true,
            &[],
            false,
            false,
        ),
        rt(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRole",
            "clusterroles",
            false,
            &[],
            false,
            false,
        ),
        rt(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRoleBinding",
            "clusterrolebindings",
            false,
            &[],
            false,
            false,
        ),
        rt(
            "policy",
            "v1",
            "PodDisruptionBudget",
            "poddisruptionbudgets",
            true,
            &["pdb"],
            true,
            false,
        ),
        rt(
            "autoscaling",
            "v2",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
            true,
            &["hpa"],
            true,
            false,
        ),
        rt(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false,
            &["crd", "crds"],
            true,
            false,
        ),
    ]
}

/// All served resource types, indexed by group/version/plural.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    by_path: BTreeMap<(String, String, String), ResourceType>,
    /// group -> ordered versions (preferred first)
    groups: Vec<(String, Vec<String>)>,
}

impl Registry {
    /// A registry holding the built-in kinds.
    pub fn with_builtins() -> Registry {
        let mut r = Registry::default();
        for t in builtins() {
            r.add(t);
        }
        r
    }

    /// Serve a resource type (replacing one with the same group/version/plural).
    pub fn add(&mut self, t: ResourceType) {
        match self.groups.iter_mut().find(|(g, _)| *g == t.group) {
            Some((_, versions)) => {
                if !versions.contains(&t.version) {
                    versions.push(t.version.clone());
                }
            }
            None => self.groups.push((t.group.clone(), vec![t.version.clone()])),
        }
        self.by_path
            .insert((t.group.clone(), t.version.clone(), t.plural.clone()), t);
    }

    /// Stop serving every version of `group`/`plural` that came from a CRD.
    pub fn remove_custom(&mut self, group: &str, plural: &str) {
        self.by_path
            .retain(|(g, _, p), t| !(t.custom && g == group && p == plural));
        let by_path = &self.by_path;
        for (g, versions) in self.groups.iter_mut() {
            versions.retain(|v| by_path.keys().any(|(gg, vv, _)| gg == g && vv == v));
        }
        self.groups.retain(|(_, v)| !v.is_empty());
    }

    /// Look up a resource by group, version and plural.
    pub fn get(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceType> {
        self.by_path
            .get(&(group.to_string(), version.to_string(), plural.to_string()))
    }

    /// Look up a resource by apiVersion and kind.
    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<&ResourceType> {
        let (group, version) = split_api_version(api_version);
        self.by_path
            .values()
            .find(|t| t.group == group && t.version == version && t.kind == kind)
    }

    /// Any served version of `group`/`plural`.
    pub fn by_kind_plural(&self, group: &str, plural: &str) -> Option<&ResourceType> {
        self.by_path
            .values()
            .find(|t| t.group == group && t.plural == plural)
    }

    /// Whether a group/version is served.
    pub fn has_group_version(&self, group: &str, version: &str) -> bool {
        self.groups
            .iter()
            .any(|(g, v)| g == group && v.iter().any(|x| x == version))
    }

    fn resources_in<'a>(
        &'a self,
        group: &'a str,
        version: &'a str,
    ) -> impl Iterator<Item = &'a ResourceType> + 'a {
        self.by_path
            .values()
            .filter(move |t| t.group == group && t.version == version)
    }

    /// `/api`: APIVersions.
    pub fn core_versions(&self, server: &str) -> Value {
        json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server}]
        })
    }

    /// `/apis`: APIGroupList of the named groups.
    pub fn group_list(&self) -> Value {
        let groups: Vec<Value> = self
            .groups
            .iter()
            .filter(|(g, _)| !g.is_empty())
            .map(|(g, versions)| {
                let vs: Vec<Value> = versions
                    .iter()
                    .map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
                    .collect();
                json!({"name": g, "versions": vs, "preferredVersion": vs[0].clone()})
            })
            .collect();
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
    }

    /// `/apis/{group}`: APIGroup.
    pub fn group(&self, group: &str) -> Option<Value> {
        let (_, versions) = self.groups.iter().find(|(g, _)| g == group)?;
        let vs: Vec<Value> = versions
            .iter()
            .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
            .collect();
        Some(
            json!({"kind": "APIGroup", "apiVersion": "v1", "name": group,
                    "versions": vs, "preferredVersion": vs[0].clone()}),
        )
    }

    /// `/api/v1` or `/apis/{group}/{version}`: APIResourceList.
    pub fn resource_list(&self, group: &str, version: &str) -> Option<Value> {
        if !self.has_group_version(group, version) {
            return None;
        }
        let gv = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        let mut resources = Vec::new();
        for t in self.resources_in(group, version) {
            let mut r = json!({
                "name": t.plural, "singularName": t.singular, "namespaced": t.namespaced,
                "kind": t.kind, "verbs": VERBS,
            });
            if !t.short_names.is_empty() {
                r["shortNames"] = json!(t.short_names);
            }
            if !t.categories.is_empty() {
                r["categories"] = json!(t.categories);
            }
            resources.push(r);
            if t.status {
                resources.push(json!({"name": format!("{}/status", t.plural), "singularName": "",
                    "namespaced": t.namespaced, "kind": t.kind, "verbs": ["get", "patch", "update"]}));
            }
            if t.scale {
                resources.push(
                    json!({"name": format!("{}/scale", t.plural), "singularName": "",
                    "namespaced": t.namespaced, "group": "autoscaling", "version": "v1",
                    "kind": "Scale", "verbs": ["get", "patch", "update"]}),
                );
            }
        }
        Some(
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
        )
    }

    /// Aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList) for
    /// `/api` (`core == true`) or `/apis`.
    pub fn aggregated(&self, core: bool) -> Value {
        let mut items = Vec::new();
        for (g, versions) in &self.groups {
            if g.is_empty() != core {
                continue;
            }
            let vs: Vec<Value> = versions
                .iter()
                .map(|v| {
                    let resources: Vec<Value> = self
                        .resources_in(g, v)
                        .map(|t| {
                            let mut subs = Vec::new();
                            if t.status {
                                subs.push(json!({"subresource": "status",
                                    "responseKind": {"group": g, "version": v, "kind": t.kind},
                                    "verbs": ["get", "patch", "update"]}));
                            }
                            if t.scale {
                                subs.push(json!({"subresource": "scale",
                                    "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
                                    "verbs": ["get", "patch", "update"]}));
                            }
                            let mut r = json!({
                                "resource": t.plural,
                                "responseKind": {"group": g, "version": v, "kind": t.kind},
                                "scope": if t.namespaced { "Namespaced" } else { "Cluster" },
                                "singularResource": t.singular,
                                "verbs": VERBS,
                            });
                            if !t.short_names.is_empty() {
                                r["shortNames"] = json!(t.short_names);
                            }
                            if !t.categories.is_empty() {
                                r["categories"] = json!(t.categories);
                            }
                            if !subs.is_empty() {
                                r["subresources"] = json!(subs);
                            }
                            r
                        })
                        .collect();
                    json!({"version": v, "resources": resources, "freshness": "Current"})
                })
                .collect();
            items.push(json!({"metadata": {"name": g, "creationTimestamp": null}, "versions": vs}));
        }
        json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
               "metadata": {}, "items": items})
    }
}

impl Registry {
    /// `/openapi/v3`: the index of group-version documents.
    pub fn openapi_v3_index(&self) -> Value {
        let mut paths = serde_json::Map::new();
        for (g, versions) in &self.groups {
            for v in versions {
                let key = if g.is_empty() {
                    format!("api/{v}")
                } else {
                    format!("apis/{g}/{v}")
                };
                let hash = self.gv_hash(g, v);
                paths.insert(
                    key.clone(),
                    json!({"serverRelativeURL": format!("/openapi/v3/{key}?hash={hash}")}),
                );
            }
        }
        json!({"paths": paths})
    }

    fn gv_hash(&self, group: &str, version: &str) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for t in self.resources_in(group, version) {
            h.update(format!("{}|{}|{}|{};", t.plural, t.kind, t.namespaced, t.status).as_bytes());
        }
        hex::encode(&h.finalize()[..8])
    }

    /// `/openapi/v3/{api/v1|apis/g/v}`: paths with the operations, their
    /// `x-kubernetes-group-version-kind` and query parameters (what kubectl
    /// reads to learn that the server validates fields and which patch types
    /// a kind accepts). Schemas are left open: the server does not validate.
    pub fn openapi_v3_gv(&self, group: &str, version: &str) -> Option<Value> {
        if !self.has_group_version(group, version) {
            return None;
        }
        let prefix = if group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{group}/{version}")
        };
        let param = |name: &str| json!({"name": name, "in": "query", "schema": {"type": "string"}, "uniqueItems": true});
        let write_params = json!([
            param("dryRun"),
            param("fieldManager"),
            param("fieldValidation"),
            param("force")
        ]);
        let mut paths = serde_json::Map::new();
        let mut schemas = serde_json::Map::new();
        for t in self.resources_in(group, version) {
            let gvk = json!({"group": t.group, "version": t.version, "kind": t.kind});
            let schema_name = format!(
                "io.berth.test.{}.{}.{}",
                if t.group.is_empty() { "core" } else { &t.group },
                t.version,
                t.kind
            );
            schemas.insert(
                schema_name.clone(),
                json!({"type": "object", "x-kubernetes-group-version-kind": [gvk.clone()],
                       "x-kubernetes-preserve-unknown-fields": true}),
            );
            let sref = json!({"schema": {"$ref": format!("#/components/schemas/{schema_name}")}});
            let mut content = serde_json::Map::new();
            for ct in [
                "application/apply-patch+yaml",
                "application/json-patch+json",
                "application/merge-patch+json",
            ] {
                content.insert(ct.into(), sref.clone());
            }
            // strategic merge is accepted for built-ins, but not advertised: kubectl
            // then computes it from its compiled-in types instead of these open schemas
            let item = if t.namespaced {
                format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", t.plural)
            } else {
                format!("{prefix}/{}/{{name}}", t.plural)
            };
            let collection = if t.namespaced {
                format!("{prefix}/namespaces/{{namespace}}/{}", t.plural)
            } else {
                format!("{prefix}/{}", t.plural)
            };
            let ok = json!({"200": {"description": "OK", "content": {"application/json": sref.clone()}}});
            paths.insert(item, json!({
                "get": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "get", "responses": ok},
                "put": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "put", "parameters": write_params,
                        "requestBody": {"content": {"application/json": sref.clone()}}, "responses": ok},
                "patch": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "patch", "parameters": write_params,
                          "requestBody": {"content": content}, "responses": ok},
                "delete": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "delete", "parameters": [param("dryRun")], "responses": ok},
            }));
            paths.insert(collection, json!({
                "get": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "list", "responses": ok},
                "post": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "post", "parameters": write_params,
                         "requestBody": {"content": {"application/json": sref.clone()}}, "responses": ok},
            }));
        }
        Some(
            json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"},
                    "paths": paths, "components": {"schemas": schemas}}),
        )
    }
}

/// Split "apps/v1" into ("apps", "v1") and "v1" into ("", "v1").
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

/// Resource types described by a CRD object (one per served version).
pub fn types_from_crd(crd: &Value) -> Vec<ResourceType> {
    let spec = &crd["spec"];
    let group = spec["group"].as_str().unwrap_or_default();
    let names = &spec["names"];
    let kind = names["kind"].as_str().unwrap_or_default();
    let plural = names["plural"].as_str().unwrap_or_default();
    if group.is_empty() || kind.is_empty() || plural.is_empty() {
        return vec![];
    }
    let singular = names["singular"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_lowercase());
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let namespaced = spec["scope"].as_str() != Some("Cluster");
    let mut out = Vec::new();
    let mut versions: Vec<&Value> = spec["versions"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    // storage version first so it becomes the preferred version
    versions.sort_by_key(|v| !v["storage"].as_bool().unwrap_or(false));
    for v in versions {
        if v["served"].as_bool() == Some(false) {
            continue;
        }
        let Some(name) = v["name"].as_str() else {
            continue;
        };
        out.push(ResourceType {
            group: group.into(),
            version: name.into(),
            kind: kind.into(),
            plural: plural.into(),
            singular: singular.clone(),
            namespaced,
            short_names: strings(&names["shortNames"]),
            categories: strings(&names["categories"]),
            status: v["subresources"]["status"].is_object(),
            scale: v["subresources"]["scale"].is_object(),
            custom: true,
        });
    }
    out
}
