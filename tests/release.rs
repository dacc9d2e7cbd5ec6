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
use crate::support::harness::{berth, copy_tree, repo_root, tempdir, RunOutput};

/// A value of the demo secrets: must never be printed by history or status.
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
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kc = kube::config::Kubeconfig::read_from(server.kubeconfig()).expect("read kubeconfig");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
        .await
        .expect("kubeconfig to config");
    kube::Client::try_from(cfg).expect("client")
}

fn server() -> TestApiServer {
    TestApiServer::start_with(ServerOptions {
        namespaces: vec!["jupyter".into()],
        ..ServerOptions::default()
    })
}

/// A copy of the demo workspace (profiles, charts, values, secrets, berth.yaml).
fn workspace(dir: &Path) {
    let root = repo_root();
    for d in ["profiles", "charts", "values", "secrets"] {
        copy_tree(&root.join(d), &dir.join(d));
    }
    std::fs::copy(root.join("berth.yaml"), dir.join("berth.yaml")).expect("copy berth.yaml");
    std::fs::copy(root.join(".sops.yaml"), dir.join(".sops.yaml")).ok();
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
