//! The rollout engine `diff`, `deploy` and `rollback` share: it plans (desired
//! objects against the live ones through server-side dry-run, prunes from the
//! inventory), applies in waves (Namespaces and CRDs first, then install
//! order, bounded concurrency), prunes, waits, and runs each release's
//! transaction with its record (deploy, restore, `--atomic`'s rollback,
//! releases in `needs` order). It takes settings and reports [`Event`]s to an
//! [`Events`] sink; it never prompts, prints, renders charts or reads CLI
//! types — those are `action/`'s and `ui/`'s.
//!
//! Where things go: `plan` (what would change; reads `live` state and
//! `records`), `apply` (waves) with `prune` and `wait`, `transaction` (lease
//! and record of one release), `leases` (every release's lease taken before
//! anything is applied), `deploy` and `restore` (the two operations
//! over it), `schedule` (many releases in `needs` order), `events`. This file
//! holds the vocabulary they share: [`Rollout`], [`ReleaseTarget`],
//! [`ApplySettings`], [`ApplyCounts`].

pub mod apply;
pub mod deploy;
pub mod events;
mod leases;
pub mod live;
pub mod plan;
pub mod prune;
pub mod records;
pub mod restore;
pub mod schedule;
mod transaction;
pub mod wait;

pub use apply::{apply_release, waves};
pub use deploy::{deploy_release, DeployRelease, DeploySettings, Outcome, OutcomeStatus};
pub use events::{Event, Events, Operation, Silent};
pub use live::Listed;
pub use plan::{plan, plan_with, Entry, PlanSettings, ReleaseDiff};
pub use records::Base;
pub use restore::{atomic_rollback, plan_restore, restore, RestorePlan, Restored};
pub use schedule::deploy_all;

use std::time::Duration;

use serde::Serialize;

use crate::cluster::Cluster;
use crate::manifest::{Object, ObjectRef};
use crate::release::Releases;

/// How many requests of one release are in flight at once.
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

/// What every rollout operation works with: the cluster, the release records
/// behind it, and where events go.
#[derive(Clone, Copy)]
pub struct Rollout<'a> {
    pub cluster: &'a Cluster,
    pub releases: &'a Releases,
    pub events: &'a dyn Events,
}

/// Settings of an apply.
#[derive(Debug, Clone)]
pub struct ApplySettings {
    pub field_manager: String,
    /// Take ownership of fields other managers own (`--force-conflicts`).
    pub force_conflicts: bool,
    /// Delete what the plan marks for deletion (`--no-prune` turns it off).
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
