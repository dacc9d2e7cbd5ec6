//! Kubernetes objects as berth handles them after rendering: parsed from YAML
//! documents, validated (`apiVersion`, `kind`, `metadata.name`), given the
//! release namespace when namespaced, labelled, and sorted in install order.
//! This module knows nothing of templates, values or the cluster.

pub mod helm;
pub mod order;
pub mod scope;

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

/// Errors turning YAML into objects. Each names the source (template file or record).
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{file}: rendered document {doc} is not valid YAML: {source}")]
    Yaml {
        file: String,
        doc: usize,
        #[source]
        source: serde_yaml_ng::Error,
    },
    #[error("{file}: rendered document {doc} is not valid YAML: {source}")]
    HelmYaml {
        file: String,
        doc: usize,
        #[source]
        source: goenc::yaml::Error,
    },
    #[error("{file}: rendered document {doc} is not a Kubernetes object: {problem}")]
    NotAnObject {
        file: String,
        doc: usize,
        problem: String,
    },
}

/// Parse the YAML documents of one rendered file into validated objects, in
/// document order. Empty documents (blank, comments only, `null`) are dropped.
pub fn parse_documents(yaml: &str, source: &str) -> Result<Vec<Object>, ManifestError> {
    let mut out = Vec::new();
    for (i, doc) in serde_yaml_ng::Deserializer::from_str(yaml).enumerate() {
        let body = serde_json::Value::deserialize(doc).map_err(|e| ManifestError::Yaml {
            file: source.to_string(),
            doc: i + 1,
            source: e,
        })?;
        if body.is_null() {
            continue;
        }
        validate(&body).map_err(|problem| ManifestError::NotAnObject {
            file: source.to_string(),
            doc: i + 1,
            problem,
        })?;
        out.push(Object {
            body,
            source: source.to_string(),
        });
    }
    Ok(out)
}

/// Parse the documents of one Helm chart manifest as Helm's Kubernetes client
/// reads them (sigs.k8s.io/yaml's YAML → JSON: YAML 1.1 scalars, so
/// `defaultMode: 0644` is 420 and `yes` is true; integers stay integers),
/// into validated objects. `null` documents are dropped.
pub fn parse_helm_documents(yaml: &str, source: &str) -> Result<Vec<Object>, ManifestError> {
    let docs = goenc::yaml::manifest_documents(yaml, &goenc::yaml::Limits::default()).map_err(
        |source_err| ManifestError::HelmYaml {
            file: source.to_string(),
            doc: 1,
            source: source_err,
        },
    )?;
    let mut out = Vec::new();
    for (i, body) in docs.into_iter().enumerate() {
        if body.is_null() {
            continue;
        }
        validate(&body).map_err(|problem| ManifestError::NotAnObject {
            file: source.to_string(),
            doc: i + 1,
            problem,
        })?;
        out.push(Object {
            body,
            source: source.to_string(),
        });
    }
    Ok(out)
}

/// Parse a stored multi-document manifest (as [`to_yaml`] writes it) back into
/// objects. Each document's `# Source:` comment, when present, becomes its
/// source; `source` names the manifest in errors and is the fallback.
pub fn parse_manifest(yaml: &str, source: &str) -> Result<Vec<Object>, ManifestError> {
    let mut out = Vec::new();
    let mut chunks: Vec<String> = vec![String::new()];
    for line in yaml.lines() {
        if line == "---" || line.starts_with("--- ") {
            chunks.push(String::new());
            continue;
        }
        if let Some(last) = chunks.last_mut() {
            last.push_str(line);
            last.push('\n');
        }
    }
    for chunk in chunks {
        let origin = chunk
            .lines()
            .find_map(|l| l.strip_prefix("# Source: "))
            .map(str::to_string)
            .unwrap_or_else(|| source.to_string());
        let mut objects = parse_documents(&chunk, &origin).map_err(|e| match e {
            ManifestError::Yaml { doc, source: s, .. } => ManifestError::Yaml {
                file: source.to_string(),
                doc,
                source: s,
            },
            other => other,
        })?;
        out.append(&mut objects);
    }
    Ok(out)
}

/// Check that `body` is a Kubernetes object: a map with `apiVersion`, `kind` and `metadata.name`.
pub fn validate(body: &serde_json::Value) -> Result<(), String> {
    let map = body
        .as_object()
        .ok_or_else(|| "expected a mapping with apiVersion, kind and metadata".to_string())?;
    for key in ["apiVersion", "kind"] {
        match map.get(key) {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {}
            Some(_) => return Err(format!("`{key}` must be a non-empty string")),
            None => return Err(format!("missing `{key}`")),
        }
    }
    let metadata = match map.get("metadata") {
        Some(serde_json::Value::Object(m)) => m,
        Some(_) => return Err("`metadata` must be a mapping".to_string()),
        None => return Err("missing `metadata`".to_string()),
    };
    match metadata.get("name") {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {}
        Some(_) => return Err("`metadata.name` must be a non-empty string".to_string()),
        None => return Err("missing `metadata.name`".to_string()),
    }
    for key in ["labels", "annotations"] {
        if let Some(v) = metadata.get(key) {
            if !v.is_object() && !v.is_null() {
                return Err(format!("`metadata.{key}` must be a mapping"));
            }
            if let Some(m) = v.as_object() {
                if let Some((k, _)) = m.iter().find(|(_, v)| !v.is_string()) {
                    return Err(format!("`metadata.{key}.{k}` must be a string (quote it)"));
                }
            }
        }
    }
    if let Some(ns) = metadata.get("namespace") {
        if !ns.is_string() {
            return Err("`metadata.namespace` must be a string".to_string());
        }
    }
    // Caught here, naming only the key: the API server's own type error would
    // quote the value back, and it would reach the terminal and the records.
    if map.get("kind").and_then(|k| k.as_str()) == Some("Secret") {
        for field in ["data", "stringData"] {
            match map.get(field) {
                None | Some(serde_json::Value::Null) => {}
                Some(serde_json::Value::Object(m)) => {
                    if let Some((k, _)) = m.iter().find(|(_, v)| !v.is_string()) {
                        return Err(format!("`{field}.{k}` must be a string (quote it)"));
                    }
                }
                Some(_) => return Err(format!("`{field}` must be a mapping")),
            }
        }
    }
    Ok(())
}

/// The label every berth object carries: who manages it.
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// The label naming the object's release.
pub const LABEL_RELEASE: &str = "berth.deploy/release";
/// The label naming the object's profile.
pub const LABEL_PROFILE: &str = "berth.deploy/profile";

/// Finish a release's objects: default the namespace of namespaced kinds, add the
/// three berth labels, and sort in install order (stable: ties keep render order).
pub fn prepare(objects: &mut [Object], release: &str, profile: &str, namespace: &str) {
    finish(objects, release, profile, namespace, true);
}

/// [`prepare`] for a Helm chart's objects: the chart's own
/// `app.kubernetes.io/managed-by` label (`Helm`, from `.Release.Service`) is
/// kept, so labels do not change when a release moves from Helm to berth.
pub fn prepare_helm(objects: &mut [Object], release: &str, profile: &str, namespace: &str) {
    finish(objects, release, profile, namespace, false);
}

fn finish(objects: &mut [Object], release: &str, profile: &str, namespace: &str, managed: bool) {
    let custom = scope::cluster_scoped_crds(objects);
    for obj in objects.iter_mut() {
        let cluster = scope::is_cluster_scoped(obj.api_version(), obj.kind(), &custom);
        let Some(meta) = obj
            .body
            .get_mut("metadata")
            .and_then(serde_json::Value::as_object_mut)
        else {
            continue;
        };
        if !cluster && meta.get("namespace").is_none() {
            // Right after `name`, where people look for it.
            let at = meta.keys().position(|k| k == "name").map_or(0, |i| i + 1);
            meta.shift_insert(at, "namespace".into(), namespace.into());
        }
        let labels = meta
            .entry("labels")
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
        if !labels.is_object() {
            *labels = serde_json::Value::Object(Default::default());
        }
        if let Some(labels) = labels.as_object_mut() {
            if managed {
                labels.insert(LABEL_MANAGED_BY.into(), "berth".into());
            }
            labels.insert(LABEL_RELEASE.into(), release.into());
            labels.insert(LABEL_PROFILE.into(), profile.into());
        }
    }
    sort_install_order(objects);
}

/// Sort objects in install order (stable; unknown kinds last, by kind name).
pub fn sort_install_order(objects: &mut [Object]) {
    objects.sort_by(|a, b| {
        let (ra, rb) = (order::install_rank(a.kind()), order::install_rank(b.kind()));
        ra.cmp(&rb).then_with(|| {
            if ra == order::INSTALL_ORDER.len() {
                a.kind().cmp(b.kind())
            } else {
                std::cmp::Ordering::Equal
            }
        })
    });
}

/// Objects as one multi-document YAML manifest, each preceded by `---` and a
/// `# Source:` comment (what [`parse_manifest`] reads back).
pub fn to_yaml(objects: &[Object]) -> String {
    let mut out = String::new();
    for obj in objects {
        out.push_str("---\n# Source: ");
        out.push_str(&obj.source);
        out.push('\n');
        match serde_yaml_ng::to_string(&obj.body) {
            Ok(text) => out.push_str(&text),
            // A serde_json::Value always serialises; keep the output well-formed regardless.
            Err(_) => out.push_str("{}\n"),
        }
    }
    out
}

/// Replace every value under the `data` and `stringData` of Secrets with a
/// placeholder naming its length (`<masked: 12 bytes>`), so rendered output can
/// be shown or logged without the values. Returns how many values were masked.
pub fn mask_secret_values(objects: &mut [Object]) -> usize {
    objects
        .iter_mut()
        .map(|o| mask_secret_body(&mut o.body))
        .sum()
}

/// [`mask_secret_values`] for one object body: a Secret, or a `kind: List`
/// (any `*List` kind) whose `items` hold Secrets at any depth.
pub fn mask_secret_body(body: &mut serde_json::Value) -> usize {
    use base64::Engine as _;
    let kind = body
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or_default();
    if kind.ends_with("List") {
        return match body.get_mut("items").and_then(|i| i.as_array_mut()) {
            Some(items) => items.iter_mut().map(mask_secret_body).sum(),
            None => 0,
        };
    }
    if kind != "Secret" {
        return 0;
    }
    let mut masked = 0;
    for (field, encoded) in [("data", true), ("stringData", false)] {
        let Some(map) = body.get_mut(field).and_then(|v| v.as_object_mut()) else {
            continue;
        };
        for value in map.values_mut() {
            let text = value.as_str().unwrap_or_default();
            let bytes = if encoded {
                base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .map_or(text.len(), |raw| raw.len())
            } else {
                text.len()
            };
            *value = serde_json::Value::String(format!("<masked: {bytes} bytes>"));
            masked += 1;
        }
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_must_be_strings_and_the_error_names_only_the_key() {
        let body = serde_json::json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s"}, "stringData": {"pin": 982451653}});
        let err = validate(&body).expect_err("an int in stringData is refused");
        assert_eq!(err, "`stringData.pin` must be a string (quote it)");
        assert!(!err.contains("982451653"));
        let ok = serde_json::json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s"}, "data": {"a": "aGk="}, "stringData": {"b": "x"}});
        assert!(validate(&ok).is_ok());
    }

    #[test]
    fn secret_values_are_masked_with_their_lengths_and_other_kinds_untouched() {
        let mut objects = vec![
            Object {
                body: serde_json::json!({"apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": "s"},
                    "data": {"a": "aGVsbG8="}, "stringData": {"b": "s3cret-value"}}),
                source: "t.yaml".into(),
            },
            Object {
                body: serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "c"}, "data": {"a": "visible"}}),
                source: "t.yaml".into(),
            },
        ];
        assert_eq!(mask_secret_values(&mut objects), 2);
        assert_eq!(objects[0].body["data"]["a"], "<masked: 5 bytes>");
        assert_eq!(objects[0].body["stringData"]["b"], "<masked: 12 bytes>");
        assert_eq!(objects[1].body["data"]["a"], "visible");
        let text = to_yaml(&objects);
        assert!(!text.contains("s3cret-value") && !text.contains("aGVsbG8="));
    }

    #[test]
    fn parse_prepare_roundtrip() {
        let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# only a comment\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n";
        let mut objs = parse_documents(yaml, "t.yaml").unwrap();
        assert_eq!(objs.len(), 2);
        prepare(&mut objs, "rel", "prof", "jupyter");
        assert_eq!(objs[0].kind(), "Namespace");
        assert_eq!(objs[0].namespace(), None);
        assert_eq!(objs[1].namespace(), Some("jupyter"));
        assert_eq!(
            objs[1]
                .body
                .pointer("/metadata/labels/berth.deploy~1release"),
            Some(&serde_json::json!("rel"))
        );
        let text = to_yaml(&objs);
        let back = parse_manifest(&text, "record").unwrap();
        assert_eq!(back, objs);
    }

    #[test]
    fn invalid_objects_named() {
        let err = parse_documents("kind: ConfigMap\nmetadata: {name: a}\n", "x.yaml").unwrap_err();
        assert!(err.to_string().contains("x.yaml"));
        assert!(err.to_string().contains("apiVersion"));
        let err = parse_documents("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", "x.yaml")
            .unwrap_err();
        assert!(err.to_string().contains("metadata.name"));
    }
}
