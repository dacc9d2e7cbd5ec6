//! Install order of kinds, as Helm orders them: namespaces and cluster-wide
//! prerequisites first, workloads after their config, then the rest.

/// Helm's `InstallOrder` (pkg/release/v1/util/kind_sorter.go), which Helm
/// charts' manifests and hooks are sorted by. Unknown kinds go last, by name.
pub const HELM_INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Kinds in berth's install order (its own charts' objects): Helm's list
/// from `Namespace` to `APIService`. Kinds not listed install after all of these.
pub const INSTALL_ORDER: &[&str] = HELM_INSTALL_ORDER
    .split_at(1)
    .1
    .split_at(HELM_INSTALL_ORDER.len() - 3)
    .0;

/// Rank of a kind in install order (lower installs first; unknown kinds last).
pub fn install_rank(kind: &str) -> usize {
    INSTALL_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(INSTALL_ORDER.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_first_unknown_last() {
        assert!(install_rank("Namespace") < install_rank("Deployment"));
        assert!(install_rank("Secret") < install_rank("Deployment"));
        assert!(install_rank("CustomResourceDefinition") < install_rank("Service"));
        assert_eq!(install_rank("Notebook"), INSTALL_ORDER.len());
    }

    #[test]
    fn berths_order_is_helms_from_namespace_to_apiservice() {
        assert_eq!(INSTALL_ORDER.first(), Some(&"Namespace"));
        assert_eq!(INSTALL_ORDER.last(), Some(&"APIService"));
        assert_eq!(INSTALL_ORDER.len(), HELM_INSTALL_ORDER.len() - 3);
    }
}
