//! Integration tests: the release lifecycle against the test API server —
//! revision records as Secrets, the deploy lease, history, status, rollback,
//! --atomic, delete, history limits — running the real `berth` binary.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use berth::git::GitInfo;
use berth::manifest::ObjectRef;
use berth::release::{RecordMeta, Releases};
use serde_json::{json, Value};

use crate::support::apiserver::{ServerOptions, TestApiServer};
use crate::support::harness::{berth, tempdir, RunOutput};

/// The hub cookie (a Secret value): must never be printed by history or status.
const SECRET_VALUE: &str = "s3cr3t-hub-cookie-value";

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("test runtime")
        .block_on(f)
}

async fn client(server: &TestApiServer) -> kube::Client {
    server.client().await
}

fn server() -> TestApiServer {
    TestApiServer::start_with(ServerOptions {
        namespaces: vec!["jupyter".into()],
        ..ServerOptions::default()
    })
}

/// A small workspace shaped like the demo one (profile `jupyter`, namespace
/// `jupyter`, releases `proxy` then `hub`), with plain values so these tests do
/// not depend on SOPS: the hub Secret's value comes from the chart's values.
fn workspace(dir: &Path) {
    let files: &[(&str, &str)] = &[
        ("berth.yaml", "historyLimit: 10\nleaseSeconds: 300\n"),
        (
            "profiles/jupyter.yaml",
            "description: hub and proxy\nnamespace: jupyter\nreleases:\n  - name: proxy\n    chart: charts/proxy\n  - name: hub\n    chart: charts/hub\n    needs: [proxy]\n",
        ),
        ("charts/proxy/Chart.yaml", "name: proxy\nversion: 1.0.0\nannotations:\n  berth.deploy/engine: handlebars\n"),
        ("charts/proxy/values.yaml", "replicas: 1\n"),
        (
            "charts/proxy/templates/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: proxy\nspec:\n  replicas: {{values.replicas}}\n  selector:\n    matchLabels: {app: proxy}\n  template:\n    metadata:\n      labels: {app: proxy}\n    spec:\n      containers:\n        - name: proxy\n          image: chp:4\n",
        ),
        ("charts/hub/Chart.yaml", "name: jupyterhub\nversion: 4.1.0\nannotations:\n  berth.deploy/engine: handlebars\n"),
        (
            "charts/hub/values.yaml",
            &format!("cookie: {SECRET_VALUE}\ntag: \"1\"\npvc: false\n"),
        ),
        (
            "charts/hub/templates/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: hub\ntype: Opaque\nstringData:\n  cookie: {{quote values.cookie}}\n",
        ),
        (
            "charts/hub/templates/configmap.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hub-config\ndata:\n  tag: {{quote values.tag}}\n",
        ),
        (
            "charts/hub/templates/pvc.yaml",
            "{{#if values.pvc}}\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: hub-db\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n{{/if}}\n",
        ),
        (
            "charts/hub/templates/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: hub\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: hub}\n  template:\n    metadata:\n      labels: {app: hub}\n      annotations:\n        tag: {{quote values.tag}}\n    spec:\n      containers:\n        - name: hub\n          image: \"k8s-hub:{{values.tag}}\"\n",
        ),
    ];
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).expect("mkdir");
        std::fs::write(path, text).expect("write workspace file");
    }
}

fn meta(description: &str) -> RecordMeta {
    RecordMeta {
        profile: "jupyter".into(),
        chart_name: "jupyterhub".into(),
        chart_version: "0.1.0".into(),
        git: GitInfo {
            sha: "0123456789abcdef0123456789abcdef01234567".into(),
            short_sha: "0123456".into(),
            tag: "v1.0.0".into(),
            branch: "main".into(),
            dirty: false,
            dirty_paths: vec![],
        },
        description: description.into(),
    }
}

fn manifest_with_secret() -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: hub-secret\n  namespace: jupyter\nstringData:\n  cookie: {SECRET_VALUE}\n"
    )
}

fn oref(api_version: &str, kind: &str, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: Some("jupyter".into()),
        name: name.into(),
    }
}

fn releases(client: kube::Client, holder: &str) -> Releases {
    Releases::new(client, 10, Duration::from_secs(300), holder.into())
}

fn json_of(out: &RunOutput) -> Value {
    serde_json::from_str(&out.stdout())
        .unwrap_or_else(|e| panic!("{}", out.report(&format!("stdout is not JSON: {e}"))))
}

fn kubeconfig_args(server: &TestApiServer) -> [String; 2] {
    [
        "--kubeconfig".to_string(),
        server.kubeconfig().display().to_string(),
    ]
}

#[test]
fn records_are_secrets_the_cluster_lists_and_history_shows() {
    let server = server();
    let dir = tempdir();
    workspace(dir.path());
    block_on(async {
        let rel = releases(client(&server).await, "tester@host:1");
        for (i, m) in ["first", "second"].into_iter().enumerate() {
            let tx = rel.begin("jupyter", "hub", meta(m)).await.expect("begin");
            assert_eq!(tx.revision, i as u32 + 1);
            tx.succeed(
                manifest_with_secret(),
                vec![oref("v1", "Secret", "hub-secret")],
            )
            .await
            .expect("succeed");
        }
        let tx = rel.begin("jupyter", "hub", meta("third")).await.unwrap();
        tx.fail(
            "wait: Deployment jupyter/hub timed out",
            manifest_with_secret(),
            vec![],
        )
        .await
        .unwrap();
    });
    // The records, as the cluster stores them.
    let s = server
        .get("v1", "Secret", Some("jupyter"), "berth.release.v1.hub.v2")
        .expect("record Secret v2");
    assert_eq!(s["type"], "berth.deploy/release.v1");
    assert_eq!(s["metadata"]["labels"]["owner"], "berth");
    assert_eq!(s["metadata"]["labels"]["name"], "hub");
    assert_eq!(s["metadata"]["labels"]["version"], "2");
    assert_eq!(s["metadata"]["labels"]["status"], "deployed");
    let v1 = server
        .get("v1", "Secret", Some("jupyter"), "berth.release.v1.hub.v1")
        .unwrap();
    assert_eq!(v1["metadata"]["labels"]["status"], "superseded");
    // The record data is gzip, not the plain manifest.
    let data = s["data"]["release"].as_str().expect("data.release");
    assert!(!data.contains(SECRET_VALUE));

    let out = berth(dir.path())
        .args(["history", "-p", "jupyter", "hub"])
        .args(kubeconfig_args(&server))
        .success();
    let table = out.stdout();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{}", out.report("three revisions + header"));
    assert!(lines[0].starts_with("RELEASE"));
    assert!(lines[1].contains("superseded") && lines[1].contains("first"));
    assert!(lines[2].contains("deployed") && lines[2].contains("0123456 (v1.0.0)"));
    assert!(lines[3].contains("failed") && lines[3].contains("timed out"));
    out.assert_never_printed(&[SECRET_VALUE]);

    let out = berth(dir.path())
        .args(["history", "-p", "jupyter", "--output", "json"])
        .args(kubeconfig_args(&server))
        .success();
    out.assert_never_printed(&[SECRET_VALUE]);
    let doc = json_of(&out);
    let releases = doc["releases"].as_array().unwrap();
    // Every release of the profile, in plan order; proxy has none yet.
    assert_eq!(releases[0]["release"], "proxy");
    assert_eq!(releases[0]["revisions"], json!([]));
    let hub = &releases[1];
    assert_eq!(hub["namespace"], "jupyter");
    let statuses: Vec<&str> = hub["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["superseded", "deployed", "failed"]);
    assert_eq!(
        hub["revisions"][2]["error"],
        "wait: Deployment jupyter/hub timed out"
    );
    assert_eq!(hub["revisions"][1]["git"]["tag"], "v1.0.0");
    assert!(out.stderr().contains("release proxy has no revisions"));

    let out = berth(dir.path())
        .args(["history", "-p", "jupyter", "nope"])
        .args(kubeconfig_args(&server))
        .code(1);
    out.assert_stderr_contains(&["release `nope` is not in profile(s) jupyter"]);
}

#[test]
fn status_shows_current_revision_latest_failure_lease_and_readiness() {
    let server = server();
    let dir = tempdir();
    workspace(dir.path());
    block_on(async {
        let c = client(&server).await;
        // One live object of the inventory; the other is missing.
        let cms: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
            kube::Api::namespaced(c.clone(), "jupyter");
        cms.create(
            &Default::default(),
            &serde_json::from_value(
                json!({"metadata": {"name": "hub-config"}, "data": {"a": "b"}}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
        let rel = releases(c.clone(), "tester@host:1");
        rel.begin("jupyter", "hub", meta("deploy"))
            .await
            .unwrap()
            .succeed(
                manifest_with_secret(),
                vec![
                    oref("v1", "ConfigMap", "hub-config"),
                    oref("v1", "ConfigMap", "gone"),
                ],
            )
            .await
            .unwrap();
        rel.begin("jupyter", "hub", meta("deploy"))
            .await
            .unwrap()
            .fail("apply failed", manifest_with_secret(), vec![])
            .await
            .unwrap();
        // A deploy in progress on proxy, by someone else.
        let other = releases(c, "alice@laptop:4242");
        std::mem::forget(
            other
                .begin("jupyter", "proxy", meta("deploy"))
                .await
                .unwrap(),
        );
    });
    let out = berth(dir.path())
        .args(["status", "-p", "jupyter"])
        .args(kubeconfig_args(&server))
        .success();
    out.assert_never_printed(&[SECRET_VALUE]);
    let text = out.stdout();
    assert!(
        text.contains("proxy (namespace jupyter): not deployed"),
        "{text}"
    );
    assert!(
        text.contains("deploy in progress: revision 1 by alice@laptop:4242 since"),
        "{text}"
    );
    assert!(
        text.contains("hub (namespace jupyter): revision 1 deployed"),
        "{text}"
    );
    assert!(text.contains("latest attempt: revision 2 failed"), "{text}");
    assert!(
        text.contains("ConfigMap jupyter/hub-config  ready"),
        "{text}"
    );
    assert!(
        text.contains("ConfigMap jupyter/gone        missing"),
        "{text}"
    );

    let out = berth(dir.path())
        .args(["status", "-p", "jupyter", "--output", "json"])
        .args(kubeconfig_args(&server))
        .success();
    out.assert_never_printed(&[SECRET_VALUE]);
    let doc = json_of(&out);
    let proxy = &doc["releases"][0];
    assert_eq!(proxy["revision"], Value::Null);
    assert_eq!(proxy["lease"]["holder"], "alice@laptop:4242");
    assert_eq!(proxy["lease"]["expired"], false);
    let hub = &doc["releases"][1];
    assert_eq!(hub["revision"], 1);
    assert_eq!(hub["status"], "deployed");
    assert_eq!(hub["latest"]["status"], "failed");
    assert_eq!(hub["ready"], false);
    assert_eq!(hub["objects"][0]["state"], "ready");
    assert_eq!(hub["objects"][1]["state"], "missing");
}

#[test]
fn delete_previews_needs_yes_then_removes_labelled_objects_and_records() {
    let server = server();
    let dir = tempdir();
    workspace(dir.path());
    block_on(async {
        let c = client(&server).await;
        let cms: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
            kube::Api::namespaced(c.clone(), "jupyter");
        for (name, release) in [("hub-config", Some("hub")), ("shared", None)] {
            let mut cm = json!({"metadata": {"name": name}, "data": {"a": "b"}});
            if let Some(r) = release {
                cm["metadata"]["labels"] = json!({ "berth.deploy/release": r });
            }
            cms.create(&Default::default(), &serde_json::from_value(cm).unwrap())
                .await
                .unwrap();
        }
        let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> =
            kube::Api::namespaced(c.clone(), "jupyter");
        secrets
            .create(
                &Default::default(),
                &serde_json::from_value(json!({"metadata": {"name": "hub-secret",
                    "labels": {"berth.deploy/release": "hub"}},
                    "stringData": {"cookie": SECRET_VALUE}}))
                .unwrap(),
            )
            .await
            .unwrap();
        let rel = releases(c, "tester@host:1");
        rel.begin("jupyter", "hub", meta("deploy"))
            .await
            .unwrap()
            .succeed(
                manifest_with_secret(),
                vec![
                    oref("v1", "Secret", "hub-secret"),
                    oref("v1", "ConfigMap", "hub-config"),
                    oref("v1", "ConfigMap", "shared"),
                ],
            )
            .await
            .unwrap();
        rel.begin("jupyter", "hub", meta("deploy"))
            .await
            .unwrap()
            .succeed(
                manifest_with_secret(),
                vec![oref("v1", "ConfigMap", "hub-config")],
            )
            .await
            .unwrap();
    });
    let record = |n: u32| {
        server.get(
            "v1",
            "Secret",
            Some("jupyter"),
            &format!("berth.release.v1.hub.v{n}"),
        )
    };
    // No terminal, no --yes: preview, then refuse; nothing deleted.
    let out = berth(dir.path())
        .args(["delete", "-p", "jupyter", "hub"])
        .args(kubeconfig_args(&server))
        .code(1);
    out.assert_stderr_contains(&[
        "- ConfigMap jupyter/hub-config",
        "- Secret jupyter/hub-secret",
        "keeping ConfigMap jupyter/shared",
        "2 object(s) to delete, 2 revision record(s) to delete",
        "--yes",
    ]);
    out.assert_never_printed(&[SECRET_VALUE]);
    assert!(server
        .get("v1", "ConfigMap", Some("jupyter"), "hub-config")
        .is_some());
    assert!(record(1).is_some());

    let out = berth(dir.path())
        .args([
            "delete", "-p", "jupyter", "hub", "--yes", "--output", "json",
        ])
        .args(kubeconfig_args(&server))
        .success();
    out.assert_never_printed(&[SECRET_VALUE]);
    let doc = json_of(&out);
    let deleted: Vec<&str> = doc["releases"][0]["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    // Reverse install order: ConfigMap before Secret.
    assert_eq!(deleted, ["ConfigMap", "Secret"]);
    assert_eq!(doc["releases"][0]["records"], 2);
    assert!(server
        .get("v1", "ConfigMap", Some("jupyter"), "hub-config")
        .is_none());
    assert!(server
        .get("v1", "Secret", Some("jupyter"), "hub-secret")
        .is_none());
    assert!(server
        .get("v1", "ConfigMap", Some("jupyter"), "shared")
        .is_some());
    assert!(record(1).is_none() && record(2).is_none());

    // Again: nothing left to delete.
    let out = berth(dir.path())
        .args(["delete", "-p", "jupyter", "hub"])
        .args(kubeconfig_args(&server))
        .success();
    out.assert_stderr_contains(&["nothing to delete"]);
}

#[test]
fn delete_refuses_while_a_deploy_holds_the_lease() {
    let server = server();
    let dir = tempdir();
    workspace(dir.path());
    block_on(async {
        let rel = releases(client(&server).await, "alice@laptop:4242");
        std::mem::forget(rel.begin("jupyter", "hub", meta("deploy")).await.unwrap());
    });
    let out = berth(dir.path())
        .args(["delete", "-p", "jupyter", "hub", "--yes"])
        .args(kubeconfig_args(&server))
        .code(1);
    out.assert_stderr_contains(&["is being deployed by alice@laptop:4242 since"]);
    assert!(server
        .get("v1", "Secret", Some("jupyter"), "berth.release.v1.hub.v1")
        .is_some());
}

// ---------------------------------------------------------------------------
// The lifecycle through `berth deploy`.

/// The hub cookie of revision 2 (the chart's default is SECRET_VALUE): never printed.
const NEW_COOKIE: &str = "0f0f0f0f-changed-cookie-secret-for-revision-2";

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn forbidden() -> Vec<String> {
    [NEW_COOKIE, SECRET_VALUE]
        .iter()
        .flat_map(|s| [s.to_string(), b64(s)])
        .collect()
}

fn assert_no_secrets(out: &RunOutput) {
    let f = forbidden();
    out.assert_never_printed(&f.iter().map(String::as_str).collect::<Vec<_>>());
}

/// `berth ARGS --kubeconfig K` in the workspace.
fn run(dir: &Path, server: &TestApiServer, args: &[&str]) -> crate::support::harness::Run {
    berth(dir).args(args).args(kubeconfig_args(server))
}

fn set_berth_yaml(dir: &Path, history_limit: usize, lease_seconds: u64) {
    std::fs::write(
        dir.join("berth.yaml"),
        format!(
            "historyLimit: {history_limit}\nfieldManager: berth\nleaseSeconds: {lease_seconds}\n"
        ),
    )
    .expect("write berth.yaml");
}

fn hub_history(dir: &Path, server: &TestApiServer) -> Vec<(u64, String, String)> {
    let out = run(
        dir,
        server,
        &["history", "-p", "jupyter", "hub", "--output", "json"],
    )
    .success();
    assert_no_secrets(&out);
    json_of(&out)["releases"][0]["revisions"]
        .as_array()
        .expect("revisions")
        .iter()
        .map(|r| {
            (
                r["revision"].as_u64().unwrap(),
                r["status"].as_str().unwrap().to_string(),
                r["description"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn rev(n: u64, status: &str, description: &str) -> (u64, String, String) {
    (n, status.to_string(), description.to_string())
}

fn live(server: &TestApiServer, api_version: &str, kind: &str, name: &str) -> Option<Value> {
    server.get(api_version, kind, Some("jupyter"), name)
}

fn record_status(server: &TestApiServer, release: &str, n: u32) -> Option<String> {
    live(
        server,
        "v1",
        "Secret",
        &format!("berth.release.v1.{release}.v{n}"),
    )
    .and_then(|s| {
        s["metadata"]["labels"]["status"]
            .as_str()
            .map(str::to_string)
    })
}

fn wait_for(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + timeout;
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn deploy_change_deploy_then_rollback_restores_objects_and_secret_values() {
    let server = server();
    let dir = tempdir();
    workspace(dir.path());
    // Revision 1: hub without its PVC, the chart's cookie.
    let out = run(dir.path(), &server, &["deploy", "-p", "jupyter", "--yes"]).success();
    assert_no_secrets(&out);
    let secret1 = live(&server, "v1", "Secret", "hub").expect("hub Secret")["data"].clone();
    let deployment1 = live(&server, "apps/v1", "Deployment", "hub").expect("hub Deployment");
    assert!(live(&server, "v1", "PersistentVolumeClaim", "hub-db").is_none());

    // Revision 2: a new cookie secret, the PVC appears.
    let cookie = format!("cookie={NEW_COOKIE}");
    let out = run(
        dir.path(),
        &server,
        &[
            "deploy", "-p", "jupyter", "--yes", "--set", &cookie, "--set", "pvc=true", "--set",
            "tag=2",
        ],
    )
    .success();
    assert_no_secrets(&out);
    let secret2 = live(&server, "v1", "Secret", "hub").unwrap()["data"].clone();
    assert_ne!(secret1, secret2);
    let pvcs = server.list("v1", "PersistentVolumeClaim");
    assert_eq!(pvcs.len(), 1, "{pvcs:?}");
    assert_eq!(
        hub_history(dir.path(), &server),
        [rev(1, "superseded", "deploy"), rev(2, "deployed", "deploy")]
    );
    let out = run(dir.path(), &server, &["history", "-p", "jupyter"]).success();
    assert_no_secrets(&out);
    assert!(out.stdout().contains("proxy"), "{}", out.stdout());

    // Without a terminal and without --yes: the diff, then a refusal; nothing changes.
    let out = run(
        dir.path(),
        &server,
        &["rollback", "-p", "jupyter", "hub", "1"],
    )
    .code(1);
    assert_no_secrets(&out);
    out.assert_stderr_contains(&["--yes"]);
    assert!(
        out.stdout().contains("PersistentVolumeClaim"),
        "{}",
        out.report("diff preview")
    );
    assert_eq!(
        live(&server, "v1", "Secret", "hub").unwrap()["data"],
        secret2
    );

    // Roll back to 1: a new revision 3, objects and Secret values exactly as in 1, PVC pruned.
    let out = run(
        dir.path(),
        &server,
        &[
            "rollback", "-p", "jupyter", "hub", "1", "--yes", "--output", "json",
        ],
    )
    .success();
    assert_no_secrets(&out);
    let doc = json_of(&out);
    assert_eq!(doc["restored"], 1);
    assert_eq!(doc["revision"], 3);
    assert_eq!(doc["status"], "deployed");
    assert_eq!(
        live(&server, "v1", "Secret", "hub").unwrap()["data"],
        secret1
    );
    let deployment3 = live(&server, "apps/v1", "Deployment", "hub").unwrap();
    assert_eq!(
        deployment3["spec"]["template"],
        deployment1["spec"]["template"]
    );
    assert!(
        server.list("v1", "PersistentVolumeClaim").is_empty(),
        "prune across rollback"
    );
    assert_eq!(
        hub_history(dir.path(), &server),
        [
            rev(1, "superseded", "deploy"),
            rev(2, "rolled-back", "deploy"),
            rev(3, "deployed", "rollback to 1")
        ]
    );

    // Rolling back without a revision goes to the one before the current: 2 (the PVC returns).
    let out = run(
        dir.path(),
        &server,
        &["rollback", "-p", "jupyter", "hub", "--yes"],
    )
    .success();
    assert_no_secrets(&out);
    assert_eq!(
        live(&server, "v1", "Secret", "hub").unwrap()["data"],
        secret2
    );
    assert_eq!(server.list("v1", "PersistentVolumeClaim").len(), 1);
    assert_eq!(
        hub_history(dir.path(), &server)[3],
        rev(4, "deployed", "rollback to 2")
    );

    // A normal deploy after rollbacks works from the current revision (prunes the PVC again).
    let out = run(
        dir.path(),
        &server,
        &["deploy", "-p", "jupyter", "--yes", "--set", "tag=5"],
    )
    .success();
    assert_no_secrets(&out);
    assert!(server.list("v1", "PersistentVolumeClaim").is_empty());
    assert_eq!(
        hub_history(dir.path(), &server)[4],
        rev(5, "deployed", "deploy")
    );

    // Status: current revision, every object ready; no secret values.
    let out = run(
        dir.path(),
        &server,
        &["status", "-p", "jupyter", "--output", "json"],
    )
    .success();
    assert_no_secrets(&out);
    let doc = json_of(&out);
    let hub = &doc["releases"][1];
    assert_eq!(hub["revision"], 5);
    assert_eq!(hub["ready"], true, "{hub}");
    assert!(hub["objects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["kind"] == "Deployment"));
    let out = run(dir.path(), &server, &["status", "-p", "jupyter"]).success();
    assert_no_secrets(&out);

    // Delete the whole profile: objects and records go.
    let out = run(dir.path(), &server, &["delete", "-p", "jupyter", "--yes"]).success();
    assert_no_secrets(&out);
    assert!(live(&server, "apps/v1", "Deployment", "hub").is_none());
    assert!(live(&server, "apps/v1", "Deployment", "proxy").is_none());
    assert!(live(&server, "v1", "Secret", "hub").is_none());
    let left: Vec<_> = server
        .list("v1", "Secret")
        .into_iter()
        .filter(|(_, n)| n.starts_with("berth.release.v1."))
        .collect();
    assert!(left.is_empty(), "records left: {left:?}");
}

#[test]
fn atomic_deploy_that_never_becomes_ready_rolls_back_and_fails() {
    let server = server();
    let dir = tempdir();
    workspace(dir.path());
    run(dir.path(), &server, &["deploy", "-p", "jupyter", "--yes"]).success();
    let template1 =
        live(&server, "apps/v1", "Deployment", "hub").unwrap()["spec"]["template"].clone();

    // The new hub Deployment never becomes ready: the wait times out.
    server.set_never_ready(true);
    let mut cmd = run(
        dir.path(),
        &server,
        &[
            "deploy",
            "-p",
            "jupyter",
            "--yes",
            "--atomic",
            "--timeout",
            "3s",
            "--set",
            "tag=broken",
        ],
    );
    let child = cmd
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("spawn berth deploy --atomic");
    // Once revision 2 is recorded failed, let workloads become ready again so
    // the rollback's own wait can succeed.
    wait_for("revision 2 to fail", Duration::from_secs(30), || {
        record_status(&server, "hub", 2).as_deref() == Some("failed")
    });
    server.set_never_ready(false);
    let output = child.wait_with_output().expect("wait for berth");
    let out = RunOutput {
        description: "berth deploy -p jupyter --yes --atomic --timeout 3s".into(),
        output,
    };
    out.assert_code(1);
    assert_no_secrets(&out);
    out.assert_stderr_contains(&[
        "revision 2 failed; --atomic rolled back to revision 1 (recorded as revision 3)",
        "timed out",
    ]);
    assert_eq!(
        live(&server, "apps/v1", "Deployment", "hub").unwrap()["spec"]["template"],
        template1
    );
    let history = hub_history(dir.path(), &server);
    assert_eq!(history[0], rev(1, "superseded", "deploy"));
    assert_eq!(history[1], rev(2, "failed", "deploy"));
    assert_eq!(history[2], rev(3, "deployed", "rollback to 1"));
    // Proxy did not change: it has its one revision.
    let out = run(
        dir.path(),
        &server,
        &["history", "-p", "jupyter", "proxy", "--output", "json"],
    )
    .success();
    assert_eq!(
        json_of(&out)["releases"][0]["revisions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_deploy_is_refused_while_another_holds_the_lease() {
    let server = server();
    let dir = tempdir();
    workspace(dir.path());
    run(dir.path(), &server, &["deploy", "-p", "jupyter", "--yes"]).success();
    // Another deploy of hub is under way (its lease held from this test).
    // One runtime for the holder: its client lives as long as the lease.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let tx = rt.block_on(async {
        let rel = releases(client(&server).await, "alice@laptop:4242");
        rel.begin("jupyter", "hub", meta("deploy"))
            .await
            .expect("hold the lease")
    });
    let out = run(
        dir.path(),
        &server,
        &["deploy", "-p", "jupyter", "--yes", "--set", "tag=new"],
    )
    .code(1);
    assert_no_secrets(&out);
    out.assert_stderr_contains(&[
        "release jupyter/hub is being deployed by alice@laptop:4242 since",
        "revision 2 pending",
    ]);
    // Nothing of the refused deploy was recorded; the holder's record is intact.
    assert_eq!(record_status(&server, "hub", 2).as_deref(), Some("pending"));
    assert!(record_status(&server, "hub", 3).is_none());
    // The holder finishes; the next deploy goes through as revision 3.
    rt.block_on(async { tx.fail("gave up", String::new(), vec![]).await.unwrap() });
    run(
        dir.path(),
        &server,
        &["deploy", "-p", "jupyter", "--yes", "--set", "tag=new"],
    )
    .success();
    assert_eq!(
        record_status(&server, "hub", 3).as_deref(),
        Some("deployed")
    );
}

#[test]
fn a_killed_deploy_is_taken_over_at_once_by_the_next_deploy_on_its_machine() {
    let server = server();
    let dir = tempdir();
    workspace(dir.path());
    set_berth_yaml(dir.path(), 10, 3);
    run(dir.path(), &server, &["deploy", "-p", "jupyter", "--yes"]).success();

    // The readiness check of the changed hub Deployment hangs: kill the deploy there.
    server
        .faults()
        .latency("GET", "/deployments/hub", Duration::from_secs(30), 1);
    let mut cmd = run(
        dir.path(),
        &server,
        &["deploy", "-p", "jupyter", "--yes", "--set", "tag=v2"],
    );
    let mut child = cmd
        .command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("spawn berth deploy");
    wait_for("revision 2 to be pending", Duration::from_secs(30), || {
        record_status(&server, "hub", 2).as_deref() == Some("pending")
    });
    std::thread::sleep(Duration::from_millis(500));
    child.kill().expect("kill berth deploy");
    child.wait().expect("reap berth deploy");
    let killed_at = std::time::Instant::now();
    assert_eq!(record_status(&server, "hub", 2).as_deref(), Some("pending"));

    // Its process is gone (same machine): taken over at once, within the
    // lease, said so, and the deploy succeeds.
    let out = run(
        dir.path(),
        &server,
        &["deploy", "-p", "jupyter", "--yes", "--set", "tag=v2"],
    )
    .success();
    assert!(
        killed_at.elapsed() < Duration::from_secs(3),
        "the take-over waited for the lease to expire"
    );
    assert_no_secrets(&out);
    out.assert_stderr_contains(&[
        "took over the deploy lease of jupyter/hub",
        "its process on this machine is gone",
        "revision 2 is recorded as failed",
    ]);
    let history = hub_history(dir.path(), &server);
    assert_eq!(history[0], rev(1, "superseded", "deploy"));
    assert_eq!(history[1].1, "failed");
    assert_eq!(history[2], rev(3, "deployed", "deploy"));
    let out = run(dir.path(), &server, &["history", "-p", "jupyter", "hub"]).success();
    assert!(out.stdout().contains("abandoned"), "{}", out.stdout());
    // The abandoned revision still names what the killed deploy was applying.
    let out = run(
        dir.path(),
        &server,
        &["history", "-p", "jupyter", "hub", "--output", "json"],
    )
    .success();
    let abandoned = &json_of(&out)["releases"][0]["revisions"][1];
    assert!(
        abandoned["inventory"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["kind"] == "Deployment" && o["name"] == "hub"),
        "{abandoned}"
    );
}

#[test]
fn the_history_limit_deletes_the_oldest_records() {
    let server = server();
    let dir = tempdir();
    workspace(dir.path());
    set_berth_yaml(dir.path(), 3, 300);
    for i in 1..=5 {
        let tag = format!("tag=t{i}");
        run(
            dir.path(),
            &server,
            &["deploy", "-p", "jupyter", "--yes", "--set", &tag],
        )
        .success();
    }
    assert_eq!(
        hub_history(dir.path(), &server),
        [
            rev(3, "superseded", "deploy"),
            rev(4, "superseded", "deploy"),
            rev(5, "deployed", "deploy")
        ]
    );
    assert!(record_status(&server, "hub", 1).is_none());
    assert!(record_status(&server, "hub", 2).is_none());
    // Proxy never changed: one revision.
    assert_eq!(
        record_status(&server, "proxy", 1).as_deref(),
        Some("deployed")
    );
}

#[test]
fn two_concurrent_deploys_one_is_refused_naming_the_other() {
    let server = server();
    let dir = tempdir();
    workspace(dir.path());
    run(dir.path(), &server, &["deploy", "-p", "jupyter", "--yes"]).success();
    // The first deploy is slow in its wait for the hub Deployment.
    server
        .faults()
        .latency("GET", "/deployments/hub", Duration::from_secs(4), 1);
    let mut first = run(
        dir.path(),
        &server,
        &["deploy", "-p", "jupyter", "--yes", "--set", "tag=a"],
    );
    let first = first
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("spawn the first deploy");
    let first_pid = first.id();
    wait_for(
        "the first deploy to hold the lease",
        Duration::from_secs(30),
        || record_status(&server, "hub", 2).as_deref() == Some("pending"),
    );
    let second = run(
        dir.path(),
        &server,
        &["deploy", "-p", "jupyter", "--yes", "--set", "tag=b"],
    )
    .code(1);
    second.assert_stderr_contains(&[
        "release jupyter/hub is being deployed by",
        &format!(":{first_pid} since"),
    ]);
    let first = RunOutput {
        description: "the first deploy".into(),
        output: first.wait_with_output().expect("wait for the first deploy"),
    };
    first.assert_code(0);
    assert_eq!(
        record_status(&server, "hub", 2).as_deref(),
        Some("deployed")
    );
    assert!(record_status(&server, "hub", 3).is_none());
    let cm = live(&server, "v1", "ConfigMap", "hub-config").unwrap();
    assert_eq!(cm["data"]["tag"], "a");
}

#[test]
fn record_writes_survive_a_busy_api_server() {
    let server = server();
    let dir = tempdir();
    workspace(dir.path());
    // Two record creates and one record update answer 503 (not processed): retried.
    server
        .faults()
        .fail("POST", "/namespaces/jupyter/secrets", 503, 2);
    server
        .faults()
        .fail("PUT", "/secrets/berth.release.v1.hub.v1", 503, 1);
    run(dir.path(), &server, &["deploy", "-p", "jupyter", "--yes"]).success();
    assert_eq!(
        record_status(&server, "hub", 1).as_deref(),
        Some("deployed")
    );
    assert_eq!(
        record_status(&server, "proxy", 1).as_deref(),
        Some("deployed")
    );
    assert_eq!(server.faults().remaining(), 0, "every fault was hit");
}

/// The demo workspace's SOPS secrets (secrets/jupyter.yaml, demo-only age key).
const DEMO_COOKIE: &str = "68688e4cb8a234ba8478ebe7ac1a25ef27706be578ea8d77b8b9343c7d191093";
const DEMO_TOKEN: &str = "c118e71c62580afe8a1fb7549fce2f224b6a6f40c9da498268fd4dd0fd9f1191";
/// A new cookie for revision 2 (the chart's schema wants 64 hex digits).
const DEMO_NEW_COOKIE: &str = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";

#[test]
fn demo_workspace_with_sops_secrets_rollback_restores_them_and_never_prints_them() {
    use crate::support::harness::{copy_tree, repo_root};
    let server = server();
    let dir = tempdir();
    let root = repo_root();
    for d in ["profiles", "charts", "values", "secrets"] {
        copy_tree(&root.join(d), &dir.path().join(d));
    }
    for f in ["berth.yaml", ".sops.yaml"] {
        std::fs::copy(root.join(f), dir.path().join(f)).expect("copy workspace file");
    }
    let demo = |args: &[&str]| {
        berth(dir.path())
            .env("SOPS_AGE_KEY_FILE", dir.path().join("secrets/demo.agekey"))
            .args(args)
            .args(kubeconfig_args(&server))
    };
    let secrets: Vec<String> = [DEMO_COOKIE, DEMO_TOKEN, DEMO_NEW_COOKIE]
        .iter()
        .flat_map(|s| [s.to_string(), b64(s)])
        .collect();
    let check = |out: &RunOutput| {
        out.assert_never_printed(&secrets.iter().map(String::as_str).collect::<Vec<_>>())
    };
    check(&demo(&["deploy", "-p", "jupyter", "--yes"]).success());
    let secret1 = live(&server, "v1", "Secret", "hub").expect("hub Secret")["data"].clone();
    let cookie = format!("hub.cookieSecret={DEMO_NEW_COOKIE}");
    check(&demo(&["deploy", "-p", "jupyter", "--yes", "--set", &cookie]).success());
    assert_ne!(
        live(&server, "v1", "Secret", "hub").unwrap()["data"],
        secret1
    );
    for args in [
        &["history", "-p", "jupyter"][..],
        &["history", "-p", "jupyter", "--output", "json"],
        &["status", "-p", "jupyter"],
        &["status", "-p", "jupyter", "--output", "json"],
    ] {
        check(&demo(args).success());
    }
    let out = demo(&["rollback", "-p", "jupyter", "hub", "--yes"]).success();
    check(&out);
    assert_eq!(
        live(&server, "v1", "Secret", "hub").unwrap()["data"],
        secret1
    );
    let out = demo(&["history", "-p", "jupyter", "hub", "--output", "json"]).success();
    check(&out);
    let statuses: Vec<String> = json_of(&out)["releases"][0]["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r["revision"], r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, ["1 superseded", "2 rolled-back", "3 deployed"]);
}

#[test]
fn delete_keep_history_removes_objects_but_keeps_the_records() {
    let server = server();
    let dir = tempdir();
    workspace(dir.path());
    run(dir.path(), &server, &["deploy", "-p", "jupyter", "--yes"]).success();
    let out = run(
        dir.path(),
        &server,
        &["delete", "-p", "jupyter", "hub", "--yes", "--keep-history"],
    )
    .success();
    out.assert_stderr_contains(&["revision records kept", "- Deployment jupyter/hub"]);
    assert_no_secrets(&out);
    assert!(live(&server, "apps/v1", "Deployment", "hub").is_none());
    assert!(live(&server, "v1", "Secret", "hub").is_none());
    // proxy was not named: untouched.
    assert!(live(&server, "apps/v1", "Deployment", "proxy").is_some());
    assert_eq!(
        record_status(&server, "hub", 1).as_deref(),
        Some("deployed")
    );
    let history = hub_history(dir.path(), &server);
    assert_eq!(history, [rev(1, "deployed", "deploy")]);
}

#[test]
fn objects_a_failed_deploy_created_are_pruned_when_their_template_goes() {
    let dir = tempdir();
    workspace(dir.path());
    let server = server();
    run(dir.path(), &server, &["deploy", "-p", "jupyter", "--yes"]).success();

    // Revision 2 adds the PVC, applies it, then fails waiting for the hub.
    std::fs::write(
        dir.path().join("charts/hub/values.yaml"),
        format!("cookie: {SECRET_VALUE}\ntag: \"2\"\npvc: true\n"),
    )
    .expect("values");
    server.set_never_ready(true);
    let failed = run(
        dir.path(),
        &server,
        &["deploy", "-p", "jupyter", "--yes", "--timeout", "2s"],
    )
    .code(1);
    assert_no_secrets(&failed);
    assert!(
        live(&server, "v1", "PersistentVolumeClaim", "hub-db").is_some(),
        "{}",
        failed.report("the failed deploy should have applied the PVC")
    );
    assert_eq!(record_status(&server, "hub", 2).as_deref(), Some("failed"));

    // The template goes away: the last deployed revision never had the PVC, but the
    // failed attempt created it, so the next deploy must show and prune it.
    server.set_never_ready(false);
    std::fs::write(
        dir.path().join("charts/hub/values.yaml"),
        format!("cookie: {SECRET_VALUE}\ntag: \"3\"\npvc: false\n"),
    )
    .expect("values");
    let out = run(dir.path(), &server, &["deploy", "-p", "jupyter", "--yes"]).success();
    assert!(
        out.all_output()
            .contains("- PersistentVolumeClaim jupyter/hub-db"),
        "{}",
        out.report("the diff should show the PVC as a deletion")
    );
    assert!(
        live(&server, "v1", "PersistentVolumeClaim", "hub-db").is_none(),
        "{}",
        out.report("the PVC a failed deploy created outlived its template")
    );
}
