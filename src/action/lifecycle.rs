//! What the cluster commands share: the workspace plan (which releases a
//! profile has, in which namespace), the selection of named releases, the
//! cluster connection and the release record store, the kube-context guard for
//! the commands that write, the apply settings of the apply flags, and — for
//! `diff` and `deploy` only — [`prepare`]: render, read the records, plan.
//! `history`, `status`, `rollback` and `delete` never render nor decrypt:
//! they work from the records.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use crate::action::render::{render, RenderRequest, Rendered};
use crate::cli::{ApplyArgs, ClusterArgs, GlobalArgs, ValueArgs};
use crate::cluster::{Cluster, ResourceInfo};
use crate::manifest::ObjectRef;
use crate::release::{default_holder, Record, Releases};
use crate::rollout::{
    plan_with, records, ApplySettings, Base, PlanSettings, ReleaseDiff, ReleaseTarget,
    DEFAULT_CONCURRENCY,
};
use crate::workspace::{Plan, ReleasePlan, Workspace};

/// The workspace and plan of the selected profiles (with `-n` applied).
pub struct Selected {
    pub workspace: Workspace,
    pub plan: Plan,
}

impl Selected {
    /// Discover the workspace and plan `profiles`; `-n` overrides every release namespace.
    pub fn open(
        workspace: Option<&std::path::Path>,
        profiles: &[String],
        cluster: &ClusterArgs,
    ) -> anyhow::Result<Selected> {
        let workspace = Workspace::discover(workspace)?;
        let mut plan = workspace.plan(profiles)?;
        if let Some(ns) = &cluster.namespace {
            for r in &mut plan.releases {
                r.namespace = ns.clone();
            }
        }
        Ok(Selected { workspace, plan })
    }

    /// The named releases (in the order given), or every release when none is named.
    /// A name the profiles do not have is an error listing the ones they do.
    pub fn releases(&self, names: &[String]) -> anyhow::Result<Vec<ReleasePlan>> {
        if names.is_empty() {
            return Ok(self.plan.releases.clone());
        }
        names
            .iter()
            .map(|name| {
                self.plan
                    .releases
                    .iter()
                    .find(|r| &r.name == name)
                    .cloned()
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "release `{name}` is not in profile(s) {} (its releases: {})",
                            self.plan.profiles.join(","),
                            self.plan
                                .releases
                                .iter()
                                .map(|r| r.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })
            })
            .collect()
    }

    /// Refuse when the plan names a kube-context and another one is in use.
    pub fn check_context(&self, cluster: &Cluster) -> anyhow::Result<()> {
        match &self.plan.context {
            Some(want) if want != cluster.context() => anyhow::bail!(
                "profile(s) {} deploy to kube-context {want:?}, but the current context is {:?}: pass --context {want} (or switch context)",
                self.plan.profiles.join(","),
                cluster.context()
            ),
            _ => Ok(()),
        }
    }
}

/// A connection: the cluster handle and the release records behind it.
pub struct Connected {
    pub cluster: Cluster,
    pub releases: Releases,
}

/// Connect to the cluster (kubeconfig and context resolved as kubectl does) and
/// open the release records with the workspace's history limit and lease duration.
pub async fn connect(args: &ClusterArgs, workspace: &Workspace) -> anyhow::Result<Connected> {
    let cluster = Cluster::connect(&crate::cluster::ConnectOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
    })
    .await?;
    let releases = Releases::new(
        cluster.client(),
        workspace.settings.history_limit,
        Duration::from_secs(workspace.settings.lease_seconds),
        default_holder(),
    );
    Ok(Connected { cluster, releases })
}

/// An inventoried object as the cluster has it now: its resource (None when the
/// cluster does not serve the kind) and its live body (None when it is gone).
pub struct LiveObject {
    pub object: ObjectRef,
    pub resource: Option<ResourceInfo>,
    pub live: Option<serde_json::Value>,
}

/// Look up `refs` on the cluster, [`DEFAULT_CONCURRENCY`] requests at a time, in order.
pub async fn live_objects(
    cluster: &Cluster,
    refs: &[ObjectRef],
) -> anyhow::Result<Vec<LiveObject>> {
    use futures::{StreamExt as _, TryStreamExt as _};
    futures::stream::iter(refs)
        .map(|o| async move {
            let Some(res) = cluster.try_resolve(&o.api_version, &o.kind).await? else {
                return Ok(LiveObject {
                    object: o.clone(),
                    resource: None,
                    live: None,
                });
            };
            let ns = o.namespace.as_deref().filter(|_| res.namespaced);
            let live = cluster.get(&res, ns, &o.name).await?;
            Ok(LiveObject {
                object: o.clone(),
                resource: Some(res),
                live,
            })
        })
        .buffered(DEFAULT_CONCURRENCY)
        .try_collect()
        .await
}

/// Rendered releases, their records and their plans against the cluster.
pub struct Prepared {
    pub rendered: Rendered,
    pub cluster: Cluster,
    pub releases: Releases,
    /// Newest deployed record per rendered release (same order).
    pub current: Vec<Option<Record>>,
    /// Per rendered release (same order): its history needs a repair, so a
    /// deploy writes a record even when nothing changed.
    pub repair_due: Vec<bool>,
    /// The plan per rendered release (same order).
    pub diffs: Vec<ReleaseDiff>,
}

/// What `diff` and `deploy` do before any write: plan the profiles, connect,
/// guard the context, read the records, render, plan against the cluster.
pub async fn prepare(
    global: &GlobalArgs,
    profiles: &[String],
    values: &ValueArgs,
    cluster_args: &ClusterArgs,
) -> anyhow::Result<Prepared> {
    let selected = Selected::open(global.workspace.as_deref(), profiles, cluster_args)?;
    let Connected { cluster, releases } = connect(cluster_args, &selected.workspace).await?;
    selected.check_context(&cluster)?;
    let plan = &selected.plan;
    // Records: the base of the plan (inventory) and the next revision numbers,
    // read with one LIST per namespace for all its releases.
    // (Selected::open applied any -n override to the plan.)
    let namespaces: BTreeSet<String> = plan.releases.iter().map(|r| r.namespace.clone()).collect();
    let (mut records, listed) = records::read(&cluster, &namespaces).await?;
    let mut revisions = BTreeMap::new();
    let mut bases: HashMap<String, Base> = HashMap::new();
    for r in &plan.releases {
        let history = records
            .remove(&(r.namespace.clone(), r.name.clone()))
            .unwrap_or_default();
        let base = Base::of(history);
        revisions.insert(r.name.clone(), base.next_revision);
        bases.insert(r.name.clone(), base);
    }
    let rendered = render(&RenderRequest {
        strict: false,
        workspace: global.workspace.as_deref(),
        profiles,
        values,
        namespace: cluster_args.namespace.as_deref(),
        revisions: &revisions,
    })?;
    let mut current = Vec::with_capacity(rendered.releases.len());
    let mut repair_due = Vec::with_capacity(rendered.releases.len());
    let mut targets = Vec::with_capacity(rendered.releases.len());
    for r in &rendered.releases {
        let base = bases.remove(&r.name).unwrap_or_default();
        current.push(base.current);
        repair_due.push(base.repair_due);
        targets.push(ReleaseTarget {
            name: r.name.clone(),
            namespace: r.namespace.clone(),
            objects: r.objects.clone(),
            inventory: base.inventory,
        });
    }
    let settings = PlanSettings::new(&rendered.workspace.settings.field_manager);
    let diffs = plan_with(&cluster, &settings, &targets, listed).await?;
    Ok(Prepared {
        rendered,
        cluster,
        releases,
        current,
        repair_due,
        diffs,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
