//! Pruning: deleting, in reverse install order and one at a time, the objects
//! a release's plan marks for deletion. Which objects those are is the plan's
//! decision (inventoried, no longer rendered, still the release's); this module
//! only carries it out.

use anyhow::Context as _;

use crate::cluster::Cluster;
use crate::diff::Action;

use super::events::{Event, Events};
use super::plan::ReleaseDiff;

/// Delete the plan's prunes; returns how many were deleted (an object already
/// gone counts: the plan saw it).
pub async fn prune(
    cluster: &Cluster,
    diff: &ReleaseDiff,
    events: &dyn Events,
) -> anyhow::Result<usize> {
    let mut pruned = 0;
    for e in diff
        .entries
        .iter()
        .filter(|e| e.diff.action == Action::Delete)
    {
        let Some(res) = &e.resource else { continue };
        cluster
            .delete(res, e.diff.object.namespace.as_deref(), &e.diff.object.name)
            .await
            .with_context(|| format!("release {}: cannot prune {}", diff.release, e.diff.object))?;
        pruned += 1;
        events.event(Event::Pruned {
            release: &diff.release,
            object: &e.diff.object,
        });
    }
    Ok(pruned)
}
