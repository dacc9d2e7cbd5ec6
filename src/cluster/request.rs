//! Request building: pure functions from a resource, a namespace and an object
//! to an `http::Request`, unit-tested without I/O. URLs and query parameters
//! come from `kube::core` (the same code kube's typed `Api` uses).

use kube::core::params::{DeleteParams, ListParams, Patch, PatchParams, PropagationPolicy};
use kube::core::{ApiResource, DynamicObject, Request, Resource};

use super::ClusterError;

/// A discovered resource: how to reach a kind, and whether it is namespaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    /// Group, version, kind and plural.
    pub api: ApiResource,
    /// Whether objects of this kind live in a namespace.
    pub namespaced: bool,
}

/// The collection URL of `res` in `namespace` (ignored for cluster-scoped kinds;
/// `None` lists across all namespaces).
pub fn collection_url(res: &ResourceInfo, namespace: Option<&str>) -> String {
    let ns = if res.namespaced { namespace } else { None };
    <DynamicObject as Resource>::url_path(&res.api, ns)
}

/// The discovery URL of a group version: `/api/v1` or `/apis/GROUP/VERSION`.
pub fn discovery_url(api_version: &str) -> String {
    if api_version.contains('/') {
        format!("/apis/{api_version}")
    } else {
        format!("/api/{api_version}")
    }
}

/// GET a discovery document.
pub fn discovery(api_version: &str) -> http::Request<Vec<u8>> {
    let mut req = http::Request::new(Vec::new());
    *req.method_mut() = http::Method::GET;
    *req.uri_mut() = discovery_url(api_version)
        .parse()
        .unwrap_or_else(|_| http::Uri::from_static("/api"));
    req.headers_mut().insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static("application/json"),
    );
    req
}

fn build(
    what: &str,
    r: Result<http::Request<Vec<u8>>, kube::core::request::Error>,
) -> Result<http::Request<Vec<u8>>, ClusterError> {
    r.map_err(|source| ClusterError::BuildRequest {
        what: what.to_string(),
        source,
    })
}

/// LIST `res` in `namespace`, optionally filtered by a label selector.
pub fn list(
    res: &ResourceInfo,
    namespace: Option<&str>,
    label_selector: Option<&str>,
) -> Result<http::Request<Vec<u8>>, ClusterError> {
    let mut lp = ListParams::default();
    if let Some(sel) = label_selector {
        lp = lp.labels(sel);
    }
    build(
        &format!("list {}", res.api.plural),
        Request::new(collection_url(res, namespace)).list(&lp),
    )
}

/// GET one object.
pub fn get(
    res: &ResourceInfo,
    namespace: Option<&str>,
    name: &str,
) -> Result<http::Request<Vec<u8>>, ClusterError> {
    build(
        &format!("get {} {name}", res.api.kind),
        Request::new(collection_url(res, namespace)).get(name, &Default::default()),
    )
}

/// Options of a server-side apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// The field manager (`berth` unless berth.yaml says otherwise).
    pub field_manager: String,
    /// Take ownership of fields other managers own.
    pub force: bool,
    /// `dryRun=All`: the server computes the result and stores nothing.
    pub dry_run: bool,
}

/// PATCH `object` as a server-side apply (`application/apply-patch+yaml`).
pub fn apply(
    res: &ResourceInfo,
    object: &serde_json::Value,
    opts: &ApplyOptions,
) -> Result<http::Request<Vec<u8>>, ClusterError> {
    let name = object
        .pointer("/metadata/name")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let namespace = object
        .pointer("/metadata/namespace")
        .and_then(|v| v.as_str());
    let pp = PatchParams {
        dry_run: opts.dry_run,
        force: opts.force,
        field_manager: Some(opts.field_manager.clone()),
        field_validation: None,
    };
    build(
        &format!("apply {} {name}", res.api.kind),
        Request::new(collection_url(res, namespace)).patch(name, &pp, &Patch::Apply(object)),
    )
}

/// DELETE one object (background propagation, as kubectl does).
pub fn delete(
    res: &ResourceInfo,
    namespace: Option<&str>,
    name: &str,
) -> Result<http::Request<Vec<u8>>, ClusterError> {
    let dp = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..Default::default()
    };
    build(
        &format!("delete {} {name}", res.api.kind),
        Request::new(collection_url(res, namespace)).delete(name, &dp),
    )
}

/// A copy of a request (bodies are plain bytes), for sending it again.
pub fn clone_request(req: &http::Request<Vec<u8>>) -> http::Request<Vec<u8>> {
    let mut out = http::Request::new(req.body().clone());
    *out.method_mut() = req.method().clone();
    *out.uri_mut() = req.uri().clone();
    *out.headers_mut() = req.headers().clone();
    *out.version_mut() = req.version();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployments() -> ResourceInfo {
        ResourceInfo {
            api: ApiResource {
                group: "apps".into(),
                version: "v1".into(),
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                plural: "deployments".into(),
            },
            namespaced: true,
        }
    }

    fn namespaces() -> ResourceInfo {
        ResourceInfo {
            api: ApiResource {
                group: "".into(),
                version: "v1".into(),
                api_version: "v1".into(),
                kind: "Namespace".into(),
                plural: "namespaces".into(),
            },
            namespaced: false,
        }
    }

    #[test]
    fn urls_for_namespaced_and_cluster_kinds() {
        assert_eq!(
            collection_url(&deployments(), Some("jupyter")),
            "/apis/apps/v1/namespaces/jupyter/deployments"
        );
        assert_eq!(
            collection_url(&namespaces(), Some("ignored")),
            "/api/v1/namespaces"
        );
        assert_eq!(discovery_url("v1"), "/api/v1");
        assert_eq!(discovery_url("apps/v1"), "/apis/apps/v1");
    }

    #[test]
    fn apply_is_a_server_side_apply_patch() {
        let obj = json!({"apiVersion":"apps/v1","kind":"Deployment",
            "metadata":{"name":"hub","namespace":"jupyter"}});
        let req = apply(
            &deployments(),
            &obj,
            &ApplyOptions {
                field_manager: "berth".into(),
                force: true,
                dry_run: true,
            },
        )
        .unwrap();
        assert_eq!(req.method(), http::Method::PATCH);
        assert_eq!(
            req.headers()[http::header::CONTENT_TYPE],
            "application/apply-patch+yaml"
        );
        let uri = req.uri().to_string();
        assert!(
            uri.starts_with("/apis/apps/v1/namespaces/jupyter/deployments/hub?"),
            "{uri}"
        );
        assert!(uri.contains("dryRun=All"), "{uri}");
        assert!(uri.contains("force=true"), "{uri}");
        assert!(uri.contains("fieldManager=berth"), "{uri}");
        let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
        assert_eq!(body, obj);
    }

    #[test]
    fn real_apply_has_no_dry_run_and_no_force() {
        let obj = json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"jupyter"}});
        let req = apply(
            &namespaces(),
            &obj,
            &ApplyOptions {
                field_manager: "berth".into(),
                force: false,
                dry_run: false,
            },
        )
        .unwrap();
        let uri = req.uri().to_string();
        assert!(uri.starts_with("/api/v1/namespaces/jupyter?"), "{uri}");
        assert!(!uri.contains("dryRun"), "{uri}");
        assert!(!uri.contains("force"), "{uri}");
    }

    #[test]
    fn list_with_selector_and_delete() {
        let req = list(&deployments(), Some("ns"), Some("a=b")).unwrap();
        assert_eq!(req.method(), http::Method::GET);
        assert_eq!(
            req.uri().to_string(),
            "/apis/apps/v1/namespaces/ns/deployments?&labelSelector=a%3Db"
        );
        let req = delete(&deployments(), Some("ns"), "hub").unwrap();
        assert_eq!(req.method(), http::Method::DELETE);
        assert!(req
            .uri()
            .to_string()
            .starts_with("/apis/apps/v1/namespaces/ns/deployments/hub"));
        let body: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
        assert_eq!(body["propagationPolicy"], "Background");
        let copy = clone_request(&req);
        assert_eq!(copy.uri(), req.uri());
        assert_eq!(copy.body(), req.body());
    }
}
