//! Integration tests: berth in a CI release pipeline. Every `--output json`
//! document parses and carries the fields its page under `docs/output/`
//! documents; `diff --exit-code` codes; no ANSI escapes and no prompt without
//! terminals; secret values masked in JSON; git facts (annotated tags, branch,
//! dirty, no repository); completions and the man page cover every flag.

use std::path::Path;

use base64::Engine as _;
use serde_json::Value;

use crate::support::apiserver::TestApiServer;
use crate::support::harness::{self, berth, RunOutput};

const PASSWORD: &str = "ci-Pa55word-never-printed-93";

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A one-release workspace (profile `app`, namespace `ci`) with a Secret and a ConfigMap.
fn workspace(dir: &Path) {
    write(
        dir,
        "profiles/app.yaml",
        "description: CI test profile\nnamespace: ci\nreleases:\n  - name: app\n    chart: charts/app\n",
    );
    write(
        dir,
        "charts/app/Chart.yaml",
        "name: app\nversion: 1.2.3\nannotations:\n  berth.deploy/engine: handlebars\n",
    );
    write(
        dir,
        "charts/app/values.yaml",
        &format!("greeting: hello\npassword: {PASSWORD}\n"),
    );
    write(
        dir,
        "charts/app/templates/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  greeting: {{quote values.greeting}}\n  sha: \"{{git.shortSha}}\"\n",
    );
    write(
        dir,
        "charts/app/templates/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-secret\nstringData:\n  password: {{quote values.password}}\n",
    );
}

fn with_cluster(dir: &Path, server: &TestApiServer, args: &[&str]) -> harness::Run {
    let kubeconfig = server.kubeconfig();
    berth(dir)
        .args(args)
        .args(["--kubeconfig".as_ref(), kubeconfig.as_os_str()])
}

fn json(out: &RunOutput) -> Value {
    serde_json::from_str(&out.stdout()).unwrap_or_else(|e| {
        panic!(
            "{}",
            out.report(&format!("stdout is not one JSON document: {e}"))
        )
    })
}

/// The `index`-th ```json example of `docs/output/<page>.md`.
fn page_text(page: &str) -> String {
    let path = harness::repo_root()
        .join("docs/output")
        .join(format!("{page}.md"));
    std::fs::read_to_string(&path).expect("read JSON output doc")
}

fn documented(page: &str, index: usize) -> Value {
    let path = harness::repo_root()
        .join("docs/output")
        .join(format!("{page}.md"));
    let text = page_text(page);
    let block = text
        .split("```json\n")
        .nth(index + 1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_else(|| panic!("{} has no JSON example #{index}", path.display()));
    serde_json::from_str(block).unwrap_or_else(|e| {
        panic!(
            "JSON example #{index} of {} does not parse: {e}",
            path.display()
        )
    })
}

/// Checks `actual` against a page of `docs/output/`: every key of a documented
/// example map is present (list elements vary by kind of entry, so for them only
/// the next rule applies), and every actual key is
/// documented — in the example or named (in backticks or quotes) on the page — so a renamed
/// or undocumented field fails. `"…"` keys in the example stand for anything.
fn assert_documented_fields(doc: &Value, actual: &Value, page: &str, path: &str, out: &RunOutput) {
    match (doc, actual) {
        (Value::Object(d), Value::Object(a)) => {
            if d.contains_key("…") {
                return;
            }
            for key in d.keys() {
                if !a.contains_key(key) {
                    panic!(
                        "{}",
                        out.report(&format!("documented field {path}.{key} is missing"))
                    );
                }
            }
            // A whole Kubernetes object (it has `metadata`) carries whatever the chart wrote.
            if !d.contains_key("metadata") {
                check_keys_documented(d, a, page, path, out);
            }
        }
        (Value::Array(d), Value::Array(a)) => {
            let elements: Vec<&serde_json::Map<String, Value>> =
                d.iter().filter_map(Value::as_object).collect();
            if elements.is_empty() {
                return;
            }
            let mut union = serde_json::Map::new();
            for e in &elements {
                for (k, v) in e.iter() {
                    union.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            if union.contains_key("…") {
                return;
            }
            for (i, element) in a.iter().enumerate() {
                let Some(map) = element.as_object() else {
                    continue;
                };
                check_keys_documented(&union, map, page, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Every key of `actual` is documented; recurse where the example shows the key.
fn check_keys_documented(
    doc: &serde_json::Map<String, Value>,
    actual: &serde_json::Map<String, Value>,
    page: &str,
    path: &str,
    out: &RunOutput,
) {
    for (key, value) in actual {
        match doc.get(key) {
            Some(d) => assert_documented_fields(d, value, page, &format!("{path}.{key}"), out),
            None if page.contains(&format!("`{key}`")) || page.contains(&format!("\"{key}\"")) => {}
            None => panic!(
                "{}",
                out.report(&format!("field {path}.{key} is not documented"))
            ),
        }
    }
}

fn assert_no_ansi(out: &RunOutput) {
    assert!(
        !out.all_output().contains('\u{1b}'),
        "{}",
        out.report("ANSI escape printed without a terminal")
    );
}

fn assert_password_never_printed(out: &RunOutput) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(PASSWORD);
    out.assert_never_printed(&[PASSWORD, &b64]);
}

#[test]
fn every_json_output_parses_and_carries_the_documented_fields() {
    let dir = harness::tempdir();
    workspace(dir.path());
    let server = TestApiServer::start();

    let cases: Vec<(&str, usize, RunOutput)> = vec![
        (
            "profiles",
            0,
            berth(dir.path())
                .args(["profiles", "--output", "json"])
                .success(),
        ),
        (
            "render",
            0,
            berth(dir.path())
                .args(["render", "-p", "app", "--output", "json", "--show-secrets"])
                .success(),
        ),
        (
            "render",
            1,
            berth(dir.path())
                .args(["lint", "-p", "app", "--output", "json"])
                .success(),
        ),
        (
            "diff",
            0,
            with_cluster(
                dir.path(),
                &server,
                &["diff", "-p", "app", "--output", "json"],
            )
            .success(),
        ),
        (
            "deploy",
            0,
            with_cluster(
                dir.path(),
                &server,
                &["deploy", "-p", "app", "--yes", "--output", "json"],
            )
            .success(),
        ),
    ];
    // A second revision so history has more than one row and rollback has a target.
    write(
        dir.path(),
        "charts/app/values.yaml",
        &format!("greeting: hi\npassword: {PASSWORD}\n"),
    );
    let mut cases = cases;
    cases.push((
        "deploy",
        0,
        with_cluster(
            dir.path(),
            &server,
            &["deploy", "-p", "app", "--yes", "--output", "json"],
        )
        .success(),
    ));
    cases.push((
        "history",
        0,
        with_cluster(
            dir.path(),
            &server,
            &["history", "-p", "app", "--output", "json"],
        )
        .success(),
    ));
    cases.push((
        "status",
        0,
        with_cluster(
            dir.path(),
            &server,
            &["status", "-p", "app", "--output", "json"],
        )
        .success(),
    ));
    cases.push((
        "rollback",
        0,
        with_cluster(
            dir.path(),
            &server,
            &[
                "rollback", "-p", "app", "app", "1", "--yes", "--output", "json",
            ],
        )
        .success(),
    ));

    for (page, index, out) in &cases {
        let actual = json(out);
        assert_documented_fields(
            &documented(page, *index),
            &actual,
            &page_text(page),
            page,
            out,
        );
        assert_no_ansi(out);
        if *page != "render" {
            assert_password_never_printed(out);
        }
        // Human messages go to stderr: stdout is exactly one JSON document.
        assert!(
            out.stdout().trim_start().starts_with('{'),
            "{}",
            out.report("stdout does not start with the JSON document")
        );
    }
}

#[test]
fn diff_exit_codes_are_0_none_2_changes_1_error() {
    let dir = harness::tempdir();
    workspace(dir.path());
    let server = TestApiServer::start();

    let changes = with_cluster(dir.path(), &server, &["diff", "-p", "app", "--exit-code"]).code(2);
    assert_no_ansi(&changes);
    assert_password_never_printed(&changes);
    with_cluster(dir.path(), &server, &["deploy", "-p", "app", "--yes"]).success();
    with_cluster(dir.path(), &server, &["diff", "-p", "app", "--exit-code"]).code(0);
    // Without --exit-code, changes are not a failure.
    write(
        dir.path(),
        "charts/app/values.yaml",
        &format!("greeting: changed\npassword: {PASSWORD}\n"),
    );
    with_cluster(dir.path(), &server, &["diff", "-p", "app"]).code(0);
    let error = with_cluster(dir.path(), &server, &["diff", "-p", "nope", "--exit-code"]).code(1);
    error.assert_stderr_contains(&["nope"]);
}

#[test]
fn without_terminals_no_prompt_no_progress_bar_no_colour() {
    let dir = harness::tempdir();
    workspace(dir.path());
    let server = TestApiServer::start();

    // stdin is not a terminal: deploy must not wait for an answer; it refuses naming --yes.
    let refused = with_cluster(dir.path(), &server, &["deploy", "-p", "app"]).code(1);
    refused.assert_stderr_contains(&["--yes"]);
    assert_no_ansi(&refused);
    assert!(
        server
            .get("v1", "ConfigMap", Some("ci"), "app-config")
            .is_none(),
        "a refused deploy must write nothing"
    );

    // --color auto without a terminal: no escapes anywhere, plain greppable lines.
    let deployed = with_cluster(dir.path(), &server, &["deploy", "-p", "app", "--yes"]).success();
    assert_no_ansi(&deployed);
    assert!(
        !deployed.stderr().contains('\r'),
        "{}",
        deployed.report("progress bar redraws without a terminal")
    );
    // --color always is the user's explicit choice.
    write(
        dir.path(),
        "charts/app/values.yaml",
        &format!("greeting: colourful\npassword: {PASSWORD}\n"),
    );
    let coloured = with_cluster(
        dir.path(),
        &server,
        &["diff", "-p", "app", "--color", "always"],
    )
    .success();
    assert!(
        coloured.all_output().contains('\u{1b}'),
        "{}",
        coloured.report("--color always printed no colour")
    );
    assert_password_never_printed(&coloured);
    // NO_COLOR with --color auto: none.
    let no_color = with_cluster(dir.path(), &server, &["diff", "-p", "app"])
        .env("NO_COLOR", "1")
        .success();
    assert_no_ansi(&no_color);
}

/// Commit everything in `dir` with git2; return the commit id.
fn commit_all(repo: &git2::Repository, message: &str) -> git2::Oid {
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.write().expect("write index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("find tree");
    let sig = git2::Signature::now("CI", "ci@example.org").expect("signature");
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parents: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .expect("commit")
}

#[test]
fn git_facts_annotated_tag_branch_dirty_and_no_repository() {
    // No repository: empty facts, not an error.
    let plain = harness::tempdir();
    workspace(plain.path());
    let out = berth(plain.path())
        .args(["render", "-p", "app", "--output", "json"])
        .success();
    let doc = json(&out);
    assert_eq!(
        doc["git"]["sha"],
        "",
        "{}",
        out.report("git.sha without a repository")
    );
    assert_eq!(doc["git"]["tag"], "");
    assert_eq!(doc["git"]["dirty"], false);

    let dir = harness::tempdir();
    workspace(dir.path());
    let repo = git2::Repository::init(dir.path()).expect("git init");
    std::fs::write(dir.path().join(".git/info/exclude"), ".home/\n").expect("exclude");
    let first = commit_all(&repo, "first");
    let sig = git2::Signature::now("CI", "ci@example.org").expect("signature");
    let first_obj = repo.find_object(first, None).expect("object");
    repo.tag("v0.9.0", &first_obj, &sig, "old release", false)
        .expect("annotated tag");
    write(
        dir.path(),
        "charts/app/values.yaml",
        &format!("greeting: second\npassword: {PASSWORD}\n"),
    );
    let second = commit_all(&repo, "second");
    let branch = repo
        .head()
        .expect("head")
        .shorthand()
        .unwrap_or_default()
        .to_string();

    // HEAD moved past the tag: no exact tag.
    let doc = json(
        &berth(dir.path())
            .args(["render", "-p", "app", "--output", "json"])
            .success(),
    );
    assert_eq!(doc["git"]["sha"], second.to_string());
    assert_eq!(doc["git"]["tag"], "");
    assert_eq!(doc["git"]["branch"], branch);
    assert_eq!(doc["git"]["dirty"], false);

    // An annotated tag at HEAD is found (peeled to its commit).
    let head_obj = repo.find_object(second, None).expect("object");
    repo.tag("v1.0.0", &head_obj, &sig, "release", false)
        .expect("annotated tag");
    let out = berth(dir.path())
        .args(["render", "-p", "app", "--output", "json"])
        .success();
    let doc = json(&out);
    assert_eq!(
        doc["git"]["tag"],
        "v1.0.0",
        "{}",
        out.report("annotated tag at HEAD")
    );
    let rendered = berth(dir.path())
        .args(["render", "-p", "app"])
        .success()
        .stdout();
    // A short SHA of digits only (or one like `1234e56`) is a string YAML
    // must quote: `sha: '1234567'`.
    let short = &second.to_string()[..7];
    assert!(
        rendered.contains(&format!("sha: {short}\n"))
            || rendered.contains(&format!("sha: '{short}'\n")),
        "templates see git.shortSha:\n{rendered}"
    );

    // An uncommitted change makes the tree dirty.
    write(dir.path(), "values-extra.yaml", "x: 1\n");
    let doc = json(
        &berth(dir.path())
            .args(["render", "-p", "app", "--output", "json"])
            .success(),
    );
    assert_eq!(doc["git"]["dirty"], true);
}

#[test]
fn completions_and_man_page_cover_every_flag() {
    let dir = harness::tempdir();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = berth(dir.path()).args(["completions", shell]).success();
        let script = out.stdout();
        for flag in [
            "--force-conflicts",
            "--show-secrets",
            "--exit-code",
            "--allow-dirty",
            "--keep-history",
            "--encrypted-regex",
        ] {
            assert!(
                script.contains(flag.trim_start_matches('-')),
                "{shell} completions lack {flag}"
            );
        }
    }
    let man = berth(dir.path()).args(["man"]).success().stdout();
    assert!(man.contains(".TH"), "man page is not roff");
    // Every subcommand documents itself.
    for sub in [
        "render",
        "lint",
        "profiles",
        "diff",
        "deploy",
        "history",
        "status",
        "rollback",
        "delete",
        "secrets",
        "completions",
    ] {
        let help = berth(dir.path()).args([sub, "--help"]).success().stdout();
        assert!(help.contains("Usage:"), "`berth {sub} --help` has no usage");
    }
    let deploy_help = berth(dir.path())
        .args(["deploy", "--help"])
        .success()
        .stdout();
    for flag in [
        "--yes",
        "--atomic",
        "--dry-run",
        "--no-prune",
        "--no-wait",
        "--timeout",
        "--force-conflicts",
        "--allow-dirty",
        "--show-secrets",
        "--context-lines",
        "--kubeconfig",
        "--context",
        "--namespace",
        "--set",
        "--set-string",
        "--set-file",
        "--values",
        "--output",
        "--quiet",
        "--verbose",
    ] {
        assert!(
            deploy_help.contains(flag),
            "`berth deploy --help` does not mention {flag}"
        );
    }
}

#[test]
fn quiet_prints_only_the_result_and_errors() {
    let dir = harness::tempdir();
    workspace(dir.path());
    let server = TestApiServer::start();
    let out = with_cluster(
        dir.path(),
        &server,
        &["deploy", "-p", "app", "--yes", "--quiet"],
    )
    .success();
    assert!(
        out.stderr().trim().is_empty(),
        "{}",
        out.report("--quiet printed log lines")
    );
    let err = berth(dir.path())
        .args(["render", "-p", "missing", "--quiet"])
        .code(1);
    err.assert_stderr_contains(&["missing"]);
}

#[test]
fn render_masks_secret_values_unless_show_secrets() {
    let dir = harness::tempdir();
    workspace(dir.path());

    let text = berth(dir.path()).args(["render", "-p", "app"]).success();
    assert_password_never_printed(&text);
    text.assert_stderr_contains(&["--show-secrets"]);
    assert!(
        text.stdout().contains("password: '<masked: 28 bytes>'")
            || text.stdout().contains("password: <masked: 28 bytes>"),
        "{}",
        text.report("masked placeholder with the length")
    );
    assert_password_never_printed(
        &berth(dir.path())
            .args(["render", "-p", "app", "--output", "json"])
            .success(),
    );

    let out_dir = dir.path().join("rendered");
    berth(dir.path())
        .args(["render", "-p", "app", "-o"])
        .args([&out_dir])
        .success();
    let file = std::fs::read_to_string(out_dir.join("app.yaml")).expect("rendered file");
    assert!(
        !file.contains(PASSWORD),
        "masked render wrote the value to disk"
    );

    // Asked for: the value is printed, and files holding it are private (0600).
    let shown = berth(dir.path())
        .args(["render", "-p", "app", "--show-secrets"])
        .success();
    assert!(
        shown.stdout().contains(PASSWORD),
        "{}",
        shown.report("--show-secrets did not print the value")
    );
    berth(dir.path())
        .args(["render", "-p", "app", "--show-secrets", "-o"])
        .args([&out_dir])
        .success();
    let path = out_dir.join("app.yaml");
    assert!(std::fs::read_to_string(&path)
        .expect("file")
        .contains(PASSWORD));
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(
        mode, 0o600,
        "rendered files with secret values must be private"
    );
}
