//! Applying one release's plan: what changes is written in waves (Namespaces
//! and CRDs first, CRDs waited for until Established, then one wave per install
//! rank, objects of a wave concurrently), then pruned, then waited for.
//! Objects the plan shows unchanged are not written. Knows nothing of records.

use std::collections::BTreeMap;

use anyhow::Context as _;
use futures::{stream, StreamExt as _};
use serde_json::Value;

use crate::cluster::{ApplyOptions, Cluster};
use crate::diff::Action;
use crate::manifest::order::install_rank;

use super::events::{Event, Events};
use super::plan::{Entry, ReleaseDiff};
use super::{prune, wait, ApplyCounts, ApplySettings};

/// Kinds applied before everything else, in a wave of their own.
fn goes_first(kind: &str) -> bool {
    matches!(kind, "Namespace" | "CustomResourceDefinition")
}

/// Apply groups: Namespaces and CRDs first, then one wave per install rank.
/// Objects of one wave are independent and go out concurrently.
pub fn waves(kinds: &[&str]) -> Vec<Vec<usize>> {
    let mut first = Vec::new();
    let mut rest: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, kind) in kinds.iter().enumerate() {
        if goes_first(kind) {
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

/// Create the release namespace the plan adds on its own (`implicit`), which
/// must exist before the release's records can. Returns how many were created.
pub async fn create_implicit(
    cluster: &Cluster,
    field_manager: &str,
    diff: &ReleaseDiff,
    events: &dyn Events,
) -> anyhow::Result<usize> {
    let mut created = 0;
    for e in diff.entries.iter().filter(|e| e.implicit) {
        if let (Some(res), Some(body)) = (&e.resource, &e.desired) {
            cluster
                .apply(
                    res,
                    body,
                    &ApplyOptions {
                        field_manager: field_manager.to_string(),
                        force: false,
                        dry_run: false,
                    },
                )
                .await
                .with_context(|| format!("cannot create namespace {}", diff.namespace))?;
            events.event(Event::Applied {
                release: &diff.release,
                object: &e.diff.object,
                created: true,
            });
            created += 1;
        }
    }
    Ok(created)
}

/// Apply one release's plan: create/configure what changes (Namespaces and
/// CRDs first, CRDs waited for until Established and discovery refreshed, then
/// install order in concurrent waves), prune in reverse install order, wait for
/// workloads. Objects the plan shows unchanged are not written, nor are the
/// implicit namespaces ([`create_implicit`] creates those).
pub async fn apply_release(
    cluster: &Cluster,
    settings: &ApplySettings,
    diff: &ReleaseDiff,
    events: &dyn Events,
) -> anyhow::Result<ApplyCounts> {
    let mut counts = ApplyCounts {
        unchanged: diff
            .entries
            .iter()
            .filter(|e| e.diff.action == Action::Unchanged)
            .count(),
        ..ApplyCounts::default()
    };
    let to_apply: Vec<&Entry> = diff
        .entries
        .iter()
        .filter(|e| matches!(e.diff.action, Action::Add | Action::Change) && e.desired.is_some())
        .filter(|e| !e.implicit)
        .collect();
    let kinds: Vec<&str> = to_apply
        .iter()
        .map(|e| e.diff.object.kind.as_str())
        .collect();
    for wave in waves(&kinds) {
        let entries: Vec<&Entry> = wave.iter().map(|i| to_apply[*i]).collect();
        apply_wave(cluster, settings, diff, &entries, &mut counts, events).await?;
        if wave.iter().all(|i| goes_first(kinds[*i])) {
            // CRDs must be Established before their custom objects.
            wait::established(cluster, settings, diff, &entries, events).await?;
        }
    }
    if settings.prune {
        counts.pruned = prune::prune(cluster, diff, events).await?;
    }
    if let Some(timeout) = settings.wait {
        counts.waited = wait::workloads(cluster, settings, diff, timeout, events).await?;
    }
    Ok(counts)
}

/// Write one wave's objects concurrently, counting what was created and configured.
async fn apply_wave(
    cluster: &Cluster,
    settings: &ApplySettings,
    diff: &ReleaseDiff,
    entries: &[&Entry],
    counts: &mut ApplyCounts,
    events: &dyn Events,
) -> anyhow::Result<()> {
    let opts = ApplyOptions {
        field_manager: settings.field_manager.clone(),
        force: settings.force_conflicts,
        dry_run: false,
    };
    let results: Vec<anyhow::Result<Action>> = stream::iter(entries.iter().copied())
        .map(|e| {
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
                events.event(Event::Applied {
                    release: &diff.release,
                    object: &e.diff.object,
                    created: e.diff.action == Action::Add,
                });
                Ok(e.diff.action)
            }
        })
        .buffer_unordered(settings.concurrency.max(1))
        .collect()
        .await;
    for r in results {
        match r? {
            Action::Add => counts.created += 1,
            _ => counts.configured += 1,
        }
    }
    Ok(())
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
}
