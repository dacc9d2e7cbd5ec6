//! Lifecycle tests on the in-memory store with an injected clock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use super::*;

/// A clock tests move by hand.
#[derive(Debug)]
pub(crate) struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub(crate) fn new() -> Arc<ManualClock> {
        Arc::new(ManualClock(Mutex::new(
            Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap(),
        )))
    }
    pub(crate) fn advance(&self, secs: i64) {
        *self.0.lock().unwrap() += chrono::Duration::seconds(secs);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

pub(crate) fn sample_record(release: &str, revision: u32, status: Status) -> Record {
    let t = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    Record {
        release: release.into(),
        namespace: "jupyter".into(),
        revision,
        status,
        profile: "jupyter".into(),
        chart_name: "jupyterhub".into(),
        chart_version: "1.2.3".into(),
        git: GitInfo {
            sha: "0123456789abcdef".into(),
            short_sha: "0123456".into(),
            ..GitInfo::default()
        },
        description: "deploy".into(),
        error: None,
        started_at: t,
        updated_at: t,
        manifest:
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: hunter2\n"
                .into(),
        inventory: vec![ObjectRef {
            api_version: "v1".into(),
            kind: "Secret".into(),
            namespace: Some("jupyter".into()),
            name: "s".into(),
        }],
    }
}

fn meta(description: &str) -> RecordMeta {
    RecordMeta {
        profile: "jupyter".into(),
        chart_name: "jupyterhub".into(),
        chart_version: "1.2.3".into(),
        git: GitInfo::default(),
        description: description.into(),
    }
}

fn inv(name: &str) -> Vec<ObjectRef> {
    vec![ObjectRef {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        namespace: Some("jupyter".into()),
        name: name.into(),
    }]
}

struct Fixture {
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
}

/// A `Store` sharing one `MemoryStore` between several `Releases` (two "processes").
struct Shared(Arc<MemoryStore>);

impl Store for Shared {
    async fn list(&self, ns: &str, release: &str) -> Result<Vec<Stored>, ReleaseError> {
        self.0.list(ns, release).await
    }
    async fn create(&self, record: &Record, lease: Option<&Lease>) -> Result<String, ReleaseError> {
        self.0.create(record, lease).await
    }
    async fn update(
        &self,
        record: &Record,
        lease: Option<&Lease>,
        version: &str,
    ) -> Result<String, ReleaseError> {
        self.0.update(record, lease, version).await
    }
    async fn delete(&self, ns: &str, release: &str, revision: u32) -> Result<(), ReleaseError> {
        self.0.delete(ns, release, revision).await
    }
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            store: Arc::new(MemoryStore::new()),
            clock: ManualClock::new(),
        }
    }
    fn releases(&self, holder: &str, limit: usize) -> Releases<Shared> {
        Releases::with_store(
            Shared(self.store.clone()),
            limit,
            Duration::from_secs(300),
            holder.into(),
            self.clock.clone(),
        )
    }
}

fn statuses(history: &[Record]) -> Vec<(u32, Status)> {
    history.iter().map(|r| (r.revision, r.status)).collect()
}

#[tokio::test]
async fn revisions_count_up_and_previous_is_superseded() {
    let f = Fixture::new();
    let rel = f.releases("alice@box:1", 10);
    assert_eq!(rel.next_revision("jupyter", "hub").await.unwrap(), 1);
    assert!(rel.current("jupyter", "hub").await.unwrap().is_none());

    let tx = rel.begin("jupyter", "hub", meta("deploy")).await.unwrap();
    assert_eq!(tx.revision, 1);
    assert!(tx.previous.is_none());
    assert!(tx.took_over.is_none());
    let pending = rel.history("jupyter", "hub").await.unwrap();
    assert_eq!(statuses(&pending), vec![(1, Status::Pending)]);
    let r1 = tx.succeed("m1".into(), inv("a")).await.unwrap();
    assert_eq!(r1.status, Status::Deployed);
    assert_eq!(r1.manifest, "m1");

    f.clock.advance(60);
    let tx = rel.begin("jupyter", "hub", meta("deploy")).await.unwrap();
    assert_eq!(tx.revision, 2);
    assert_eq!(tx.previous.as_ref().unwrap().revision, 1);
    assert_eq!(tx.previous.as_ref().unwrap().inventory, inv("a"));
    tx.succeed("m2".into(), inv("b")).await.unwrap();

    let history = rel.history("jupyter", "hub").await.unwrap();
    assert_eq!(
        statuses(&history),
        vec![(1, Status::Superseded), (2, Status::Deployed)]
    );
    let current = rel.current("jupyter", "hub").await.unwrap().unwrap();
    assert_eq!(current.revision, 2);
    assert_eq!(current.inventory, inv("b"));
    assert!(current.updated_at >= current.started_at);
    assert_eq!(rel.next_revision("jupyter", "hub").await.unwrap(), 3);
    // Other releases and namespaces are separate.
    assert_eq!(rel.next_revision("jupyter", "proxy").await.unwrap(), 1);
    assert_eq!(rel.next_revision("other", "hub").await.unwrap(), 1);
}

#[tokio::test]
async fn failed_record_keeps_error_and_never_becomes_the_base() {
    let f = Fixture::new();
    let rel = f.releases("alice@box:1", 10);
    rel.begin("jupyter", "hub", meta("deploy"))
        .await
        .unwrap()
        .succeed("m1".into(), inv("a"))
        .await
        .unwrap();
    let tx = rel.begin("jupyter", "hub", meta("deploy")).await.unwrap();
    let failed = tx
        .fail("apply Deployment jupyter/hub: 500", "m2".into(), inv("b"))
        .await
        .unwrap();
    assert_eq!(failed.status, Status::Failed);
    assert_eq!(
        failed.error.as_deref(),
        Some("apply Deployment jupyter/hub: 500")
    );
    let history = rel.history("jupyter", "hub").await.unwrap();
    assert_eq!(
        statuses(&history),
        vec![(1, Status::Deployed), (2, Status::Failed)]
    );
    // The next deploy works from revision 1, numbered after the failure.
    let tx = rel.begin("jupyter", "hub", meta("deploy")).await.unwrap();
    assert_eq!(tx.revision, 3);
    assert_eq!(tx.previous.as_ref().unwrap().revision, 1);
    tx.succeed("m3".into(), inv("c")).await.unwrap();
    assert_eq!(
        statuses(&rel.history("jupyter", "hub").await.unwrap()),
        vec![
            (1, Status::Superseded),
            (2, Status::Failed),
            (3, Status::Deployed)
        ]
    );
}

#[tokio::test]
async fn rollback_marks_the_replaced_revision_rolled_back() {
    let f = Fixture::new();
    let rel = f.releases("alice@box:1", 10);
    for m in ["m1", "m2"] {
        rel.begin("jupyter", "hub", meta("deploy"))
            .await
            .unwrap()
            .succeed(m.into(), inv(m))
            .await
            .unwrap();
    }
    let old = rel.get("jupyter", "hub", 1).await.unwrap().unwrap();
    let mut tx = rel
        .begin("jupyter", "hub", meta("rollback to 1"))
        .await
        .unwrap();
    tx.set_previous_status(Status::RolledBack);
    let r3 = tx
        .succeed(old.manifest.clone(), old.inventory.clone())
        .await
        .unwrap();
    assert_eq!(r3.revision, 3);
    assert_eq!(r3.description, "rollback to 1");
    assert_eq!(r3.manifest, "m1");
    assert_eq!(
        statuses(&rel.history("jupyter", "hub").await.unwrap()),
        vec![
            (1, Status::Superseded),
            (2, Status::RolledBack),
            (3, Status::Deployed)
        ]
    );
}

#[tokio::test]
async fn history_limit_deletes_the_oldest_records() {
    let f = Fixture::new();
    let rel = f.releases("alice@box:1", 3);
    for i in 1..=5 {
        rel.begin("jupyter", "hub", meta("deploy"))
            .await
            .unwrap()
            .succeed(format!("m{i}"), inv("a"))
            .await
            .unwrap();
    }
    let history = rel.history("jupyter", "hub").await.unwrap();
    assert_eq!(
        statuses(&history),
        vec![
            (3, Status::Superseded),
            (4, Status::Superseded),
            (5, Status::Deployed)
        ]
    );
    // Numbering goes on from the newest, not from the count.
    assert_eq!(rel.next_revision("jupyter", "hub").await.unwrap(), 6);
}

#[tokio::test]
async fn history_limit_never_deletes_the_deployed_base() {
    let f = Fixture::new();
    let rel = f.releases("alice@box:1", 2);
    rel.begin("jupyter", "hub", meta("deploy"))
        .await
        .unwrap()
        .succeed("m1".into(), inv("a"))
        .await
        .unwrap();
    for _ in 0..3 {
        rel.begin("jupyter", "hub", meta("deploy"))
            .await
            .unwrap()
            .fail("boom", "mx".into(), inv("x"))
            .await
            .unwrap();
    }
    let history = rel.history("jupyter", "hub").await.unwrap();
    assert!(history.iter().any(|r| r.revision == 1), "{history:?}");
    assert_eq!(
        rel.current("jupyter", "hub")
            .await
            .unwrap()
            .unwrap()
            .revision,
        1
    );
    // The older failures went; the newest failure stays.
    assert!(history.iter().any(|r| r.revision == 4));
    assert!(!history.iter().any(|r| r.revision == 2));
}

#[tokio::test]
async fn history_limit_zero_keeps_everything() {
    let f = Fixture::new();
    let rel = f.releases("alice@box:1", 0);
    for _ in 0..12 {
        rel.begin("jupyter", "hub", meta("deploy"))
            .await
            .unwrap()
            .succeed("m".into(), inv("a"))
            .await
            .unwrap();
    }
    assert_eq!(rel.history("jupyter", "hub").await.unwrap().len(), 12);
}

#[tokio::test]
async fn unexpired_lease_refuses_naming_holder_and_since() {
    let f = Fixture::new();
    let alice = f.releases("alice@box:1", 10);
    let bob = f.releases("bob@ci:2", 10);
    let tx = alice.begin("jupyter", "hub", meta("deploy")).await.unwrap();
    f.clock.advance(299);
    let err = bob
        .begin("jupyter", "hub", meta("deploy"))
        .await
        .err()
        .expect("refused");
    match &err {
        ReleaseError::LeaseHeld {
            holder,
            since,
            revision,
            ..
        } => {
            assert_eq!(holder, "alice@box:1");
            assert_eq!(since, "2026-11-21T12:00:00Z");
            assert_eq!(*revision, 1);
        }
        other => panic!("expected LeaseHeld, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("alice@box:1") && msg.contains("since 2026-11-21T12:00:00Z"),
        "{msg}"
    );
    assert!(bob.check_lease("jupyter", "hub").await.is_err());
    // Nothing was written by the refused deploy.
    assert_eq!(alice.history("jupyter", "hub").await.unwrap().len(), 1);
    // Renewing keeps it alive past the original expiry.
    tx.renew().await.unwrap();
    f.clock.advance(200);
    assert!(bob.begin("jupyter", "hub", meta("deploy")).await.is_err());
    tx.succeed("m".into(), inv("a")).await.unwrap();
    // Released on success: bob may go now.
    assert!(bob.check_lease("jupyter", "hub").await.is_ok());
    let tx = bob.begin("jupyter", "hub", meta("deploy")).await.unwrap();
    assert_eq!(tx.revision, 2);
    assert!(tx.took_over.is_none());
}

#[tokio::test]
async fn expired_lease_is_taken_over_and_reported() {
    let f = Fixture::new();
    let alice = f.releases("alice@box:1", 10);
    let bob = f.releases("bob@ci:2", 10);
    alice
        .begin("jupyter", "hub", meta("deploy"))
        .await
        .unwrap()
        .succeed("m1".into(), inv("a"))
        .await
        .unwrap();
    // Alice's second deploy is "killed": the transaction is dropped, never ended.
    let killed = alice.begin("jupyter", "hub", meta("deploy")).await.unwrap();
    assert_eq!(killed.revision, 2);
    f.clock.advance(301);
    let tx = bob.begin("jupyter", "hub", meta("deploy")).await.unwrap();
    assert_eq!(tx.revision, 3);
    assert_eq!(tx.previous.as_ref().unwrap().revision, 1);
    let msg = tx.took_over.clone().expect("take-over reported");
    assert!(msg.contains("alice@box:1"), "{msg}");
    assert!(msg.contains("since 2026-11-21T12:00:00Z"), "{msg}");
    assert!(msg.contains("revision 2"), "{msg}");
    let abandoned = bob.get("jupyter", "hub", 2).await.unwrap().unwrap();
    assert_eq!(abandoned.status, Status::Failed);
    assert!(abandoned.error.unwrap().contains("bob@ci:2"));
    // The killed process, should it wake up, finds its lease gone.
    let err = killed.renew().await.unwrap_err();
    assert!(matches!(err, ReleaseError::LeaseLost { .. }), "{err:?}");
    let err = killed.succeed("late".into(), inv("z")).await.unwrap_err();
    assert!(matches!(err, ReleaseError::LeaseLost { .. }), "{err:?}");
    tx.succeed("m3".into(), inv("c")).await.unwrap();
    assert_eq!(
        statuses(&bob.history("jupyter", "hub").await.unwrap()),
        vec![
            (1, Status::Superseded),
            (2, Status::Failed),
            (3, Status::Deployed)
        ]
    );
}

/// A store where another process (alice) creates her pending record between
/// our list and our create, once.
struct Racing {
    inner: Arc<MemoryStore>,
    armed: Mutex<bool>,
}

impl Store for Racing {
    async fn list(&self, ns: &str, release: &str) -> Result<Vec<Stored>, ReleaseError> {
        self.inner.list(ns, release).await
    }
    async fn create(&self, record: &Record, lease: Option<&Lease>) -> Result<String, ReleaseError> {
        let fire = std::mem::take(&mut *self.armed.lock().unwrap());
        if fire {
            let t = record.started_at;
            let theirs = Lease {
                holder: "alice@box:1".into(),
                acquired_at: t,
                renewed_at: t,
                expires_at: t + chrono::Duration::seconds(300),
            };
            self.inner.create(record, Some(&theirs)).await?;
        }
        self.inner.create(record, lease).await
    }
    async fn update(
        &self,
        record: &Record,
        lease: Option<&Lease>,
        version: &str,
    ) -> Result<String, ReleaseError> {
        self.inner.update(record, lease, version).await
    }
    async fn delete(&self, ns: &str, release: &str, revision: u32) -> Result<(), ReleaseError> {
        self.inner.delete(ns, release, revision).await
    }
}

#[tokio::test]
async fn racing_creates_of_one_revision_end_in_a_refusal() {
    let store = Arc::new(MemoryStore::new());
    let bob = Releases::with_store(
        Racing {
            inner: store.clone(),
            armed: Mutex::new(true),
        },
        10,
        Duration::from_secs(300),
        "bob@ci:2".into(),
        ManualClock::new(),
    );
    let err = bob
        .begin("jupyter", "hub", meta("deploy"))
        .await
        .err()
        .unwrap();
    match err {
        ReleaseError::LeaseHeld {
            holder, revision, ..
        } => {
            assert_eq!(holder, "alice@box:1");
            assert_eq!(revision, 1);
        }
        other => panic!("expected LeaseHeld, got {other:?}"),
    }
    assert_eq!(store.list("jupyter", "hub").await.unwrap().len(), 1);
}

#[tokio::test]
async fn hold_renews_while_work_runs() {
    let f = Fixture::new();
    let rel = Releases::with_store(
        Shared(f.store.clone()),
        10,
        Duration::from_millis(600),
        "alice@box:1".into(),
        f.clock.clone(),
    );
    let tx = rel.begin("jupyter", "hub", meta("deploy")).await.unwrap();
    let before = rel.lease("jupyter", "hub").await.unwrap().unwrap().lease;
    f.clock.advance(5);
    let out = tx
        .hold(tokio::time::sleep(Duration::from_millis(700)))
        .await;
    assert!(out.is_ok());
    let after = rel.lease("jupyter", "hub").await.unwrap().unwrap().lease;
    assert!(after.renewed_at > before.renewed_at, "{before:?} {after:?}");
    assert_eq!(after.acquired_at, before.acquired_at);
}

#[tokio::test]
async fn delete_records_removes_every_revision() {
    let f = Fixture::new();
    let rel = f.releases("alice@box:1", 10);
    for _ in 0..3 {
        rel.begin("jupyter", "hub", meta("deploy"))
            .await
            .unwrap()
            .succeed("m".into(), inv("a"))
            .await
            .unwrap();
    }
    rel.begin("jupyter", "proxy", meta("deploy"))
        .await
        .unwrap()
        .succeed("m".into(), inv("a"))
        .await
        .unwrap();
    rel.delete_records("jupyter", "hub").await.unwrap();
    assert!(rel.history("jupyter", "hub").await.unwrap().is_empty());
    assert_eq!(rel.history("jupyter", "proxy").await.unwrap().len(), 1);
}

#[test]
fn record_debug_never_shows_the_manifest() {
    let record = sample_record("hub", 1, Status::Deployed);
    let dbg = format!("{record:?}");
    assert!(!dbg.contains("hunter2"), "{dbg}");
    assert!(dbg.contains("not shown"));
}

#[test]
fn record_names_and_holder_shape() {
    assert_eq!(record_name("hub", 12), "berth.release.v1.hub.v12");
    let holder = default_holder();
    assert!(holder.contains('@') && holder.contains(':'), "{holder}");
    assert!(holder.ends_with(&format!(":{}", std::process::id())));
}

/// The deploy pipeline spawns these on tokio: they must be `Send`.
#[allow(dead_code)]
fn futures_are_send(rel: &Releases, tx: Transaction) {
    fn is_send<T: Send>(_: &T) {}
    is_send(&rel.begin("ns", "r", RecordMeta::default()));
    is_send(&rel.current("ns", "r"));
    is_send(&rel.delete_records("ns", "r"));
    is_send(&tx.renew());
    is_send(&tx.hold(async {}));
    is_send(&tx.succeed(String::new(), Vec::new()));
    fn is_sync<T: Sync + Send>() {}
    is_sync::<Releases>();
    is_sync::<Transaction>();
}

fn hist(statuses: &[Status]) -> Vec<Record> {
    statuses
        .iter()
        .enumerate()
        .map(|(i, s)| sample_record("hub", i as u32 + 1, *s))
        .collect()
}

#[test]
fn rollback_target_defaults_to_the_last_deployed_before_current() {
    use Status::*;
    let h = hist(&[Superseded, Failed, Superseded, Failed, Deployed]);
    assert_eq!(rollback_target(&h, None).unwrap().revision, 3);
    let h = hist(&[Superseded, RolledBack, Deployed]);
    assert_eq!(rollback_target(&h, None).unwrap().revision, 2);
    // After a failed deploy the current is still 1: nothing earlier.
    let h = hist(&[Deployed, Failed]);
    let err = rollback_target(&h, None).unwrap_err();
    assert!(
        matches!(err, ReleaseError::NothingToRollBackTo { .. }),
        "{err}"
    );
    assert!(rollback_target(&[], None).is_err());
}

#[test]
fn rollback_target_explicit_must_exist_and_have_been_deployed() {
    use Status::*;
    let h = hist(&[Superseded, Failed, Deployed]);
    assert_eq!(rollback_target(&h, Some(1)).unwrap().revision, 1);
    // Restoring the current one redeploys it (repairs drift).
    assert_eq!(rollback_target(&h, Some(3)).unwrap().revision, 3);
    let err = rollback_target(&h, Some(2)).unwrap_err();
    assert!(
        err.to_string()
            .contains("revision 2 of jupyter/hub is failed"),
        "{err}"
    );
    let err = rollback_target(&h, Some(9)).unwrap_err();
    assert!(
        err.to_string()
            .contains("no revision 9 (kept revisions: 1, 2, 3)"),
        "{err}"
    );
}

#[test]
fn all_objects_is_the_union_in_reverse_install_order() {
    let obj = |kind: &str, name: &str| ObjectRef {
        api_version: "v1".into(),
        kind: kind.into(),
        namespace: Some("jupyter".into()),
        name: name.into(),
    };
    let mut h = hist(&[Status::Superseded, Status::Deployed]);
    h[0].inventory = vec![
        obj("Namespace", "jupyter"),
        obj("ConfigMap", "old"),
        obj("Deployment", "hub"),
    ];
    h[1].inventory = vec![
        obj("Namespace", "jupyter"),
        obj("Secret", "s"),
        obj("Deployment", "hub"),
    ];
    let all = all_objects(&h);
    let names: Vec<String> = all
        .iter()
        .map(|o| format!("{} {}", o.kind, o.name))
        .collect();
    assert_eq!(
        names,
        [
            "Deployment hub",
            "ConfigMap old",
            "Secret s",
            "Namespace jupyter"
        ]
    );
}

#[tokio::test]
async fn intended_objects_survive_a_killed_deploy() {
    let f = Fixture::new();
    let alice = f.releases("alice@box:1", 10);
    let bob = f.releases("bob@ci:2", 10);
    let killed = alice.begin("jupyter", "hub", meta("deploy")).await.unwrap();
    killed.set_intended("m1".into(), inv("new")).await.unwrap();
    let pending = alice.get("jupyter", "hub", 1).await.unwrap().unwrap();
    assert_eq!(pending.status, Status::Pending);
    assert_eq!(pending.inventory, inv("new"));
    drop(killed);
    f.clock.advance(301);
    let tx = bob.begin("jupyter", "hub", meta("deploy")).await.unwrap();
    assert!(tx.took_over.is_some());
    let abandoned = bob.get("jupyter", "hub", 1).await.unwrap().unwrap();
    assert_eq!(abandoned.status, Status::Failed);
    assert_eq!(abandoned.inventory, inv("new"));
    let history = bob.history("jupyter", "hub").await.unwrap();
    assert!(all_objects(&history).contains(&inv("new")[0]));
}

/// A store whose updates fail (as a cluster that stopped answering would)
/// once `fail_after` more updates went through.
struct Failing {
    inner: Arc<MemoryStore>,
    fail_after: Mutex<Option<usize>>,
}

impl Store for Failing {
    async fn list(&self, ns: &str, release: &str) -> Result<Vec<Stored>, ReleaseError> {
        self.inner.list(ns, release).await
    }
    async fn create(&self, record: &Record, lease: Option<&Lease>) -> Result<String, ReleaseError> {
        self.inner.create(record, lease).await
    }
    async fn update(
        &self,
        record: &Record,
        lease: Option<&Lease>,
        version: &str,
    ) -> Result<String, ReleaseError> {
        let fail = {
            let mut left = self.fail_after.lock().unwrap();
            match left.as_mut() {
                Some(0) => true,
                Some(n) => {
                    *n -= 1;
                    false
                }
                None => false,
            }
        };
        if fail {
            return Err(ReleaseError::Cluster {
                op: "update",
                name: crate::release::record_name(&record.release, record.revision),
                source: Box::new(crate::cluster::ClusterError::Exhausted {
                    what: "PUT".into(),
                    attempts: 5,
                    last: "Error from server (InternalError): down".into(),
                }),
            });
        }
        self.inner.update(record, lease, version).await
    }
    async fn delete(&self, ns: &str, release: &str, revision: u32) -> Result<(), ReleaseError> {
        self.inner.delete(ns, release, revision).await
    }
}

#[tokio::test]
async fn a_failure_between_record_writes_never_leaves_two_deployed() {
    for k in 0..3 {
        let f = Fixture::new();
        let failing = Arc::new(Failing {
            inner: f.store.clone(),
            fail_after: Mutex::new(None),
        });
        struct Via(Arc<Failing>);
        impl Store for Via {
            async fn list(&self, ns: &str, r: &str) -> Result<Vec<Stored>, ReleaseError> {
                self.0.list(ns, r).await
            }
            async fn create(
                &self,
                rec: &Record,
                l: Option<&Lease>,
            ) -> Result<String, ReleaseError> {
                self.0.create(rec, l).await
            }
            async fn update(
                &self,
                rec: &Record,
                l: Option<&Lease>,
                v: &str,
            ) -> Result<String, ReleaseError> {
                self.0.update(rec, l, v).await
            }
            async fn delete(&self, ns: &str, r: &str, n: u32) -> Result<(), ReleaseError> {
                self.0.delete(ns, r, n).await
            }
        }
        let rel = Releases::with_store(
            Via(failing.clone()),
            10,
            Duration::from_secs(300),
            "alice@box:1".into(),
            f.clock.clone(),
        );
        let tx = rel.begin("jupyter", "hub", meta("deploy")).await.unwrap();
        tx.succeed("m1".into(), inv("a")).await.unwrap();
        let tx = rel.begin("jupyter", "hub", meta("deploy")).await.unwrap();
        // Updates from the k-th on fail: the supersede, our record, the fallback.
        *failing.fail_after.lock().unwrap() = Some(k);
        let out = tx.succeed("m2".into(), inv("b")).await;
        let history = rel.history("jupyter", "hub").await.unwrap();
        let deployed = history
            .iter()
            .filter(|r| r.status == Status::Deployed)
            .count();
        assert!(deployed <= 1, "k={k}: {:?}", statuses(&history));
        if k < 2 {
            let err = out.expect_err("a write failed");
            assert!(
                err.to_string()
                    .contains("release jupyter/hub: revision 2 was applied"),
                "k={k}: {err}"
            );
        }
        // The cluster answers again; once the lease is over, the next deploy
        // repairs the history and ends with exactly one deployed revision.
        *failing.fail_after.lock().unwrap() = None;
        f.clock.advance(301);
        let tx = rel.begin("jupyter", "hub", meta("deploy")).await.unwrap();
        tx.succeed("m3".into(), inv("c")).await.unwrap();
        let history = rel.history("jupyter", "hub").await.unwrap();
        let deployed: Vec<u32> = history
            .iter()
            .filter(|r| r.status == Status::Deployed)
            .map(|r| r.revision)
            .collect();
        assert_eq!(deployed, vec![3], "k={k}: {:?}", statuses(&history));
    }
}
