//! `berth deploy`, and the diff/apply engine `diff`, `deploy` and `rollback`
//! share: [`diff_releases`] computes what a deploy would change (server-side
//! dry-run per object against the live objects, prunes from the previous
//! inventory), [`apply_release`] performs it (Namespaces and CRDs first, then
//! install order in concurrent waves, prune in reverse order, wait).
//! The command itself adds the prompt, the guards (context, dirty git tree in
//! CI), the needs DAG across releases and the release records.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::{stream, StreamExt as _};
use serde::Serialize;
use serde_json::{json, Value};

use crate::cluster::{discovery, ApplyOptions, Cluster, ClusterError, ResourceInfo};
use crate::diff::{self, Action, ObjectDiff, Summary};
use crate::manifest::order::install_rank;
use crate::manifest::{Object, ObjectRef};
use crate::ui::progress::ReleaseProgress;

/// Label naming the release an object belongs to.
pub const RELEASE_LABEL: &str = "berth.deploy/release";

/// How many requests are in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// One release as the engine sees it: its objects (install order) and the
/// inventory of its previous deployed revision (what may be pruned).
#[derive(Debug, Clone)]
pub struct ReleaseTarget {
    pub name: String,
    pub namespace: String,
    pub objects: Vec<Object>,
    pub inventory: Vec<ObjectRef>,
}

/// Settings of a diff run.
#[derive(Debug, Clone)]
pub struct DiffSettings {
    /// Field manager of dry-run applies and drift detection.
    pub field_manager: String,
    /// Requests in flight at once.
    pub concurrency: usize,
}

/// One object of a release diff, with what the apply needs.
#[derive(Debug, Clone)]
pub struct Entry {
    pub diff: ObjectDiff,
    /// The object berth applies (`None` for prunes).
    pub desired: Option<Value>,
    /// How to reach it; `None` while its CRD is not yet installed.
    pub resource: Option<ResourceInfo>,
    /// Created by berth because the release namespace is missing (not inventoried).
    pub implicit: bool,
}

/// What a deploy of one release would change.
#[derive(Debug, Clone)]
pub struct ReleaseDiff {
    pub release: String,
    pub namespace: String,
    /// Desired objects in install order, then prunes in reverse install order.
    pub entries: Vec<Entry>,
    pub summary: Summary,
}

impl ReleaseDiff {
    /// The inventory a successful apply leaves: every desired object, implicit namespaces excluded.
    pub fn inventory(&self) -> Vec<ObjectRef> {
        self.entries
            .iter()
            .filter(|e| e.desired.is_some() && !e.implicit)
            .map(|e| e.diff.object.clone())
            .collect()
    }
}

type KindKey = (String, String);

fn kind_key(api_version: &str, kind: &str) -> KindKey {
    (api_version.to_string(), kind.to_string())
}

/// Identity of an object across apiVersion changes: kind, namespace, name.
fn identity(r: &ObjectRef) -> (String, Option<String>, String) {
    (r.kind.clone(), r.namespace.clone(), r.name.clone())
}

/// The object ref of a desired object, with the namespace made explicit for
/// namespaced kinds.
fn desired_ref(obj: &Object, res: Option<&ResourceInfo>, release_ns: &str) -> ObjectRef {
    let mut r = obj.object_ref();
    match res {
        Some(res) if !res.namespaced => r.namespace = None,
        _ if r.namespace.is_none() && res.is_some() => r.namespace = Some(release_ns.to_string()),
        _ => {}
    }
    r
}

/// Resolve the kinds of `refs`: one discovery request per group version.
async fn resolve_kinds(
    cluster: &Cluster,
    kinds: &BTreeSet<KindKey>,
    concurrency: usize,
) -> Result<HashMap<KindKey, Option<ResourceInfo>>, ClusterError> {
    let gvs: BTreeSet<&str> = kinds.iter().map(|(v, _)| v.as_str()).collect();
    let fetched: Vec<Result<_, ClusterError>> = stream::iter(gvs)
        .map(|gv| async move { cluster.group_version(gv).await.map(|k| (gv.to_string(), k)) })
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

/// Compute the diffs of `targets` against the cluster.
///
/// Requests: one discovery GET per group version, one LIST of namespaces,
/// one LIST per kind and namespace involved, one dry-run apply per object
/// whose kind and namespace exist.
pub async fn diff_releases(
    cluster: &Cluster,
    settings: &DiffSettings,
    targets: &[ReleaseTarget],
) -> anyhow::Result<Vec<ReleaseDiff>> {
    let conc = settings.concurrency.max(1);
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
    // Existing namespaces (one LIST).
    let existing_ns: HashSet<String> = cluster
        .list(&ns_res, None, None)
        .await
        .context("cannot list namespaces")?
        .iter()
        .filter_map(|n| n.pointer("/metadata/name").and_then(Value::as_str))
        .map(str::to_string)
        .collect();

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
            if ns.as_ref().is_none_or(|n| existing_ns.contains(n)) {
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
    let listed: Vec<anyhow::Result<_>> = stream::iter(lists)
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
    // Live objects by (kind, namespace, name).
    let mut live: HashMap<(String, Option<String>, String), Value> = HashMap::new();
    for l in listed {
        let (((_, kind), ns), items) = l?;
        for item in items {
            if let Some(name) = item.pointer("/metadata/name").and_then(Value::as_str) {
                live.insert((kind.clone(), ns.clone(), name.to_string()), item);
            }
        }
    }
    let live = Arc::new(live);

    let mut out = Vec::new();
    for t in targets {
        out.push(diff_one(cluster, settings, t, &resources, &existing_ns, &live).await?);
    }
    Ok(out)
}

async fn diff_one(
    cluster: &Cluster,
    settings: &DiffSettings,
    t: &ReleaseTarget,
    resources: &HashMap<KindKey, Option<ResourceInfo>>,
    existing_ns: &HashSet<String>,
    live: &HashMap<(String, Option<String>, String), Value>,
) -> anyhow::Result<ReleaseDiff> {
    let fm = settings.field_manager.as_str();
    let mut entries = Vec::new();
    let rendered_ns: HashSet<&str> = t
        .objects
        .iter()
        .filter(|o| o.kind() == "Namespace")
        .map(|o| o.name())
        .collect();
    if !existing_ns.contains(&t.namespace) && !rendered_ns.contains(t.namespace.as_str()) {
        let ns =
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": t.namespace}});
        let oref = ObjectRef {
            api_version: "v1".into(),
            kind: "Namespace".into(),
            namespace: None,
            name: t.namespace.clone(),
        };
        entries.push(Entry {
            diff: diff::compare(oref, None, Some(&ns), Some(&ns), fm),
            desired: Some(ns),
            resource: resources
                .get(&kind_key("v1", "Namespace"))
                .cloned()
                .flatten(),
            implicit: true,
        });
    }
    // Dry-run every desired object (bounded concurrency, order kept).
    let computed: Vec<anyhow::Result<Entry>> = stream::iter(t.objects.iter())
        .map(|o| {
            let res = resources
                .get(&kind_key(o.api_version(), o.kind()))
                .cloned()
                .flatten();
            async move {
                let oref = desired_ref(o, res.as_ref(), &t.namespace);
                let mut body = o.body.clone();
                if let (Some(ns), Some(meta)) = (
                    oref.namespace.as_ref(),
                    body.get_mut("metadata").and_then(Value::as_object_mut),
                ) {
                    meta.entry("namespace")
                        .or_insert_with(|| Value::String(ns.clone()));
                }
                let current = live.get(&identity(&oref));
                let ns_missing = oref
                    .namespace
                    .as_ref()
                    .is_some_and(|n| !existing_ns.contains(n));
                let result = match &res {
                    // Its CRD or namespace arrives with this deploy: the
                    // server cannot dry-run it yet; show what berth sends.
                    None => body.clone(),
                    Some(_) if ns_missing => body.clone(),
                    Some(res) => cluster
                        .apply(
                            res,
                            &body,
                            &ApplyOptions {
                                field_manager: fm.to_string(),
                                force: true,
                                dry_run: true,
                            },
                        )
                        .await
                        .with_context(|| {
                            format!(
                                "release {}: server-side dry-run of {} (from {}) failed",
                                t.name, oref, o.source
                            )
                        })?,
                };
                Ok(Entry {
                    diff: diff::compare(oref, current, Some(&result), Some(&body), fm),
                    desired: Some(body),
                    resource: res,
                    implicit: false,
                })
            }
        })
        .buffered(settings.concurrency.max(1))
        .collect()
        .await;
    let mut desired_ids = HashSet::new();
    for e in computed {
        let e = e?;
        desired_ids.insert(identity(&e.diff.object));
        entries.push(e);
    }
    // Prunes: inventoried, no longer rendered, still there and still ours.
    let mut prunes = Vec::new();
    for r in &t.inventory {
        if desired_ids.contains(&identity(r)) {
            continue;
        }
        let Some(Some(res)) = resources.get(&kind_key(&r.api_version, &r.kind)) else {
            continue;
        };
        let Some(current) = live.get(&identity(r)) else {
            continue;
        };
        let owner = current
            .pointer(&format!(
                "/metadata/labels/{}",
                RELEASE_LABEL.replace('/', "~1")
            ))
            .and_then(Value::as_str);
        if owner.is_some_and(|o| o != t.name) {
            continue;
        }
        prunes.push(Entry {
            diff: diff::compare(r.clone(), Some(current), None, None, fm),
            desired: None,
            resource: Some(res.clone()),
            implicit: false,
        });
    }
    prunes.sort_by_key(|e| std::cmp::Reverse(install_rank(&e.diff.object.kind)));
    entries.extend(prunes);
    let summary = Summary::of(entries.iter().map(|e| &e.diff));
    Ok(ReleaseDiff {
        release: t.name.clone(),
        namespace: t.namespace.clone(),
        entries,
        summary,
    })
}

/// Settings of an apply.
#[derive(Debug, Clone)]
pub struct ApplySettings {
    pub field_manager: String,
    /// Take ownership of fields other managers own (`--force-conflicts`).
    pub force_conflicts: bool,
    /// Delete what the diff marks for deletion (`--no-prune` turns it off).
    pub prune: bool,
    /// Wait for workloads until this long has passed (`None`: `--no-wait`).
    pub wait: Option<Duration>,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Readiness polling interval.
    pub poll: Duration,
}

/// Counts of what an apply did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ApplyCounts {
    pub created: usize,
    pub configured: usize,
    pub unchanged: usize,
    pub pruned: usize,
    pub waited: usize,
}

/// Apply groups: Namespaces and CRDs first, then one wave per install rank.
/// Objects of one wave are independent and go out concurrently.
pub fn waves(kinds: &[&str]) -> Vec<Vec<usize>> {
    let mut first = Vec::new();
    let mut rest: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, kind) in kinds.iter().enumerate() {
        if matches!(*kind, "Namespace" | "CustomResourceDefinition") {
            first.push(i);
        } else {
            rest.entry(install_rank(kind)).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    if !first.is_empty() {
        out.push(first);
    }
    out.extend(rest.into_values());
    out
}

/// Apply one release's diff: create/configure what changes (Namespaces and
/// CRDs first, CRDs waited for until Established and discovery refreshed, then
/// install order in concurrent waves), prune in reverse install order, wait for
/// workloads. Objects the diff shows unchanged are not written.
/// `rollback` calls this with an old revision's objects.
pub async fn apply_release(
    cluster: &Cluster,
    settings: &ApplySettings,
    diff: &ReleaseDiff,
    progress: &ReleaseProgress,
) -> anyhow::Result<ApplyCounts> {
    let conc = settings.concurrency.max(1);
    let mut counts = ApplyCounts::default();
    let to_apply: Vec<&Entry> = diff
        .entries
        .iter()
        .filter(|e| matches!(e.diff.action, Action::Add | Action::Change) && e.desired.is_some())
        .collect();
    counts.unchanged = diff
        .entries
        .iter()
        .filter(|e| e.diff.action == Action::Unchanged)
        .count();
    let kinds: Vec<&str> = to_apply
        .iter()
        .map(|e| e.diff.object.kind.as_str())
        .collect();
    let opts = ApplyOptions {
        field_manager: settings.field_manager.clone(),
        force: settings.force_conflicts,
        dry_run: false,
    };
    for wave in waves(&kinds) {
        let crd_wave = wave
            .iter()
            .all(|i| matches!(kinds[*i], "Namespace" | "CustomResourceDefinition"));
        let results: Vec<anyhow::Result<(usize, Action)>> = stream::iter(wave.iter().copied())
            .map(|i| {
                let e = to_apply[i];
                let opts = &opts;
                async move {
                    let body = e.desired.as_ref().unwrap_or(&Value::Null);
                    let res = match &e.resource {
                        Some(r) => r.clone(),
                        None => {
                            // Kind from a CRD applied in this run: discover it now.
                            cluster.forget(&e.diff.object.api_version);
                            cluster
                                .resolve(&e.diff.object.api_version, &e.diff.object.kind)
                                .await
                                .with_context(|| format!("cannot apply {}", e.diff.object))?
                        }
                    };
                    cluster.apply(&res, body, opts).await.with_context(|| {
                        format!("release {}: cannot apply {}", diff.release, e.diff.object)
                    })?;
                    progress.step(&format!(
                        "{} {}",
                        if e.diff.action == Action::Add {
                            "created"
                        } else {
                            "configured"
                        },
                        e.diff.object
                    ));
                    Ok((i, e.diff.action))
                }
            })
            .buffer_unordered(conc)
            .collect()
            .await;
        for r in results {
            match r?.1 {
                Action::Add => counts.created += 1,
                _ => counts.configured += 1,
            }
        }
        if crd_wave {
            // CRDs must be Established before their custom objects.
            let crds: Vec<&Entry> = wave
                .iter()
                .map(|i| to_apply[*i])
                .filter(|e| e.diff.object.kind == "CustomResourceDefinition")
                .collect();
            let deadline = Instant::now() + settings.wait.unwrap_or(Duration::from_secs(60));
            for e in crds {
                if let Some(res) = &e.resource {
                    cluster
                        .wait_ready(
                            res,
                            None,
                            &e.diff.object.name,
                            deadline,
                            settings.poll,
                            |s| progress.note(&format!("waiting for {}: {s}", e.diff.object)),
                        )
                        .await
                        .with_context(|| format!("release {}", diff.release))?;
                }
                if let Some(body) = &e.desired {
                    for (gv, _) in discovery::crd_kinds(body) {
                        cluster.forget(&gv);
                    }
                }
            }
        }
    }

    if settings.prune {
        for e in diff
            .entries
            .iter()
            .filter(|e| e.diff.action == Action::Delete)
        {
            let Some(res) = &e.resource else { continue };
            cluster
                .delete(res, e.diff.object.namespace.as_deref(), &e.diff.object.name)
                .await
                .with_context(|| {
                    format!("release {}: cannot prune {}", diff.release, e.diff.object)
                })?;
            counts.pruned += 1;
            progress.step(&format!("pruned {}", e.diff.object));
        }
    }

    if let Some(timeout) = settings.wait {
        let deadline = Instant::now() + timeout;
        let waited: Vec<&Entry> = diff
            .entries
            .iter()
            .filter(|e| e.desired.is_some())
            .filter(|e| {
                matches!(
                    e.diff.object.kind.as_str(),
                    "Deployment" | "StatefulSet" | "DaemonSet" | "Job"
                )
            })
            .collect();
        let results: Vec<anyhow::Result<()>> = stream::iter(waited.iter())
            .map(|e| async move {
                let res = match &e.resource {
                    Some(r) => r.clone(),
                    None => {
                        cluster
                            .resolve(&e.diff.object.api_version, &e.diff.object.kind)
                            .await?
                    }
                };
                cluster
                    .wait_ready(
                        &res,
                        e.diff.object.namespace.as_deref(),
                        &e.diff.object.name,
                        deadline,
                        settings.poll,
                        |s| progress.note(&format!("waiting for {}: {s}", e.diff.object)),
                    )
                    .await
                    .with_context(|| format!("release {}", diff.release))?;
                progress.step(&format!("ready {}", e.diff.object));
                Ok(())
            })
            .buffer_unordered(conc)
            .collect()
            .await;
        for r in results {
            r?;
            counts.waited += 1;
        }
    }
    Ok(counts)
}

/// Run `berth deploy`.
pub fn run(
    _ui: &crate::ui::Ui,
    _global: &crate::cli::GlobalArgs,
    _args: &crate::cli::DeployArgs,
) -> anyhow::Result<crate::action::Exit> {
    anyhow::bail!("`berth deploy` is not wired yet")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_and_crds_first_then_rank_waves() {
        let kinds = [
            "Deployment",
            "Service",
            "CustomResourceDefinition",
            "ConfigMap",
            "Namespace",
            "Service",
            "Notebook",
        ];
        let w = waves(&kinds);
        assert_eq!(w, vec![vec![2, 4], vec![3], vec![1, 5], vec![0], vec![6]]);
        assert!(waves(&[]).is_empty());
    }
}
