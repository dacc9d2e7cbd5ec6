//! Deploying one release's rendered objects: [`deploy_release`] runs the
//! release's transaction over its plan (implicit namespace, lease, apply,
//! record) and, with `--atomic`, restores the previous deployed revision when
//! the apply fails. Which releases go when is [`super::schedule`]'s.

use std::time::Instant;

use serde::Serialize;

use crate::diff::Summary;
use crate::release::{Record, RecordMeta};

use super::events::{Event, Operation};
use super::leases::Leased;
use super::plan::ReleaseDiff;
use super::restore::atomic_rollback;
use super::{ApplyCounts, ApplySettings, Rollout};

/// Settings of a deploy.
#[derive(Debug, Clone)]
pub struct DeploySettings {
    pub apply: ApplySettings,
    /// `--atomic`: after a failed apply, restore the previous deployed revision
    /// with these settings (`None`: the release stays failed).
    pub rollback_on_failure: Option<ApplySettings>,
}

/// One release to deploy: its plan, the manifest its record keeps, and the
/// record it starts from.
#[derive(Debug, Clone)]
pub struct DeployRelease<'a> {
    pub name: String,
    pub namespace: String,
    /// Releases that must settle first (names outside the rollout are ignored).
    pub needs: Vec<String>,
    /// The rendered objects as the record keeps them.
    pub manifest: String,
    /// What the new record says besides its objects.
    pub meta: RecordMeta,
    pub diff: &'a ReleaseDiff,
    /// The newest deployed revision before this rollout.
    pub current: Option<&'a Record>,
    /// The release's history breaks "exactly one revision is `deployed`":
    /// deploy it even when nothing changed, so the new record repairs it.
    pub repair_due: bool,
}

impl DeployRelease<'_> {
    /// Whether the current record holds exactly this manifest.
    pub fn is_recorded(&self) -> bool {
        self.current.is_some_and(|c| c.manifest == self.manifest)
    }

    /// Whether a deploy would write anything: objects change, or a new
    /// revision is due because the current record does not hold this
    /// manifest or the history needs a repair.
    pub fn is_due(&self) -> bool {
        self.diff.summary.has_changes() || !self.is_recorded() || self.repair_due
    }
}

/// How a release's deploy ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeStatus {
    Deployed,
    Unchanged,
    Failed,
    Skipped,
    DryRun,
}

/// The outcome of one release in a deploy.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub release: String,
    pub namespace: String,
    /// The revision recorded (the current one when unchanged; absent when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<u32>,
    pub status: OutcomeStatus,
    pub changes: Summary,
    pub counts: ApplyCounts,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Outcome {
    /// The outcome of a release nothing was done to (yet).
    pub fn idle(d: &DeployRelease<'_>, status: OutcomeStatus) -> Outcome {
        Outcome {
            release: d.name.clone(),
            namespace: d.namespace.clone(),
            revision: d.current.map(|c| c.revision),
            status,
            changes: d.diff.summary,
            counts: ApplyCounts::default(),
            duration_ms: 0,
            error: None,
        }
    }
}

/// Deploy one release: its implicit namespace, lease and pending record,
/// apply, record. A release that is not [due](DeployRelease::is_due) is left
/// alone. A failed apply is recorded `failed` and returned as the error (with
/// what `--atomic`'s rollback did on top). Many releases go through
/// [`super::deploy_all`], which leases them all first.
pub async fn deploy_release(
    r: &Rollout<'_>,
    settings: &DeploySettings,
    d: &DeployRelease<'_>,
) -> anyhow::Result<Outcome> {
    if !d.is_due() {
        let mut outcome = Outcome::idle(d, OutcomeStatus::Unchanged);
        outcome.counts.unchanged = d.diff.summary.unchanged;
        return Ok(outcome);
    }
    let started = Instant::now();
    let leased = super::leases::lease(r, &settings.apply, d).await?;
    deploy_leased(r, settings, d, leased, started).await
}

/// Deploy one due release whose lease is taken: note what is applied, apply,
/// record (or record the failure, and restore under `--atomic`).
pub(crate) async fn deploy_leased(
    r: &Rollout<'_>,
    settings: &DeploySettings,
    d: &DeployRelease<'_>,
    leased: Leased<'_, '_>,
    started: Instant,
) -> anyhow::Result<Outcome> {
    let diff = d.diff;
    let mut outcome = Outcome::idle(d, OutcomeStatus::Unchanged);
    outcome.counts.unchanged = diff.summary.unchanged;
    let Leased {
        attempt,
        implicit_created,
    } = leased;
    // Best effort: a lost lease shows up when the apply renews it.
    let _ = attempt
        .note_intended(d.manifest.clone(), diff.inventory())
        .await;
    let revision = attempt.revision();
    outcome.revision = Some(revision);
    let applied = match attempt.apply(&settings.apply, diff).await {
        Ok(applied) => applied,
        Err(lost) => Err(anyhow::Error::new(lost)),
    };
    outcome.duration_ms = started.elapsed().as_millis() as u64;
    match applied {
        Ok(mut counts) => {
            counts.created += implicit_created;
            outcome.counts = counts;
            attempt
                .succeed(d.manifest.clone(), diff.inventory())
                .await?;
            outcome.status = OutcomeStatus::Deployed;
            r.events.event(Event::Deployed {
                operation: Operation::Deploy,
                release: &d.name,
                revision,
                counts: &counts,
            });
            Ok(outcome)
        }
        Err(err) => {
            r.events.event(Event::ApplyFailed {
                operation: Operation::Deploy,
                release: &d.name,
                revision,
                error: &err,
            });
            let earlier = d
                .current
                .map(|c| c.inventory.as_slice())
                .unwrap_or_default();
            attempt
                .fail(&err, d.manifest.clone(), diff.inventory(), earlier)
                .await;
            match &settings.rollback_on_failure {
                Some(apply) => {
                    Err(
                        atomic_rollback(r, apply, &d.namespace, &d.name, revision, d.current, err)
                            .await,
                    )
                }
                None => Err(err),
            }
        }
    }
}
