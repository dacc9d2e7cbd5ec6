//! The plan of a rollout: for each release, what applying its desired objects
//! would change (server-side dry-run of every object against the live one) and
//! what it would prune (inventoried objects no longer rendered, still there and
//! still the release's). Writes nothing to the cluster.

use std::collections::HashSet;

use anyhow::Context as _;
use futures::{stream, StreamExt as _};
use serde_json::{json, Value};

use crate::cluster::{ApplyOptions, Cluster, ResourceInfo};
use crate::diff::{self, ObjectDiff, Summary};
use crate::manifest::order::install_rank;
use crate::manifest::{Object, ObjectRef};

use super::live::{identity, snapshot, Listed, Snapshot};
use super::{ReleaseTarget, DEFAULT_CONCURRENCY};

/// How many releases are planned at once (each keeps `concurrency` requests in flight).
const RELEASES_IN_FLIGHT: usize = 4;

/// Settings of a plan.
#[derive(Debug, Clone)]
pub struct PlanSettings {
    /// Field manager of dry-run applies and drift detection.
    pub field_manager: String,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl PlanSettings {
    /// `field_manager` with the default concurrency.
    pub fn new(field_manager: &str) -> PlanSettings {
        PlanSettings {
            field_manager: field_manager.to_string(),
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// One object of a release plan, with what the apply needs.
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

/// What a rollout of one release would change.
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

/// Plan `targets` against the cluster (results in the order of `targets`).
///
/// Requests: those of reading the cluster (see [`plan_with`]), then one
/// dry-run apply per object whose kind and namespace exist.
pub async fn plan(
    cluster: &Cluster,
    settings: &PlanSettings,
    targets: &[ReleaseTarget],
) -> anyhow::Result<Vec<ReleaseDiff>> {
    plan_with(cluster, settings, targets, Listed::default()).await
}

/// [`plan`] reusing LIST answers in `listed`: the namespace LIST is skipped
/// when every namespace involved is known to exist, and a listed (kind,
/// namespace) is not listed again. Otherwise: one discovery GET per group
/// version (none when the on-disk discovery cache is warm), one LIST of
/// namespaces, one LIST per kind and namespace involved.
pub async fn plan_with(
    cluster: &Cluster,
    settings: &PlanSettings,
    targets: &[ReleaseTarget],
    listed: Listed,
) -> anyhow::Result<Vec<ReleaseDiff>> {
    let now = snapshot(cluster, targets, listed, settings.concurrency).await?;
    let diffs: Vec<anyhow::Result<ReleaseDiff>> = stream::iter(targets)
        .map(|t| plan_release(cluster, settings, t, &now))
        .buffered(RELEASES_IN_FLIGHT)
        .collect()
        .await;
    diffs.into_iter().collect()
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

async fn plan_release(
    cluster: &Cluster,
    settings: &PlanSettings,
    t: &ReleaseTarget,
    now: &Snapshot,
) -> anyhow::Result<ReleaseDiff> {
    let fm = settings.field_manager.as_str();
    let mut entries = Vec::new();
    if let Some(ns) = implicit_namespace(t, now, fm) {
        entries.push(ns);
    }
    // Dry-run every desired object (bounded concurrency, order kept).
    let computed: Vec<anyhow::Result<Entry>> = stream::iter(t.objects.iter())
        .map(|o| desired_entry(cluster, fm, t, o, now))
        .buffered(settings.concurrency.max(1))
        .collect()
        .await;
    let mut desired_ids = HashSet::new();
    for e in computed {
        let e = e?;
        desired_ids.insert(identity(&e.diff.object));
        entries.push(e);
    }
    entries.extend(prunes(t, now, &desired_ids, fm));
    let summary = Summary::of(entries.iter().map(|e| &e.diff));
    Ok(ReleaseDiff {
        release: t.name.clone(),
        namespace: t.namespace.clone(),
        entries,
        summary,
    })
}

/// The release namespace, when it neither exists nor is rendered: berth creates it.
fn implicit_namespace(t: &ReleaseTarget, now: &Snapshot, fm: &str) -> Option<Entry> {
    let rendered = t
        .objects
        .iter()
        .any(|o| o.kind() == "Namespace" && o.name() == t.namespace);
    if now.namespaces.contains(&t.namespace) || rendered {
        return None;
    }
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": t.namespace}});
    let oref = ObjectRef {
        api_version: "v1".into(),
        kind: "Namespace".into(),
        namespace: None,
        name: t.namespace.clone(),
    };
    Some(Entry {
        diff: diff::compare(oref, None, Some(&ns), Some(&ns), fm),
        desired: Some(ns),
        resource: now.resource("v1", "Namespace"),
        implicit: true,
    })
}

/// One desired object: what the server would make of it, compared with the live one.
async fn desired_entry(
    cluster: &Cluster,
    fm: &str,
    t: &ReleaseTarget,
    o: &Object,
    now: &Snapshot,
) -> anyhow::Result<Entry> {
    let res = now.resource(o.api_version(), o.kind());
    let oref = desired_ref(o, res.as_ref(), &t.namespace);
    let mut body = o.body.clone();
    if let (Some(ns), Some(meta)) = (
        oref.namespace.as_ref(),
        body.get_mut("metadata").and_then(Value::as_object_mut),
    ) {
        meta.entry("namespace")
            .or_insert_with(|| Value::String(ns.clone()));
    }
    let current = now.live.get(&identity(&oref));
    let ns_missing = oref
        .namespace
        .as_ref()
        .is_some_and(|n| !now.namespaces.contains(n));
    let result = match &res {
        // Its CRD or namespace arrives with this rollout: the server cannot
        // dry-run it yet; show what berth sends.
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

/// Prunes: inventoried, no longer rendered, still there and still ours; in
/// reverse install order.
fn prunes(
    t: &ReleaseTarget,
    now: &Snapshot,
    desired: &HashSet<super::live::Identity>,
    fm: &str,
) -> Vec<Entry> {
    let label = format!(
        "/metadata/labels/{}",
        crate::manifest::LABEL_RELEASE.replace('/', "~1")
    );
    let mut prunes = Vec::new();
    for r in &t.inventory {
        if desired.contains(&identity(r)) {
            continue;
        }
        let Some(res) = now.resource(&r.api_version, &r.kind) else {
            continue;
        };
        let Some(current) = now.live.get(&identity(r)) else {
            continue;
        };
        let owner = current.pointer(&label).and_then(Value::as_str);
        if owner.is_some_and(|o| o != t.name) {
            continue;
        }
        prunes.push(Entry {
            diff: diff::compare(r.clone(), Some(current), None, None, fm),
            desired: None,
            resource: Some(res),
            implicit: false,
        });
    }
    prunes.sort_by_key(|e| std::cmp::Reverse(install_rank(&e.diff.object.kind)));
    prunes
}
