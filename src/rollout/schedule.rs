//! Deploying many releases: each starts as soon as every release it `needs`
//! has settled (not when a whole level of the DAG has), so a slow release
//! delays only what needs it; releases with no path between them run
//! together. A release whose need failed or was skipped is skipped.

use std::collections::{HashMap, HashSet};

use futures::StreamExt as _;

use super::deploy::{deploy_release, DeployRelease, DeploySettings, Outcome, OutcomeStatus};
use super::events::Event;
use super::Rollout;

/// Deploy `releases` in `needs` order. Returns every release's outcome (in
/// the order given), or the first failure naming every failed release.
pub async fn deploy_all(
    r: &Rollout<'_>,
    settings: &DeploySettings,
    releases: &[DeployRelease<'_>],
) -> anyhow::Result<Vec<Outcome>> {
    let n = releases.len();
    let names: HashSet<&str> = releases.iter().map(|d| d.name.as_str()).collect();
    let mut outcomes: Vec<Option<Outcome>> = vec![None; n];
    let mut failed: Vec<String> = Vec::new();
    let mut first_error: Option<anyhow::Error> = None;
    let mut pending: Vec<usize> = (0..n).collect();
    let mut running = futures::stream::FuturesUnordered::new();
    loop {
        let status: HashMap<&str, OutcomeStatus> = outcomes
            .iter()
            .flatten()
            .map(|o| (o.release.as_str(), o.status))
            .collect();
        let (ready, rest): (Vec<usize>, Vec<usize>) = pending.iter().partition(|i| {
            releases[**i]
                .needs
                .iter()
                .filter(|need| names.contains(need.as_str()))
                .all(|need| status.contains_key(need.as_str()))
        });
        pending = rest;
        let mut skipped = Vec::new();
        for i in ready {
            let d = &releases[i];
            let blocked: Vec<&str> = d
                .needs
                .iter()
                .map(String::as_str)
                .filter(|need| {
                    matches!(
                        status.get(need),
                        Some(OutcomeStatus::Failed | OutcomeStatus::Skipped)
                    )
                })
                .collect();
            if blocked.is_empty() {
                running.push(async move { (i, deploy_release(r, settings, d).await) });
            } else {
                let reason = format!("not deployed: it needs {} which failed", blocked.join(", "));
                r.events.event(Event::Skipped {
                    release: &d.name,
                    reason: &reason,
                });
                let mut o = Outcome::idle(d, OutcomeStatus::Skipped);
                o.error = Some(reason);
                skipped.push((i, o));
            }
        }
        if !skipped.is_empty() {
            // Skips settle releases too: look again before waiting.
            for (i, o) in skipped {
                outcomes[i] = Some(o);
            }
            continue;
        }
        let Some((i, result)) = running.next().await else {
            if !pending.is_empty() {
                anyhow::bail!("the needs of releases {pending:?} form a cycle");
            }
            break;
        };
        match result {
            Ok(o) => outcomes[i] = Some(o),
            Err(e) => {
                let mut o = Outcome::idle(&releases[i], OutcomeStatus::Failed);
                o.error = Some(format!("{e:#}"));
                outcomes[i] = Some(o);
                failed.push(releases[i].name.clone());
                if first_error.is_none() {
                    first_error = Some(e);
                }
            }
        }
    }
    if let Some(err) = first_error {
        return Err(err.context(format!(
            "deploy failed for release(s) {}",
            failed.join(", ")
        )));
    }
    Ok(outcomes.into_iter().flatten().collect())
}
