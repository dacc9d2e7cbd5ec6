//! The deploy leases of a whole rollout, taken before anything of it is
//! applied: every due release's (implicit namespace, then lease and pending
//! record) in one stable order — by namespace, then name — so two concurrent
//! deploys of one profile cannot split the releases between them: the first
//! to lease the first release gets them all, the other stops at once naming
//! the holder, gives back what it took, and applies nothing. While releases
//! wait for the ones they need, their leases are renewed ([`renew_waiting`]);
//! a release that never gets to apply gives its lease back ([`give_back`]).

use std::time::Instant;

use anyhow::Context as _;

use crate::release::Status;

use super::apply::create_implicit;
use super::deploy::DeployRelease;
use super::events::{Event, Operation};
use super::transaction::Attempt;
use super::{ApplySettings, Rollout};

/// A release whose lease is taken, with what leasing it created.
pub(crate) struct Leased<'r, 'a> {
    pub attempt: Attempt<'r, 'a>,
    /// Implicit namespaces created so the record could be written.
    pub implicit_created: usize,
}

/// One due release's leasing: its progress starts, its implicit namespace
/// is created (records live in it), then its lease and pending record.
pub(crate) async fn lease<'r, 'a>(
    r: &'r Rollout<'a>,
    apply: &ApplySettings,
    d: &DeployRelease<'_>,
) -> anyhow::Result<Leased<'r, 'a>> {
    r.events.event(Event::Started {
        release: &d.name,
        steps: d.diff.entries.len() as u64,
    });
    let implicit_created =
        create_implicit(r.cluster, &apply.field_manager, d.diff, r.events).await?;
    let attempt = Attempt::begin(
        r,
        Operation::Deploy,
        &d.namespace,
        &d.name,
        d.meta.clone(),
        Status::Superseded,
    )
    .await
    .with_context(|| format!("cannot start deploying release {}/{}", d.namespace, d.name))?;
    Ok(Leased {
        attempt,
        implicit_created,
    })
}

/// The leases of every due release of `releases` (index-aligned; `None` for
/// a release not due), taken in (namespace, name) order. The first that
/// cannot be taken stops it: the ones taken are given back, and the error
/// says no release of the deploy was applied.
pub(crate) async fn lease_all<'r, 'a>(
    r: &'r Rollout<'a>,
    apply: &ApplySettings,
    releases: &[DeployRelease<'_>],
) -> anyhow::Result<Vec<Option<(Leased<'r, 'a>, Instant)>>> {
    let mut order: Vec<usize> = (0..releases.len())
        .filter(|i| releases[*i].is_due())
        .collect();
    order.sort_by(|a, b| {
        let (a, b) = (&releases[*a], &releases[*b]);
        (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
    });
    let mut slots: Vec<Option<(Leased<'r, 'a>, Instant)>> =
        (0..releases.len()).map(|_| None).collect();
    for i in order {
        let started = Instant::now();
        match lease(r, apply, &releases[i]).await {
            Ok(leased) => slots[i] = Some((leased, started)),
            Err(e) => {
                give_back(&mut slots).await;
                return Err(e.context(
                    "no release of this deploy was applied: every due release is leased before any is applied",
                ));
            }
        }
    }
    Ok(slots)
}

/// Renew the leases of the releases still waiting for their turn. A failure
/// is left for the release's own writes to find (a lost lease stops it there).
pub(crate) async fn renew_waiting(slots: &[Option<(Leased<'_, '_>, Instant)>]) {
    for (leased, _) in slots.iter().flatten() {
        let _ = leased.attempt.renew().await;
    }
}

/// Give back every lease still in `slots` (nothing of those releases was
/// applied): their pending records go. Best effort: one that cannot be given
/// back is reported and expires on its own.
pub(crate) async fn give_back(slots: &mut [Option<(Leased<'_, '_>, Instant)>]) {
    for slot in slots.iter_mut() {
        if let Some((leased, _)) = slot.take() {
            let attempt = leased.attempt;
            let r = attempt.rollout();
            let release = attempt.release().to_string();
            let revision = attempt.revision();
            if let Err(error) = attempt.abandon().await {
                r.events.event(Event::FailureNotRecorded {
                    operation: Operation::Deploy,
                    release: &release,
                    revision,
                    error: &error,
                });
            }
        }
    }
}
