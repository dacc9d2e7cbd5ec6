//! The rollout engine `diff`, `deploy` and `rollback` share: it plans (desired
//! objects against the live ones through server-side dry-run, prunes from the
//! inventory), applies in waves (Namespaces and CRDs first, then install
//! order, bounded concurrency), prunes, waits, and runs each release's
//! transaction with its record (deploy, restore, `--atomic`'s rollback,
//! releases in `needs` order). It takes settings and reports [`Event`]s to an
//! [`Events`] sink; it never prompts, prints, renders charts or reads CLI
//! types — those are `action/`'s and `ui/`'s.
//!
//! Where things go: [`plan`] (what would change; reads [`live`] state and
//! [`records`]), [`apply`] (waves) with [`prune`] and [`wait`],
//! [`transaction`] (lease and record of one release), [`deploy`] and
//! [`restore`] (the two operations over it), [`schedule`] (many releases).

pub mod apply;
pub mod deploy;
pub mod events;
pub mod live;
pub mod plan;
pub mod prune;
pub mod records;
pub mod restore;
pub mod schedule;
mod transaction;
pub mod wait;

pub use apply::{apply_release, waves, ApplyCounts, ApplySettings};
pub use deploy::{deploy_release, DeployRelease, DeploySettings, Outcome, OutcomeStatus};
pub use events::{Event, Events, Operation, Silent};
pub use live::Listed;
pub use plan::{plan, plan_with, Entry, PlanSettings, ReleaseDiff, ReleaseTarget};
pub use records::Base;
pub use restore::{atomic_rollback, plan_restore, restore, RestorePlan, Restored};
pub use schedule::deploy_all;

use crate::cluster::Cluster;
use crate::release::Releases;

/// How many requests of one release are in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// What every rollout operation works with: the cluster, the release records
/// behind it, and where events go.
#[derive(Clone, Copy)]
pub struct Rollout<'a> {
    pub cluster: &'a Cluster,
    pub releases: &'a Releases,
    pub events: &'a dyn Events,
}
