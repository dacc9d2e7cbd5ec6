//! Kubernetes objects as berth handles them after rendering: parsed from YAML
//! documents, validated (`apiVersion`, `kind`, `metadata.name`), given the
//! release namespace when namespaced, labelled, and sorted in install order.
//! This module knows nothing of templates, values or the cluster.

pub mod order;

use serde::{Deserialize, Serialize};

/// One rendered Kubernetes object.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The whole object as JSON (`apiVersion`, `kind`, `metadata`, …).
    pub body: serde_json::Value,
    /// Where it came from, e.g. `charts/jupyterhub/templates/hub.yaml`.
    pub source: String,
}

impl Object {
    /// `apiVersion` of the object (validated non-empty at parse time).
    pub fn api_version(&self) -> &str {
        self.body
            .get("apiVersion")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
    }
    /// `kind` of the object.
    pub fn kind(&self) -> &str {
        self.body
            .get("kind")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
    }
    /// `metadata.name` of the object.
    pub fn name(&self) -> &str {
        self.body
            .pointer("/metadata/name")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
    }
    /// `metadata.namespace`, when set.
    pub fn namespace(&self) -> Option<&str> {
        self.body
            .pointer("/metadata/namespace")
            .and_then(|v| v.as_str())
    }
    /// The identity of this object, as stored in inventories.
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef {
            api_version: self.api_version().to_string(),
            kind: self.kind().to_string(),
            namespace: self.namespace().map(str::to_string),
            name: self.name().to_string(),
        }
    }
}

/// The identity of an object: what an inventory records and prune deletes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    /// `Deployment jupyter/hub`, or `ClusterRole hub-reader` when cluster-scoped.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}
