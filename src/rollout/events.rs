//! What the rollout engine reports while it works: the [`Event`]s of a
//! rollout and the [`Events`] sink they go to. Events carry names, states and
//! counts only — never an object's body or a Secret value — and no wording:
//! `ui/` decides how each one is shown (progress bar, log line, warning).

use crate::manifest::ObjectRef;
use crate::release::ReleaseError;

use super::plan::ReleaseDiff;
use super::ApplyCounts;

/// Which kind of transaction an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A deploy of freshly rendered objects.
    Deploy,
    /// A stored revision redeployed as a new one (`rollback`, `--atomic`).
    Restore,
}

/// One thing that happened during a rollout.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A release's transaction starts, with `steps` units of work planned.
    Started { release: &'a str, steps: u64 },
    /// An object was written: created (`created`) or configured.
    Applied {
        release: &'a str,
        object: &'a ObjectRef,
        created: bool,
    },
    /// An object the release no longer renders was deleted.
    Pruned {
        release: &'a str,
        object: &'a ObjectRef,
    },
    /// An object is not ready yet; `state` says how far it is (`1/3 ready`).
    Waiting {
        release: &'a str,
        object: &'a ObjectRef,
        state: &'a str,
    },
    /// An object became ready.
    Ready {
        release: &'a str,
        object: &'a ObjectRef,
    },
    /// The release's expired (or dead holder's) deploy lease was taken over
    /// (`message` names the old holder).
    TookOver { release: &'a str, message: &'a str },
    /// The release's history broke "exactly one revision is deployed" and
    /// was repaired (`message` says which revision became what, and why).
    Repaired { release: &'a str, message: &'a str },
    /// The objects about to be applied could not be noted on the pending
    /// record (best effort; the rollout goes on).
    IntendedNotNoted {
        operation: Operation,
        release: &'a str,
        revision: u32,
        error: &'a ReleaseError,
    },
    /// The new revision is applied (and, for a deploy, recorded `deployed`).
    Deployed {
        operation: Operation,
        release: &'a str,
        revision: u32,
        counts: &'a ApplyCounts,
    },
    /// The apply failed; the revision is recorded `failed` next.
    ApplyFailed {
        operation: Operation,
        release: &'a str,
        revision: u32,
        error: &'a anyhow::Error,
    },
    /// Recording the failed revision failed too.
    FailureNotRecorded {
        operation: Operation,
        release: &'a str,
        revision: u32,
        error: &'a ReleaseError,
    },
    /// A release was not deployed because one it needs failed (`reason` says which).
    Skipped { release: &'a str, reason: &'a str },
    /// `--atomic`: revision `failed` failed; revision `to` is being restored.
    RollingBack {
        namespace: &'a str,
        release: &'a str,
        failed: u32,
        to: u32,
    },
    /// `--atomic`: what restoring the previous revision changes (applied without a prompt).
    RestorePlanned { diff: &'a ReleaseDiff },
    /// `--atomic`: revision `to` is restored, recorded as revision `recorded`.
    RolledBack {
        namespace: &'a str,
        release: &'a str,
        to: u32,
        recorded: u32,
    },
}

/// Where the engine reports its [`Event`]s. Called from concurrent work of
/// one task: implementations must be cheap and must not block for long.
pub trait Events: Send + Sync {
    /// Report one event.
    fn event(&self, event: Event<'_>);
}

/// A sink that drops every event (library callers, tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Events for Silent {
    fn event(&self, _event: Event<'_>) {}
}
