//! Integration tests: issue 19 items 9-12, deploys under cluster faults. The
//! real binary deploys small workspaces to the in-process test API server
//! while its fault rules answer 500/503/429 (`Retry-After`), drop connections
//! before or after handling a request, or add latency — one regression test
//! per item, a `kill -9` between record writes, and a run of 60 deploys at
//! 5-30% fault rates checking that every deploy ends succeeded or failed,
//! the next one never waits for a lock, no history ever holds two `deployed`
//! revisions, and the cluster matches the last successful render.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::apiserver::{FaultAction, ServerOptions, TestApiServer};
use crate::support::harness::{berth, tempdir, Run, RunOutput};

/// Releases of the workspace: (name, namespace, needs); `web` has a Deployment.
const RELEASES: [(&str, &str, &str); 3] = [("web", "fa", ""), ("api", "fb", ""), ("db", "fa", "")];

/// Debug dumps of client error types that must never reach a user.
const DUMPS: [&str; 7] = [
    "ApiError",
    "Status {",
    "ErrorResponse",
    "DispatchFailure",
    "ServiceError",
    "HyperError",
    "kind: Some(",
];

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

/// A workspace: profile `p` with the releases `names` of [`RELEASES`], each a
/// ConfigMap `<name>-config` whose `value` is `values.value` (`web` also a
/// Deployment, so deploys wait for readiness).
fn workspace(names: &[&str]) -> tempfile::TempDir {
    let t = tempdir();
    let d = t.path();
    write(
        d,
        "berth.yaml",
        "historyLimit: 10\nfieldManager: berth\nleaseSeconds: 300\n",
    );
    let mut profile = String::from("releases:\n");
    for (name, ns, needs) in RELEASES.iter().filter(|r| names.contains(&r.0)) {
        profile.push_str(&format!(
            "  - name: {name}\n    namespace: {ns}\n    chart: charts/{name}\n"
        ));
        if !needs.is_empty() {
            profile.push_str(&format!("    needs: [{needs}]\n"));
        }
        write(
            d,
            &format!("charts/{name}/Chart.yaml"),
            &format!(
                "name: {name}\nversion: 0.1.0\nannotations:\n  berth.deploy/engine: handlebars\n"
            ),
        );
        write(d, &format!("charts/{name}/values.yaml"), "value: v0\n");
        write(
            d,
            &format!("charts/{name}/templates/config.yaml"),
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-config\ndata:\n  value: {{{{quote values.value}}}}\n"
            ),
        );
        if *name == "web" {
            write(
                d,
                "charts/web/templates/deployment.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web, value: {{quote values.value}}}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1\n",
            );
        }
    }
    write(d, "profiles/p.yaml", &profile);
    t
}

fn server() -> TestApiServer {
    TestApiServer::start_with(ServerOptions {
        ready_delay: Duration::from_millis(30),
        crd_delay: Duration::from_millis(30),
        ..ServerOptions::default()
    })
}

fn run(dir: &Path, server: &TestApiServer, args: &[&str]) -> Run {
    let kc = server.kubeconfig();
    berth(dir)
        .args(args)
        .args(["--kubeconfig".as_ref(), kc.as_os_str()])
}

fn deploy(dir: &Path, server: &TestApiServer, value: &str, extra: &[&str]) -> RunOutput {
    let set = format!("value={value}");
    let mut args = vec!["deploy", "-p", "p", "--yes", "--set", &set];
    args.extend_from_slice(extra);
    run(dir, server, &args).output()
}

/// Status label of every record of `release`, by revision.
fn statuses(server: &TestApiServer, ns: &str, release: &str) -> BTreeMap<u32, String> {
    let prefix = format!("berth.release.v1.{release}.v");
    server
        .list("v1", "Secret")
        .into_iter()
        .filter(|(n, name)| n == ns && name.starts_with(&prefix))
        .filter_map(|(n, name)| {
            let revision = name[prefix.len()..].parse().ok()?;
            let s = server.get("v1", "Secret", Some(&n), &name)?;
            let status = s["metadata"]["labels"]["status"].as_str()?.to_string();
            Some((revision, status))
        })
        .collect()
}

fn deployed(server: &TestApiServer, ns: &str, release: &str) -> Vec<u32> {
    statuses(server, ns, release)
        .into_iter()
        .filter(|(_, s)| s == "deployed")
        .map(|(r, _)| r)
        .collect()
}

fn config_value(server: &TestApiServer, ns: &str, release: &str) -> Option<String> {
    server
        .get("v1", "ConfigMap", Some(ns), &format!("{release}-config"))
        .and_then(|c| c["data"]["value"].as_str().map(str::to_string))
}

fn record_path(ns: &str, release: &str, revision: u32) -> String {
    format!("/namespaces/{ns}/secrets/berth.release.v1.{release}.v{revision}")
}

fn assert_no_dumps(out: &RunOutput) {
    out.assert_never_printed(&DUMPS);
}

// ------------------------------------------------------------ 9: record writes

#[test]
fn record_write_500_is_retried() {
    let server = server();
    let t = workspace(&["api"]);
    deploy(t.path(), &server, "v1", &[]).assert_code(0);
    // Creating revision 2's record, noting its objects and recording it: each
    // write is answered 500 twice, or loses its connection, first.
    server
        .faults()
        .fail("POST", "/namespaces/fb/secrets", 500, 2);
    server
        .faults()
        .fail("PUT", &record_path("fb", "api", 2), 500, 2);
    server
        .faults()
        .drop_connection("PUT", &record_path("fb", "api", 1), 1);
    let out = deploy(t.path(), &server, "v2", &[]);
    out.assert_code(0);
    out.assert_stderr_contains(&["revision 2 deployed"]);
    assert_eq!(server.faults().remaining(), 0, "every fault was met");
    assert_eq!(deployed(&server, "fb", "api"), vec![2]);
    assert_eq!(
        statuses(&server, "fb", "api").get(&1).map(String::as_str),
        Some("superseded")
    );
}

#[test]
fn record_write_whose_answer_is_lost_is_recognised_as_landed() {
    let server = server();
    let t = workspace(&["api"]);
    deploy(t.path(), &server, "v1", &[]).assert_code(0);
    // The writes land, their answers never arrive: the replays are answered
    // 409 and the records read back as exactly what was written.
    server
        .faults()
        .drop_answer("POST", "/namespaces/fb/secrets", 1);
    server
        .faults()
        .drop_answer("PUT", &record_path("fb", "api", 2), 2);
    let out = deploy(t.path(), &server, "v2", &[]);
    out.assert_code(0);
    out.assert_stderr_contains(&["revision 2 deployed"]);
    assert_eq!(server.faults().remaining(), 0);
    assert_eq!(deployed(&server, "fb", "api"), vec![2]);
}

#[test]
fn record_write_429_honours_retry_after() {
    let server = server();
    let t = workspace(&["api"]);
    deploy(t.path(), &server, "v1", &[]).assert_code(0);
    let started = Instant::now();
    deploy(t.path(), &server, "v2", &[]).assert_code(0);
    let baseline = started.elapsed();
    server
        .faults()
        .fail_retry_after("PUT", &record_path("fb", "api", 3), 429, 1, 3);
    let started = Instant::now();
    let out = deploy(t.path(), &server, "v3", &[]);
    let took = started.elapsed();
    out.assert_code(0);
    assert_eq!(server.faults().remaining(), 0);
    assert!(
        took >= Duration::from_secs(3),
        "the retry came before Retry-After: 3 ({took:?}; baseline {baseline:?})"
    );
    assert_eq!(deployed(&server, "fb", "api"), vec![3]);
}

#[test]
fn final_record_write_failure_names_the_release_and_the_next_deploy_goes_at_once() {
    let server = server();
    let t = workspace(&["api"]);
    deploy(t.path(), &server, "v1", &[]).assert_code(0);
    // Every write of revision 2's record after the first two (create, note)
    // fails: it cannot be recorded deployed, nor failed.
    server.faults().after(
        1,
        "PUT",
        &record_path("fb", "api", 2),
        FaultAction::Status {
            code: 500,
            retry_after: None,
        },
        1_000,
    );
    let out = deploy(t.path(), &server, "v2", &[]);
    out.assert_code(1);
    out.assert_stderr_contains(&[
        "release fb/api: revision 2 was applied, but its record could not be written",
        "next deploy on this machine takes its lease over at once",
        "Error from server (InternalError)",
    ]);
    assert_no_dumps(&out);
    assert!(
        deployed(&server, "fb", "api").len() <= 1,
        "{:?}",
        statuses(&server, "fb", "api")
    );
    server.faults().clear();
    let started = Instant::now();
    let out = deploy(t.path(), &server, "v2", &[]);
    out.assert_code(0);
    assert!(started.elapsed() < Duration::from_secs(10));
    out.assert_stderr_contains(&["took over the deploy lease of fb/api"]);
    assert_eq!(deployed(&server, "fb", "api"), vec![3]);
    assert_eq!(config_value(&server, "fb", "api").as_deref(), Some("v2"));
}

// ------------------------------------------------------------ 10: one deployed

/// Rewrite the status of one stored record (as an older berth's interrupted
/// deploy would have left it).
fn set_status(server: &TestApiServer, ns: &str, release: &str, revision: u32, status: &str) {
    let name = format!("berth.release.v1.{release}.v{revision}");
    let secret = server
        .get("v1", "Secret", Some(ns), &name)
        .expect("record exists");
    let secret: k8s_openapi::api::core::v1::Secret =
        serde_json::from_value(secret).expect("a Secret");
    let stored = berth::release::from_secret(&secret).expect("a record");
    let mut record = stored.record;
    record.status = serde_json::from_value(serde_json::json!(status)).expect("a status");
    let data = berth::release::encode(&record).expect("encode");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let api: kube::Api<k8s_openapi::api::core::v1::Secret> =
            kube::Api::namespaced(server.client().await, ns);
        let mut s = secret.clone();
        s.data
            .get_or_insert_with(Default::default)
            .insert("release".into(), k8s_openapi::ByteString(data));
        s.metadata
            .labels
            .get_or_insert_with(Default::default)
            .insert("status".into(), status.into());
        api.replace(&name, &Default::default(), &s)
            .await
            .expect("replace the record");
    });
}

#[test]
fn two_deployed_revisions_are_repaired() {
    let server = server();
    let t = workspace(&["api"]);
    deploy(t.path(), &server, "v1", &[]).assert_code(0);
    deploy(t.path(), &server, "v2", &[]).assert_code(0);
    set_status(&server, "fb", "api", 1, "deployed");
    assert_eq!(deployed(&server, "fb", "api"), vec![1, 2]);
    let out = deploy(t.path(), &server, "v3", &[]);
    out.assert_code(0);
    out.assert_stderr_contains(&[
        "repaired the history of fb/api: revision 1 was recorded deployed as well as revision 2",
    ]);
    assert_eq!(deployed(&server, "fb", "api"), vec![3]);

    // A rollback repairs too.
    set_status(&server, "fb", "api", 2, "deployed");
    let out = run(t.path(), &server, &["rollback", "-p", "p", "api", "--yes"]).output();
    out.assert_code(0);
    out.assert_stderr_contains(&["repaired the history of fb/api"]);
    assert_eq!(deployed(&server, "fb", "api"), vec![4]);

    // A deploy that changes no object repairs too (it records a revision,
    // which a history without breakage would not need).
    deploy(t.path(), &server, "v2", &[]).assert_code(0);
    let quiet = deploy(t.path(), &server, "v2", &[]);
    quiet.assert_code(0);
    quiet.assert_stderr_contains(&["Nothing to deploy"]);
    let current = deployed(&server, "fb", "api");
    assert_eq!(current.len(), 1, "{current:?}");
    set_status(&server, "fb", "api", 1, "deployed");
    let out = deploy(t.path(), &server, "v2", &[]);
    out.assert_code(0);
    out.assert_stderr_contains(&[&format!(
        "repaired the history of fb/api: revision 1 was recorded deployed as well as revision {}",
        current[0]
    )]);
    assert_eq!(deployed(&server, "fb", "api"), vec![current[0] + 1]);
}

#[test]
fn kill_between_record_writes_never_leaves_two_deployed_and_recovers_at_once() {
    let server = server();
    let t = workspace(&["api"]);
    deploy(t.path(), &server, "v1", &[]).assert_code(0);
    // Revision 2's final write (after its create and its note) hangs: the
    // deploy is killed after it superseded revision 1, before it recorded 2.
    server.faults().after(
        1,
        "PUT",
        &record_path("fb", "api", 2),
        FaultAction::Latency(Duration::from_secs(60)),
        1,
    );
    let mut cmd = run(
        t.path(),
        &server,
        &["deploy", "-p", "p", "--yes", "--set", "value=v2"],
    );
    let mut child = cmd
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn berth deploy");
    let deadline = Instant::now() + Duration::from_secs(30);
    while statuses(&server, "fb", "api").get(&1).map(String::as_str) != Some("superseded") {
        assert!(Instant::now() < deadline, "revision 1 was never superseded");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().expect("kill -9 berth deploy");
    child.wait().expect("reap berth deploy");
    let left = statuses(&server, "fb", "api");
    assert_eq!(
        left.get(&2).map(String::as_str),
        Some("pending"),
        "{left:?}"
    );
    assert!(deployed(&server, "fb", "api").is_empty(), "{left:?}");
    // The diff counts revision 1 as current (what the repair will make it).
    let out = run(t.path(), &server, &["diff", "-p", "p", "--set", "value=v2"]).output();
    assert_eq!(out.exit_code(), 0, "{}", out.report("diff"));

    let started = Instant::now();
    let out = deploy(t.path(), &server, "v3", &[]);
    out.assert_code(0);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "waited for a lock"
    );
    out.assert_stderr_contains(&[
        "took over the deploy lease of fb/api",
        "its process on this machine is gone",
        "repaired the history of fb/api",
        "revision 1 (superseded) is deployed again",
    ]);
    let after = statuses(&server, "fb", "api");
    assert_eq!(deployed(&server, "fb", "api"), vec![3], "{after:?}");
    assert_eq!(after.get(&2).map(String::as_str), Some("failed"));
    assert_eq!(config_value(&server, "fb", "api").as_deref(), Some("v3"));
}

// ------------------------------------------------------------ 11: all leases first

#[test]
fn concurrent_deploys_of_one_profile_do_not_split() {
    let server = server();
    let t = workspace(&["web", "api", "db"]);
    deploy(t.path(), &server, "v0", &[]).assert_code(0);
    for round in 1..=3 {
        // Slow applies keep the two deploys overlapping.
        server.faults().latency(
            "PATCH",
            "/configmaps/",
            Duration::from_millis(700),
            usize::MAX,
        );
        let values = [format!("a{round}"), format!("b{round}")];
        let children: Vec<_> = values
            .iter()
            .map(|v| {
                let set = format!("value={v}");
                let mut cmd = run(
                    t.path(),
                    &server,
                    &["deploy", "-p", "p", "--yes", "--set", &set],
                );
                cmd.command()
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .stdin(Stdio::null())
                    .spawn()
                    .expect("spawn berth deploy")
            })
            .collect();
        let outs: Vec<_> = children
            .into_iter()
            .map(|c| c.wait_with_output().expect("wait"))
            .collect();
        server.faults().clear();
        let ok: Vec<usize> = (0..2).filter(|i| outs[*i].status.success()).collect();
        let report = || {
            outs.iter()
                .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                .collect::<Vec<_>>()
                .join("\n----\n")
        };
        assert_eq!(
            ok.len(),
            1,
            "round {round}: one deploy must win\n{}",
            report()
        );
        let winner = ok[0];
        let loser = String::from_utf8_lossy(&outs[1 - winner].stderr).into_owned();
        assert!(
            loser.contains("is being deployed by")
                && loser.contains("no release of this deploy was applied"),
            "round {round}: {loser}"
        );
        for (name, ns, _) in RELEASES {
            assert_eq!(
                config_value(&server, ns, name).as_deref(),
                Some(values[winner].as_str()),
                "round {round}: release {name} split\n{}",
                report()
            );
            let s = statuses(&server, ns, name);
            assert!(!s.values().any(|v| v == "pending"), "{name}: {s:?}");
            assert_eq!(deployed(&server, ns, name).len(), 1, "{name}: {s:?}");
        }
    }
}

#[test]
fn a_release_that_never_applies_gives_its_lease_back() {
    let server = server();
    let t = workspace(&["web", "api"]);
    // api needs web; web's apply is refused: api never applies.
    let profile = std::fs::read_to_string(t.path().join("profiles/p.yaml")).expect("profile");
    write(
        t.path(),
        "profiles/p.yaml",
        &profile.replace(
            "chart: charts/api\n",
            "chart: charts/api\n    needs: [web]\n",
        ),
    );
    deploy(t.path(), &server, "v1", &[]).assert_code(0);
    // web never becomes ready: it fails, api (leased with it) is skipped.
    server.set_never_ready(true);
    let out = deploy(t.path(), &server, "v2", &["--timeout", "2s"]);
    out.assert_code(1);
    out.assert_stderr_contains(&["not deployed: it needs web which failed"]);
    server.set_never_ready(false);
    let api = statuses(&server, "fb", "api");
    assert_eq!(
        api.into_iter().collect::<Vec<_>>(),
        vec![(1, "deployed".to_string())],
        "the skipped release's pending record was given back"
    );
    deploy(t.path(), &server, "v2", &[]).assert_code(0);
}

// ------------------------------------------------------------ 12: readiness, messages

#[test]
fn readiness_500s_do_not_fail_with_time_left() {
    let server = server();
    let t = workspace(&["web"]);
    deploy(t.path(), &server, "v1", &[]).assert_code(0);
    // Five 500s in a row: one whole read's retries, and then some drops.
    server
        .faults()
        .fail("GET", "/namespaces/fa/deployments/web", 500, 5);
    server
        .faults()
        .drop_connection("GET", "/namespaces/fa/deployments/web", 5);
    let out = deploy(t.path(), &server, "v2", &["--timeout", "60s"]);
    out.assert_code(0);
    assert_eq!(server.faults().remaining(), 0);
    assert_eq!(deployed(&server, "fa", "web"), vec![2]);
    // With no time left, the timeout names the object and the last failure.
    server
        .faults()
        .fail("GET", "/namespaces/fa/deployments/web", 500, 10_000);
    let out = deploy(t.path(), &server, "v3", &["--timeout", "2s"]);
    out.assert_code(1);
    out.assert_stderr_contains(&["Deployment fa/web", "Error from server (InternalError)"]);
    assert_no_dumps(&out);
}

#[test]
fn api_errors_read_as_kubectl_prints_them() {
    let server = server();
    let t = workspace(&["api"]);
    deploy(t.path(), &server, "v1", &[]).assert_code(0);
    // A conflict on the apply.
    server
        .faults()
        .conflict("PATCH", "/namespaces/fb/configmaps/api-config", 1_000);
    let out = deploy(t.path(), &server, "v2", &[]);
    out.assert_code(1);
    out.assert_stderr_contains(&["ConfigMap fb/api-config", "Error from server (Conflict): "]);
    assert_no_dumps(&out);
    server.faults().clear();
    // A record write refused for good.
    server
        .faults()
        .fail("POST", "/namespaces/fb/secrets", 500, 1_000);
    let out = deploy(t.path(), &server, "v3", &[]);
    out.assert_code(1);
    out.assert_stderr_contains(&[
        "berth.release.v1.api.v",
        "Error from server (InternalError): ",
    ]);
    assert_no_dumps(&out);
    server.faults().clear();
    // No server at all.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let kc = t.path().join("gone.kubeconfig");
    std::fs::write(
        &kc,
        std::fs::read_to_string(server.kubeconfig())
            .expect("kubeconfig")
            .replace(&server.url(), &format!("http://127.0.0.1:{port}")),
    )
    .expect("write kubeconfig");
    let out = berth(t.path())
        .args(["deploy", "-p", "p", "--yes", "--kubeconfig"])
        .args([kc.as_os_str()])
        .output();
    out.assert_code(1);
    out.assert_stderr_contains(&[&format!(
        "unable to connect to the server at http://127.0.0.1:{port}"
    )]);
    assert_no_dumps(&out);
}

// ------------------------------------------------------------ the proof: 60 deploys

/// One lane of the fault run: its own server and workspace, `deploys` deploys
/// at fault `rate` (500, 503, 429 with `Retry-After: 1`, drops before and
/// after handling, latency). Returns (succeeded, failed, faults injected).
fn fault_lane(lane: usize, rate: f64, deploys: usize) -> (usize, usize, usize) {
    let server = server();
    let t = workspace(&["web", "api", "db"]);
    let faults = server.faults();
    faults.seed(0x5eed + lane as u64);
    let kinds = [
        FaultAction::Status {
            code: 500,
            retry_after: None,
        },
        FaultAction::Status {
            code: 503,
            retry_after: Some(0),
        },
        FaultAction::Status {
            code: 429,
            retry_after: Some(1),
        },
        FaultAction::Drop,
        FaultAction::DropAfter,
    ];
    let (mut ok, mut failed) = (0, 0);
    let mut last_good: Option<String> = None;
    for i in 0..deploys {
        // 429s carry a whole second: keep them to a fifth of the faults.
        for kind in &kinds {
            let share = match kind {
                FaultAction::Status { code: 429, .. } => 0.1,
                _ => 0.225,
            };
            faults.rate("*", "/", kind.clone(), rate * share);
        }
        faults.rate(
            "*",
            "/",
            FaultAction::Latency(Duration::from_millis(50)),
            rate / 2.0,
        );
        let value = format!("l{lane}-d{i}");
        let started = Instant::now();
        let out = deploy(t.path(), &server, &value, &["--timeout", "20s"]);
        let took = started.elapsed();
        faults.clear();
        let code = out.exit_code();
        assert!(
            code == 0 || code == 1,
            "{}",
            out.report(&format!(
                "lane {lane} deploy {i}: neither succeeded nor failed"
            ))
        );
        assert!(
            took < Duration::from_secs(40),
            "lane {lane} deploy {i} took {took:?}"
        );
        // The previous deploy, failed or not, never leaves a lock.
        out.assert_never_printed(&["is being deployed by"]);
        assert_no_dumps(&out);
        for (name, ns, _) in RELEASES {
            let s = statuses(&server, ns, name);
            assert!(
                s.values().filter(|v| *v == "deployed").count() <= 1,
                "lane {lane} deploy {i}: {name} has two deployed revisions: {s:?}"
            );
        }
        if code == 0 {
            ok += 1;
            for (name, ns, _) in RELEASES {
                assert_eq!(
                    config_value(&server, ns, name).as_deref(),
                    Some(value.as_str()),
                    "lane {lane} deploy {i}: {name} does not match the successful render"
                );
            }
            last_good = Some(value);
        } else {
            failed += 1;
        }
    }
    // Faults off: the next deploy of the last good render goes through at
    // once, and every release is left with exactly one deployed revision.
    let value = last_good.unwrap_or_else(|| "final".into());
    let started = Instant::now();
    let out = deploy(t.path(), &server, &value, &[]);
    out.assert_code(0);
    assert!(started.elapsed() < Duration::from_secs(10));
    for (name, ns, _) in RELEASES {
        assert_eq!(deployed(&server, ns, name).len(), 1, "{name}");
        assert_eq!(
            config_value(&server, ns, name).as_deref(),
            Some(value.as_str())
        );
        let s = statuses(&server, ns, name);
        assert!(!s.values().any(|v| v == "pending"), "{name}: {s:?}");
    }
    (ok, failed, faults.injected())
}

#[test]
fn sixty_deploys_under_faults_end_cleanly() {
    let started = Instant::now();
    let lanes: Vec<(usize, f64)> = vec![(0, 0.05), (1, 0.10), (2, 0.20), (3, 0.30)];
    let handles: Vec<_> = lanes
        .into_iter()
        .map(|(lane, rate)| std::thread::spawn(move || (rate, fault_lane(lane, rate, 15))))
        .collect();
    let mut total = (0, 0, 0);
    for h in handles {
        let (rate, (ok, failed, injected)) = h.join().expect("lane panicked");
        eprintln!("fault rate {rate}: {ok} succeeded, {failed} failed, {injected} faults injected");
        assert!(
            injected >= 10,
            "rate {rate}: only {injected} faults injected"
        );
        total.0 += ok;
        total.1 += failed;
        total.2 += injected;
    }
    eprintln!(
        "60 deploys under faults: {} succeeded, {} failed, {} faults injected, in {:?}",
        total.0,
        total.1,
        total.2,
        started.elapsed()
    );
    assert_eq!(total.0 + total.1, 60);
    assert!(total.0 >= 30, "most deploys go through retries: {total:?}");
}
