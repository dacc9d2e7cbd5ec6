//! Restoring a stored revision as a new one (`rollback`, `--atomic`): its plan
//! ([`plan_restore`]: the record's manifest against the cluster, pruning
//! against the release's current prune base), applying that plan in the
//! release's transaction ([`restore`]), and `--atomic`'s rollback after a
//! failed deploy ([`atomic_rollback`]). Nothing is re-rendered and nothing is
//! decrypted: the record holds the rendered objects.

use crate::manifest::{parse_manifest, ObjectRef};
use crate::release::{prune_base, Record, RecordMeta, ReleaseError, Status};

use super::events::{Event, Operation};
use super::plan::{plan, PlanSettings, ReleaseDiff};
use super::transaction::Attempt;
use super::{ApplyCounts, ApplySettings, ReleaseTarget, Rollout};

/// What restoring a stored revision would change.
#[derive(Debug, Clone)]
pub struct RestorePlan {
    /// The revision restored.
    pub target: Record,
    /// Its objects against the cluster, with the prunes.
    pub diff: ReleaseDiff,
    /// What the plan prunes against (kept on the record if the restore fails).
    base: Vec<ObjectRef>,
}

/// Plan the restore of `target`: parse its manifest, read the release's
/// history for the prune base, plan against the cluster.
pub async fn plan_restore(
    r: &Rollout<'_>,
    field_manager: &str,
    target: &Record,
) -> anyhow::Result<RestorePlan> {
    let source = format!("revision {} of release {}", target.revision, target.release);
    let objects = parse_manifest(&target.manifest, &source)?;
    let history = r
        .releases
        .history(&target.namespace, &target.release)
        .await?;
    let base = prune_base(&history);
    let diffs = plan(
        r.cluster,
        &PlanSettings::new(field_manager),
        &[ReleaseTarget {
            name: target.release.clone(),
            namespace: target.namespace.clone(),
            objects,
            inventory: base.clone(),
        }],
    )
    .await?;
    let Some(diff) = diffs.into_iter().next() else {
        anyhow::bail!("the deploy engine returned no diff for {source}");
    };
    Ok(RestorePlan {
        target: target.clone(),
        diff,
        base,
    })
}

/// A restore that was applied: the new revision's record (status `deployed`)
/// and what the apply did.
#[derive(Debug)]
pub struct Restored {
    pub record: Box<Record>,
    pub counts: ApplyCounts,
}

/// Apply a [`RestorePlan`] as a new revision (described `rollback to N`)
/// under the release's deploy lease; the revision it replaces becomes
/// `replaced_becomes` (`rolled-back` for `berth rollback`, `superseded` for
/// `--atomic`, which restores that very revision). A failed apply is recorded
/// as a `failed` revision and returned as the error.
pub async fn restore(
    r: &Rollout<'_>,
    apply: &ApplySettings,
    plan: &RestorePlan,
    replaced_becomes: Status,
) -> anyhow::Result<Restored> {
    let target = &plan.target;
    let diff = &plan.diff;
    let meta = RecordMeta {
        profile: target.profile.clone(),
        chart_name: target.chart_name.clone(),
        chart_version: target.chart_version.clone(),
        git: target.git.clone(),
        description: format!("rollback to {}", target.revision),
    };
    let attempt = Attempt::begin(
        r,
        Operation::Restore,
        &target.namespace,
        &target.release,
        meta,
        replaced_becomes,
    )
    .await?;
    // Best effort, but a lost lease stops here.
    if let Err(e @ ReleaseError::LeaseLost { .. }) = attempt
        .note_intended(target.manifest.clone(), diff.inventory())
        .await
    {
        return Err(e.into());
    }
    r.events.event(Event::Started {
        release: &target.release,
        steps: diff.entries.len() as u64,
    });
    let revision = attempt.revision();
    match attempt.apply(apply, diff).await {
        Ok(Ok(counts)) => {
            r.events.event(Event::Deployed {
                operation: Operation::Restore,
                release: &target.release,
                revision,
                counts: &counts,
            });
            let record = attempt
                .succeed(target.manifest.clone(), diff.inventory())
                .await?;
            Ok(Restored {
                record: Box::new(record),
                counts,
            })
        }
        Ok(Err(e)) => {
            r.events.event(Event::ApplyFailed {
                operation: Operation::Restore,
                release: &target.release,
                revision,
                error: &e,
            });
            attempt
                .fail(&e, target.manifest.clone(), diff.inventory(), &plan.base)
                .await;
            Err(e.context(format!(
                "rollback of {}/{} to revision {} failed (recorded as revision {revision})",
                target.namespace, target.release, target.revision
            )))
        }
        Err(lost) => Err(lost.into()),
    }
}

/// `deploy --atomic`: after the deploy of a release failed (recorded as
/// `failed_revision`), restore `previous` (its deployed revision before the
/// deploy) as a new revision, without asking. Returns the error to report: the
/// deploy's, with what the rollback did (or why it could not) on top.
pub async fn atomic_rollback(
    r: &Rollout<'_>,
    apply: &ApplySettings,
    namespace: &str,
    release: &str,
    failed_revision: u32,
    previous: Option<&Record>,
    err: anyhow::Error,
) -> anyhow::Error {
    let Some(previous) = previous else {
        return err.context(format!(
            "release {namespace}/{release}: revision {failed_revision} failed; --atomic found no earlier deployed revision to roll back to"
        ));
    };
    r.events.event(Event::RollingBack {
        namespace,
        release,
        failed: failed_revision,
        to: previous.revision,
    });
    let restored = async {
        let plan = plan_restore(r, &apply.field_manager, previous).await?;
        r.events.event(Event::RestorePlanned { diff: &plan.diff });
        // The revision being restored is the one that was deployed: it is
        // superseded by its copy, not "rolled back" away from.
        restore(r, apply, &plan, Status::Superseded).await
    }
    .await;
    match restored {
        Ok(done) => {
            r.events.event(Event::RolledBack {
                namespace,
                release,
                to: previous.revision,
                recorded: done.record.revision,
            });
            err.context(format!(
                "release {namespace}/{release}: revision {failed_revision} failed; --atomic rolled back to revision {} (recorded as revision {})",
                previous.revision, done.record.revision
            ))
        }
        Err(rollback_err) => err.context(format!(
            "release {namespace}/{release}: revision {failed_revision} failed, and the --atomic rollback to revision {} failed too: {rollback_err:#}",
            previous.revision
        )),
    }
}
