//! `berth status`: per release of a profile, the current (newest deployed)
//! revision, the outcome of the latest attempt when it differs, a deploy in
//! progress (its lease), and the current revision's objects with their
//! readiness as the cluster reports it now. Text or one JSON document (fields
//! documented in `docs/output/status.md`).
//!
//! Reads records and live objects; writes nothing; never prints a manifest or
//! an object's body.

use serde::Serialize;

use crate::action::lifecycle::{connect, live_objects, LiveObject, Selected};
use crate::action::runtime;
use crate::action::Exit;
use crate::cli::{GlobalArgs, StatusArgs};
use crate::cluster::ready::readiness;
use crate::cluster::Readiness;
use crate::release::{HeldLease, Record, Status};
use crate::ui::{paint, Ui};

use super::history::columns;
use crate::release::timestamp;

/// Run `berth status`.
pub fn run(ui: &Ui, global: &GlobalArgs, args: &StatusArgs) -> anyhow::Result<Exit> {
    let selected = Selected::open(
        global.workspace.as_deref(),
        &args.profiles.profiles,
        &args.cluster,
    )?;
    let plans = selected.releases(&[])?;
    let doc = runtime()?.block_on(async {
        let conn = connect(&args.cluster, &selected.workspace).await?;
        let mut releases = Vec::new();
        for plan in &plans {
            let history = conn.releases.history(&plan.namespace, &plan.name).await?;
            let lease = conn.releases.lease(&plan.namespace, &plan.name).await?;
            let current = crate::release::current(&history);
            let inventory = current.map(|c| c.inventory.as_slice()).unwrap_or_default();
            let objects = live_objects(&conn.cluster, inventory)
                .await?
                .into_iter()
                .map(object_status)
                .collect();
            releases.push(ReleaseStatus::new(
                &plan.name,
                &plan.namespace,
                &history,
                lease,
                chrono::Utc::now(),
                objects,
            ));
        }
        anyhow::Ok(StatusDoc { releases })
    })?;
    if ui.json() {
        ui.print_json(&doc)?;
    } else {
        print!("{}", crate::ui::mask::mask(&text(&doc, ui.color_stdout())));
    }
    Ok(Exit::Ok)
}

/// The live state of one inventoried object.
fn object_status(o: LiveObject) -> ObjectStatus {
    let (state, detail) = match (&o.resource, &o.live) {
        (None, _) => (
            ObjectState::Unknown,
            format!(
                "the cluster does not serve {} {}",
                o.object.api_version, o.object.kind
            ),
        ),
        (Some(_), None) => (ObjectState::Missing, "not found".to_string()),
        (Some(_), Some(live)) => match readiness(live) {
            Readiness::Ready => (ObjectState::Ready, String::new()),
            Readiness::Pending(why) => (ObjectState::Pending, why),
            Readiness::Failed(why) => (ObjectState::Failed, why),
        },
    };
    ObjectStatus {
        api_version: o.object.api_version,
        kind: o.object.kind,
        namespace: o.object.namespace,
        name: o.object.name,
        state,
        detail,
    }
}

/// The JSON document of `berth status --output json`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusDoc {
    pub releases: Vec<ReleaseStatus>,
}

/// One release's state.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseStatus {
    pub release: String,
    pub namespace: String,
    /// The current (newest deployed) revision; `null` when never deployed.
    pub revision: Option<u32>,
    /// Its status (`deployed`), `null` when never deployed.
    pub status: Option<Status>,
    pub chart_name: Option<String>,
    pub chart_version: Option<String>,
    pub description: Option<String>,
    pub updated_at: Option<String>,
    /// The newest record when it is not the current one (a failed or pending deploy).
    pub latest: Option<LatestView>,
    /// A deploy in progress: who holds the lease, since when, until when.
    pub lease: Option<LeaseView>,
    /// Every object of the current revision is ready.
    pub ready: bool,
    pub objects: Vec<ObjectStatus>,
}

/// The newest attempt, when it did not become the current revision.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LatestView {
    pub revision: u32,
    pub status: Status,
    pub error: Option<String>,
    pub updated_at: String,
}

/// The deploy lease of a pending revision.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseView {
    pub revision: u32,
    pub holder: String,
    pub since: String,
    pub expires: String,
    /// The lease has expired: the next deploy will take it over.
    pub expired: bool,
    /// The holding process is gone (same machine): the next deploy takes the
    /// lease over at once.
    pub holder_gone: bool,
}

/// Readiness of one object as the cluster reports it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectState {
    Ready,
    Pending,
    Failed,
    /// In the inventory but not in the cluster.
    Missing,
    /// The cluster no longer serves its kind.
    Unknown,
}

impl ObjectState {
    fn as_str(self) -> &'static str {
        match self {
            ObjectState::Ready => "ready",
            ObjectState::Pending => "pending",
            ObjectState::Failed => "failed",
            ObjectState::Missing => "missing",
            ObjectState::Unknown => "unknown",
        }
    }
}

/// One object of the current revision.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectStatus {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub state: ObjectState,
    /// What is missing (`1/2 replicas available`), empty when ready.
    pub detail: String,
}

impl ReleaseStatus {
    /// Assemble a release's status from its records (ascending), its lease and the
    /// readiness of the current revision's objects.
    pub fn new(
        release: &str,
        namespace: &str,
        history: &[Record],
        lease: Option<HeldLease>,
        now: chrono::DateTime<chrono::Utc>,
        objects: Vec<ObjectStatus>,
    ) -> ReleaseStatus {
        let current = crate::release::current(history);
        let latest = history
            .last()
            .filter(|l| Some(l.revision) != current.map(|c| c.revision))
            .map(|l| LatestView {
                revision: l.revision,
                status: l.status,
                error: l.error.clone(),
                updated_at: timestamp(l.updated_at),
            });
        ReleaseStatus {
            release: release.to_string(),
            namespace: namespace.to_string(),
            revision: current.map(|c| c.revision),
            status: current.map(|c| c.status),
            chart_name: current.map(|c| c.chart_name.clone()),
            chart_version: current.map(|c| c.chart_version.clone()),
            description: current.map(|c| c.description.clone()),
            updated_at: current.map(|c| timestamp(c.updated_at)),
            latest,
            lease: lease.map(|held| LeaseView {
                revision: held.revision,
                expired: held.lease.expires_at <= now,
                holder_gone: held.holder_gone,
                holder: held.lease.holder,
                since: timestamp(held.lease.acquired_at),
                expires: timestamp(held.lease.expires_at),
            }),
            ready: current.is_some() && objects.iter().all(|o| o.state == ObjectState::Ready),
            objects,
        }
    }
}

/// The text form: a line per release, then its objects indented.
pub fn text(doc: &StatusDoc, color: bool) -> String {
    let mut out = String::new();
    for r in &doc.releases {
        let head = match (r.revision, r.status) {
            (Some(rev), Some(status)) => format!(
                "{} (namespace {}): revision {rev} {status}, {}-{}, {} ({})",
                r.release,
                r.namespace,
                r.chart_name.as_deref().unwrap_or_default(),
                r.chart_version.as_deref().unwrap_or_default(),
                r.updated_at.as_deref().unwrap_or_default(),
                r.description.as_deref().unwrap_or_default(),
            ),
            _ => format!("{} (namespace {}): not deployed", r.release, r.namespace),
        };
        out.push_str(&head);
        out.push('\n');
        if let Some(l) = &r.latest {
            let error = l
                .error
                .as_deref()
                .and_then(|e| e.lines().next())
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  latest attempt: revision {} {} at {}{error}\n",
                l.revision, l.status, l.updated_at
            ));
        }
        if let Some(l) = &r.lease {
            if l.holder_gone {
                out.push_str(&format!(
                    "  lease of revision {} held by {} since {}: its process is gone, the next deploy takes it over\n",
                    l.revision, l.holder, l.since
                ));
            } else if l.expired {
                out.push_str(&format!(
                    "  lease of revision {} held by {} since {} expired {}: the next deploy takes it over\n",
                    l.revision, l.holder, l.since, l.expires
                ));
            } else {
                out.push_str(&format!(
                    "  deploy in progress: revision {} by {} since {} (lease expires {})\n",
                    l.revision, l.holder, l.since, l.expires
                ));
            }
        }
        let rows: Vec<Vec<String>> = r
            .objects
            .iter()
            .map(|o| {
                let what = match &o.namespace {
                    Some(ns) => format!("  {} {ns}/{}", o.kind, o.name),
                    None => format!("  {} {}", o.kind, o.name),
                };
                let code = match o.state {
                    ObjectState::Ready => "32",
                    ObjectState::Pending => "33",
                    _ => "31",
                };
                vec![what, paint(color, code, o.state.as_str()), o.detail.clone()]
            })
            .collect();
        out.push_str(&columns(&rows));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::GitInfo;
    use crate::release::tests::sample_record;
    use crate::release::Lease;
    use chrono::TimeZone;

    fn record(revision: u32, status: Status) -> Record {
        let t = chrono::Utc
            .with_ymd_and_hms(2026, 11, 21, 12, revision, 0)
            .unwrap();
        Record {
            git: GitInfo::default(),
            error: (status == Status::Failed).then(|| "wait timed out".into()),
            started_at: t,
            updated_at: t,
            manifest: "stringData:\n  password: hunter2-secret\n".into(),
            inventory: vec![],
            ..sample_record("hub", revision, status)
        }
    }

    fn obj(kind: &str, state: ObjectState, detail: &str) -> ObjectStatus {
        ObjectStatus {
            api_version: "apps/v1".into(),
            kind: kind.into(),
            namespace: Some("jupyter".into()),
            name: "hub".into(),
            state,
            detail: detail.into(),
        }
    }

    #[test]
    fn current_is_newest_deployed_and_latest_failure_is_shown() {
        let history = [record(1, Status::Deployed), record(2, Status::Failed)];
        let now = chrono::Utc::now();
        let s = ReleaseStatus::new(
            "hub",
            "jupyter",
            &history,
            None,
            now,
            vec![
                obj("Service", ObjectState::Ready, ""),
                obj("Deployment", ObjectState::Pending, "0/1 replicas available"),
            ],
        );
        assert_eq!(s.revision, Some(1));
        assert_eq!(s.status, Some(Status::Deployed));
        assert!(!s.ready);
        let latest = s.latest.as_ref().unwrap();
        assert_eq!((latest.revision, latest.status), (2, Status::Failed));
        let doc = StatusDoc { releases: vec![s] };
        let t = text(&doc, false);
        assert!(
            t.starts_with("hub (namespace jupyter): revision 1 deployed, jupyterhub-1.2.3"),
            "{t}"
        );
        assert!(
            t.contains("latest attempt: revision 2 failed at 2026-11-21T12:02:00Z: wait timed out"),
            "{t}"
        );
        assert!(
            t.contains("  Deployment jupyter/hub  pending  0/1 replicas available"),
            "{t}"
        );
        let json = serde_json::to_string(&doc).unwrap();
        assert!(json.contains("\"state\":\"pending\""), "{json}");
        assert!(!json.contains("hunter2"), "{json}");
    }

    #[test]
    fn never_deployed_and_lease_in_progress() {
        let t0 = chrono::Utc
            .with_ymd_and_hms(2026, 11, 21, 12, 0, 0)
            .unwrap();
        let lease = Lease {
            holder: "alice@box:1".into(),
            acquired_at: t0,
            renewed_at: t0,
            expires_at: t0 + chrono::Duration::seconds(300),
        };
        let s = ReleaseStatus::new(
            "hub",
            "jupyter",
            &[record(1, Status::Pending)],
            Some(held(lease.clone(), false)),
            t0 + chrono::Duration::seconds(10),
            vec![],
        );
        assert_eq!(s.revision, None);
        assert!(!s.ready);
        let text1 = text(&StatusDoc { releases: vec![s] }, false);
        assert!(
            text1.contains("hub (namespace jupyter): not deployed"),
            "{text1}"
        );
        assert!(
            text1.contains(
                "deploy in progress: revision 1 by alice@box:1 since 2026-11-21T12:00:00Z"
            ),
            "{text1}"
        );
        let s = ReleaseStatus::new(
            "hub",
            "jupyter",
            &[record(1, Status::Pending)],
            Some(held(lease.clone(), false)),
            t0 + chrono::Duration::seconds(301),
            vec![],
        );
        assert!(s.lease.as_ref().unwrap().expired);
        let text2 = text(&StatusDoc { releases: vec![s] }, false);
        assert!(text2.contains("the next deploy takes it over"), "{text2}");
        // A holder whose process is gone is not "in progress", expired or not.
        let s = ReleaseStatus::new(
            "hub",
            "jupyter",
            &[record(1, Status::Pending)],
            Some(held(lease, true)),
            t0 + chrono::Duration::seconds(10),
            vec![],
        );
        let text3 = text(&StatusDoc { releases: vec![s] }, false);
        assert!(
            text3.contains("its process is gone, the next deploy takes it over"),
            "{text3}"
        );
        assert!(!text3.contains("deploy in progress"), "{text3}");
    }

    fn held(lease: Lease, holder_gone: bool) -> HeldLease {
        HeldLease {
            revision: 1,
            lease,
            holder_gone,
        }
    }
}
