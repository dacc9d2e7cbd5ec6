//! What the cluster has now, read once for a whole plan: how each kind is
//! served (discovery), which namespaces exist, and the live objects of every
//! (kind, namespace) the releases involve (one LIST each, reusing the LISTs a
//! caller already holds). Reads only; compares nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use anyhow::Context as _;
use futures::{stream, StreamExt as _};
use serde_json::Value;

use crate::cluster::{discovery, Cluster, ClusterError, ResourceInfo};
use crate::manifest::ObjectRef;

use super::ReleaseTarget;

/// A kind as the API names it: (apiVersion, kind).
pub(crate) type KindKey = (String, String);

/// An object's identity across apiVersion changes: (kind, namespace, name).
pub(crate) type Identity = (String, Option<String>, String);

pub(crate) fn kind_key(api_version: &str, kind: &str) -> KindKey {
    (api_version.to_string(), kind.to_string())
}

/// Identity of an object across apiVersion changes: kind, namespace, name.
pub(crate) fn identity(r: &ObjectRef) -> Identity {
    (r.kind.clone(), r.namespace.clone(), r.name.clone())
}

/// LIST answers the caller already holds, so the plan need not repeat them.
#[derive(Debug, Default)]
pub struct Listed {
    /// Complete LIST answers by (apiVersion, kind) and namespace (`None`: cluster-wide).
    pub lists: HashMap<(KindKey, Option<String>), Vec<Value>>,
    /// Namespaces known to exist (something was listed in them).
    pub namespaces: HashSet<String>,
}

/// The cluster as a plan sees it.
pub(crate) struct Snapshot {
    /// How each kind in play is served (`None`: not served, e.g. its CRD comes with this rollout).
    pub resources: HashMap<KindKey, Option<ResourceInfo>>,
    /// Namespaces that exist.
    pub namespaces: HashSet<String>,
    /// Live objects by identity.
    pub live: HashMap<Identity, Value>,
}

impl Snapshot {
    /// How `api_version`/`kind` is served, if it is.
    pub fn resource(&self, api_version: &str, kind: &str) -> Option<ResourceInfo> {
        self.resources
            .get(&kind_key(api_version, kind))
            .cloned()
            .flatten()
    }
}

/// Read what `targets` involve. Fails on a kind the cluster does not serve
/// and no CRD of the targets adds.
///
/// Requests: one discovery GET per group version (none when the on-disk
/// discovery cache is warm), one LIST of namespaces unless `listed` knows them
/// all, one LIST per kind and namespace involved that `listed` does not hold.
pub(crate) async fn snapshot(
    cluster: &Cluster,
    targets: &[ReleaseTarget],
    mut listed: Listed,
    concurrency: usize,
) -> anyhow::Result<Snapshot> {
    let conc = concurrency.max(1);
    // Kinds in play, and kinds CRDs of this render will add.
    let mut kinds: BTreeSet<KindKey> = BTreeSet::new();
    let mut crd_kinds: HashSet<KindKey> = HashSet::new();
    kinds.insert(kind_key("v1", "Namespace"));
    for t in targets {
        for o in &t.objects {
            kinds.insert(kind_key(o.api_version(), o.kind()));
            if o.kind() == "CustomResourceDefinition" {
                for (v, k) in discovery::crd_kinds(&o.body) {
                    crd_kinds.insert((v, k));
                }
            }
        }
        for r in &t.inventory {
            kinds.insert(kind_key(&r.api_version, &r.kind));
        }
    }
    let resources = resolve_kinds(cluster, &kinds, conc).await?;
    for t in targets {
        for o in &t.objects {
            let key = kind_key(o.api_version(), o.kind());
            if resources.get(&key).is_none_or(|r| r.is_none()) && !crd_kinds.contains(&key) {
                return Err(ClusterError::UnknownKind {
                    api_version: o.api_version().to_string(),
                    kind: o.kind().to_string(),
                })
                .with_context(|| {
                    format!("release {}: {} (from {})", t.name, o.object_ref(), o.source)
                });
            }
        }
    }
    let ns_res = resources
        .get(&kind_key("v1", "Namespace"))
        .cloned()
        .flatten()
        .ok_or_else(|| ClusterError::UnknownKind {
            api_version: "v1".into(),
            kind: "Namespace".into(),
        })?;
    // Existing namespaces: known from the caller's lists, else one LIST.
    let mut involved: HashSet<&str> = HashSet::new();
    for t in targets {
        involved.insert(&t.namespace);
        for o in &t.objects {
            if let Some(ns) = o.namespace() {
                involved.insert(ns);
            }
        }
        for r in &t.inventory {
            if let Some(ns) = &r.namespace {
                involved.insert(ns);
            }
        }
    }
    let namespaces: HashSet<String> = if involved.iter().all(|n| listed.namespaces.contains(*n)) {
        listed.namespaces.clone()
    } else {
        let items = cluster
            .list(&ns_res, None, None)
            .await
            .context("cannot list namespaces")?;
        let names = items
            .iter()
            .filter_map(|n| n.pointer("/metadata/name").and_then(Value::as_str))
            .map(str::to_string)
            .collect();
        listed
            .lists
            .insert((kind_key("v1", "Namespace"), None), items);
        names
    };

    // What to LIST: (kind, namespace) pairs of desired and inventoried objects.
    let mut lists: BTreeSet<(KindKey, Option<String>)> = BTreeSet::new();
    let mut want = |api_version: &str, kind: &str, ns: Option<&str>| {
        let key = kind_key(api_version, kind);
        if let Some(Some(res)) = resources.get(&key) {
            let ns = if res.namespaced {
                ns.map(str::to_string)
            } else {
                None
            };
            if ns.as_ref().is_none_or(|n| namespaces.contains(n)) {
                lists.insert((key, ns));
            }
        }
    };
    for t in targets {
        for o in &t.objects {
            want(
                o.api_version(),
                o.kind(),
                Some(o.namespace().unwrap_or(&t.namespace)),
            );
        }
        for r in &t.inventory {
            want(&r.api_version, &r.kind, r.namespace.as_deref());
        }
    }
    let mut known = Vec::new();
    lists.retain(|l| match listed.lists.remove(l) {
        Some(items) => {
            known.push(Ok((l.clone(), items)));
            false
        }
        None => true,
    });
    let mut fetched: Vec<anyhow::Result<_>> = stream::iter(lists)
        .map(|(key, ns)| {
            let res = resources.get(&key).cloned().flatten();
            async move {
                let Some(res) = res else {
                    return Ok(((key, ns), Vec::new()));
                };
                let items = cluster
                    .list(&res, ns.as_deref(), None)
                    .await
                    .with_context(|| format!("cannot list {} in {:?}", res.api.plural, ns))?;
                Ok(((key, ns), items))
            }
        })
        .buffer_unordered(conc)
        .collect()
        .await;
    fetched.extend(known);
    let mut live: HashMap<Identity, Value> = HashMap::new();
    for l in fetched {
        let (((_, kind), ns), items) = l?;
        for item in items {
            if let Some(name) = item.pointer("/metadata/name").and_then(Value::as_str) {
                live.insert((kind.clone(), ns.clone(), name.to_string()), item);
            }
        }
    }
    Ok(Snapshot {
        resources,
        namespaces,
        live,
    })
}

/// Resolve `kinds`: one discovery request per group version.
async fn resolve_kinds(
    cluster: &Cluster,
    kinds: &BTreeSet<KindKey>,
    concurrency: usize,
) -> Result<HashMap<KindKey, Option<ResourceInfo>>, ClusterError> {
    let mut gvs: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (v, k) in kinds {
        gvs.entry(v.as_str()).or_default().push(k.as_str());
    }
    let fetched: Vec<Result<_, ClusterError>> = stream::iter(gvs)
        .map(|(gv, wanted)| async move {
            cluster
                .group_version_serving(gv, &wanted)
                .await
                .map(|k| (gv.to_string(), k))
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut by_gv = HashMap::new();
    for f in fetched {
        let (gv, k) = f?;
        by_gv.insert(gv, k);
    }
    Ok(kinds
        .iter()
        .map(|(gv, kind)| {
            let res = by_gv.get(gv).and_then(|k| k.get(kind).cloned());
            ((gv.clone(), kind.clone()), res)
        })
        .collect())
}
