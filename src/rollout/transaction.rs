//! The per-release transaction both rollout operations (deploy, restore) go
//! through: take the release's deploy lease with a `pending` record, note on it
//! what is about to be applied, apply under the lease (renewed while the apply
//! runs), then record the revision `deployed` or `failed` with the inventory a
//! later prune needs. Reports the record's side of things as events; which
//! objects are applied is the operation's.
//!
//! A deploy of many releases takes every transaction before it applies
//! anything ([`super::leases`]); one that ends before applying gives its lease
//! back with [`Attempt::abandon`].
//!
//! Hooks (pre/post-install, -upgrade, -rollback) belong between
//! [`Attempt::note_intended`] and [`Attempt::apply`], and between
//! [`Attempt::apply`] and [`Attempt::succeed`].

use crate::manifest::ObjectRef;
use crate::release::{Record, RecordMeta, ReleaseError, Status, Transaction};

use super::apply::apply_release;
use super::events::{Event, Operation};
use super::plan::ReleaseDiff;
use super::{ApplyCounts, ApplySettings, Rollout};

/// One release's transaction in progress (its record is `pending`).
pub(crate) struct Attempt<'r, 'a> {
    r: &'r Rollout<'a>,
    operation: Operation,
    release: String,
    tx: Transaction,
}

impl<'r, 'a> Attempt<'r, 'a> {
    /// Take the lease of `namespace/release` with a new `pending` record;
    /// the deployed revision it replaces becomes `replaced_becomes` on success.
    pub async fn begin(
        r: &'r Rollout<'a>,
        operation: Operation,
        namespace: &str,
        release: &str,
        meta: RecordMeta,
        replaced_becomes: Status,
    ) -> Result<Attempt<'r, 'a>, ReleaseError> {
        let mut tx = r.releases.begin(namespace, release, meta).await?;
        tx.set_previous_status(replaced_becomes);
        if let Some(message) = &tx.took_over {
            r.events.event(Event::TookOver { release, message });
        }
        for message in &tx.repaired {
            r.events.event(Event::Repaired { release, message });
        }
        Ok(Attempt {
            r,
            operation,
            release: release.to_string(),
            tx,
        })
    }

    /// The revision this transaction records.
    pub fn revision(&self) -> u32 {
        self.tx.revision
    }

    /// Name what is about to be applied on the pending record, so a process
    /// killed mid-apply leaves it findable. Best effort: a failure is reported
    /// as an event and returned, for the operation to decide whether it stops.
    pub async fn note_intended(
        &self,
        manifest: String,
        inventory: Vec<ObjectRef>,
    ) -> Result<(), ReleaseError> {
        let noted = self.tx.set_intended(manifest, inventory).await;
        if let Err(error) = &noted {
            if !matches!(
                (self.operation, error),
                (Operation::Restore, ReleaseError::LeaseLost { .. })
            ) {
                self.r.events.event(Event::IntendedNotNoted {
                    operation: self.operation,
                    release: &self.release,
                    revision: self.tx.revision,
                    error,
                });
            }
        }
        noted
    }

    /// Apply `diff` while holding (renewing) the lease. The outer error is a
    /// lost lease; the inner one the apply's.
    pub async fn apply(
        &self,
        settings: &ApplySettings,
        diff: &ReleaseDiff,
    ) -> Result<anyhow::Result<ApplyCounts>, ReleaseError> {
        self.tx
            .hold(apply_release(self.r.cluster, settings, diff, self.r.events))
            .await
    }

    /// Extend the lease (while the release waits for the ones it needs).
    pub async fn renew(&self) -> Result<(), ReleaseError> {
        self.tx.renew().await
    }

    /// Give the lease back before anything of the release was applied: its
    /// pending record goes, the history stays as it was.
    pub async fn abandon(self) -> Result<(), ReleaseError> {
        self.tx.abandon().await
    }

    /// The release this transaction records.
    pub fn release(&self) -> &str {
        &self.release
    }

    /// The rollout this transaction belongs to.
    pub fn rollout(&self) -> &'r Rollout<'a> {
        self.r
    }

    /// Record the revision `deployed` with `manifest` and `inventory`.
    pub async fn succeed(
        self,
        manifest: String,
        inventory: Vec<ObjectRef>,
    ) -> Result<Record, ReleaseError> {
        self.tx.succeed(manifest, inventory).await
    }

    /// Record the revision `failed` with `error`, keeping as inventory
    /// `intended` plus what of `earlier` it lacks (everything this attempt may
    /// have created or left, so a later deploy can prune it). A failure to
    /// record is reported as an event (the lease then expires on its own).
    pub async fn fail(
        self,
        error: &anyhow::Error,
        manifest: String,
        intended: Vec<ObjectRef>,
        earlier: &[ObjectRef],
    ) {
        let revision = self.tx.revision;
        let inventory = union(intended, earlier);
        if let Err(e) = self
            .tx
            .fail(&format!("{error:#}"), manifest, inventory)
            .await
        {
            self.r.events.event(Event::FailureNotRecorded {
                operation: self.operation,
                release: &self.release,
                revision,
                error: &e,
            });
        }
    }
}

/// `first`, then what of `more` it lacks (order kept).
fn union(mut first: Vec<ObjectRef>, more: &[ObjectRef]) -> Vec<ObjectRef> {
    for o in more {
        if !first.contains(o) {
            first.push(o.clone());
        }
    }
    first
}
