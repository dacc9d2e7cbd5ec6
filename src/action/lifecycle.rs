//! What `history`, `status`, `rollback` and `delete` share: the workspace plan
//! (which releases a profile has, in which namespace), the selection of named
//! releases, the cluster connection and the release record store, and the
//! kube-context guard for the commands that write. No rendering, no
//! decryption: these commands work from the records.

use std::time::Duration;

use crate::action::deploy::DEFAULT_CONCURRENCY;
use crate::cli::ClusterArgs;
use crate::cluster::{Cluster, ResourceInfo};
use crate::manifest::ObjectRef;
use crate::release::{default_holder, Releases};
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
