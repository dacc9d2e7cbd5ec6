//! Integration tests: `berth diff` and `berth deploy` (the real binary, with
//! `--kubeconfig`) against the in-process test API server. Most tests build a
//! small self-contained workspace in a temp dir; one deploys the demo workspace.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use serde_json::Value;

use crate::support::apiserver::{RequestLog, ServerOptions, TestApiServer};
use crate::support::harness::{self, berth, RunOutput};

const PASSWORD: &str = "s3cr3t-Pa55word-42";
const NEW_PASSWORD: &str = "n3w-0ther-Pa55word-7";

/// A workspace with one profile `app` (namespace `demo`) and one chart:
/// a Secret, a ConfigMap, a Service and a Deployment.
struct Ws {
    dir: tempfile::TempDir,
}

const TEMPLATE_CONFIG: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  greeting: {{quote values.greeting}}
  color: blue
";

const TEMPLATE_SECRET: &str = "apiVersion: v1
kind: Secret
metadata:
  name: app-secret
stringData:
  password: {{quote values.password}}
";

const TEMPLATE_SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: app
spec:
  selector: {app: app}
  ports:
    - port: 80
";

const TEMPLATE_DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  replicas: {{values.replicas}}
  selector:
    matchLabels: {app: app}
  template:
    metadata:
      labels: {app: app}
    spec:
      containers:
        - name: app
          image: nginx:1
";

impl Ws {
    fn new() -> Ws {
        let ws = Ws {
            dir: harness::tempdir(),
        };
        ws.write(
            "profiles/app.yaml",
            "namespace: demo\nreleases:\n  - name: app\n    chart: charts/app\n",
        );
        ws.write(
            "charts/app/Chart.yaml",
            "name: app\nversion: 0.1.0\nannotations:\n  berth.deploy/engine: handlebars\n",
        );
        ws.write(
            "charts/app/values.yaml",
            &format!("replicas: 2\ngreeting: hello\npassword: {PASSWORD}\n"),
        );
        ws.write("charts/app/templates/config.yaml", TEMPLATE_CONFIG);
        ws.write("charts/app/templates/secret.yaml", TEMPLATE_SECRET);
        ws.write("charts/app/templates/service.yaml", TEMPLATE_SERVICE);
        ws.write("charts/app/templates/deployment.yaml", TEMPLATE_DEPLOYMENT);
        ws
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn remove(&self, rel: &str) {
        std::fs::remove_file(self.dir.path().join(rel)).unwrap();
    }

    /// `berth ARGS --kubeconfig K` in the workspace.
    fn berth(&self, server: &TestApiServer, args: &[&str]) -> harness::Run {
        let kc = server.kubeconfig();
        berth(self.path())
            .args(args)
            .args(["--kubeconfig".as_ref(), kc.as_os_str()])
    }

    fn deploy(&self, server: &TestApiServer, extra: &[&str]) -> RunOutput {
        let mut args = vec!["deploy", "-p", "app", "--yes"];
        args.extend_from_slice(extra);
        self.berth(server, &args).output()
    }
}

fn writes(log: &[RequestLog]) -> Vec<&RequestLog> {
    log.iter()
        .filter(|r| r.is_write() && !r.is_dry_run())
        .collect()
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn kubectl(server: &TestApiServer, args: &[&str]) -> std::process::Output {
    let out = Command::new(harness::require_tool("kubectl"))
        .arg("--kubeconfig")
        .arg(server.kubeconfig())
        .args(args)
        .env("HOME", std::env::temp_dir())
        .output()
        .expect("run kubectl");
    assert!(
        out.status.success(),
        "kubectl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn replicas(server: &TestApiServer) -> i64 {
    server
        .get("apps/v1", "Deployment", Some("demo"), "app")
        .expect("deployment exists")["spec"]["replicas"]
        .as_i64()
        .unwrap()
}

#[test]
fn first_deploy_creates_everything_in_install_order() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    let out = ws.deploy(&server, &[]);
    out.assert_code(0);
    assert!(
        out.stdout().contains("5 to add, 0 to change, 0 to delete"),
        "{}",
        out.report("summary")
    );
    out.assert_stderr_contains(&["revision 1 deployed"]);
    for (v, k, n) in [
        ("v1", "Secret", "app-secret"),
        ("v1", "ConfigMap", "app-config"),
        ("v1", "Service", "app"),
        ("apps/v1", "Deployment", "app"),
    ] {
        let obj = server
            .get(v, k, Some("demo"), n)
            .unwrap_or_else(|| panic!("{k} {n} missing"));
        assert_eq!(obj["metadata"]["labels"]["berth.deploy/release"], "app");
    }
    // Real writes (not dry runs) of objects happen in install order.
    let order: Vec<String> = writes(&server.requests())
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.path.clone())
        .collect();
    let pos = |needle: &str| {
        order
            .iter()
            .position(|p| p.ends_with(needle))
            .unwrap_or_else(|| panic!("no apply of {needle} in {order:?}"))
    };
    assert!(pos("/namespaces/demo") < pos("/secrets/app-secret"));
    assert!(pos("/secrets/app-secret") < pos("/configmaps/app-config"));
    assert!(pos("/configmaps/app-config") < pos("/services/app"));
    assert!(pos("/services/app") < pos("/deployments/app"));
    // The release is recorded.
    let records = server.list("v1", "Secret");
    assert!(
        records
            .iter()
            .any(|(ns, n)| ns == "demo" && n == "berth.release.v1.app.v1"),
        "{records:?}"
    );
}

#[test]
fn second_deploy_reports_no_changes_and_writes_nothing() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    ws.deploy(&server, &[]).assert_code(0);
    server.clear_requests();
    let out = ws.deploy(&server, &[]);
    out.assert_code(0);
    assert!(
        out.stdout().contains("No changes"),
        "{}",
        out.report("no changes")
    );
    out.assert_stderr_contains(&["Nothing to deploy"]);
    let log = server.requests();
    assert!(
        writes(&log).is_empty(),
        "writes on a no-op deploy: {:?}",
        writes(&log)
    );
    // A no-op diff: one dry-run per object and one list per kind, nothing more:
    // discovery comes from the on-disk cache the deploys above filled, the
    // release records come with the Secret list, and the release namespace is
    // known to exist because it holds them.
    server.clear_requests();
    ws.berth(&server, &["diff", "-p", "app", "--exit-code"])
        .code(0);
    let log = server.requests();
    let dry_runs = log.iter().filter(|r| r.is_dry_run()).count();
    assert_eq!(dry_runs, 4, "{log:#?}");
    // One list per kind (4 kinds; the Secret list carries the records too).
    let gets: Vec<&RequestLog> = log.iter().filter(|r| r.method == "GET").collect();
    assert_eq!(gets.len(), 4, "{gets:#?}");
    assert!(
        gets.iter()
            .all(|r| r.path.starts_with("/api") && r.path.contains("/namespaces/demo/")),
        "{gets:#?}"
    );
    assert_eq!(log.len(), dry_runs + gets.len(), "{log:#?}");
    assert!(writes(&log).is_empty());
}

#[test]
fn values_change_produces_exactly_the_expected_diff() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    ws.deploy(&server, &[]).assert_code(0);
    let out = ws
        .berth(
            &server,
            &[
                "diff",
                "-p",
                "app",
                "--set",
                "greeting=bonjour",
                "--context-lines",
                "1",
                "--exit-code",
            ],
        )
        .code(2);
    assert_eq!(
        out.stdout(),
        "~ ConfigMap demo/app-config\n@@ -11,2 +11,2 @@\n   color: blue\n-  greeting: hello\n+  greeting: bonjour\n0 to add, 1 to change, 0 to delete\n",
        "{}",
        out.report("diff")
    );
    let json = ws
        .berth(
            &server,
            &[
                "diff",
                "-p",
                "app",
                "--set",
                "greeting=bonjour",
                "--output",
                "json",
            ],
        )
        .code(0);
    let doc: Value = serde_json::from_str(&json.stdout()).expect("diff JSON");
    assert_eq!(doc["changes"], true);
    assert_eq!(doc["summary"]["change"], 1);
    let objects = doc["releases"][0]["objects"].as_array().unwrap();
    let cm = objects
        .iter()
        .find(|o| o["kind"] == "ConfigMap")
        .expect("configmap entry");
    assert_eq!(cm["action"], "change");
    assert_eq!(cm["namespace"], "demo");
    assert_eq!(cm["name"], "app-config");
    assert_eq!(cm["changedPaths"], serde_json::json!(["data.greeting"]));
    assert!(objects
        .iter()
        .filter(|o| o["kind"] != "ConfigMap")
        .all(|o| o["action"] == "unchanged"));
    // Applying it changes exactly that.
    ws.deploy(&server, &["--set", "greeting=bonjour"])
        .assert_code(0);
    let cm = server
        .get("v1", "ConfigMap", Some("demo"), "app-config")
        .unwrap();
    assert_eq!(cm["data"]["greeting"], "bonjour");
}

#[test]
fn drift_by_another_manager_is_shown_and_force_conflicts_repairs_it() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    ws.deploy(&server, &[]).assert_code(0);
    kubectl(
        &server,
        &[
            "-n",
            "demo",
            "patch",
            "deployment",
            "app",
            "--type",
            "merge",
            "--field-manager",
            "kubectl-scale",
            "-p",
            r#"{"spec":{"replicas":5}}"#,
        ],
    );
    assert_eq!(replicas(&server), 5);
    let diff = ws.berth(&server, &["diff", "-p", "app"]).code(0);
    assert!(
        diff.stdout().contains(
            "drift: spec.replicas is 5 on the cluster (owned by field manager kubectl-scale), berth wants 2"
        ),
        "{}",
        diff.report("drift")
    );
    assert!(diff.stdout().contains("-  replicas: 5\n+  replicas: 2\n"));
    let json = ws
        .berth(&server, &["diff", "-p", "app", "--output", "json"])
        .code(0);
    let doc: Value = serde_json::from_str(&json.stdout()).unwrap();
    let dep = doc["releases"][0]["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .unwrap()
        .clone();
    assert_eq!(dep["drift"][0]["manager"], "kubectl-scale");
    assert_eq!(dep["drift"][0]["live"], 5);
    assert_eq!(dep["drift"][0]["desired"], 2);

    // Without --force-conflicts the apply is refused, naming manager and field.
    let refused = ws.deploy(&server, &[]);
    refused.assert_code(1);
    refused.assert_stderr_contains(&["kubectl-scale", ".spec.replicas", "--force-conflicts"]);
    assert_eq!(replicas(&server), 5);
    ws.deploy(&server, &["--force-conflicts"]).assert_code(0);
    assert_eq!(replicas(&server), 2);
    ws.berth(&server, &["diff", "-p", "app", "--exit-code"])
        .code(0);
}

#[test]
fn conflict_with_another_manager_fails_clearly_and_force_conflicts_succeeds() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    ws.deploy(&server, &[]).assert_code(0);
    // Another tool takes the greeting over with its own server-side apply.
    let manifest = ws.path().join("other.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: demo\ndata:\n  greeting: from-other\n",
    )
    .unwrap();
    kubectl(
        &server,
        &[
            "apply",
            "--server-side",
            "--force-conflicts",
            "--field-manager",
            "other-tool",
            "-f",
            manifest.to_str().unwrap(),
        ],
    );
    let out = ws.deploy(&server, &[]);
    out.assert_code(1);
    out.assert_stderr_contains(&[
        "conflict applying ConfigMap demo/app-config",
        "other-tool",
        ".data.greeting",
        "pass --force-conflicts",
    ]);
    let cm = server
        .get("v1", "ConfigMap", Some("demo"), "app-config")
        .unwrap();
    assert_eq!(cm["data"]["greeting"], "from-other");
    ws.deploy(&server, &["--force-conflicts"]).assert_code(0);
    let cm = server
        .get("v1", "ConfigMap", Some("demo"), "app-config")
        .unwrap();
    assert_eq!(cm["data"]["greeting"], "hello");
}

#[test]
fn removed_templates_are_pruned_unless_no_prune() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    ws.deploy(&server, &[]).assert_code(0);
    ws.remove("charts/app/templates/service.yaml");
    let diff = ws
        .berth(&server, &["diff", "-p", "app", "--exit-code"])
        .code(2);
    assert!(
        diff.stdout().contains("- Service demo/app\n"),
        "{}",
        diff.report("prune")
    );
    assert!(diff.stdout().contains("0 to add, 0 to change, 1 to delete"));
    // --no-prune keeps it (and records the new revision).
    ws.deploy(&server, &["--no-prune"]).assert_code(0);
    assert!(server.get("v1", "Service", Some("demo"), "app").is_some());
    // Its inventory no longer lists the Service: a later deploy leaves it alone.
    ws.remove("charts/app/templates/config.yaml");
    let out = ws.deploy(&server, &[]);
    out.assert_code(0);
    assert!(server
        .get("v1", "ConfigMap", Some("demo"), "app-config")
        .is_none());
    assert!(server.get("v1", "Service", Some("demo"), "app").is_some());
    out.assert_stderr_contains(&["pruned ConfigMap demo/app-config"]);
}

#[test]
fn prune_happens_by_default() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    ws.deploy(&server, &[]).assert_code(0);
    ws.remove("charts/app/templates/service.yaml");
    ws.deploy(&server, &[]).assert_code(0);
    assert!(server.get("v1", "Service", Some("demo"), "app").is_none());
    ws.berth(&server, &["diff", "-p", "app", "--exit-code"])
        .code(0);
}

#[test]
fn crd_and_its_custom_object_deploy_in_one_run() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    ws.write(
        "charts/app/templates/crd.yaml",
        "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: notebooks.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Notebook, plural: notebooks, singular: notebook, listKind: NotebookList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
---
apiVersion: example.com/v1
kind: Notebook
metadata:
  name: alice
spec:
  image: jupyter/base:1
",
    );
    let diff = ws.berth(&server, &["diff", "-p", "app"]).code(0);
    assert!(diff
        .stdout()
        .contains("+ CustomResourceDefinition notebooks.example.com"));
    assert!(diff.stdout().contains("+ Notebook demo/alice"));
    ws.deploy(&server, &[]).assert_code(0);
    let nb = server
        .get("example.com/v1", "Notebook", Some("demo"), "alice")
        .expect("custom object created");
    assert_eq!(nb["spec"]["image"], "jupyter/base:1");
    ws.berth(&server, &["diff", "-p", "app", "--exit-code"])
        .code(0);
}

#[test]
fn injected_500s_and_429s_are_retried_and_succeed() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    server
        .faults()
        .fail("PATCH", "/configmaps/app-config", 500, 2);
    server
        .faults()
        .fail_retry_after("GET", "/apis/apps/v1", 429, 1, 1);
    server
        .faults()
        .fail("GET", "/namespaces/demo/deployments/app", 503, 1);
    // A dropped connection on the dry-run of the Service is retried too.
    server
        .faults()
        .drop_connection("PATCH", "/namespaces/demo/services/app", 1);
    let out = ws.deploy(&server, &[]);
    out.assert_code(0);
    assert!(server
        .get("v1", "ConfigMap", Some("demo"), "app-config")
        .is_some());
    assert!(server.get("v1", "Service", Some("demo"), "app").is_some());
    let log = server.requests();
    let failed: Vec<u16> = log
        .iter()
        .filter(|r| matches!(r.status, 429 | 500 | 503))
        .map(|r| r.status)
        .collect();
    assert_eq!(failed.len(), 4, "{log:#?}");
    assert_eq!(server.faults().remaining(), 0);
}

#[test]
fn exhausted_retries_fail_clearly_and_the_next_deploy_recovers() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    // The readiness wait reads the Deployment with GET: let every attempt fail
    // (transient failures are polled through until --timeout runs out).
    server
        .faults()
        .fail("GET", "/namespaces/demo/deployments/app", 500, 10_000);
    let out = ws.deploy(&server, &["--timeout", "3s"]);
    out.assert_code(1);
    out.assert_stderr_contains(&["gave up after 5 attempts", "500"]);
    server.faults().clear();
    // The failed revision is recorded, its lease released: the next deploy recovers.
    let out = ws.deploy(&server, &[]);
    out.assert_code(0);
    out.assert_stderr_contains(&["revision 2 deployed"]);
    let out = ws.deploy(&server, &[]);
    out.assert_code(0);
    out.assert_stderr_contains(&["Nothing to deploy"]);
}

#[test]
fn secret_values_never_appear_in_any_output() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    let forbidden = [
        PASSWORD.to_string(),
        b64(PASSWORD),
        NEW_PASSWORD.to_string(),
        b64(NEW_PASSWORD),
    ];
    let forbidden: Vec<&str> = forbidden.iter().map(String::as_str).collect();
    let set = format!("password={NEW_PASSWORD}");
    let mut outputs = vec![
        ws.berth(&server, &["diff", "-p", "app"]).code(0),
        ws.berth(&server, &["diff", "-p", "app", "--output", "json"])
            .code(0),
        ws.berth(&server, &["deploy", "-p", "app", "--yes", "-v"])
            .code(0),
    ];
    let changed = ws
        .berth(&server, &["diff", "-p", "app", "--set", &set, "-v"])
        .code(0);
    assert!(
        changed.stdout().contains(&format!(
            "~ password: <changed, {} → {} bytes>",
            PASSWORD.len(),
            NEW_PASSWORD.len()
        )),
        "{}",
        changed.report("masked change")
    );
    outputs.push(changed);
    outputs.push(
        ws.berth(
            &server,
            &["diff", "-p", "app", "--set", &set, "--output", "json"],
        )
        .code(0),
    );
    // A failing deploy (conflict) and its error messages.
    server.faults().conflict("PATCH", "/secrets/app-secret", 1);
    outputs.push(
        ws.berth(
            &server,
            &[
                "deploy", "-p", "app", "--yes", "--set", &set, "--output", "json",
            ],
        )
        .output(),
    );
    outputs.push(
        ws.berth(
            &server,
            &["deploy", "-p", "app", "--yes", "--set", &set, "-v"],
        )
        .code(0),
    );
    outputs.push(ws.deploy(&server, &["--set", &set, "--output", "json"]));
    for out in &outputs {
        out.assert_never_printed(&forbidden);
    }
    // --show-secrets is the one way to see them.
    let shown = ws
        .berth(
            &server,
            &[
                "diff",
                "-p",
                "app",
                "--set",
                "password=shown-on-request",
                "--show-secrets",
            ],
        )
        .code(0);
    assert!(
        shown.stdout().contains("shown-on-request"),
        "{}",
        shown.report("show")
    );
}

#[test]
fn deploy_json_summary_carries_the_documented_fields() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    let out = ws.deploy(&server, &["--output", "json"]);
    out.assert_code(0);
    let doc: Value = serde_json::from_str(&out.stdout()).expect("one JSON document on stdout");
    assert_eq!(doc["context"], "test");
    assert_eq!(doc["changes"], true);
    assert_eq!(doc["summary"]["add"], 5);
    let r = &doc["releases"][0];
    assert_eq!(r["release"], "app");
    assert_eq!(r["namespace"], "demo");
    assert_eq!(r["revision"], 1);
    assert_eq!(r["status"], "deployed");
    assert_eq!(r["counts"]["created"], 5);
    assert!(r["durationMs"].is_u64());
    // The diff went to stderr, not into the JSON.
    assert!(out.stderr().contains("+ Deployment demo/app"));
    let again = ws.deploy(&server, &["--output", "json"]);
    let doc: Value = serde_json::from_str(&again.stdout()).unwrap();
    assert_eq!(doc["changes"], false);
    assert_eq!(doc["releases"][0]["status"], "unchanged");
    assert_eq!(doc["releases"][0]["revision"], 1);
}

#[test]
fn without_a_terminal_deploy_refuses_unless_yes_and_dry_run_writes_nothing() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    let out = ws.berth(&server, &["deploy", "-p", "app"]).code(1);
    out.assert_stderr_contains(&["--yes"]);
    assert!(writes(&server.requests()).is_empty());
    let out = ws
        .berth(&server, &["deploy", "-p", "app", "--dry-run"])
        .code(0);
    out.assert_stderr_contains(&["Dry run"]);
    assert!(out.stdout().contains("+ Deployment demo/app"));
    assert!(writes(&server.requests()).is_empty());
    assert!(
        !out.all_output().contains("\x1b["),
        "ANSI escapes without a terminal"
    );
}

#[test]
fn context_guard_and_missing_cluster_are_clear_errors() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    ws.write(
        "profiles/app.yaml",
        "namespace: demo\ncontext: prod-eks\nreleases:\n  - name: app\n    chart: charts/app\n",
    );
    let out = ws.deploy(&server, &[]);
    out.assert_code(1);
    out.assert_stderr_contains(&["prod-eks", "\"test\"", "--context"]);
    assert!(server.requests().is_empty(), "no request before the guard");
    // No kubeconfig anywhere: point to `berth render`.
    let out = berth(ws.path()).args(["diff", "-p", "app"]).code(1);
    out.assert_stderr_contains(&["no cluster configured", "berth render"]);
}

#[test]
fn dirty_git_tree_is_refused_under_ci_unless_allow_dirty() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    let repo = git2::Repository::init(ws.path()).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(
            ["profiles", "charts"].iter(),
            git2::IndexAddOption::DEFAULT,
            None,
        )
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("t", "t@example.com").unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "init", &tree, &[])
        .unwrap();
    ws.write(
        "charts/app/values.yaml",
        "replicas: 3\ngreeting: hi\npassword: x\n",
    );
    let kc = server.kubeconfig();
    let out = berth(ws.path())
        .args(["deploy", "-p", "app", "--yes", "--kubeconfig"])
        .args([&kc])
        .env("CI", "true")
        .code(1);
    out.assert_stderr_contains(&["dirty", "charts/app/values.yaml", "--allow-dirty"]);
    assert!(server.requests().is_empty());
    berth(ws.path())
        .args([
            "deploy",
            "-p",
            "app",
            "--yes",
            "--allow-dirty",
            "--kubeconfig",
        ])
        .args([&kc])
        .env("CI", "true")
        .code(0);
}

#[test]
fn releases_follow_the_needs_dag() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    ws.write(
        "profiles/app.yaml",
        "namespace: demo\nreleases:\n  - name: db\n    chart: charts/db\n  - name: app\n    chart: charts/app\n    needs: [db]\n",
    );
    ws.write(
        "charts/db/Chart.yaml",
        "name: db\nversion: 1.0.0\nannotations:\n  berth.deploy/engine: handlebars\n",
    );
    ws.write(
        "charts/db/templates/db.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db\ndata:\n  url: postgres://db\n",
    );
    ws.deploy(&server, &[]).assert_code(0);
    let order: Vec<String> = writes(&server.requests())
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.path.clone())
        .collect();
    let db = order
        .iter()
        .position(|p| p.ends_with("/configmaps/db"))
        .unwrap();
    let app = order
        .iter()
        .position(|p| p.ends_with("/configmaps/app-config"))
        .unwrap();
    assert!(db < app, "{order:?}");
}

#[test]
fn demo_workspace_deploys_end_to_end_and_kubectl_sees_it() {
    let server = TestApiServer::start_with(ServerOptions::default());
    let dir = harness::tempdir();
    for part in ["berth.yaml", ".sops.yaml"] {
        let src = harness::repo_root().join(part);
        if src.is_file() {
            std::fs::copy(&src, dir.path().join(part)).unwrap();
        }
    }
    for part in ["profiles", "charts", "values", "secrets"] {
        harness::copy_tree(&harness::repo_root().join(part), &dir.path().join(part));
    }
    let key: PathBuf = dir.path().join("secrets/demo.agekey");
    // The plaintext secret values (asked for explicitly), to grep every output for.
    let plain = berth(dir.path())
        .args(["secrets", "decrypt", "secrets/jupyter.yaml"])
        .env("SOPS_AGE_KEY_FILE", &key)
        .code(0)
        .stdout();
    let values: Vec<String> = plain
        .lines()
        .filter_map(|l| {
            l.split_once(": ")
                .map(|(_, v)| v.trim().trim_matches('"').to_string())
        })
        .filter(|v| v.len() >= 8)
        .collect();
    assert!(!values.is_empty(), "no secret values found in {plain}");
    let mut forbidden = values.clone();
    forbidden.extend(values.iter().map(|v| b64(v)));
    let forbidden: Vec<&str> = forbidden.iter().map(String::as_str).collect();
    let kc = server.kubeconfig();
    let out = berth(dir.path())
        .args(["deploy", "-p", "jupyter", "--yes", "-v", "--kubeconfig"])
        .args([&kc])
        .env("SOPS_AGE_KEY_FILE", &key)
        .output();
    out.assert_code(0);
    out.assert_never_printed(&forbidden);
    let pods = kubectl(&server, &["get", "deployments", "-A", "-o", "name"]);
    let names = String::from_utf8_lossy(&pods.stdout);
    assert!(names.contains("deployment.apps/"), "{names}");
    let again = berth(dir.path())
        .args(["diff", "-p", "jupyter", "--exit-code", "--kubeconfig"])
        .args([&kc])
        .env("SOPS_AGE_KEY_FILE", &key)
        .output();
    again.assert_code(0);
    again.assert_never_printed(&forbidden);
}

#[test]
fn kubeconfig_resolves_like_kubectl() {
    let server = TestApiServer::start();
    let ws = Ws::new();
    // KUBECONFIG (a path list; missing entries are skipped).
    let list =
        std::env::join_paths([ws.path().join("missing-config"), server.kubeconfig()]).unwrap();
    berth(ws.path())
        .args(["diff", "-p", "app"])
        .env("KUBECONFIG", &list)
        .code(0);
    // ~/.kube/config (the harness points HOME at <cwd>/.home).
    let home_kube = ws.path().join(".home/.kube");
    std::fs::create_dir_all(&home_kube).unwrap();
    std::fs::copy(server.kubeconfig(), home_kube.join("config")).unwrap();
    berth(ws.path()).args(["diff", "-p", "app"]).code(0);
    // --context must name a context of the file.
    let out = berth(ws.path())
        .args(["diff", "-p", "app", "--context", "nope"])
        .code(1);
    out.assert_stderr_contains(&["context \"nope\" is not defined"]);
    berth(ws.path())
        .args(["diff", "-p", "app", "--context", "test"])
        .code(0);
}
