//! Integration tests of the rollout engine (`berth::rollout`) called as a
//! library against the test API server, without the CLI: plan, waves, prune,
//! wait, the per-release transaction and its records, restore, `--atomic`'s
//! rollback and the `needs` schedule, with the events the engine reports.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use berth::cluster::{Cluster, ConnectOptions};
use berth::diff::Action;
use berth::git::GitInfo;
use berth::manifest::{self, Object};
use berth::release::{Record, RecordMeta, Releases, Status};
use berth::rollout::{
    deploy_all, deploy_release, plan, plan_restore, restore, ApplySettings, Base, DeployRelease,
    DeploySettings, Event, Events, OutcomeStatus, PlanSettings, ReleaseDiff, ReleaseTarget,
    Rollout, DEFAULT_CONCURRENCY,
};

use crate::support::apiserver::{ServerOptions, TestApiServer};

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("test runtime")
        .block_on(f)
}

/// Every event as one short line (`applied+ ConfigMap app/a`), in order.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Recorder {
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

impl Events for Recorder {
    fn event(&self, event: Event<'_>) {
        let line = match event {
            Event::Started { release, steps } => format!("started {release} {steps}"),
            Event::Applied {
                object, created, ..
            } => format!("applied{} {object}", if created { "+" } else { "~" }),
            Event::Pruned { object, .. } => format!("pruned {object}"),
            // Polls vary with timing: keep only that a wait happened.
            Event::Waiting { .. } => return,
            Event::Ready { object, .. } => format!("ready {object}"),
            Event::TookOver { release, .. } => format!("took-over {release}"),
            Event::Repaired { release, .. } => format!("repaired {release}"),
            Event::IntendedNotNoted { release, .. } => format!("not-noted {release}"),
            Event::Deployed {
                release, revision, ..
            } => format!("deployed {release} {revision}"),
            Event::ApplyFailed {
                release, revision, ..
            } => format!("failed {release} {revision}"),
            Event::FailureNotRecorded { release, .. } => format!("not-recorded {release}"),
            Event::Skipped { release, reason } => format!("skipped {release}: {reason}"),
            Event::RollingBack {
                release,
                failed,
                to,
                ..
            } => format!("rolling-back {release} {failed}->{to}"),
            Event::RestorePlanned { diff } => format!("restore-planned {}", diff.release),
            Event::RolledBack {
                release,
                to,
                recorded,
                ..
            } => format!("rolled-back {release} {to} as {recorded}"),
        };
        self.0.lock().unwrap().push(line);
    }
}

/// The cluster, the records and the event recorder of one test.
struct Env {
    server: TestApiServer,
    cluster: Cluster,
    releases: Releases,
    events: Recorder,
}

impl Env {
    async fn new(opts: ServerOptions) -> Env {
        let server = TestApiServer::start_with(opts);
        let cluster = Cluster::connect(&ConnectOptions {
            kubeconfig: Some(server.kubeconfig()),
            context: None,
        })
        .await
        .expect("connect to the test API server");
        let releases = Releases::new(
            cluster.client(),
            10,
            Duration::from_secs(300),
            "rollout-test@host:1".into(),
        );
        Env {
            server,
            cluster,
            releases,
            events: Recorder::default(),
        }
    }

    fn rollout(&self) -> Rollout<'_> {
        Rollout {
            cluster: &self.cluster,
            releases: &self.releases,
            events: &self.events,
        }
    }

    /// The base of `release`'s next rollout, from its records.
    async fn base(&self, ns: &str, release: &str) -> Base {
        Base::of(self.releases.history(ns, release).await.expect("history"))
    }

    /// Plan `release` with `yaml` against its records.
    async fn plan(&self, ns: &str, release: &str, yaml: &str) -> (Vec<Object>, ReleaseDiff, Base) {
        let objects = objects(ns, release, yaml);
        let base = self.base(ns, release).await;
        let mut diffs = plan(
            &self.cluster,
            &PlanSettings::new("berth"),
            &[ReleaseTarget {
                name: release.into(),
                namespace: ns.into(),
                objects: objects.clone(),
                inventory: base.inventory.clone(),
            }],
        )
        .await
        .expect("plan");
        (objects, diffs.remove(0), base)
    }

    /// Plan and deploy `release` with `yaml`.
    async fn deploy(
        &self,
        ns: &str,
        release: &str,
        yaml: &str,
        settings: &DeploySettings,
    ) -> anyhow::Result<berth::rollout::Outcome> {
        let (objects, diff, base) = self.plan(ns, release, yaml).await;
        deploy_release(
            &self.rollout(),
            settings,
            &one(release, ns, &objects, &diff, base.current.as_ref(), &[]),
        )
        .await
    }

    async fn history(&self, ns: &str, release: &str) -> Vec<Record> {
        self.releases.history(ns, release).await.expect("history")
    }
}

/// Objects of `yaml` finished as the render finishes them (namespace, labels, order).
fn objects(ns: &str, release: &str, yaml: &str) -> Vec<Object> {
    let mut objects = manifest::parse_documents(yaml, "test.yaml").expect("objects");
    manifest::prepare(&mut objects, release, "test", ns);
    objects
}

fn one<'a>(
    release: &str,
    ns: &str,
    objects: &[Object],
    diff: &'a ReleaseDiff,
    current: Option<&'a Record>,
    needs: &[&str],
) -> DeployRelease<'a> {
    DeployRelease {
        name: release.into(),
        namespace: ns.into(),
        needs: needs.iter().map(|n| n.to_string()).collect(),
        manifest: manifest::to_yaml(objects),
        meta: RecordMeta {
            profile: "test".into(),
            chart_name: release.into(),
            chart_version: "1.0.0".into(),
            git: GitInfo::default(),
            description: "deploy".into(),
        },
        diff,
        current,
        repair_due: false,
    }
}

fn apply_settings(wait: Option<Duration>) -> ApplySettings {
    ApplySettings {
        field_manager: "berth".into(),
        force_conflicts: false,
        prune: true,
        wait,
        concurrency: DEFAULT_CONCURRENCY,
        poll: Duration::from_millis(50),
    }
}

fn settings(wait: Option<Duration>) -> DeploySettings {
    DeploySettings {
        apply: apply_settings(wait),
        rollback_on_failure: None,
    }
}

fn config_maps(names: &[&str], value: &str) -> String {
    names
        .iter()
        .map(|n| {
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\ndata:\n  v: \"{value}\"\n---\n")
        })
        .collect()
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1
";

fn actions(diff: &ReleaseDiff) -> Vec<(String, Action)> {
    diff.entries
        .iter()
        .map(|e| (e.diff.object.to_string(), e.diff.action))
        .collect()
}

#[test]
fn plan_of_a_new_release_adds_its_namespace_and_sends_no_dry_run_into_it() {
    block_on(async {
        let env = Env::new(ServerOptions::default()).await;
        let (_, diff, _) = env
            .plan(
                "fresh",
                "app",
                &format!("{}{DEPLOYMENT}", config_maps(&["a"], "1")),
            )
            .await;
        assert_eq!(
            actions(&diff),
            [
                ("Namespace fresh".to_string(), Action::Add),
                ("ConfigMap fresh/a".to_string(), Action::Add),
                ("Deployment fresh/web".to_string(), Action::Add),
            ]
        );
        assert!(
            diff.entries[0].implicit,
            "the release namespace is berth's own"
        );
        assert_eq!(diff.summary.add, 3);
        // The namespace is not inventoried: the release never prunes it.
        assert_eq!(diff.inventory().len(), 2);
        // Nothing exists in a missing namespace: no dry-run was sent there.
        let dry_runs: Vec<String> = env
            .server
            .requests()
            .into_iter()
            .filter(|r| r.is_dry_run())
            .map(|r| r.path)
            .collect();
        assert!(
            dry_runs.is_empty(),
            "dry-runs into a missing namespace: {dry_runs:?}"
        );
        assert!(env
            .server
            .list("v1", "Namespace")
            .iter()
            .all(|(_, n)| n != "fresh"));
    });
}

#[test]
fn deploy_records_a_revision_and_a_second_plan_is_unchanged() {
    block_on(async {
        let env = Env::new(ServerOptions {
            ready_delay: Duration::from_millis(100),
            ..ServerOptions::default()
        })
        .await;
        let yaml = format!("{}{DEPLOYMENT}", config_maps(&["a", "b"], "1"));
        let outcome = env
            .deploy(
                "web",
                "app",
                &yaml,
                &settings(Some(Duration::from_secs(30))),
            )
            .await
            .expect("deploy");
        assert_eq!(outcome.status, OutcomeStatus::Deployed);
        assert_eq!(outcome.revision, Some(1));
        assert_eq!(
            (
                outcome.counts.created,
                outcome.counts.configured,
                outcome.counts.waited
            ),
            (4, 0, 1),
            "namespace, 2 ConfigMaps and the Deployment created; the Deployment waited for"
        );
        let mut lines = env.events.lines();
        // Objects of one wave go out concurrently: compare the waves as sets.
        lines[2..4].sort();
        assert_eq!(
            lines,
            [
                "started app 4",
                "applied+ Namespace web",
                "applied+ ConfigMap web/a",
                "applied+ ConfigMap web/b",
                "applied+ Deployment web/web",
                "ready Deployment web/web",
                "deployed app 1",
            ]
        );
        let history = env.history("web", "app").await;
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].status, Status::Deployed);
        assert_eq!(history[0].description, "deploy");
        let inventory: Vec<String> = history[0].inventory.iter().map(|o| o.to_string()).collect();
        assert_eq!(
            inventory,
            ["ConfigMap web/a", "ConfigMap web/b", "Deployment web/web"]
        );

        // Same objects again: nothing changes and, the record holding this
        // manifest, the release is not due: no write at all.
        env.events.clear();
        env.server.clear_requests();
        let (objects, diff, base) = env.plan("web", "app", &yaml).await;
        assert!(!diff.summary.has_changes(), "{:?}", actions(&diff));
        assert_eq!(diff.summary.unchanged, 3);
        let d = one("app", "web", &objects, &diff, base.current.as_ref(), &[]);
        assert!(!d.is_due());
        let outcome = deploy_release(&env.rollout(), &settings(None), &d)
            .await
            .expect("no-op deploy");
        assert_eq!(outcome.status, OutcomeStatus::Unchanged);
        assert_eq!(outcome.revision, Some(1));
        assert_eq!(outcome.counts.unchanged, 3);
        assert!(env.events.lines().is_empty());
        let writes: Vec<String> = env
            .server
            .requests()
            .into_iter()
            .filter(|r| r.is_write() && !r.is_dry_run())
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert!(writes.is_empty(), "a no-op deploy wrote {writes:?}");
    });
}

#[test]
fn objects_no_longer_rendered_are_pruned_unless_prune_is_off() {
    block_on(async {
        let env = Env::new(ServerOptions::default()).await;
        env.deploy(
            "p",
            "app",
            &config_maps(&["keep", "drop", "later"], "1"),
            &settings(None),
        )
        .await
        .expect("first deploy");

        // `drop` is no longer rendered: planned as a delete, not applied.
        let mut off = settings(None);
        off.apply.prune = false;
        let (objects, diff, base) = env
            .plan("p", "app", &config_maps(&["keep", "later"], "1"))
            .await;
        assert_eq!(
            actions(&diff),
            [
                ("ConfigMap p/keep".to_string(), Action::Unchanged),
                ("ConfigMap p/later".to_string(), Action::Unchanged),
                ("ConfigMap p/drop".to_string(), Action::Delete),
            ]
        );
        let outcome = deploy_release(
            &env.rollout(),
            &off,
            &one("app", "p", &objects, &diff, base.current.as_ref(), &[]),
        )
        .await
        .expect("deploy without prune");
        assert_eq!(outcome.counts.pruned, 0);
        assert!(env
            .server
            .get("v1", "ConfigMap", Some("p"), "drop")
            .is_some());

        // The --no-prune revision inventories only what it rendered, so the
        // kept `drop` is forgotten from then on (issue 15, "inventory never
        // forgets", is to change that). Render it once more, then drop it with
        // prune on: it is deleted, after every apply.
        env.deploy(
            "p",
            "app",
            &config_maps(&["keep", "drop", "later"], "1"),
            &settings(None),
        )
        .await
        .expect("redeploy");
        env.events.clear();
        let outcome = env
            .deploy(
                "p",
                "app",
                &config_maps(&["keep", "later"], "2"),
                &settings(None),
            )
            .await
            .expect("deploy with prune");
        assert_eq!((outcome.counts.configured, outcome.counts.pruned), (2, 1));
        assert!(env
            .server
            .get("v1", "ConfigMap", Some("p"), "drop")
            .is_none());
        let lines = env.events.lines();
        let pruned_at = lines.iter().position(|l| l == "pruned ConfigMap p/drop");
        let last_apply = lines.iter().rposition(|l| l.starts_with("applied"));
        assert!(
            pruned_at > last_apply,
            "prunes come after every apply: {lines:?}"
        );
    });
}

#[test]
fn an_object_another_release_took_over_is_not_pruned() {
    block_on(async {
        let env = Env::new(ServerOptions::default()).await;
        env.deploy(
            "shared",
            "one",
            &config_maps(&["x", "y"], "1"),
            &settings(None),
        )
        .await
        .expect("deploy one");
        // Release `two` now renders `y`, and its label says so.
        env.deploy("shared", "two", &config_maps(&["y"], "2"), &settings(None))
            .await
            .expect("deploy two");
        let (_, diff, _) = env.plan("shared", "one", &config_maps(&["x"], "1")).await;
        assert_eq!(
            actions(&diff),
            [("ConfigMap shared/x".to_string(), Action::Unchanged)],
            "y belongs to release two now"
        );
    });
}

#[test]
fn a_crd_and_its_custom_objects_go_out_in_waves() {
    block_on(async {
        let env = Env::new(ServerOptions {
            crd_delay: Duration::from_millis(300),
            ..ServerOptions::default()
        })
        .await;
        let yaml = "apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
spec: {size: 1}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: c
data: {a: b}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
";
        let (objects, diff, base) = env.plan("crd", "app", yaml).await;
        let widget = diff
            .entries
            .iter()
            .find(|e| e.diff.object.kind == "Widget")
            .expect("the custom object is planned");
        assert!(widget.resource.is_none(), "its kind is not served yet");
        assert_eq!(widget.diff.action, Action::Add);
        env.server.clear_requests();
        let outcome = deploy_release(
            &env.rollout(),
            &settings(None),
            &one("app", "crd", &objects, &diff, base.current.as_ref(), &[]),
        )
        .await
        .expect("deploy");
        assert_eq!(outcome.counts.created, 4);
        let applied: Vec<String> = env
            .events
            .lines()
            .into_iter()
            .filter(|l| l.starts_with("applied"))
            .collect();
        assert_eq!(
            applied,
            [
                "applied+ Namespace crd",
                "applied+ CustomResourceDefinition widgets.example.com",
                "applied+ ConfigMap crd/c",
                "applied+ Widget crd/w1",
            ]
        );
        // The CRD was polled until Established before the Widget went out.
        let paths: Vec<String> = env
            .server
            .requests()
            .into_iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        let crd_polled = paths
            .iter()
            .rposition(|p| {
                p.starts_with("GET") && p.contains("customresourcedefinitions/widgets.example.com")
            })
            .expect("the CRD was polled");
        let widget_applied = paths
            .iter()
            .position(|p| p.starts_with("PATCH") && p.contains("/widgets/w1"))
            .expect("the Widget was applied");
        assert!(crd_polled < widget_applied, "{paths:#?}");
        assert!(env
            .server
            .get("example.com/v1", "Widget", Some("crd"), "w1")
            .is_some());
    });
}

#[test]
fn a_failed_wait_is_recorded_failed_with_everything_it_may_have_created() {
    block_on(async {
        let env = Env::new(ServerOptions {
            never_ready: true,
            ..ServerOptions::default()
        })
        .await;
        env.deploy("f", "app", &config_maps(&["old"], "1"), &settings(None))
            .await
            .expect("first deploy");
        let err = env
            .deploy(
                "f",
                "app",
                &format!("{}{DEPLOYMENT}", config_maps(&["new"], "1")),
                &settings(Some(Duration::from_millis(500))),
            )
            .await
            .expect_err("the Deployment never becomes ready");
        let message = format!("{err:#}");
        assert!(message.contains("Deployment f/web"), "{message}");
        let history = env.history("f", "app").await;
        assert_eq!(history.len(), 2);
        assert_eq!(history[1].status, Status::Failed);
        assert!(history[1]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("Deployment f/web"));
        let kept: Vec<String> = history[1].inventory.iter().map(|o| o.to_string()).collect();
        assert_eq!(
            kept,
            ["ConfigMap f/new", "Deployment f/web", "ConfigMap f/old"],
            "what it applied, then what the deployed revision had"
        );
        assert_eq!(
            history[0].status,
            Status::Deployed,
            "revision 1 stays current"
        );
        let lines = env.events.lines();
        assert_eq!(
            lines.last().map(String::as_str),
            Some("failed app 2"),
            "{lines:?}"
        );
        // Nothing holds the lease: the next deploy starts at once.
        env.server.set_never_ready(false);
        let outcome = env
            .deploy("f", "app", &config_maps(&["old"], "1"), &settings(None))
            .await
            .expect("deploy after the failure");
        assert_eq!(outcome.revision, Some(3));
        // The failed attempt's objects are pruned from its recorded inventory.
        assert!(env
            .server
            .get("v1", "ConfigMap", Some("f"), "new")
            .is_none());
        assert!(env
            .server
            .get("apps/v1", "Deployment", Some("f"), "web")
            .is_none());
    });
}

#[test]
fn atomic_restores_the_previous_revision_with_its_own_settings() {
    block_on(async {
        let env = Env::new(ServerOptions {
            never_ready: true,
            ..ServerOptions::default()
        })
        .await;
        env.deploy("at", "app", &config_maps(&["cfg"], "good"), &settings(None))
            .await
            .expect("first deploy");
        env.events.clear();
        let atomic = DeploySettings {
            apply: apply_settings(Some(Duration::from_millis(500))),
            // The rollback does not wait: it must succeed although nothing is ever ready.
            rollback_on_failure: Some(apply_settings(None)),
        };
        let err = env
            .deploy(
                "at",
                "app",
                &format!("{}{DEPLOYMENT}", config_maps(&["cfg"], "bad")),
                &atomic,
            )
            .await
            .expect_err("the wait fails");
        let message = format!("{err:#}");
        assert!(
            message.contains(
                "release at/app: revision 2 failed; --atomic rolled back to revision 1 (recorded as revision 3)"
            ),
            "{message}"
        );
        let cm = env
            .server
            .get("v1", "ConfigMap", Some("at"), "cfg")
            .expect("configmap");
        assert_eq!(cm["data"]["v"], "good");
        assert!(
            env.server
                .get("apps/v1", "Deployment", Some("at"), "web")
                .is_none(),
            "the failed revision's new object is pruned by the rollback"
        );
        let history = env.history("at", "app").await;
        let statuses: Vec<(u32, Status, &str)> = history
            .iter()
            .map(|r| (r.revision, r.status, r.description.as_str()))
            .collect();
        assert_eq!(
            statuses,
            [
                (1, Status::Superseded, "deploy"),
                (2, Status::Failed, "deploy"),
                (3, Status::Deployed, "rollback to 1"),
            ]
        );
        let lines = env.events.lines();
        let failed_at = lines
            .iter()
            .position(|l| l == "failed app 2")
            .expect("the failure is reported");
        assert_eq!(
            lines[failed_at..],
            [
                "failed app 2",
                "rolling-back app 2->1",
                "restore-planned app",
                "started app 2",
                "applied~ ConfigMap at/cfg",
                "pruned Deployment at/web",
                "deployed app 3",
                "rolled-back app 1 as 3",
            ]
        );
    });
}

#[test]
fn atomic_without_an_earlier_revision_says_so() {
    block_on(async {
        let env = Env::new(ServerOptions {
            never_ready: true,
            ..ServerOptions::default()
        })
        .await;
        let atomic = DeploySettings {
            apply: apply_settings(Some(Duration::from_millis(300))),
            rollback_on_failure: Some(apply_settings(None)),
        };
        let err = env
            .deploy("none", "app", DEPLOYMENT, &atomic)
            .await
            .expect_err("the wait fails");
        assert!(
            format!("{err:#}").contains(
                "revision 1 failed; --atomic found no earlier deployed revision to roll back to"
            ),
            "{err:#}"
        );
        assert!(!env
            .events
            .lines()
            .iter()
            .any(|l| l.starts_with("rolling-back")));
    });
}

#[test]
fn restore_plans_against_the_current_inventory_and_records_a_new_revision() {
    block_on(async {
        let env = Env::new(ServerOptions::default()).await;
        env.deploy("r", "app", &config_maps(&["a"], "1"), &settings(None))
            .await
            .expect("v1");
        env.deploy("r", "app", &config_maps(&["a", "b"], "2"), &settings(None))
            .await
            .expect("v2");
        let history = env.history("r", "app").await;
        let target = history[0].clone();
        env.events.clear();
        let plan = plan_restore(&env.rollout(), "berth", &target)
            .await
            .expect("plan the restore");
        assert_eq!(
            actions(&plan.diff),
            [
                ("ConfigMap r/a".to_string(), Action::Change),
                ("ConfigMap r/b".to_string(), Action::Delete),
            ]
        );
        assert!(env.events.lines().is_empty(), "planning reports nothing");
        let done = restore(
            &env.rollout(),
            &apply_settings(None),
            &plan,
            Status::RolledBack,
        )
        .await
        .expect("restore");
        assert_eq!(done.record.revision, 3);
        assert_eq!(done.record.description, "rollback to 1");
        assert_eq!((done.counts.configured, done.counts.pruned), (1, 1));
        assert!(env.server.get("v1", "ConfigMap", Some("r"), "b").is_none());
        let statuses: Vec<Status> = env
            .history("r", "app")
            .await
            .iter()
            .map(|r| r.status)
            .collect();
        assert_eq!(
            statuses,
            [Status::Superseded, Status::RolledBack, Status::Deployed]
        );
    });
}

#[test]
fn releases_follow_needs_and_a_failed_need_skips_its_dependants() {
    block_on(async {
        let env = Env::new(ServerOptions::default()).await;
        let specs = [
            ("db", vec![]),
            ("api", vec!["db"]),
            ("web", vec!["api"]),
            ("docs", vec![]),
        ];
        let mut planned = Vec::new();
        for (name, _) in &specs {
            planned.push(
                env.plan("dag", name, &config_maps(&[&format!("{name}-cfg")], "1"))
                    .await,
            );
        }
        // The plan saw no fault; the apply of db's ConfigMap meets one.
        env.server
            .faults()
            .fail("PATCH", "/configmaps/db-cfg", 422, 100);
        let releases: Vec<DeployRelease> = specs
            .iter()
            .zip(&planned)
            .map(|((name, needs), (objects, diff, base))| {
                one(name, "dag", objects, diff, base.current.as_ref(), needs)
            })
            .collect();
        let err = deploy_all(&env.rollout(), &settings(None), &releases)
            .await
            .expect_err("db fails");
        assert!(
            format!("{err:#}").starts_with("deploy failed for release(s) db: "),
            "{err:#}"
        );
        let lines = env.events.lines();
        assert!(
            lines.contains(&"skipped api: not deployed: it needs db which failed".to_string()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"skipped web: not deployed: it needs api which failed".to_string()),
            "{lines:?}"
        );
        assert!(lines.contains(&"deployed docs 1".to_string()), "{lines:?}");
        assert!(env.history("dag", "api").await.is_empty());
        assert!(env.history("dag", "web").await.is_empty());
        assert_eq!(env.history("dag", "db").await[0].status, Status::Failed);

        // Without the fault, the chain deploys in order.
        env.server.faults().clear();
        env.events.clear();
        let mut planned = Vec::new();
        for (name, _) in &specs {
            planned.push(
                env.plan("dag", name, &config_maps(&[&format!("{name}-cfg")], "1"))
                    .await,
            );
        }
        let releases: Vec<DeployRelease> = specs
            .iter()
            .zip(&planned)
            .map(|((name, needs), (objects, diff, base))| {
                one(name, "dag", objects, diff, base.current.as_ref(), needs)
            })
            .collect();
        let outcomes = deploy_all(&env.rollout(), &settings(None), &releases)
            .await
            .expect("deploy");
        let statuses: Vec<(&str, OutcomeStatus)> = outcomes
            .iter()
            .map(|o| (o.release.as_str(), o.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("db", OutcomeStatus::Deployed),
                ("api", OutcomeStatus::Deployed),
                ("web", OutcomeStatus::Deployed),
                ("docs", OutcomeStatus::Unchanged),
            ]
        );
        let order: Vec<String> = env
            .events
            .lines()
            .iter()
            .filter_map(|l| l.strip_prefix("deployed "))
            .filter_map(|l| l.split(' ').next())
            .filter(|n| ["db", "api", "web"].contains(n))
            .map(str::to_string)
            .collect();
        assert_eq!(order, ["db", "api", "web"]);
    });
}

#[test]
fn a_needs_cycle_is_an_error_naming_the_releases() {
    block_on(async {
        let env = Env::new(ServerOptions::default()).await;
        let (oa, da, ba) = env.plan("cyc", "a", &config_maps(&["a"], "1")).await;
        let (ob, db, bb) = env.plan("cyc", "b", &config_maps(&["b"], "1")).await;
        let releases = [
            one("a", "cyc", &oa, &da, ba.current.as_ref(), &["b"]),
            one("b", "cyc", &ob, &db, bb.current.as_ref(), &["a"]),
        ];
        let err = deploy_all(&env.rollout(), &settings(None), &releases)
            .await
            .expect_err("cycle");
        assert_eq!(err.to_string(), "the needs of releases [0, 1] form a cycle");
        assert!(env.events.lines().is_empty());
    });
}

#[test]
fn a_plan_reuses_the_lists_of_the_record_read() {
    block_on(async {
        let env = Env::new(ServerOptions::default()).await;
        let yaml = "apiVersion: v1
kind: Secret
metadata:
  name: token
stringData: {token: abc}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data: {a: b}
";
        env.deploy("reuse", "app", yaml, &settings(None))
            .await
            .expect("deploy");
        env.server.clear_requests();
        let namespaces = ["reuse".to_string()].into_iter().collect();
        let (mut records, listed) = berth::rollout::records::read(&env.cluster, &namespaces)
            .await
            .expect("read the records");
        let history = records
            .remove(&("reuse".to_string(), "app".to_string()))
            .expect("the release's records");
        let base = Base::of(history);
        assert_eq!(base.next_revision, 2);
        assert_eq!(base.inventory.len(), 2);
        let diffs = berth::rollout::plan_with(
            &env.cluster,
            &PlanSettings::new("berth"),
            &[ReleaseTarget {
                name: "app".into(),
                namespace: "reuse".into(),
                objects: objects("reuse", "app", yaml),
                inventory: base.inventory,
            }],
            listed,
        )
        .await
        .expect("plan");
        assert!(!diffs[0].summary.has_changes());
        let lists: Vec<String> = env
            .server
            .requests()
            .into_iter()
            .filter(|r| r.method == "GET" && !r.is_dry_run())
            .map(|r| r.path)
            .filter(|p| {
                p.ends_with("/secrets") || p.ends_with("/namespaces") || p.ends_with("/configmaps")
            })
            .collect();
        // Secrets were listed once (for the records), namespaces not at all
        // (a namespace holding records exists), ConfigMaps once (for the plan).
        assert_eq!(
            lists,
            [
                "/api/v1/namespaces/reuse/secrets",
                "/api/v1/namespaces/reuse/configmaps"
            ],
            "{lists:?}"
        );
    });
}
