//! `berth dependency list|update|build` against real chart sources on
//! loopback — a static HTTP chart repository and Debian's `docker-registry`
//! — with Helm v4's SDK running the same commands on a copy of the same
//! chart as the reference: the same `Chart.lock` (digest included), the same
//! archives vendored, the same statuses and error texts.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::support::chart_repos::{helm_sdk, package_chart, write_chart, HttpRepo, OciRegistry};
use crate::support::harness::{berth, copy_tree, tempdir, RunOutput};

/// An HTTP repository with chart `a` 1.0.0, 1.2.0, 1.10.0 and 2.0.0-rc.1, a
/// registry with chart `c` 0.1.0, 0.2.0 and 0.3.0-beta.1 under `charts`, and
/// a local chart `b` 3.1.4 in `ROOT/b`.
struct Sources {
    root: tempfile::TempDir,
    repo: HttpRepo,
    registry: OciRegistry,
}

impl Sources {
    fn start() -> Sources {
        Sources::start_with_auth(None)
    }

    fn start_with_auth(auth: Option<&str>) -> Sources {
        let root = tempdir();
        let served = root.path().join("served");
        for v in ["1.0.0", "1.2.0", "1.10.0", "2.0.0-rc.1"] {
            package_chart(&root.path().join("src"), &served, "a", v);
        }
        let repo = HttpRepo::start(&served, auth);
        repo.reindex();
        let registry = OciRegistry::start();
        for v in ["0.1.0", "0.2.0", "0.3.0-beta.1"] {
            let tgz = package_chart(&root.path().join("src"), &root.path().join("pkg"), "c", v);
            registry.push(&tgz, "charts");
        }
        write_chart(&root.path().join("b"), "b", "3.1.4", "");
        Sources {
            root,
            repo,
            registry,
        }
    }

    fn path(&self) -> &Path {
        self.root.path()
    }

    /// `ROOT/WHO/parent` with `dependencies:` `deps` (`$REPO`, `$OCI` replaced).
    fn parent(&self, who: &str, deps: &str) -> PathBuf {
        let dir = self.path().join(who).join("parent");
        let deps = deps
            .replace("$REPO", &self.repo.url)
            .replace("$OCI", &self.registry.url("charts"));
        write_chart(&dir, "parent", "1.0.0", &format!("dependencies:\n{deps}"));
        dir
    }

    /// Publish one more version of `a` (HTTP) or `c` (OCI).
    fn publish(&self, name: &str, version: &str) {
        let work = self.path().join("src");
        if name == "c" {
            let tgz = package_chart(&work, &self.path().join("pkg"), name, version);
            self.registry.push(&tgz, "charts");
        } else {
            package_chart(&work, &self.repo.dir, name, version);
            self.repo.reindex();
        }
    }
}

fn dep(cwd: &Path, sub: &str, chart: &Path) -> RunOutput {
    berth(cwd)
        .args(["dependency", sub, "--plain-http"])
        .args([chart])
        .output()
}

/// The `index`-th JSON example of `docs/output/dependency.md`.
fn documented(index: usize) -> serde_json::Value {
    let page = crate::support::harness::repo_root().join("docs/output/dependency.md");
    let text = std::fs::read_to_string(&page).expect("docs/output/dependency.md");
    let block = text
        .split("```json\n")
        .nth(index + 1)
        .and_then(|b| b.split("```").next())
        .unwrap_or_else(|| panic!("{}: no JSON example {index}", page.display()));
    serde_json::from_str(block)
        .unwrap_or_else(|e| panic!("{}: example {index}: {e}", page.display()))
}

/// Same keys at every level (arrays: each element against the first documented one),
/// same JSON types: every documented field is printed, every printed field documented.
fn assert_same_shape(doc: &serde_json::Value, actual: &serde_json::Value, at: &str) {
    use serde_json::Value;
    match (doc, actual) {
        (Value::Object(d), Value::Object(a)) => {
            let dk: Vec<&String> = d.keys().collect();
            let ak: Vec<&String> = a.keys().collect();
            assert_eq!(dk, ak, "{at}: documented keys vs printed keys");
            for (k, v) in d {
                assert_same_shape(v, &a[k], &format!("{at}.{k}"));
            }
        }
        (Value::Array(d), Value::Array(a)) => {
            if let Some(first) = d.first() {
                for (i, item) in a.iter().enumerate() {
                    assert_same_shape(first, item, &format!("{at}[{i}]"));
                }
            }
        }
        (d, a) => assert_eq!(
            std::mem::discriminant(d),
            std::mem::discriminant(a),
            "{at}: documented {d}, printed {a}"
        ),
    }
}

/// `Chart.lock` without its `generated:` time stamp.
fn lock_body(chart: &Path) -> String {
    std::fs::read_to_string(chart.join("Chart.lock"))
        .unwrap_or_else(|e| panic!("{}/Chart.lock: {e}", chart.display()))
        .lines()
        .filter(|l| !l.starts_with("generated:"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// `(path, content)` of every entry of a `.tgz`, sorted by path.
fn archive_entries(tgz: &Path) -> Vec<(String, Vec<u8>)> {
    use std::io::Read as _;
    let bytes = std::fs::read(tgz).unwrap_or_else(|e| panic!("{}: {e}", tgz.display()));
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
    let mut out: Vec<(String, Vec<u8>)> = tar
        .entries()
        .expect("a tar archive")
        .map(|e| {
            let mut e = e.expect("an entry");
            let name = e.path().expect("a path").display().to_string();
            let mut data = Vec::new();
            e.read_to_end(&mut data).expect("entry data");
            (name, data)
        })
        .collect();
    out.sort();
    out
}

/// The file names in `CHART/charts`, sorted.
fn vendored(chart: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(chart.join("charts"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn helm_ok(op: &str, chart: &Path) {
    if let Err(e) = helm_sdk(op, json!({ "chart": chart })) {
        panic!("helm dependency {op} {} failed: {e}", chart.display());
    }
}

fn helm_err(op: &str, chart: &Path) -> String {
    match helm_sdk(op, json!({ "chart": chart })) {
        Ok(v) => panic!(
            "helm dependency {op} {} succeeded ({v}); expected an error",
            chart.display()
        ),
        Err(e) => e,
    }
}

const UMBRELLA: &str = r#"- name: a
  version: ^1.0.0
  repository: $REPO
  condition: a.enabled
  import-values:
  - child: x
    parent: y
  - data
- name: a
  alias: next
  version: ">=2.0.0-0"
  repository: $REPO
- name: b
  version: ">=3.0.0 <4"
  repository: file://../../b
  alias: bee
  tags: [t1, "<t&2>"]
- name: c
  version: ~0.2
  repository: $OCI
- name: c
  alias: exact
  version: 0.1.0
  repository: $OCI
"#;

#[test]
fn update_writes_helms_chart_lock_and_vendors_the_archives_helm_vendors() {
    let src = Sources::start();
    let ours = src.parent("berth", UMBRELLA);
    let helms = src.parent("helm", UMBRELLA);
    let out = dep(src.path(), "update", &ours);
    out.assert_code(0);
    out.assert_stderr_contains(&[
        "Saving 5 charts",
        &format!("Downloading c from repo {}", src.registry.url("charts")),
    ]);
    helm_ok("update", &helms);

    // Ranges pick the highest match (1.10.0 over 1.2.0), prereleases only
    // when the range names one, OCI tags listed and matched, an exact OCI
    // version pulled by tag, file:// packed: the lock is Helm's, digest too.
    assert_eq!(lock_body(&ours), lock_body(&helms));
    assert_eq!(vendored(&ours), vendored(&helms));
    assert_eq!(
        vendored(&ours),
        [
            "a-1.10.0.tgz",
            "a-2.0.0-rc.1.tgz",
            "b-3.1.4.tgz",
            "c-0.1.0.tgz",
            "c-0.2.0.tgz"
        ]
    );
    // Downloaded archives are the repository's and registry's bytes.
    for name in [
        "a-1.10.0.tgz",
        "a-2.0.0-rc.1.tgz",
        "c-0.1.0.tgz",
        "c-0.2.0.tgz",
    ] {
        assert_eq!(
            std::fs::read(ours.join("charts").join(name)).unwrap(),
            std::fs::read(helms.join("charts").join(name)).unwrap(),
            "{name} differs from what Helm vendored"
        );
    }
    // The file:// chart is packed with the files and contents Helm packs.
    assert_eq!(
        archive_entries(&ours.join("charts/b-3.1.4.tgz")),
        archive_entries(&helms.join("charts/b-3.1.4.tgz"))
    );
    // No staging directory is left behind.
    assert!(!std::fs::read_dir(&ours)
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("tmpcharts")));

    // Helm's own `dependency build` accepts berth's lock.
    let cross = src.path().join("cross/parent");
    copy_tree(&ours, &cross);
    std::fs::remove_dir_all(cross.join("charts")).unwrap();
    helm_ok("build", &cross);
    assert_eq!(vendored(&cross), vendored(&ours));
}

const SIMPLE: &str = "- name: a\n  version: ^1.0.0\n  repository: $REPO\n- name: c\n  version: ~0.2\n  repository: $OCI\n";

#[test]
fn build_vendors_exactly_the_locked_versions_and_update_moves_on_as_helm_does() {
    let src = Sources::start();
    let ours = src.parent("berth", SIMPLE);
    dep(src.path(), "update", &ours).assert_code(0);
    let first_lock = std::fs::read_to_string(ours.join("Chart.lock")).unwrap();

    src.publish("a", "1.11.0");
    src.publish("c", "0.2.1");
    std::fs::remove_dir_all(ours.join("charts")).unwrap();
    let helms = src.path().join("helm/parent");
    copy_tree(&ours, &helms);

    let out = berth(src.path())
        .args(["--output", "json", "dependency", "build", "--plain-http"])
        .args([&ours])
        .success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap();
    assert_same_shape(&documented(1), &report, "build");
    assert_eq!(report["saved"], json!(["a-1.10.0.tgz", "c-0.2.0.tgz"]));
    assert_eq!(report["lockWritten"], json!(false));
    helm_ok("build", &helms);
    assert_eq!(vendored(&ours), ["a-1.10.0.tgz", "c-0.2.0.tgz"]);
    assert_eq!(vendored(&ours), vendored(&helms));
    assert_eq!(
        std::fs::read_to_string(ours.join("Chart.lock")).unwrap(),
        first_lock,
        "build must not touch Chart.lock"
    );

    dep(src.path(), "update", &ours).assert_code(0);
    helm_ok("update", &helms);
    assert_eq!(
        vendored(&ours),
        ["a-1.11.0.tgz", "c-0.2.1.tgz"],
        "outdated archives are deleted"
    );
    assert_eq!(vendored(&ours), vendored(&helms));
    assert_eq!(lock_body(&ours), lock_body(&helms));
}

#[test]
fn a_lock_out_of_sync_with_chart_yaml_is_refused_with_helms_message() {
    let src = Sources::start();
    let ours = src.parent("berth", SIMPLE);
    dep(src.path(), "update", &ours).assert_code(0);
    let chart_yaml = std::fs::read_to_string(ours.join("Chart.yaml")).unwrap();
    std::fs::write(
        ours.join("Chart.yaml"),
        chart_yaml.replace("^1.0.0", "~1.2"),
    )
    .unwrap();
    let helms = src.path().join("helm/parent");
    copy_tree(&ours, &helms);
    let before = vendored(&ours);

    let helm_message = helm_err("build", &helms);
    let out = dep(src.path(), "build", &ours);
    out.assert_code(1);
    let wanted = "the lock file (Chart.lock) is out of sync with the dependencies file (Chart.yaml). Please update the dependencies with 'helm dependency update'";
    assert!(helm_message.contains(wanted), "Helm said: {helm_message}");
    out.assert_stderr_contains(&[wanted]);
    assert_eq!(vendored(&ours), before, "charts/ is left alone");
}

#[test]
fn no_matching_version_fails_with_helms_message_and_writes_nothing() {
    let src = Sources::start();
    let deps = "- name: a\n  version: ^9.0.0\n  repository: $REPO\n- name: c\n  version: ^5\n  repository: $OCI\n";
    let ours = src.parent("berth", deps);
    let helms = src.parent("helm", deps);
    let helm_message = helm_err("update", &helms);
    let out = dep(src.path(), "update", &ours);
    out.assert_code(1);
    let start = helm_message
        .find("can't get a valid version")
        .unwrap_or_else(|| panic!("unexpected Helm message: {helm_message}"));
    out.assert_stderr_contains(&[&helm_message[start..]]);
    assert!(!ours.join("Chart.lock").exists());
    assert!(vendored(&ours).is_empty());

    // An OCI range no tag satisfies: Helm finds out when it downloads, and says so.
    let deps = "- name: c\n  version: ^5\n  repository: $OCI\n";
    let ours = src.parent("berth-oci", deps);
    let helms = src.parent("helm-oci", deps);
    let helm_message = helm_err("update", &helms);
    let out = dep(src.path(), "update", &ours);
    out.assert_code(1);
    let start = helm_message
        .find("could not download")
        .unwrap_or_else(|| panic!("unexpected Helm message: {helm_message}"));
    out.assert_stderr_contains(&[&helm_message[start..]]);
    assert!(!ours.join("Chart.lock").exists());
    assert!(vendored(&ours).is_empty());
}

#[test]
fn a_tampered_archive_fails_the_index_digest_and_charts_stay_as_they_were() {
    let src = Sources::start();
    let ours = src.parent("berth", SIMPLE);
    dep(src.path(), "update", &ours).assert_code(0);
    let lock = std::fs::read(ours.join("Chart.lock")).unwrap();
    let vendored_a = std::fs::read(ours.join("charts/a-1.10.0.tgz")).unwrap();

    // Same name and version, other bytes; index.yaml still has the old digest.
    let evil = src.path().join("evil");
    write_chart(
        &evil.join("a"),
        "a",
        "1.10.0",
        "description: not the reviewed chart\n",
    );
    let tgz = helm_sdk("package", json!({"dir": evil.join("a"), "dest": evil})).unwrap();
    std::fs::copy(tgz.as_str().unwrap(), src.repo.dir.join("a-1.10.0.tgz")).unwrap();

    let out = dep(src.path(), "build", &ours);
    out.assert_code(1);
    out.assert_stderr_contains(&[&format!("{}/a-1.10.0.tgz: digest mismatch", src.repo.url)]);
    assert_eq!(
        std::fs::read(ours.join("charts/a-1.10.0.tgz")).unwrap(),
        vendored_a
    );
    assert_eq!(std::fs::read(ours.join("Chart.lock")).unwrap(), lock);

    // An index without digests and an archive that is no archive: refused by name.
    let index = std::fs::read_to_string(src.repo.dir.join("index.yaml")).unwrap();
    let without: String = index
        .lines()
        .filter(|l| !l.trim_start().starts_with("digest:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(src.repo.dir.join("index.yaml"), without).unwrap();
    std::fs::write(src.repo.dir.join("a-1.10.0.tgz"), "<html>not found</html>").unwrap();
    let fresh = src.parent("fresh", SIMPLE);
    let out = dep(src.path(), "update", &fresh);
    out.assert_code(1);
    out.assert_stderr_contains(&[&format!("a-1.10.0.tgz ({}): corrupt archive", src.repo.url)]);
    assert!(!fresh.join("charts").exists() && !fresh.join("Chart.lock").exists());
}

#[test]
fn dependencies_unpacked_in_charts_are_kept_and_locked_as_helm_locks_them() {
    let src = Sources::start();
    let deps = "- name: e\n  version: ~0.1\n  repository: \"\"\n- name: a\n  version: 1.2.0\n  repository: $REPO\n";
    let ours = src.parent("berth", deps);
    let helms = src.parent("helm", deps);
    for chart in [&ours, &helms] {
        write_chart(&chart.join("charts/e"), "e", "0.1.7", "");
    }
    // Without a lock, build is update (as in Helm).
    let out = dep(src.path(), "build", &ours);
    out.assert_code(0);
    out.assert_stderr_contains(&[
        "Dependency e did not declare a repository. Assuming it exists in the charts directory",
    ]);
    helm_ok("build", &helms);
    assert_eq!(lock_body(&ours), lock_body(&helms));
    assert_eq!(vendored(&ours), ["a-1.2.0.tgz", "e"]);
    assert_eq!(vendored(&ours), vendored(&helms));

    // An unpacked chart outside its range is refused, naming it.
    for chart in [&ours, &helms] {
        write_chart(&chart.join("charts/e"), "e", "0.2.0", "");
    }
    let helm_message = helm_err("build", &helms);
    let out = dep(src.path(), "build", &ours);
    out.assert_code(1);
    let wanted = "dependency e at version 0.2.0 does not satisfy the constraint ~0.1";
    assert!(helm_message.contains(wanted), "Helm said: {helm_message}");
    out.assert_stderr_contains(&[wanted]);
}

#[test]
fn an_unreachable_repository_or_registry_is_named_and_nothing_is_written() {
    let root = tempdir();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let http = root.path().join("http");
    write_chart(
        &http,
        "parent",
        "1.0.0",
        &format!("dependencies:\n- name: a\n  version: ^1\n  repository: http://127.0.0.1:{closed}/charts\n"),
    );
    let out = dep(root.path(), "update", &http);
    out.assert_code(1);
    out.assert_stderr_contains(&[&format!(
        "cannot fetch http://127.0.0.1:{closed}/charts/index.yaml"
    )]);
    assert!(!http.join("Chart.lock").exists() && !http.join("charts").exists());

    let oci = root.path().join("oci");
    write_chart(
        &oci,
        "parent",
        "1.0.0",
        &format!("dependencies:\n- name: c\n  version: ^1\n  repository: oci://127.0.0.1:{closed}/charts\n"),
    );
    let out = dep(root.path(), "update", &oci);
    out.assert_code(1);
    out.assert_stderr_contains(&[&format!("oci://127.0.0.1:{closed}/charts")]);
    assert!(!oci.join("Chart.lock").exists() && !oci.join("charts").exists());
}

#[test]
fn repository_credentials_come_from_helms_files_and_are_never_printed() {
    let canary = "canary-s3cret-pw";
    let src = Sources::start_with_auth(Some(&format!("chartuser:{canary}")));
    let cfg = src.path().join("helmcfg");
    std::fs::create_dir_all(&cfg).unwrap();
    let repos = cfg.join("repositories.yaml");
    let write_repos = |password: &str| {
        std::fs::write(
            &repos,
            format!(
                "apiVersion: \"\"\nrepositories:\n- name: private\n  url: {}\n  username: chartuser\n  password: {password}\n",
                src.repo.url
            ),
        )
        .unwrap();
    };
    let registry_cfg = cfg.join("config.json");
    let basic = base64_encode(&format!("reguser:{canary}-registry"));
    std::fs::write(
        &registry_cfg,
        format!(
            r#"{{"auths":{{"{}":{{"auth":"{basic}"}}}}}}"#,
            src.registry.host
        ),
    )
    .unwrap();
    let run = |chart: &Path, sub: &str| {
        berth(src.path())
            .args(["dependency", sub, "--plain-http", "-v"])
            .args([chart])
            .env("HELM_REPOSITORY_CONFIG", &repos)
            .env("HELM_REGISTRY_CONFIG", &registry_cfg)
            .output()
    };
    let never = [canary, &basic];

    // `@private` is the repositories.yaml entry; its login opens the index and the archive.
    write_repos(canary);
    let chart = src.parent("berth", "- name: a\n  version: ~1.2\n  repository: \"@private\"\n- name: c\n  version: 0.2.0\n  repository: $OCI\n");
    let out = run(&chart, "update");
    out.assert_code(0);
    out.assert_never_printed(&never);
    assert_eq!(vendored(&chart), ["a-1.2.0.tgz", "c-0.2.0.tgz"]);
    assert!(lock_body(&chart).contains(&format!("repository: {}\n", src.repo.url)));

    // build checks the lock against `@private` resolved to its URL, and logs in again.
    std::fs::remove_dir_all(chart.join("charts")).unwrap();
    let out = run(&chart, "build");
    out.assert_code(0);
    out.assert_never_printed(&never);
    assert_eq!(vendored(&chart), ["a-1.2.0.tgz", "c-0.2.0.tgz"]);

    // A wrong password is refused by the server; the error shows neither password.
    write_repos("canary-wrong-pw");
    let out = run(&chart, "update");
    out.assert_code(1);
    out.assert_stderr_contains(&["401"]);
    out.assert_never_printed(&[canary, "canary-wrong-pw"]);

    // A missing tag in a registry with a stored login: no credential in the error.
    let missing = src.parent(
        "missing",
        "- name: c\n  version: 9.9.9\n  repository: $OCI\n",
    );
    let out = run(&missing, "update");
    out.assert_code(1);
    out.assert_never_printed(&never);

    // A password written into the repository URL itself is not echoed either.
    let inline = src.parent(
        "inline",
        &format!(
            "- name: a\n  version: ^1\n  repository: http://chartuser:{canary}@127.0.0.1:1/charts\n"
        ),
    );
    let out = run(&inline, "update");
    out.assert_code(1);
    out.assert_stderr_contains(&["http://127.0.0.1:1/charts/index.yaml"]);
    out.assert_never_printed(&never);
}

#[test]
fn registry_logins_helm_stored_are_used_and_never_printed() {
    let canary = "canary-registry-pw";
    let root = tempdir();
    let registry = OciRegistry::start_with_login(Some(("reguser", canary)));
    let credentials = root.path().join("helm-registry-config.json");
    for v in ["0.2.0", "0.2.5"] {
        let tgz = package_chart(&root.path().join("src"), &root.path().join("pkg"), "c", v);
        registry.login_and_push(&credentials, "reguser", canary, &tgz, "private");
    }
    let chart = root.path().join("parent");
    write_chart(
        &chart,
        "parent",
        "1.0.0",
        &format!(
            "dependencies:\n- name: c\n  version: ~0.2\n  repository: {}\n",
            registry.url("private")
        ),
    );
    let basic = base64_encode(&format!("reguser:{canary}"));

    // Without the login the registry refuses; berth says where, and nothing else leaks.
    let out = dep(root.path(), "update", &chart);
    out.assert_code(1);
    out.assert_stderr_contains(&[&registry.url("private")]);
    assert!(!chart.join("charts").exists());

    // With the config.json Helm's `registry login` wrote: tags listed, chart pulled.
    let out = berth(root.path())
        .args(["dependency", "update", "--plain-http", "-v"])
        .args([&chart])
        .env("HELM_REGISTRY_CONFIG", &credentials)
        .output();
    out.assert_code(0);
    out.assert_never_printed(&[canary, &basic]);
    assert_eq!(vendored(&chart), ["c-0.2.5.tgz"]);
}

fn base64_encode(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn list_reports_each_status_as_helm_does() {
    let src = Sources::start();
    let deps = "- name: a\n  version: ^1.0.0\n  repository: $REPO\n- name: c\n  version: ~0.2\n  repository: $OCI\n- name: d\n  version: 1.0.0\n  repository: $REPO\n- name: e\n  version: ~0.1\n  repository: \"\"\n- name: m\n  version: 1.0.0\n  repository: $REPO\n- name: w\n  version: ^2\n  repository: file://../w\n";
    let ours = src.parent("berth", deps);
    let charts = ours.join("charts");
    std::fs::create_dir_all(&charts).unwrap();
    let work = src.path().join("listsrc");
    for (name, version) in [("a", "1.10.0"), ("c", "0.1.0"), ("z", "1.0.0")] {
        package_chart(&work, &charts, name, version);
    }
    // misnamed: m-1.0.0.tgz holds chart `other`
    let other = package_chart(&work, &work, "other", "1.0.0");
    std::fs::copy(&other, charts.join("m-1.0.0.tgz")).unwrap();
    // unpacked: e as a directory; w unpacked at a version its range refuses
    write_chart(&charts.join("e"), "e", "0.1.3", "");
    write_chart(&charts.join("w"), "w", "1.0.0", "");

    let helm_rows = helm_sdk("list", json!({ "chart": ours })).expect("helm dependency list");
    // Helm refuses to load a chart whose charts/ holds a broken archive; berth lists and warns.
    std::fs::write(charts.join("broken.tgz"), "not an archive").unwrap();
    let out = berth(src.path())
        .args(["--output", "json", "dependency", "list"])
        .args([&ours])
        .success();
    let ours_json: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap();
    assert_same_shape(&documented(0), &ours_json, "list");
    assert!(!ours_json["warnings"].as_array().unwrap().is_empty());
    let pick = |rows: &serde_json::Value| -> Vec<(String, String)> {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_string(),
                    r["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(pick(&ours_json["dependencies"]), pick(&helm_rows));
    let statuses: Vec<String> = pick(&helm_rows).into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        statuses,
        [
            "ok",
            "wrong version",
            "missing",
            "unpacked",
            "misnamed",
            "wrong version"
        ],
        "the fixture covers each status"
    );

    let text = berth(src.path())
        .args(["dependency", "list"])
        .args([&ours])
        .success()
        .stdout();
    let header = text.lines().next().unwrap();
    assert!(
        header.starts_with("NAME") && header.contains("\tVERSION") && header.contains("\tSTATUS"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "WARNING: \"{}\" is not in Chart.yaml.",
            charts.join("z-1.0.0.tgz").display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "WARNING: \"{}\" is not a chart.",
            charts.join("broken.tgz").display()
        )),
        "{text}"
    );
}
