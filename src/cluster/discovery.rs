//! Discovery: which kinds a group version serves, their plural names and scope,
//! parsed from an `APIResourceList` (`/api/v1`, `/apis/GROUP/VERSION`). Only the
//! group versions the objects at hand use are fetched, once each, and cached;
//! the cache of a group version is dropped when a CRD may have added kinds.
//!
//! Like kubectl (`~/.kube/cache/discovery`), answers are also kept on disk per
//! server URL for [`DISK_TTL`] ([`DiskCache`]), so a warm run makes no discovery
//! requests. The disk cache is best effort: unreadable or unwritable means "ask
//! the server". A cached group version lacking a wanted kind is refetched, and
//! one a CRD may change is removed when the CRD is applied.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use sha2::Digest as _;

use kube::core::ApiResource;
use serde_json::Value;

use super::request::ResourceInfo;

/// The kinds one group version serves, by kind.
pub type GroupVersionKinds = HashMap<String, ResourceInfo>;

/// How long an on-disk discovery answer is trusted (kubectl: 10 minutes before 1.26).
pub const DISK_TTL: Duration = Duration::from_secs(600);

/// The on-disk discovery cache of one API server:
/// `$XDG_CACHE_HOME/berth/discovery/<sha256 of the server URL>/<group_version>.json`
/// (`~/.cache/...` without `XDG_CACHE_HOME`). Holds only `APIResourceList`
/// documents, never objects.
#[derive(Debug, Clone)]
pub struct DiskCache {
    dir: PathBuf,
}

impl DiskCache {
    /// The cache of the server at `url`; `None` without a cache or home directory.
    pub fn for_server(url: &str) -> Option<DiskCache> {
        let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => {
                PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".cache")
            }
        };
        let digest = sha2::Sha256::digest(url.as_bytes());
        let key: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        Some(DiskCache {
            dir: base.join("berth").join("discovery").join(key),
        })
    }

    fn path(&self, api_version: &str) -> PathBuf {
        self.dir
            .join(format!("{}.json", api_version.replace('/', "_")))
    }

    /// The cached document of a group version, if younger than [`DISK_TTL`].
    pub fn load(&self, api_version: &str) -> Option<Value> {
        let path = self.path(api_version);
        let age = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())?;
        if age > DISK_TTL {
            return None;
        }
        let bytes = std::fs::read(&path).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Keep a group version's document (atomically replaced; errors ignored).
    pub fn store(&self, api_version: &str, doc: &Value) {
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
            tmp.write_all(&serde_json::to_vec(doc).map_err(std::io::Error::other)?)?;
            tmp.persist(self.path(api_version)).map_err(|e| e.error)?;
            Ok(())
        };
        let _ = write();
    }

    /// Drop a group version's document (a CRD may have changed it).
    pub fn forget(&self, api_version: &str) {
        let _ = std::fs::remove_file(self.path(api_version));
    }
}

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

    #[test]
    fn disk_cache_round_trips_and_forgets_per_server() {
        let home = tempfile::tempdir().unwrap();
        let cache = DiskCache {
            dir: home.path().join("a"),
        };
        let other = DiskCache {
            dir: home.path().join("b"),
        };
        let doc =
            serde_json::json!({"resources":[{"name":"widgets","kind":"Widget","namespaced":true}]});
        assert!(cache.load("example.com/v1").is_none());
        cache.store("example.com/v1", &doc);
        assert_eq!(cache.load("example.com/v1"), Some(doc));
        assert!(other.load("example.com/v1").is_none());
        cache.forget("example.com/v1");
        assert!(cache.load("example.com/v1").is_none());
    }
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
