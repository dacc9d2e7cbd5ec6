//! Install order of kinds, as Helm orders them: namespaces and cluster-wide
//! prerequisites first, workloads after their config, then the rest.

/// Kinds in install order. Kinds not listed install after all of these.
pub const INSTALL_ORDER: &[&str] = &[
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
];

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
}
