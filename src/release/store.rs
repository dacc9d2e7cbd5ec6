//! Where revision records live: the [`Store`] trait, a driver in Helm's sense.
//! [`super::SecretStore`] keeps them as Secrets in the cluster; [`MemoryStore`]
//! keeps them in a map for unit tests. Both give every stored record a version
//! (the Secret's `resourceVersion`) so that writes are compare-and-swap: this
//! is what makes the deploy lease safe against two processes racing.
//!
//! A store knows nothing of statuses, leases' meaning or history limits; those
//! rules live in [`super::Releases`].

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Record, ReleaseError};

/// The deploy lease carried by a pending record: who deploys and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    /// `user@host:pid` of the deploying process.
    pub holder: String,
    /// When the holder took the lease.
    pub acquired_at: DateTime<Utc>,
    /// When the holder last renewed it.
    pub renewed_at: DateTime<Utc>,
    /// After this instant anyone may take the lease over.
    pub expires_at: DateTime<Utc>,
}

/// A record as stored: the record, its lease (pending records only) and the
/// store's version of it (for compare-and-swap updates).
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub record: Record,
    pub lease: Option<Lease>,
    /// The lease holder's process identity ([`super::holder`]), when the
    /// store knows it.
    pub process: Option<String>,
    pub version: String,
}

/// A driver for revision records. Every method is scoped by namespace and release.
pub trait Store: Send + Sync + 'static {
    /// Every record of the release, in any order.
    fn list(
        &self,
        ns: &str,
        release: &str,
    ) -> impl Future<Output = Result<Vec<Stored>, ReleaseError>> + Send;
    /// Create a record; [`ReleaseError::RecordExists`] when that revision exists.
    fn create(
        &self,
        record: &Record,
        lease: Option<&Lease>,
    ) -> impl Future<Output = Result<String, ReleaseError>> + Send;
    /// Replace a record if it is still at `version`; [`ReleaseError::RecordChanged`]
    /// when someone else wrote it since, [`ReleaseError::RecordGone`] when deleted.
    /// Returns the new version.
    fn update(
        &self,
        record: &Record,
        lease: Option<&Lease>,
        version: &str,
    ) -> impl Future<Output = Result<String, ReleaseError>> + Send;
    /// Delete one revision's record (absent is fine).
    fn delete(
        &self,
        ns: &str,
        release: &str,
        revision: u32,
    ) -> impl Future<Output = Result<(), ReleaseError>> + Send;
}

/// Records in memory, for unit tests and library callers without a cluster.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<MemoryInner>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    next_version: u64,
    records: BTreeMap<(String, String, u32), Stored>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryInner> {
        // A poisoned lock only means a test panicked mid-write; the map is still usable.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl MemoryInner {
    fn bump(&mut self) -> String {
        self.next_version += 1;
        self.next_version.to_string()
    }
}

fn key(record: &Record) -> (String, String, u32) {
    (
        record.namespace.clone(),
        record.release.clone(),
        record.revision,
    )
}

impl Store for MemoryStore {
    async fn list(&self, ns: &str, release: &str) -> Result<Vec<Stored>, ReleaseError> {
        let inner = self.lock();
        Ok(inner
            .records
            .iter()
            .filter(|((n, r, _), _)| n == ns && r == release)
            .map(|(_, stored)| stored.clone())
            .collect())
    }

    async fn create(&self, record: &Record, lease: Option<&Lease>) -> Result<String, ReleaseError> {
        let mut inner = self.lock();
        let k = key(record);
        if inner.records.contains_key(&k) {
            return Err(ReleaseError::RecordExists {
                name: super::record_name(&record.release, record.revision),
            });
        }
        let version = inner.bump();
        inner.records.insert(
            k,
            Stored {
                record: record.clone(),
                lease: lease.cloned(),
                process: lease.and(super::holder::this_process()).map(str::to_string),
                version: version.clone(),
            },
        );
        Ok(version)
    }

    async fn update(
        &self,
        record: &Record,
        lease: Option<&Lease>,
        version: &str,
    ) -> Result<String, ReleaseError> {
        let mut inner = self.lock();
        let k = key(record);
        let name = super::record_name(&record.release, record.revision);
        match inner.records.get(&k) {
            None => return Err(ReleaseError::RecordGone { name }),
            Some(stored) if stored.version != version => {
                return Err(ReleaseError::RecordChanged { name })
            }
            Some(_) => {}
        }
        let new_version = inner.bump();
        inner.records.insert(
            k,
            Stored {
                record: record.clone(),
                lease: lease.cloned(),
                process: lease.and(super::holder::this_process()).map(str::to_string),
                version: new_version.clone(),
            },
        );
        Ok(new_version)
    }

    async fn delete(&self, ns: &str, release: &str, revision: u32) -> Result<(), ReleaseError> {
        self.lock()
            .records
            .remove(&(ns.to_string(), release.to_string(), revision));
        Ok(())
    }
}
