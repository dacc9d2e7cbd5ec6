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

use crate::action::lifecycle::{connect, Connected, Selected};
use crate::action::render::{render, RenderRequest, Rendered, RenderedRelease};
use crate::action::{runtime, Exit};
use crate::cli::{ApplyArgs, ClusterArgs, DeployArgs, DiffDisplayArgs, GlobalArgs};
use crate::cluster::{discovery, ApplyOptions, Cluster, ClusterError, ResourceInfo};
use crate::diff::{self, render_object, Action, ObjectDiff, RenderOptions, Summary};
use crate::git::GitInfo;
use crate::manifest::order::install_rank;
use crate::manifest::{Object, ObjectRef};
use crate::release::{from_secret, Record, RecordMeta, Releases, SECRET_TYPE};
use crate::ui::progress::{Progress, ReleaseProgress};
use crate::ui::Ui;
use crate::workspace::Workspace;

/// How many requests of one release are in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// How many releases are diffed at once.
const RELEASES_IN_FLIGHT: usize = 4;

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

/// LIST answers the caller already holds, so the diff need not repeat them.
#[derive(Debug, Default)]
pub struct Listed {
    /// Complete LIST answers by (apiVersion, kind) and namespace (`None`: cluster-wide).
    pub lists: HashMap<(KindKey, Option<String>), Vec<Value>>,
    /// Namespaces known to exist (something was listed in them).
    pub namespaces: HashSet<String>,
}

/// Compute the diffs of `targets` against the cluster.
///
/// Requests: one discovery GET per group version (none when the on-disk
/// discovery cache is warm), one LIST of namespaces, one LIST per kind and
/// namespace involved, one dry-run apply per object whose kind and namespace
/// exist.
pub async fn diff_releases(
    cluster: &Cluster,
    settings: &DiffSettings,
    targets: &[ReleaseTarget],
) -> anyhow::Result<Vec<ReleaseDiff>> {
    diff_releases_with(cluster, settings, targets, Listed::default()).await
}

/// [`diff_releases`] reusing LIST answers in `listed`: the namespace LIST is
/// skipped when every namespace involved is known to exist, and a listed
/// (kind, namespace) is not listed again.
pub async fn diff_releases_with(
    cluster: &Cluster,
    settings: &DiffSettings,
    targets: &[ReleaseTarget],
    mut listed: Listed,
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
    let existing_ns: HashSet<String> = if involved.iter().all(|n| listed.namespaces.contains(*n)) {
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
    // Live objects by (kind, namespace, name).
    let mut live: HashMap<(String, Option<String>, String), Value> = HashMap::new();
    for l in fetched {
        let (((_, kind), ns), items) = l?;
        for item in items {
            if let Some(name) = item.pointer("/metadata/name").and_then(Value::as_str) {
                live.insert((kind.clone(), ns.clone(), name.to_string()), item);
            }
        }
    }
    let live = Arc::new(live);

    // Several releases at once (each keeps `concurrency` requests in flight),
    // results in plan order.
    let diffs: Vec<anyhow::Result<ReleaseDiff>> = stream::iter(targets)
        .map(|t| diff_one(cluster, settings, t, &resources, &existing_ns, &live))
        .buffered(RELEASES_IN_FLIGHT)
        .collect()
        .await;
    diffs.into_iter().collect()
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
                crate::manifest::LABEL_RELEASE.replace('/', "~1")
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
        // The release namespace berth adds on its own is created before the records.
        .filter(|e| !e.implicit)
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
                            // Kind from a CRD applied in this run: discover it now (the
                            // CRD wave forgot its group version once it was Established).
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
            // CRDs were waited for (Established) before anything else applied.
            .filter(|e| {
                let kind = e.diff.object.kind.as_str();
                crate::cluster::ready::is_waited_kind(kind) && kind != "CustomResourceDefinition"
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

// ---------------------------------------------------------------------------
// The commands: what `diff` and `deploy` share before any write (prepare),
// then the deploy itself.

/// Rendered releases, their records and their diffs against the cluster.
pub(crate) struct Prepared {
    pub rendered: Rendered,
    pub cluster: Cluster,
    pub releases: Releases,
    /// Newest deployed record per rendered release (same order).
    pub current: Vec<Option<Record>>,
    pub diffs: Vec<ReleaseDiff>,
}

/// Plan, connect, guard the context, read the records, render, diff.
pub(crate) async fn prepare(
    global: &GlobalArgs,
    profiles: &[String],
    values: &crate::cli::ValueArgs,
    cluster_args: &ClusterArgs,
) -> anyhow::Result<Prepared> {
    let selected = Selected::open(global.workspace.as_deref(), profiles, cluster_args)?;
    let Connected { cluster, releases } = connect(cluster_args, &selected.workspace).await?;
    selected.check_context(&cluster)?;
    let plan = &selected.plan;
    // Records: the base of the diff (inventory) and the next revision numbers,
    // read with one LIST per namespace for all its releases.
    // (Selected::open applied any -n override to the plan.)
    let namespaces: BTreeSet<String> = plan.releases.iter().map(|r| r.namespace.clone()).collect();
    let (records, listed) = read_records(&cluster, &namespaces).await?;
    let mut revisions = BTreeMap::new();
    let mut current_by_release = HashMap::new();
    let mut prune_bases = HashMap::new();
    for r in &plan.releases {
        let mut history = records
            .get(&(r.namespace.clone(), r.name.clone()))
            .cloned()
            .unwrap_or_default();
        history.sort_by_key(|h| h.revision);
        let next = history.last().map_or(0, |h| h.revision) + 1;
        revisions.insert(r.name.clone(), next);
        // Prune against the last deployed inventory plus what failed attempts since
        // then applied: objects a failed deploy created must not outlive their templates.
        prune_bases.insert(r.name.clone(), crate::release::prune_base(&history));
        let current = crate::release::current(&history).cloned();
        current_by_release.insert(r.name.clone(), current);
    }
    let rendered = render(&RenderRequest {
        workspace: global.workspace.as_deref(),
        profiles,
        values,
        namespace: cluster_args.namespace.as_deref(),
        revisions: &revisions,
    })?;
    let current: Vec<Option<Record>> = rendered
        .releases
        .iter()
        .map(|r| current_by_release.remove(&r.name).flatten())
        .collect();
    let targets: Vec<ReleaseTarget> = rendered
        .releases
        .iter()
        .map(|r| ReleaseTarget {
            name: r.name.clone(),
            namespace: r.namespace.clone(),
            objects: r.objects.clone(),
            inventory: prune_bases.remove(&r.name).unwrap_or_default(),
        })
        .collect();
    let diffs = diff_releases_with(
        &cluster,
        &DiffSettings {
            field_manager: rendered.workspace.settings.field_manager.clone(),
            concurrency: DEFAULT_CONCURRENCY,
        },
        &targets,
        listed,
    )
    .await?;
    Ok(Prepared {
        rendered,
        cluster,
        releases,
        current,
        diffs,
    })
}

/// Records by (namespace, release).
type RecordsByRelease = HashMap<(String, String), Vec<Record>>;

/// Every release record in `namespaces`, by (namespace, release): one LIST of
/// all Secrets per namespace (records are those of type [`SECRET_TYPE`]
/// labelled `owner=berth`). The Secret lists are returned too, so the diff
/// reuses them instead of listing Secrets again; a namespace holding any
/// Secret is known to exist.
async fn read_records(
    cluster: &Cluster,
    namespaces: &BTreeSet<String>,
) -> anyhow::Result<(RecordsByRelease, Listed)> {
    let secrets = cluster.resolve("v1", "Secret").await?;
    let mut out: RecordsByRelease = HashMap::new();
    let mut listed = Listed::default();
    for ns in namespaces {
        let items = cluster
            .list(&secrets, Some(ns), None)
            .await
            .with_context(|| format!("cannot read the release records in namespace {ns}"))?;
        for item in &items {
            if item
                .pointer("/metadata/labels/owner")
                .and_then(Value::as_str)
                != Some("berth")
            {
                continue;
            }
            if item.get("type").and_then(Value::as_str) != Some(SECRET_TYPE) {
                continue;
            }
            let name = item
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let secret: k8s_openapi::api::core::v1::Secret =
                serde_json::from_value(item.clone())
                    .with_context(|| format!("release record {ns}/{name} is not a Secret"))?;
            let record = from_secret(&secret)
                .with_context(|| format!("cannot read release record {ns}/{name}"))?
                .record;
            out.entry((ns.clone(), record.release.clone()))
                .or_default()
                .push(record);
        }
        if !items.is_empty() {
            listed.namespaces.insert(ns.clone());
        }
        listed
            .lists
            .insert((kind_key("v1", "Secret"), Some(ns.clone())), items);
    }
    Ok((out, listed))
}

/// Print the diffs as text (changed objects and a summary line): to stdout, or
/// to stderr when stdout carries the JSON result.
pub(crate) fn print_diffs(
    ui: &Ui,
    diffs: &[ReleaseDiff],
    display: &DiffDisplayArgs,
) -> anyhow::Result<Summary> {
    // The diff goes to stdout, or to stderr when stdout carries the JSON result.
    if ui.json() {
        write_diffs(
            ui,
            diffs,
            display,
            ui.color_stderr(),
            &mut std::io::stderr(),
        )
    } else {
        write_diffs(
            ui,
            diffs,
            display,
            ui.color_stdout(),
            &mut std::io::stdout(),
        )
    }
}

/// Write the diffs to `out`; returns the summary of all of them.
fn write_diffs(
    ui: &Ui,
    diffs: &[ReleaseDiff],
    display: &DiffDisplayArgs,
    color: bool,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<Summary> {
    let opts = RenderOptions {
        color,
        show_secrets: display.show_secrets,
        context_lines: display.context_lines,
    };
    // Buffered: a 1,000-object first deploy prints ~15,000 lines, which a
    // line-buffered stdout wrote with one syscall each.
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    let mut total = Summary::default();
    for d in diffs {
        total.merge(d.summary);
        for e in &d.entries {
            if e.diff.action == Action::Unchanged {
                // Keep the order when both go to one terminal.
                out.flush()?;
                ui.detail(format!("= {} (unchanged)", e.diff.object));
                continue;
            }
            out.write_all(render_object(&e.diff, &opts).as_bytes())?;
        }
    }
    if total.has_changes() {
        writeln!(out, "{total}")?;
    } else {
        writeln!(out, "No changes: {} object(s) up to date.", total.unchanged)?;
    }
    out.flush()?;
    Ok(total)
}

/// `deploy` refuses a dirty tree under CI unless `--allow-dirty`.
fn check_dirty(git: &GitInfo, allow_dirty: bool) -> anyhow::Result<()> {
    let ci = std::env::var("CI")
        .map(|v| !v.is_empty() && v != "false" && v != "0")
        .unwrap_or(false);
    match dirty_refusal(ci, git, allow_dirty) {
        Some(msg) => Err(anyhow::anyhow!(msg)),
        None => Ok(()),
    }
}

/// The refusal message for a dirty tree under CI, naming up to five paths.
fn dirty_refusal(ci: bool, git: &GitInfo, allow_dirty: bool) -> Option<String> {
    if !ci || !git.dirty || allow_dirty {
        return None;
    }
    let mut paths: Vec<String> = git
        .dirty_paths
        .iter()
        .take(5)
        .map(|p| p.display().to_string())
        .collect();
    if git.dirty_paths.len() > 5 {
        paths.push(format!("and {} more", git.dirty_paths.len() - 5));
    }
    Some(format!(
        "refusing to deploy from a dirty git tree with CI set: {} (commit them, or pass --allow-dirty)",
        paths.join(", ")
    ))
}

/// Parse `--timeout`: `300`, `300s`, `5m`, `1h`, `1m30s`.
pub fn parse_timeout(text: &str) -> anyhow::Result<Duration> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut num = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num
            .parse()
            .map_err(|_| anyhow::anyhow!("invalid --timeout {text:?}: use e.g. 300s, 5m, 1h"))?;
        num.clear();
        total += match c {
            's' => n,
            'm' => n * 60,
            'h' => n * 3600,
            _ => anyhow::bail!("invalid --timeout {text:?}: use e.g. 300s, 5m, 1h"),
        };
    }
    if !num.is_empty() || t.is_empty() {
        anyhow::bail!("invalid --timeout {text:?}: use e.g. 300s, 5m, 1h");
    }
    Ok(Duration::from_secs(total))
}

/// The apply settings of `ApplyArgs`.
pub fn apply_settings(args: &ApplyArgs, field_manager: &str) -> anyhow::Result<ApplySettings> {
    Ok(ApplySettings {
        field_manager: field_manager.to_string(),
        force_conflicts: args.force_conflicts,
        prune: !args.no_prune,
        wait: if args.no_wait {
            None
        } else {
            Some(parse_timeout(&args.timeout)?)
        },
        concurrency: DEFAULT_CONCURRENCY,
        poll: Duration::from_millis(250),
    })
}

/// The outcome of one release in a deploy (the JSON summary row).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseOutcome {
    pub release: String,
    pub namespace: String,
    /// The revision recorded (the current one when unchanged; absent when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<u32>,
    /// `deployed`, `unchanged`, `failed`, `skipped` or `dry-run`.
    pub status: &'static str,
    pub changes: Summary,
    pub counts: ApplyCounts,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The JSON document of `deploy --output json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DeployJson<'a> {
    context: &'a str,
    profiles: &'a [String],
    changes: bool,
    summary: Summary,
    releases: &'a [ReleaseOutcome],
}

struct DeployOne<'a> {
    cluster: &'a Cluster,
    releases: &'a Releases,
    settings: &'a ApplySettings,
    ui: &'a Ui,
    progress: &'a Progress,
    git: &'a GitInfo,
    /// `--atomic`: roll a failed release back to its previous deployed revision.
    atomic: bool,
}

impl DeployOne<'_> {
    /// Deploy one release: namespace, lease and pending record, apply, record.
    async fn run(
        &self,
        rr: &RenderedRelease,
        diff: &ReleaseDiff,
        current: Option<&Record>,
    ) -> anyhow::Result<ReleaseOutcome> {
        let started = Instant::now();
        let manifest = rr.manifest();
        let record_current = current.is_some_and(|c| c.manifest == manifest);
        let mut outcome = ReleaseOutcome {
            release: rr.name.clone(),
            namespace: rr.namespace.clone(),
            revision: current.map(|c| c.revision),
            status: "unchanged",
            changes: diff.summary,
            counts: ApplyCounts {
                unchanged: diff.summary.unchanged,
                ..Default::default()
            },
            duration_ms: 0,
            error: None,
        };
        if !diff.summary.has_changes() && record_current {
            return Ok(outcome);
        }
        let steps = diff.entries.len() as u64;
        let progress = self.progress.release(&rr.name, steps);
        // The release namespace must exist before its records can; it is
        // created here, not by the apply below.
        let mut implicit_created = 0;
        for e in diff.entries.iter().filter(|e| e.implicit) {
            if let (Some(res), Some(body)) = (&e.resource, &e.desired) {
                self.cluster
                    .apply(
                        res,
                        body,
                        &ApplyOptions {
                            field_manager: self.settings.field_manager.clone(),
                            force: false,
                            dry_run: false,
                        },
                    )
                    .await
                    .with_context(|| format!("cannot create namespace {}", rr.namespace))?;
                progress.step(&format!("created {}", e.diff.object));
                implicit_created += 1;
            }
        }
        let tx = self
            .releases
            .begin(
                &rr.namespace,
                &rr.name,
                RecordMeta {
                    profile: rr.profile.clone(),
                    chart_name: rr.chart_name.clone(),
                    chart_version: rr.chart_version.clone(),
                    git: self.git.clone(),
                    description: "deploy".into(),
                },
            )
            .await
            .with_context(|| {
                format!(
                    "cannot start deploying release {}/{}",
                    rr.namespace, rr.name
                )
            })?;
        if let Some(msg) = &tx.took_over {
            self.ui.warn(msg);
        }
        // Name the objects about to be applied on the pending record, so a
        // deploy killed mid-apply leaves them findable (release helper's hook).
        if let Err(e) = tx.set_intended(manifest.clone(), diff.inventory()).await {
            self.ui.warn(format!("release {}: {e}", rr.name));
        }
        outcome.revision = Some(tx.revision);
        let applied = tx
            .hold(apply_release(self.cluster, self.settings, diff, &progress))
            .await;
        let applied = match applied {
            Ok(r) => r,
            Err(e) => Err(anyhow::Error::new(e)),
        };
        outcome.duration_ms = started.elapsed().as_millis() as u64;
        match applied {
            Ok(mut counts) => {
                counts.created += implicit_created;
                outcome.counts = counts;
                let revision = tx.revision;
                tx.succeed(manifest, diff.inventory())
                    .await
                    .with_context(|| format!("cannot record revision {revision} of {}", rr.name))?;
                outcome.status = "deployed";
                progress.finish(&format!(
                    "revision {revision} deployed ({} created, {} configured, {} pruned)",
                    counts.created, counts.configured, counts.pruned
                ));
                Ok(outcome)
            }
            Err(err) => {
                let message = format!("{err:#}");
                progress.fail(&format!("failed: {message}"));
                // Remember everything this attempt may have created, so a
                // later deploy can prune it.
                let mut inventory = diff.inventory();
                for r in current.map(|c| c.inventory.as_slice()).unwrap_or_default() {
                    if !inventory.contains(r) {
                        inventory.push(r.clone());
                    }
                }
                let failed_revision = tx.revision;
                if let Err(e) = tx.fail(&message, manifest, inventory).await {
                    self.ui.warn(format!(
                        "could not record the failure of {}: {e} (its lease expires on its own)",
                        rr.name
                    ));
                }
                if self.atomic {
                    // --atomic: restore the previous deployed revision (release helper's hook).
                    return Err(crate::action::rollback::atomic_rollback(
                        self.ui,
                        self.cluster,
                        self.releases,
                        self.settings,
                        &rr.namespace,
                        &rr.name,
                        failed_revision,
                        current,
                        err,
                    )
                    .await);
                }
                Err(err)
            }
        }
    }
}

/// Run `berth deploy`.
pub fn run(ui: &Ui, global: &GlobalArgs, args: &DeployArgs) -> anyhow::Result<Exit> {
    runtime()?.block_on(deploy(ui, global, args))
}

async fn deploy(ui: &Ui, global: &GlobalArgs, args: &DeployArgs) -> anyhow::Result<Exit> {
    // Refuse a dirty tree under CI before touching the cluster.
    let root = Workspace::discover(global.workspace.as_deref())?.root;
    check_dirty(&GitInfo::discover(&root)?, args.allow_dirty)?;
    parse_timeout(&args.apply.timeout)?;
    // Never dropped: freeing every rendered object, diff and live object one
    // by one was ~5% of a 1,000-object run's CPU; the process exits right after.
    let p = std::mem::ManuallyDrop::new(
        prepare(global, &args.profiles.profiles, &args.values, &args.cluster).await?,
    );
    let settings = apply_settings(&args.apply, &p.rendered.workspace.settings.field_manager)?;

    let summary = print_diffs(ui, &p.diffs, &args.display)?;
    let records_due = p
        .rendered
        .releases
        .iter()
        .zip(&p.current)
        .any(|(r, c)| c.as_ref().is_none_or(|c| c.manifest != r.manifest()));
    let finish = |outcomes: &[ReleaseOutcome]| -> anyhow::Result<Exit> {
        if ui.json() {
            ui.print_json(&DeployJson {
                context: p.cluster.context(),
                profiles: &p.rendered.plan.profiles,
                changes: summary.has_changes(),
                summary,
                releases: outcomes,
            })?;
        }
        Ok(Exit::Ok)
    };
    let idle: Vec<ReleaseOutcome> = p
        .rendered
        .releases
        .iter()
        .zip(&p.diffs)
        .zip(&p.current)
        .map(|((r, d), c)| ReleaseOutcome {
            release: r.name.clone(),
            namespace: r.namespace.clone(),
            revision: c.as_ref().map(|c| c.revision),
            status: if args.dry_run { "dry-run" } else { "unchanged" },
            changes: d.summary,
            counts: ApplyCounts::default(),
            duration_ms: 0,
            error: None,
        })
        .collect();
    if !summary.has_changes() && !records_due {
        ui.info("Nothing to deploy: the cluster already matches the render.");
        return finish(&idle);
    }
    if args.dry_run {
        ui.info("Dry run: nothing was applied.");
        return finish(&idle);
    }
    if summary.has_changes() && !args.apply.yes {
        let question = format!("Deploy {summary} to context {:?}?", p.cluster.context());
        if !ui.confirm("deploy", &question)? {
            anyhow::bail!("deploy cancelled at the prompt: nothing was applied");
        }
    }

    let progress = if ui.json() {
        Progress::lines(ui.is_quiet())
    } else {
        Progress::new(ui)
    };
    let one = DeployOne {
        cluster: &p.cluster,
        releases: &p.releases,
        settings: &settings,
        ui,
        progress: &progress,
        git: &p.rendered.git,
        atomic: args.atomic,
    };
    // Releases follow the needs DAG; releases with no path between them run together.
    let n = p.rendered.releases.len();
    let names: HashSet<&str> = p
        .rendered
        .releases
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    let mut outcomes: Vec<Option<ReleaseOutcome>> = vec![None; n];
    let mut failed: Vec<String> = Vec::new();
    let mut first_error: Option<anyhow::Error> = None;
    let mut pending: Vec<usize> = (0..n).collect();
    // Each release starts as soon as every release it needs has settled (not
    // when a whole DAG level has): a slow release delays only what needs it.
    let mut running = futures::stream::FuturesUnordered::new();
    let (one, p) = (&one, &p);
    loop {
        let status: HashMap<&str, &'static str> = outcomes
            .iter()
            .flatten()
            .map(|o| (o.release.as_str(), o.status))
            .collect();
        let (ready, rest): (Vec<usize>, Vec<usize>) = pending.iter().partition(|i| {
            p.rendered.releases[**i]
                .needs
                .iter()
                .filter(|need| names.contains(need.as_str()))
                .all(|need| status.contains_key(need.as_str()))
        });
        pending = rest;
        let mut skipped = Vec::new();
        for i in ready {
            let rr = &p.rendered.releases[i];
            let blocked: Vec<&str> = rr
                .needs
                .iter()
                .map(String::as_str)
                .filter(|need| matches!(status.get(need), Some(&("failed" | "skipped"))))
                .collect();
            if blocked.is_empty() {
                running.push(async move {
                    let r = one
                        .run(&p.rendered.releases[i], &p.diffs[i], p.current[i].as_ref())
                        .await;
                    (i, r)
                });
            } else {
                let mut o = idle[i].clone();
                o.status = "skipped";
                o.error = Some(format!(
                    "not deployed: it needs {} which failed",
                    blocked.join(", ")
                ));
                ui.warn(format!(
                    "release {}: {}",
                    rr.name,
                    o.error.as_deref().unwrap_or_default()
                ));
                skipped.push((i, o));
            }
        }
        let progressed = !skipped.is_empty();
        for (i, o) in skipped {
            outcomes[i] = Some(o);
        }
        if progressed {
            // Skips settle releases too: look again before waiting.
            continue;
        }
        let Some((i, r)) = running.next().await else {
            if !pending.is_empty() {
                anyhow::bail!("the needs of releases {pending:?} form a cycle");
            }
            break;
        };
        match r {
            Ok(o) => outcomes[i] = Some(o),
            Err(e) => {
                let mut o = idle[i].clone();
                o.status = "failed";
                o.error = Some(format!("{e:#}"));
                outcomes[i] = Some(o);
                failed.push(p.rendered.releases[i].name.clone());
                if first_error.is_none() {
                    first_error = Some(e);
                }
            }
        }
    }
    progress.clear();
    let outcomes: Vec<ReleaseOutcome> = outcomes.into_iter().flatten().collect();
    if let Some(err) = first_error {
        return Err(err.context(format!(
            "deploy failed for release(s) {}",
            failed.join(", ")
        )));
    }
    for o in &outcomes {
        if o.status == "deployed" {
            ui.info(format!(
                "release {}/{}: revision {} deployed",
                o.namespace,
                o.release,
                o.revision.unwrap_or_default()
            ));
        }
    }
    finish(&outcomes)
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

    #[test]
    fn timeouts_parse_like_kubectl_durations() {
        assert_eq!(parse_timeout("300").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_timeout("45s").unwrap(), Duration::from_secs(45));
        assert_eq!(parse_timeout("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_timeout("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_timeout("1m30s").unwrap(), Duration::from_secs(90));
        for bad in ["5x", "m", "1m30", "-1s", ""] {
            assert!(parse_timeout(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dirty_tree_refused_only_under_ci_without_allow_dirty() {
        let git = GitInfo {
            dirty: true,
            dirty_paths: (0..7).map(|i| format!("f{i}.yaml").into()).collect(),
            ..Default::default()
        };
        let msg = dirty_refusal(true, &git, false).unwrap();
        assert!(
            msg.contains("f0.yaml, f1.yaml, f2.yaml, f3.yaml, f4.yaml, and 2 more"),
            "{msg}"
        );
        assert!(msg.contains("--allow-dirty"));
        assert!(dirty_refusal(true, &git, true).is_none());
        assert!(dirty_refusal(false, &git, false).is_none());
        assert!(dirty_refusal(true, &GitInfo::default(), false).is_none());
    }
}
