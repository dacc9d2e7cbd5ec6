//! Release lifecycle: revision records, the deploy lease, history limits.
//!
//! Every deploy of a release writes a revision record ([`Record`]); the newest
//! `deployed` one is the base for the next diff and prune ([`Releases::current`]).
//! Records sit behind the [`Store`] trait: [`SecretStore`] keeps them as Secrets
//! `berth.release.v1.<release>.v<N>` in the cluster, [`MemoryStore`] in memory for
//! unit tests. A rollback is just a new revision copying an old manifest.
//!
//! # The deploy lease
//!
//! The lease is carried by the pending record itself rather than by a separate
//! `coordination.k8s.io` Lease: the record Secret of the revision being deployed
//! holds the holder (`user@host:pid`), when it was taken, last renewed and when it
//! expires. One object means no window where a lease exists without its record
//! (or the reverse), and it needs no RBAC beyond Secrets. Safety comes from the
//! API server's compare-and-swap: the pending record is *created* under a fresh
//! revision name (two racing deploys cannot both create `vN`), and every later
//! write (renew, take-over, succeed, fail) carries the `resourceVersion` it read,
//! so a holder that lost its lease finds out at its next write
//! ([`ReleaseError::LeaseLost`]). [`Releases::begin`] refuses while another
//! holder's lease is unexpired, naming the holder and since when; an expired lease,
//! or one whose holder process is known gone ([`holder`]: a killed deploy on this
//! machine), is taken over: its record becomes `failed` with the reason, and
//! [`Transaction::took_over`] says so. No release is ever stuck.
//!
//! # Exactly one `deployed` revision
//!
//! [`Transaction::succeed`] supersedes the current revision before recording its
//! own: no instant has two `deployed` records, and one interrupted in between
//! leaves none, which [`current`] reads as the last one deployed. Before a new
//! pending record, [`Releases::begin`] repairs any history that breaks the rule
//! ([`repair`]) and [`Transaction::repaired`] says what it rewrote.
//! Expiry is judged by the clock of the process that wants the lease, against the
//! expiry instant the holder wrote: hosts are assumed roughly in sync (NTP); a
//! skew only shortens or lengthens the wait by that much. A pending record names
//! the objects its deploy is about to apply once the deploy calls
//! [`Transaction::set_intended`]; a record taken over keeps them, so `delete`
//! and later rollbacks can find what a killed deploy may have created.
//!
//! This module owns the records and leases; it never touches the release's
//! objects (applying and pruning are `cluster`'s), and it prints nothing.

mod codec;
pub mod holder;
pub mod repair;
mod secret;
mod store;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

pub use codec::{decode, encode, CodecError};
pub use secret::{from_secret, SecretStore, DATA_KEY, SECRET_TYPE};
pub use store::{Lease, MemoryStore, Store, Stored};

use crate::git::GitInfo;
use crate::manifest::ObjectRef;

/// Status of one revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Being deployed now (holds the deploy lease).
    Pending,
    /// Live: the newest deployed revision is the release's current state.
    Deployed,
    /// The deploy failed (or was abandoned); see the record's error.
    Failed,
    /// Was deployed, replaced by a newer deploy.
    Superseded,
    /// Was deployed, replaced by a rollback to an earlier revision.
    RolledBack,
}

impl Status {
    /// The spelling used in labels, tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Deployed => "deployed",
            Status::Failed => "failed",
            Status::Superseded => "superseded",
            Status::RolledBack => "rolled-back",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One revision of a release. Its `manifest` holds rendered Secrets in clear:
/// never print it (the `Debug` impl leaves it out).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub release: String,
    pub namespace: String,
    pub revision: u32,
    pub status: Status,
    pub profile: String,
    pub chart_name: String,
    pub chart_version: String,
    pub git: GitInfo,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The rendered multi-document YAML (contains Secret values).
    pub manifest: String,
    /// The objects this revision applied, in install order.
    pub inventory: Vec<ObjectRef>,
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("release", &self.release)
            .field("namespace", &self.namespace)
            .field("revision", &self.revision)
            .field("status", &self.status)
            .field("profile", &self.profile)
            .field("chart_name", &self.chart_name)
            .field("chart_version", &self.chart_version)
            .field("git", &self.git)
            .field("description", &self.description)
            .field("error", &self.error)
            .field("started_at", &self.started_at)
            .field("updated_at", &self.updated_at)
            .field(
                "manifest",
                &format_args!("<{} bytes, not shown>", self.manifest.len()),
            )
            .field("inventory", &self.inventory)
            .finish()
    }
}

/// What a deploy says about itself when it begins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordMeta {
    pub profile: String,
    pub chart_name: String,
    pub chart_version: String,
    pub git: GitInfo,
    /// e.g. `deploy`, `rollback to 3`.
    pub description: String,
}

/// Errors of the release store and lease.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("release {namespace}/{release} is being deployed by {holder} since {since} (revision {revision} pending, lease expires {expires}): wait for that deploy to finish, or for its lease to expire")]
    LeaseHeld {
        namespace: String,
        release: String,
        revision: u32,
        holder: String,
        since: String,
        expires: String,
    },
    #[error("lost the deploy lease of {namespace}/{release} (revision {revision}): {reason}")]
    LeaseLost {
        namespace: String,
        release: String,
        revision: u32,
        reason: String,
    },
    #[error("could not take the deploy lease of {namespace}/{release}: other deploys keep racing for it; try again")]
    Contended { namespace: String, release: String },
    #[error("release {namespace}/{release}: revision {revision} was applied, but its record could not be written ({left})")]
    NotRecorded {
        namespace: String,
        release: String,
        revision: u32,
        /// What state the record is left in.
        left: String,
        #[source]
        source: Box<ReleaseError>,
    },
    #[error("release record {name} already exists")]
    RecordExists { name: String },
    #[error("release record {name} was changed by someone else")]
    RecordChanged { name: String },
    #[error("release record {name} was deleted")]
    RecordGone { name: String },
    #[error("release record {name} has no `{}` data", DATA_KEY)]
    MissingData { name: String },
    #[error("cannot read release record {name}")]
    Decode {
        name: String,
        #[source]
        source: CodecError,
    },
    #[error("cannot encode release record {name}")]
    Encode {
        name: String,
        #[source]
        source: CodecError,
    },
    #[error("release {namespace}/{release} has no revision {revision} (kept revisions: {kept})")]
    NoSuchRevision {
        namespace: String,
        release: String,
        revision: u32,
        kept: String,
    },
    #[error("revision {revision} of {namespace}/{release} is {status}: only a revision that was deployed can be restored")]
    NotRestorable {
        namespace: String,
        release: String,
        revision: u32,
        status: Status,
    },
    #[error("release {namespace}/{release} has no earlier deployed revision to roll back to")]
    NothingToRollBackTo { namespace: String, release: String },
    #[error("cannot {op} release record {name}: {source}")]
    Cluster {
        op: &'static str,
        name: String,
        #[source]
        source: Box<crate::cluster::ClusterError>,
    },
}

/// The name of a revision record: `berth.release.v1.<release>.v<N>`.
pub fn record_name(release: &str, revision: u32) -> String {
    format!("berth.release.v1.{release}.v{revision}")
}

/// Where "now" comes from (injected so lease expiry is testable).
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// `user@host:pid` of this process: the lease holder name.
pub fn default_holder() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    let host = hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "unknown".to_string());
    format!("{user}@{host}:{}", std::process::id())
}

/// A record time as shown to users: RFC 3339, whole seconds, UTC (`Z`).
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The release records of a cluster (or of any [`Store`]), with the rules:
/// revision numbering, the deploy lease, superseding, history limit.
pub struct Releases<S: Store = SecretStore> {
    store: Arc<S>,
    history_limit: usize,
    lease: Duration,
    holder: String,
    clock: Arc<dyn Clock>,
}

impl Releases<SecretStore> {
    /// Records as Secrets through `client`. `history_limit` 0 keeps every record;
    /// `lease` is how long a deploy lease lasts without renewal; `holder` names this
    /// process (see [`default_holder`]).
    pub fn new(
        client: kube::Client,
        history_limit: usize,
        lease: Duration,
        holder: String,
    ) -> Self {
        Releases::with_store(
            SecretStore::new(client),
            history_limit,
            lease,
            holder,
            Arc::new(SystemClock),
        )
    }
}

impl<S: Store> Releases<S> {
    /// Records in any store, with an injected clock (tests).
    pub fn with_store(
        store: S,
        history_limit: usize,
        lease: Duration,
        holder: String,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Releases {
            store: Arc::new(store),
            history_limit,
            lease,
            holder,
            clock,
        }
    }

    /// How long a deploy lease lasts without renewal.
    pub fn lease_duration(&self) -> Duration {
        self.lease
    }

    /// The newest `deployed` record: the base for diff and prune.
    pub async fn current(&self, ns: &str, release: &str) -> Result<Option<Record>, ReleaseError> {
        Ok(current(&self.history(ns, release).await?).cloned())
    }

    /// Every record of the release, ascending by revision.
    pub async fn history(&self, ns: &str, release: &str) -> Result<Vec<Record>, ReleaseError> {
        Ok(self
            .sorted(ns, release)
            .await?
            .into_iter()
            .map(|s| s.record)
            .collect())
    }

    /// One revision's record, when it exists.
    pub async fn get(
        &self,
        ns: &str,
        release: &str,
        revision: u32,
    ) -> Result<Option<Record>, ReleaseError> {
        Ok(self
            .history(ns, release)
            .await?
            .into_iter()
            .find(|r| r.revision == revision))
    }

    /// The deploy lease of a pending revision, if any (for `status`), with its revision.
    pub async fn lease(&self, ns: &str, release: &str) -> Result<Option<HeldLease>, ReleaseError> {
        Ok(self
            .sorted(ns, release)
            .await?
            .into_iter()
            .rev()
            .filter(|s| s.record.status == Status::Pending)
            .find_map(|s| {
                let holder_gone = holder_gone(&s);
                s.lease.map(|lease| HeldLease {
                    revision: s.record.revision,
                    lease,
                    holder_gone,
                })
            }))
    }

    /// The revision the next deploy will get: one past the highest existing.
    pub async fn next_revision(&self, ns: &str, release: &str) -> Result<u32, ReleaseError> {
        Ok(next_after(&self.sorted(ns, release).await?))
    }

    /// Refuse if another process holds an unexpired lease on the release (for
    /// commands like `delete` that must not interleave with a deploy).
    pub async fn check_lease(&self, ns: &str, release: &str) -> Result<(), ReleaseError> {
        let all = self.sorted(ns, release).await?;
        let now = self.clock.now();
        for s in all.iter().filter(|s| s.record.status == Status::Pending) {
            let expires = self.expiry(s);
            if expires > now && !holder_gone(s) {
                return Err(self.held(s, expires));
            }
        }
        Ok(())
    }

    /// Take the deploy lease and write the pending record of the next revision.
    ///
    /// Refuses ([`ReleaseError::LeaseHeld`]) while another deploy's lease is
    /// unexpired. An expired lease is taken over: its record is marked `failed`
    /// and [`Transaction::took_over`] carries a message saying so.
    pub async fn begin(
        &self,
        ns: &str,
        release: &str,
        meta: RecordMeta,
    ) -> Result<Transaction<S>, ReleaseError> {
        let mut took_over: Vec<String> = Vec::new();
        let mut repaired: Vec<String> = Vec::new();
        for _attempt in 0..5 {
            let all = self.sorted(ns, release).await?;
            let now = self.clock.now();
            let mut raced = false;
            for s in all.iter().filter(|s| s.record.status == Status::Pending) {
                let expires = self.expiry(s);
                let gone = holder_gone(s);
                if expires > now && !gone {
                    return Err(self.held(s, expires));
                }
                let why = if gone {
                    "its process on this machine is gone".to_string()
                } else {
                    format!("expired {}", timestamp(expires))
                };
                let (holder, since) = match &s.lease {
                    Some(l) => (l.holder.clone(), timestamp(l.acquired_at)),
                    None => (
                        "an unknown holder".to_string(),
                        timestamp(s.record.started_at),
                    ),
                };
                let mut abandoned = s.record.clone();
                abandoned.status = Status::Failed;
                abandoned.updated_at = now;
                abandoned.error = Some(format!(
                    "abandoned: the deploy by {holder} stopped renewing its lease ({why}); taken over by {}",
                    self.holder
                ));
                match self.store.update(&abandoned, None, &s.version).await {
                    Ok(_) => took_over.push(format!(
                        "took over the deploy lease of {ns}/{release} held by {holder} since {since} ({why}); its revision {} is recorded as failed",
                        s.record.revision
                    )),
                    Err(ReleaseError::RecordChanged { .. } | ReleaseError::RecordGone { .. }) => {
                        raced = true;
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            if raced {
                continue;
            }
            // No live deploy is left: make exactly one revision `deployed`.
            let taken: Vec<u32> = all
                .iter()
                .filter(|s| s.record.status == Status::Pending)
                .map(|s| s.record.revision)
                .collect();
            let mut all = all;
            for s in all
                .iter_mut()
                .filter(|s| taken.contains(&s.record.revision))
            {
                s.record.status = Status::Failed;
            }
            let records: Vec<Record> = all.iter().map(|s| s.record.clone()).collect();
            for fix in repair::repairs(&records) {
                let Some(s) = all.iter_mut().find(|s| s.record.revision == fix.revision) else {
                    continue;
                };
                let mut fixed = s.record.clone();
                fixed.status = fix.status;
                fixed.updated_at = now;
                match self.store.update(&fixed, None, &s.version).await {
                    Ok(version) => {
                        s.record = fixed;
                        s.version = version;
                        repaired.push(format!(
                            "repaired the history of {ns}/{release}: {}",
                            fix.reason
                        ));
                    }
                    Err(ReleaseError::RecordChanged { .. } | ReleaseError::RecordGone { .. }) => {
                        raced = true;
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            if raced {
                continue;
            }
            let previous = all
                .iter()
                .rev()
                .find(|s| s.record.status == Status::Deployed)
                .map(|s| s.record.clone());
            let revision = next_after(&all);
            let record = Record {
                release: release.to_string(),
                namespace: ns.to_string(),
                revision,
                status: Status::Pending,
                profile: meta.profile.clone(),
                chart_name: meta.chart_name.clone(),
                chart_version: meta.chart_version.clone(),
                git: meta.git.clone(),
                description: meta.description.clone(),
                error: None,
                started_at: now,
                updated_at: now,
                manifest: String::new(),
                inventory: Vec::new(),
            };
            let lease = Lease {
                holder: self.holder.clone(),
                acquired_at: now,
                renewed_at: now,
                expires_at: now + self.lease_chrono(),
            };
            match self.store.create(&record, Some(&lease)).await {
                Ok(version) => {
                    return Ok(Transaction {
                        revision,
                        previous,
                        took_over: if took_over.is_empty() {
                            None
                        } else {
                            Some(took_over.join("; "))
                        },
                        repaired,
                        namespace: ns.to_string(),
                        release: release.to_string(),
                        store: self.store.clone(),
                        clock: self.clock.clone(),
                        lease_duration: self.lease,
                        history_limit: self.history_limit,
                        previous_becomes: Status::Superseded,
                        state: tokio::sync::Mutex::new(TxState {
                            record,
                            lease,
                            version,
                        }),
                    })
                }
                // Someone created that revision between our list and create: look again
                // (it will be their pending record, and we will refuse naming them).
                Err(ReleaseError::RecordExists { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(ReleaseError::Contended {
            namespace: ns.to_string(),
            release: release.to_string(),
        })
    }

    /// Delete every record of the release (after its objects are gone).
    pub async fn delete_records(&self, ns: &str, release: &str) -> Result<(), ReleaseError> {
        for s in self.sorted(ns, release).await? {
            self.store.delete(ns, release, s.record.revision).await?;
        }
        Ok(())
    }

    async fn sorted(&self, ns: &str, release: &str) -> Result<Vec<Stored>, ReleaseError> {
        sorted(&*self.store, ns, release).await
    }

    fn lease_chrono(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::MAX)
    }

    /// When a pending record's lease expires; a pending record without a readable
    /// lease counts from its last update with our lease duration.
    fn expiry(&self, s: &Stored) -> DateTime<Utc> {
        match &s.lease {
            Some(l) => l.expires_at,
            None => s.record.updated_at + self.lease_chrono(),
        }
    }

    fn held(&self, s: &Stored, expires: DateTime<Utc>) -> ReleaseError {
        let (holder, since) = match &s.lease {
            Some(l) => (l.holder.clone(), l.acquired_at),
            None => ("an unknown holder".to_string(), s.record.started_at),
        };
        ReleaseError::LeaseHeld {
            namespace: s.record.namespace.clone(),
            release: s.record.release.clone(),
            revision: s.record.revision,
            holder,
            since: timestamp(since),
            expires: timestamp(expires),
        }
    }
}

/// The revision a rollback restores, from a release's records (ascending).
///
/// `Some(n)`: revision `n`, which must exist and have been deployed (`deployed`,
/// `superseded` or `rolled-back`; a `failed` or `pending` one is refused).
/// `None`: the newest revision before the current one that was deployed.
pub fn rollback_target(
    history: &[Record],
    requested: Option<u32>,
) -> Result<&Record, ReleaseError> {
    let (namespace, release) = history
        .first()
        .map(|r| (r.namespace.clone(), r.release.clone()))
        .unwrap_or_default();
    let was_deployed = |r: &&Record| {
        matches!(
            r.status,
            Status::Deployed | Status::Superseded | Status::RolledBack
        )
    };
    match requested {
        Some(revision) => {
            let record = history
                .iter()
                .find(|r| r.revision == revision)
                .ok_or_else(|| ReleaseError::NoSuchRevision {
                    namespace: namespace.clone(),
                    release: release.clone(),
                    revision,
                    kept: if history.is_empty() {
                        "none".to_string()
                    } else {
                        history
                            .iter()
                            .map(|r| r.revision.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                })?;
            if was_deployed(&record) {
                Ok(record)
            } else {
                Err(ReleaseError::NotRestorable {
                    namespace,
                    release,
                    revision,
                    status: record.status,
                })
            }
        }
        None => {
            let current = current(history).map_or(u32::MAX, |r| r.revision);
            history
                .iter()
                .rev()
                .filter(|r| r.revision < current)
                .find(was_deployed)
                .ok_or(ReleaseError::NothingToRollBackTo { namespace, release })
        }
    }
}

/// Every object any kept record of a release applied, without duplicates, in
/// reverse install order (what `delete` removes, workloads before their config,
/// namespaces last).
pub fn all_objects(history: &[Record]) -> Vec<ObjectRef> {
    let mut refs: Vec<ObjectRef> = Vec::new();
    for r in history.iter().rev() {
        for o in &r.inventory {
            if !refs.contains(o) {
                refs.push(o.clone());
            }
        }
    }
    // Stable: within a kind, the newest revision's order is kept (reversed).
    refs.reverse();
    refs.sort_by_key(|o| crate::manifest::order::install_rank(&o.kind));
    refs.reverse();
    refs
}

fn next_after(sorted: &[Stored]) -> u32 {
    sorted.last().map_or(1, |s| s.record.revision + 1)
}

struct TxState {
    record: Record,
    lease: Lease,
    version: String,
}

/// The lease of a release's newest pending revision, as [`Releases::lease`]
/// finds it.
#[derive(Debug, Clone)]
pub struct HeldLease {
    pub revision: u32,
    pub lease: Lease,
    /// The holding process is known to be gone (same machine), so the next
    /// deploy takes the lease over at once, expired or not.
    pub holder_gone: bool,
}

/// A deploy in progress: holds the lease and the pending record of `revision`.
/// End it with [`Transaction::succeed`] or [`Transaction::fail`]; one dropped
/// without either leaves its lease to expire (as a killed process would).
pub struct Transaction<S: Store = SecretStore> {
    /// The revision being deployed.
    pub revision: u32,
    /// The newest deployed record when the deploy began (the diff/prune base).
    pub previous: Option<Record>,
    /// When an expired lease was taken over: a message for the user saying whose,
    /// since when, and which revision was marked failed.
    pub took_over: Option<String>,
    /// What [`Releases::begin`] repaired in the history (see [`repair`]), one
    /// sentence per rewritten record.
    pub repaired: Vec<String>,
    namespace: String,
    release: String,
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    lease_duration: Duration,
    history_limit: usize,
    previous_becomes: Status,
    state: tokio::sync::Mutex<TxState>,
}

impl<S: Store> Transaction<S> {
    /// The namespace of the release being deployed.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The name of the release being deployed.
    pub fn release(&self) -> &str {
        &self.release
    }

    /// What the replaced deployed revision becomes on success: `superseded` by
    /// default, `rolled-back` when this transaction is a rollback.
    pub fn set_previous_status(&mut self, status: Status) {
        self.previous_becomes = status;
    }

    /// Extend the lease (call periodically while the deploy runs; see [`Transaction::hold`]).
    /// [`ReleaseError::LeaseLost`] when someone took it over meanwhile.
    pub async fn renew(&self) -> Result<(), ReleaseError> {
        let mut st = self.state.lock().await;
        let now = self.clock.now();
        let mut lease = st.lease.clone();
        lease.renewed_at = now;
        lease.expires_at =
            now + chrono::Duration::from_std(self.lease_duration).unwrap_or(chrono::Duration::MAX);
        let version = self.write(&st.record, Some(&lease), &st.version).await?;
        st.lease = lease;
        st.version = version;
        Ok(())
    }

    /// Write what this deploy is about to apply onto its pending record (and
    /// renew the lease). Should the process die mid-apply, the record taken over
    /// later still names the objects it may have created, so `delete` and the
    /// prune base of later rollbacks can find them. One write; optional.
    pub async fn set_intended(
        &self,
        manifest: String,
        inventory: Vec<ObjectRef>,
    ) -> Result<(), ReleaseError> {
        let mut st = self.state.lock().await;
        let now = self.clock.now();
        let mut record = st.record.clone();
        record.manifest = manifest;
        record.inventory = inventory;
        record.updated_at = now;
        let mut lease = st.lease.clone();
        lease.renewed_at = now;
        lease.expires_at =
            now + chrono::Duration::from_std(self.lease_duration).unwrap_or(chrono::Duration::MAX);
        let version = self.write(&record, Some(&lease), &st.version).await?;
        st.record = record;
        st.lease = lease;
        st.version = version;
        Ok(())
    }

    /// Run `work` while renewing the lease every third of its duration. Transient
    /// renewal errors are retried at the next tick; a lost lease stops `work`
    /// (it is dropped) and returns [`ReleaseError::LeaseLost`].
    pub async fn hold<F: std::future::Future>(&self, work: F) -> Result<F::Output, ReleaseError> {
        let period = (self.lease_duration / 3).max(Duration::from_millis(200));
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(work);
        loop {
            tokio::select! {
                out = &mut work => return Ok(out),
                _ = tick.tick() => match self.renew().await {
                    Ok(()) => {}
                    Err(e @ ReleaseError::LeaseLost { .. }) => return Err(e),
                    Err(_) => {}
                },
            }
        }
    }

    /// The deploy succeeded: the previously deployed revision becomes
    /// `superseded` (or `rolled-back`), then the record becomes `deployed`
    /// with its manifest and inventory (releasing the lease), and the history
    /// limit is enforced. In this order no instant has two `deployed`
    /// revisions; one stopped in between leaves none, with this pending
    /// record naming what it applied, which the next [`Releases::begin`]
    /// repairs.
    ///
    /// When a record cannot be written, the record is written `failed`
    /// instead (the previous deployed revision stays the base) if that still
    /// goes through, else it is left pending for the next deploy to take over
    /// (at once on this machine: see [`holder`]); the error is
    /// [`ReleaseError::NotRecorded`] either way.
    pub async fn succeed(
        self,
        manifest: String,
        inventory: Vec<ObjectRef>,
    ) -> Result<Record, ReleaseError> {
        let recorded = self
            .record_deployed(manifest.clone(), inventory.clone())
            .await;
        let record = match recorded {
            Ok(record) => record,
            // Someone else holds the record now: nothing more to write.
            Err(e @ ReleaseError::LeaseLost { .. }) => return Err(e),
            Err(e) => {
                let left = match self
                    .finish(
                        Status::Failed,
                        Some(format!(
                            "applied, but recording it deployed failed: {}",
                            crate::secrets::taint::redact(&e.to_string(), "<masked>")
                        )),
                        manifest,
                        inventory,
                    )
                    .await
                {
                    Ok(_) => "it is recorded failed instead; the next deploy starts from the previous deployed revision".to_string(),
                    Err(_) => "it is left pending; the next deploy on this machine takes its lease over at once, one elsewhere once the lease expires".to_string(),
                };
                return Err(ReleaseError::NotRecorded {
                    namespace: self.namespace.clone(),
                    release: self.release.clone(),
                    revision: self.revision,
                    left,
                    source: Box::new(e),
                });
            }
        };
        let all = self.sorted(&record.namespace, &record.release).await?;
        self.enforce_history_limit(&record, &all).await?;
        Ok(record)
    }

    /// Supersede every other deployed revision, then record ours deployed.
    async fn record_deployed(
        &self,
        manifest: String,
        inventory: Vec<ObjectRef>,
    ) -> Result<Record, ReleaseError> {
        let all = self.sorted(&self.namespace, &self.release).await?;
        let previous_revision = self.previous.as_ref().map(|p| p.revision);
        for s in all
            .iter()
            .filter(|s| s.record.status == Status::Deployed && s.record.revision != self.revision)
        {
            let mut replaced = s.record.clone();
            replaced.status = if Some(s.record.revision) == previous_revision {
                self.previous_becomes
            } else {
                Status::Superseded
            };
            replaced.updated_at = self.clock.now();
            match self.store.update(&replaced, None, &s.version).await {
                // Someone else touched or removed it meanwhile (not while we
                // hold the lease, but by hand): the next begin repairs it.
                Ok(_)
                | Err(ReleaseError::RecordChanged { .. } | ReleaseError::RecordGone { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        self.finish(Status::Deployed, None, manifest, inventory)
            .await
    }

    /// Give the lease back before anything was applied (another release of
    /// the rollout could not be leased, or one it needs failed): the pending
    /// record is deleted, leaving the history as it was.
    pub async fn abandon(self) -> Result<(), ReleaseError> {
        self.store
            .delete(&self.namespace, &self.release, self.revision)
            .await
    }

    /// The deploy failed: the record becomes `failed` with `error` (values
    /// from SOPS files masked: an API server may have echoed one), the lease
    /// is released, the previous deployed revision stays the base. The
    /// history limit is enforced.
    pub async fn fail(
        self,
        error: &str,
        manifest: String,
        inventory: Vec<ObjectRef>,
    ) -> Result<Record, ReleaseError> {
        let error = crate::secrets::taint::redact(error, "<masked>").into_owned();
        let record = self
            .finish(Status::Failed, Some(error), manifest, inventory)
            .await?;
        if self.history_limit > 0 {
            let all = self.sorted(&record.namespace, &record.release).await?;
            self.enforce_history_limit(&record, &all).await?;
        }
        Ok(record)
    }

    async fn finish(
        &self,
        status: Status,
        error: Option<String>,
        manifest: String,
        inventory: Vec<ObjectRef>,
    ) -> Result<Record, ReleaseError> {
        let mut st = self.state.lock().await;
        let mut record = st.record.clone();
        record.status = status;
        record.error = error;
        record.manifest = manifest;
        record.inventory = inventory;
        record.updated_at = self.clock.now();
        let version = self.write(&record, None, &st.version).await?;
        st.version = version;
        st.record = record.clone();
        Ok(record)
    }

    /// Write our pending record; a changed or deleted record means the lease is lost.
    async fn write(
        &self,
        record: &Record,
        lease: Option<&Lease>,
        version: &str,
    ) -> Result<String, ReleaseError> {
        let lost = |reason: String| ReleaseError::LeaseLost {
            namespace: record.namespace.clone(),
            release: record.release.clone(),
            revision: record.revision,
            reason,
        };
        match self.store.update(record, lease, version).await {
            Ok(v) => Ok(v),
            Err(ReleaseError::RecordChanged { .. }) => {
                let now_by = self
                    .sorted(&record.namespace, &record.release)
                    .await
                    .ok()
                    .and_then(|all| {
                        all.into_iter()
                            .find(|s| s.record.revision == record.revision)
                    })
                    .and_then(|s| s.record.error);
                Err(lost(match now_by {
                    Some(e) => format!("another deploy took it over ({e})"),
                    None => "its record was changed by another process".to_string(),
                }))
            }
            Err(ReleaseError::RecordGone { .. }) => Err(lost(
                "its record was deleted by another process".to_string(),
            )),
            Err(e) => Err(e),
        }
    }

    async fn sorted(&self, ns: &str, release: &str) -> Result<Vec<Stored>, ReleaseError> {
        sorted(&*self.store, ns, release).await
    }

    /// Keep the newest `history_limit` records (0 = keep all). Never deletes
    /// `keep` nor the newest deployed record (the base of the next deploy), even
    /// when failed records crowd it out of the limit.
    /// `all` is the release's records in revision order, as listed after `keep` was
    /// written (later status changes do not matter: `keep` is the newest deployed).
    async fn enforce_history_limit(
        &self,
        keep: &Record,
        all: &[Stored],
    ) -> Result<(), ReleaseError> {
        if self.history_limit == 0 {
            return Ok(());
        }
        let base = all
            .iter()
            .rev()
            .find(|s| s.record.status == Status::Deployed)
            .map(|s| s.record.revision);
        let excess = all.len().saturating_sub(self.history_limit);
        for s in all
            .iter()
            .take(excess)
            .filter(|s| s.record.revision != keep.revision)
            .filter(|s| Some(s.record.revision) != base)
            // A pending record belongs to a deploy in flight (ours is finished).
            .filter(|s| s.record.status != Status::Pending)
        {
            self.store
                .delete(&keep.namespace, &keep.release, s.record.revision)
                .await?;
        }
        Ok(())
    }
}

/// Whether a pending record's lease holder is known to have exited.
fn holder_gone(s: &Stored) -> bool {
    s.process.as_deref().is_some_and(holder::is_gone)
}

/// The release's records in revision order.
async fn sorted<S: Store>(store: &S, ns: &str, release: &str) -> Result<Vec<Stored>, ReleaseError> {
    let mut all = store.list(ns, release).await?;
    all.sort_by_key(|s| s.record.revision);
    Ok(all)
}

#[cfg(test)]
pub(crate) mod tests;

/// The newest `deployed` record of a history in revision order: the base of the
/// next diff and prune, and what `status` reports as current.
/// A history an interrupted deploy left without any `deployed` revision (see
/// [`repair`]) counts the newest one that was deployed, as the repair will.
pub fn current(history: &[Record]) -> Option<&Record> {
    history
        .iter()
        .rev()
        .find(|r| r.status == Status::Deployed)
        .or_else(|| {
            history
                .iter()
                .rev()
                .find(|r| matches!(r.status, Status::Superseded | Status::RolledBack))
        })
}

/// What a deploy or restore may prune: the current (newest deployed) revision's
/// inventory, plus whatever failed or abandoned attempts after it applied (a
/// failed deploy can leave new objects behind; a killed one's pending record
/// names what it was applying). `history` is in ascending revision order.
pub fn prune_base(history: &[Record]) -> Vec<crate::manifest::ObjectRef> {
    let current = current(history);
    let since = current.map_or(0, |c| c.revision);
    let mut base: Vec<crate::manifest::ObjectRef> =
        current.map(|c| c.inventory.clone()).unwrap_or_default();
    for r in history
        .iter()
        .filter(|r| r.revision > since && matches!(r.status, Status::Failed | Status::Pending))
    {
        for o in &r.inventory {
            if !base.contains(o) {
                base.push(o.clone());
            }
        }
    }
    base
}
