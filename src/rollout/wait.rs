//! Waiting after an apply: CRDs until Established (then their group versions
//! are rediscovered), and the release's workloads until ready, reporting each
//! pending state as an event. What "ready" means per kind is
//! `cluster::ready`'s; this module decides what is waited for and until when.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::{stream, StreamExt as _};

use crate::cluster::{discovery, Cluster};

use super::events::{Event, Events};
use super::plan::{Entry, ReleaseDiff};
use super::ApplySettings;

/// How long CRDs may take to be Established under `--no-wait`.
const CRD_WAIT_WITHOUT_TIMEOUT: Duration = Duration::from_secs(60);

/// Wait for the CRDs among `wave` to be Established, then forget their group
/// versions so the custom objects that follow are discovered afresh.
pub async fn established(
    cluster: &Cluster,
    settings: &ApplySettings,
    diff: &ReleaseDiff,
    wave: &[&Entry],
    events: &dyn Events,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + settings.wait.unwrap_or(CRD_WAIT_WITHOUT_TIMEOUT);
    for e in wave
        .iter()
        .filter(|e| e.diff.object.kind == "CustomResourceDefinition")
    {
        if let Some(res) = &e.resource {
            cluster
                .wait_ready(
                    res,
                    None,
                    &e.diff.object.name,
                    deadline,
                    settings.poll,
                    |state| {
                        events.event(Event::Waiting {
                            release: &diff.release,
                            object: &e.diff.object,
                            state,
                        })
                    },
                )
                .await
                .with_context(|| format!("release {}", diff.release))?;
        }
        if let Some(body) = &e.desired {
            for (gv, _) in discovery::crd_kinds(body) {
                cluster.forget(&gv);
            }
        }
    }
    Ok(())
}

/// Wait until `timeout` for every workload the plan applies (or leaves
/// unchanged) to be ready, `settings.concurrency` at a time. Returns how many
/// were waited for; the first failure or timeout is the error.
pub async fn workloads(
    cluster: &Cluster,
    settings: &ApplySettings,
    diff: &ReleaseDiff,
    timeout: Duration,
    events: &dyn Events,
) -> anyhow::Result<usize> {
    let deadline = Instant::now() + timeout;
    let waited: Vec<&Entry> = diff
        .entries
        .iter()
        .filter(|e| e.desired.is_some())
        // CRDs were waited for (Established) before anything else applied.
        .filter(|e| {
            let kind = e.diff.object.kind.as_str();
            crate::cluster::ready::is_waited_kind(kind) && kind != "CustomResourceDefinition"
        })
        .collect();
    let results: Vec<anyhow::Result<()>> = stream::iter(waited.iter())
        .map(|e| async move {
            let res = match &e.resource {
                Some(r) => r.clone(),
                None => {
                    cluster
                        .resolve(&e.diff.object.api_version, &e.diff.object.kind)
                        .await?
                }
            };
            cluster
                .wait_ready(
                    &res,
                    e.diff.object.namespace.as_deref(),
                    &e.diff.object.name,
                    deadline,
                    settings.poll,
                    |state| {
                        events.event(Event::Waiting {
                            release: &diff.release,
                            object: &e.diff.object,
                            state,
                        })
                    },
                )
                .await
                .with_context(|| format!("release {}", diff.release))?;
            events.event(Event::Ready {
                release: &diff.release,
                object: &e.diff.object,
            });
            Ok(())
        })
        .buffer_unordered(settings.concurrency.max(1))
        .collect()
        .await;
    let mut count = 0;
    for r in results {
        r?;
        count += 1;
    }
    Ok(count)
}
