//! Deploying many releases: each starts as soon as every release it `needs`
//! has settled (not when a whole level of the DAG has), so a slow release
//! delays only what needs it; releases with no path between them run
//! together. A release whose need failed or was skipped is skipped. Every
//! due release's lease is taken before any is applied ([`super::leases`]),
//! renewed while it waits, and given back when it never gets to apply.

use std::collections::{HashMap, HashSet};

use futures::StreamExt as _;

use super::deploy::{
    deploy_leased, deploy_release, DeployRelease, DeploySettings, Outcome, OutcomeStatus,
};
use super::events::Event;
use super::leases::{give_back, lease_all, renew_waiting};
use super::Rollout;

/// Deploy `releases` in `needs` order. Returns every release's outcome (in
/// the order given), or the first failure naming every failed release.
pub async fn deploy_all(
    r: &Rollout<'_>,
    settings: &DeploySettings,
    releases: &[DeployRelease<'_>],
) -> anyhow::Result<Vec<Outcome>> {
    let n = releases.len();
    let cyclic = in_cycles(releases);
    if !cyclic.is_empty() {
        // Found before any lease is taken or anything applied.
        anyhow::bail!("the needs of releases {cyclic:?} form a cycle");
    }
    let mut slots = lease_all(r, &settings.apply, releases).await?;
    let period = (r.releases.lease_duration() / 3).max(std::time::Duration::from_millis(200));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
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
                let leased = slots[i].take();
                running.push(async move {
                    let out = match leased {
                        Some((leased, started)) => {
                            deploy_leased(r, settings, d, leased, started).await
                        }
                        None => deploy_release(r, settings, d).await,
                    };
                    (i, out)
                });
            } else {
                if let Some(leased) = slots[i].take() {
                    give_back(&mut [Some(leased)]).await;
                }
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
        let next = loop {
            tokio::select! {
                next = running.next() => break next,
                _ = tick.tick() => renew_waiting(&slots).await,
            }
        };
        let Some((i, result)) = next else {
            give_back(&mut slots).await;
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

/// The releases (indices, ascending) that can never start because their
/// `needs` (within the rollout) form or hang on a cycle.
fn in_cycles(releases: &[DeployRelease<'_>]) -> Vec<usize> {
    let names: HashSet<&str> = releases.iter().map(|d| d.name.as_str()).collect();
    let mut settled: HashSet<&str> = HashSet::new();
    let mut left: Vec<usize> = (0..releases.len()).collect();
    loop {
        let (ready, rest): (Vec<usize>, Vec<usize>) = left.iter().partition(|i| {
            releases[**i]
                .needs
                .iter()
                .filter(|need| names.contains(need.as_str()))
                .all(|need| settled.contains(need.as_str()))
        });
        if ready.is_empty() {
            return rest;
        }
        settled.extend(ready.iter().map(|i| releases[*i].name.as_str()));
        left = rest;
    }
}
