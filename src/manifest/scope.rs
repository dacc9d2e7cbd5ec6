//! Which kinds are cluster-scoped: a built-in table of Kubernetes kinds plus
//! the custom kinds that CRDs in the same render declare with `scope: Cluster`.
//! (Cluster discovery, when available, is the cluster module's business.)

use std::collections::BTreeSet;

use super::Object;

/// Built-in cluster-scoped kinds (any API group).
pub const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "RuntimeClass",
    "PodSecurityPolicy",
    "CertificateSigningRequest",
    "FlowSchema",
    "PriorityLevelConfiguration",
    "ComponentStatus",
    "TokenReview",
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
    "SubjectAccessReview",
    "ClusterTrustBundle",
    "DeviceClass",
    "StorageVersionMigration",
];

/// `(group, kind)` of every CRD among `objects` whose `spec.scope` is `Cluster`.
pub fn cluster_scoped_crds(objects: &[Object]) -> BTreeSet<(String, String)> {
    objects
        .iter()
        .filter(|o| o.kind() == "CustomResourceDefinition")
        .filter(|o| o.body.pointer("/spec/scope").and_then(|v| v.as_str()) == Some("Cluster"))
        .filter_map(|o| {
            let group = o.body.pointer("/spec/group")?.as_str()?;
            let kind = o.body.pointer("/spec/names/kind")?.as_str()?;
            Some((group.to_string(), kind.to_string()))
        })
        .collect()
}

/// Whether objects of `api_version`/`kind` are cluster-scoped.
pub fn is_cluster_scoped(
    api_version: &str,
    kind: &str,
    custom: &BTreeSet<(String, String)>,
) -> bool {
    if CLUSTER_SCOPED.contains(&kind) {
        return true;
    }
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    custom.contains(&(group.to_string(), kind.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_and_crd_scopes() {
        let crd = Object {
            body: serde_json::json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "widgets.example.com"},
                "spec": {"group": "example.com", "scope": "Cluster", "names": {"kind": "Widget"}}}),
            source: "crd.yaml".into(),
        };
        let custom = cluster_scoped_crds(&[crd]);
        assert!(is_cluster_scoped("example.com/v1", "Widget", &custom));
        assert!(!is_cluster_scoped("other.com/v1", "Widget", &custom));
        assert!(is_cluster_scoped(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            &custom
        ));
        assert!(!is_cluster_scoped("apps/v1", "Deployment", &custom));
    }
}
