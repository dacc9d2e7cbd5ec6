//! Integration tests: issue 19, hostile input. Every test is named after the
//! item of the issue it pins (`issue19_<item>_…`) and runs the real binary
//! against the real `sops`/`age` and the in-process test API server.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::secrets::{age_keys, berth_run, editor_script, keyenv, leftover_temp, sops_ok, Keys};
use crate::support::apiserver::TestApiServer;
use crate::support::harness::{berth, tempdir, RunOutput};

const CHART_YAML: &str =
    "apiVersion: v2\nname: app\nversion: 0.1.0\nannotations:\n  berth.deploy/engine: handlebars\n";

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

/// `plain` encrypted by the real sops for `k` into `dir/rel`.
fn sops_file(dir: &Path, k: &Keys, rel: &str, plain: &str) {
    let ext = Path::new(rel)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("yaml");
    let src = format!("plain-{}.{ext}", rel.replace('/', "-"));
    write(dir, &src, plain);
    let enc = sops_ok(dir, &["encrypt", "--age", &k.recipients[0], &src], &[]);
    std::fs::remove_file(dir.join(&src)).expect("remove plaintext");
    write(dir, rel, &enc);
}

/// A workspace: profile `p` with release `app` (namespace `ns`) reading
/// `secrets/app.yaml`, and the chart templates given.
fn workspace(templates: &[(&str, &str)]) -> tempfile::TempDir {
    let t = tempdir();
    let d = t.path();
    write(
        d,
        "profiles/p.yaml",
        "namespace: ns\nreleases:\n  - name: app\n    chart: charts/app\n    secrets: [secrets/app.yaml]\n",
    );
    write(d, "charts/app/Chart.yaml", CHART_YAML);
    for (name, body) in templates {
        write(d, &format!("charts/app/templates/{name}"), body);
    }
    t
}

fn cm(body: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\ndata:\n{body}")
}

/// Insert `line` right after the first line starting with `after`.
fn insert_after(text: &str, after: &str, line: &str) -> String {
    let mut out = String::new();
    let mut done = false;
    for l in text.lines() {
        out.push_str(l);
        out.push('\n');
        if !done && l.starts_with(after) {
            out.push_str(line);
            out.push('\n');
            done = true;
        }
    }
    assert!(done, "no line starting with {after:?}");
    out
}

// ------------------------------------------------------------ 1: duplicate keys

#[test]
fn issue19_1_duplicate_key_after_encrypted_value_is_refused_like_sops() {
    let t = workspace(&[("cm.yaml", &cm("  token: {{quote values.token}}\n"))]);
    let d = t.path();
    let k = age_keys(d, 1);
    let env = keyenv(&k.files[0]);
    sops_file(
        d,
        &k,
        "secrets/app.yaml",
        "token: tok-SECRET-1\npassword: pw-SECRET-2\n",
    );
    let good = std::fs::read_to_string(d.join("secrets/app.yaml")).unwrap();
    for (dup, key) in [("token: \"\"", "token"), ("password: null", "password")] {
        let bad = insert_after(&good, key, dup);
        write(d, "secrets/app.yaml", &bad);
        // The real sops refuses it…
        let by_sops = crate::secrets::sops(d, &["decrypt", "secrets/app.yaml"], &env);
        assert!(!by_sops.status.success(), "sops accepted a duplicate key");
        let sops_err = String::from_utf8_lossy(&by_sops.stderr).into_owned();
        let needle = format!("mapping key \"{key}\" already defined at line");
        assert!(sops_err.contains(&needle), "sops said: {sops_err}");
        // …and so does berth, with the same words, in every command.
        for args in [
            vec!["secrets", "decrypt", "secrets/app.yaml"],
            vec!["render", "-p", "p"],
            vec!["lint", "-p", "p"],
        ] {
            let out = berth_run(d, &args, &env);
            out.assert_code(1);
            out.assert_stderr_contains(&["secrets/app.yaml", &needle]);
            out.assert_never_printed(&["tok-SECRET-1", "pw-SECRET-2"]);
        }
    }
}

#[test]
fn issue19_1_duplicate_keys_in_json_sops_files_are_refused() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 1);
    let env = keyenv(&k.files[0]);
    sops_file(d, &k, "s.json", "{\"token\": \"tok-SECRET-1\", \"n\": 1}");
    let good = std::fs::read_to_string(d.join("s.json")).unwrap();
    berth_run(d, &["secrets", "decrypt", "s.json"], &env).assert_code(0);
    let bad = good.replacen("\"n\":", "\"token\": \"\",\n\t\"n\":", 1);
    assert_ne!(bad, good);
    write(d, "s.json", &bad);
    let out = berth_run(d, &["secrets", "decrypt", "s.json"], &env);
    out.assert_code(1);
    out.assert_stderr_contains(&["s.json", "mapping key \"token\" already defined"]);
    out.assert_never_printed(&["tok-SECRET-1"]);
    // A nested duplicate is refused too.
    write(d, "n.json", "{\"a\": {\"b\": 1, \"b\": 2}}");
    let out = berth_run(
        d,
        &["secrets", "encrypt", "--age", &k.recipients[0], "n.json"],
        &[],
    );
    out.assert_code(1);
    out.assert_stderr_contains(&["mapping key \"b\" already defined"]);
}

#[test]
fn issue19_1_deploy_refuses_a_file_with_a_duplicate_key_before_touching_the_cluster() {
    let server = TestApiServer::start();
    let t = workspace(&[("cm.yaml", &cm("  token: {{quote values.token}}\n"))]);
    let d = t.path();
    let k = age_keys(d, 1);
    sops_file(d, &k, "secrets/app.yaml", "token: tok-SECRET-1\n");
    let good = std::fs::read_to_string(d.join("secrets/app.yaml")).unwrap();
    write(
        d,
        "secrets/app.yaml",
        &insert_after(&good, "token", "token: \"\""),
    );
    let kc = server.kubeconfig();
    let out = berth(d)
        .env("SOPS_AGE_KEY_FILE", &k.files[0])
        .args(["deploy", "-p", "p", "--yes", "--kubeconfig"])
        .args([kc.as_os_str()])
        .output();
    out.assert_code(1);
    out.assert_stderr_contains(&["mapping key \"token\" already defined"]);
    let writes: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.is_write() && !r.is_dry_run())
        .collect();
    assert!(writes.is_empty(), "the cluster was written: {writes:?}");
}

// ------------------------------------------------------- 2: encrypted comments

#[test]
fn issue19_2_tampered_encrypted_comments_are_refused() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 1);
    let env = keyenv(&k.files[0]);
    sops_file(d, &k, "s.yaml", "# a comment-SECRET\nkey: value-SECRET\n");
    let good = std::fs::read_to_string(d.join("s.yaml")).unwrap();
    assert!(good.starts_with("#ENC[AES256_GCM,data:"), "{good}");
    berth_run(d, &["secrets", "decrypt", "s.yaml"], &env).assert_code(0);
    let flip = |s: &str| {
        // Change one character of the comment's ciphertext.
        let at = "#ENC[AES256_GCM,data:".len();
        let c = s.as_bytes()[at];
        let mut out = s.to_string();
        out.replace_range(at..at + 1, if c == b'A' { "B" } else { "A" });
        out
    };
    for bad in [
        flip(&good),
        good.replacen("#ENC[AES256_GCM,", "#ENC[AE256_GCM,", 1),
        good.replacen("type:comment]", "type:str]", 1),
        good.replacen("#ENC[AES256_GCM,data:", "#ENC[AES256_GCM,dat:", 1),
    ] {
        assert_ne!(bad, good);
        write(d, "t.yaml", &bad);
        let out = berth_run(d, &["secrets", "decrypt", "t.yaml"], &env);
        out.assert_code(1);
        out.assert_stderr_contains(&["t.yaml", "encrypted comment", "cannot be decrypted"]);
        out.assert_never_printed(&["value-SECRET", "comment-SECRET"]);
    }
}

// --------------------------------------------------------------- 3: alias bombs

fn bomb(levels: usize) -> String {
    let mut s = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..levels {
        let refs = vec![format!("*l{}", i - 1); 10].join(", ");
        s.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    s
}

#[test]
fn issue19_3_alias_bomb_in_sops_file_is_refused_before_expansion_and_mac() {
    let t = workspace(&[("cm.yaml", &cm("  a: b\n"))]);
    let d = t.path();
    let k = age_keys(d, 1);
    let env = keyenv(&k.files[0]);
    sops_file(d, &k, "secrets/app.yaml", "token: tok-SECRET-1\n");
    let good = std::fs::read_to_string(d.join("secrets/app.yaml")).unwrap();
    // Nine levels of ten: 10^9 nodes if expanded.
    let bad = good.replacen("sops:\n", &format!("{}sops:\n", bomb(9)), 1);
    write(d, "secrets/app.yaml", &bad);
    for args in [
        vec!["secrets", "decrypt", "secrets/app.yaml"],
        vec!["render", "-p", "p"],
    ] {
        let start = Instant::now();
        let out = berth_run(d, &args, &env);
        out.assert_code(1);
        out.assert_stderr_contains(&["aliases expand to more than 100000 nodes"]);
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "took {:?}",
            start.elapsed()
        );
    }
    // In a plaintext file to encrypt, and in `secrets edit`'s text, too.
    write(d, "plain.yaml", &bomb(9));
    let out = berth_run(
        d,
        &[
            "secrets",
            "encrypt",
            "--age",
            &k.recipients[0],
            "plain.yaml",
        ],
        &[],
    );
    out.assert_code(1);
    out.assert_stderr_contains(&["100000"]);
    // Aliases nested through aliases cannot build a structure deeper than the limit.
    let mut deep = String::from("a0: &a0 [x]\n");
    for i in 1..400 {
        deep.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
    }
    write(d, "deep.yaml", &deep);
    let out = berth_run(
        d,
        &["secrets", "encrypt", "--age", &k.recipients[0], "deep.yaml"],
        &[],
    );
    out.assert_code(1);
    out.assert_stderr_contains(&["nested deeper than 128 levels"]);
    // Small honest aliases still work.
    write(d, "ok.yaml", "a: &a {x: 1}\nb: *a\n");
    berth_run(
        d,
        &["secrets", "encrypt", "--age", &k.recipients[0], "ok.yaml"],
        &[],
    )
    .assert_code(0);
}

// ----------------------------------------------------- 5: encrypt/set refusals

#[test]
fn issue19_5_encrypt_and_set_refuse_duplicate_keys_and_invalid_json_values() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 1);
    let env = keyenv(&k.files[0]);
    write(d, "dup.yaml", "a: 1\nb:\n    c: x\n    c: y\n");
    let out = berth_run(
        d,
        &["secrets", "encrypt", "--age", &k.recipients[0], "dup.yaml"],
        &[],
    );
    out.assert_code(1);
    out.assert_stderr_contains(&[
        "dup.yaml",
        "line 4: mapping key \"c\" already defined at line 3",
    ]);
    sops_file(d, &k, "s.yaml", "token: tok-SECRET-1\n");
    let before = std::fs::read(d.join("s.yaml")).unwrap();
    for value in [
        "\"unterminated",
        "{\"a\": 1, \"a\": 2}",
        "[1, 2",
        "{\"k\": }",
    ] {
        let out = berth_run(d, &["secrets", "set", "s.yaml", "token", value], &env);
        out.assert_code(1);
        out.assert_stderr_contains(&["cannot set `token`", "not valid JSON"]);
        assert_eq!(std::fs::read(d.join("s.yaml")).unwrap(), before);
    }
    // Valid values still work, and sops opens the result.
    for (value, shown) in [
        ("\"a b\"", "token: a b"),
        ("bare-word", "token: bare-word"),
        ("{\"x\": 1}", "x: 1"),
    ] {
        berth_run(d, &["secrets", "set", "s.yaml", "token", value], &env).assert_code(0);
        let plain = sops_ok(d, &["decrypt", "s.yaml"], &env);
        assert!(plain.contains(shown), "{plain}");
    }
}

// ------------------------------------------------------------------ 4: masking

/// Canary values, each landing in a different place of the output.
const CANARIES: &[&str] = &[
    "cm-CANARY-1111",
    "env-CANARY-2222",
    "anno-CANARY-3333",
    "label-CANARY-4444",
    "list-CANARY-5555",
    "b64-CANARY-6666",
    "multi-CANARY-7777",
];

const LEAKY_TEMPLATES: &[(&str, &str)] = &[
    (
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\n  annotations:\n    note: {{quote values.anno}}\n  labels:\n    tag: {{values.label}}\ndata:\n  plain: {{quote values.cm}}\n  encoded: {{b64enc values.b64}}\n  text: {{quote values.multi}}\n",
    ),
    (
        "deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  selector:\n    matchLabels: {app: app}\n  template:\n    metadata:\n      labels: {app: app}\n    spec:\n      containers:\n        - name: app\n          image: nginx:1\n          env:\n            - name: TOKEN\n              value: {{quote values.env}}\n",
    ),
    (
        "list.yaml",
        "apiVersion: v1\nkind: List\nmetadata:\n  name: l\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata:\n      name: in-list\n    stringData:\n      literal: literal-in-list-9999\n      token: {{quote values.list}}\n",
    ),
];

const LEAKY_SECRETS: &str = "cm: cm-CANARY-1111\nenv: env-CANARY-2222\nanno: anno-CANARY-3333\nlabel: label-CANARY-4444\nlist: list-CANARY-5555\nb64: b64-CANARY-6666\nmulti: |\n    first line\n    multi-CANARY-7777\n";

/// `with_list`: include the `kind: List` template (render only: an API
/// server has no List resource to apply).
fn leaky_workspace(with_list: bool) -> (tempfile::TempDir, Keys) {
    let templates: Vec<(&str, &str)> = LEAKY_TEMPLATES
        .iter()
        .copied()
        .filter(|(n, _)| with_list || *n != "list.yaml")
        .collect();
    let t = workspace(&templates);
    let k = age_keys(t.path(), 1);
    sops_file(t.path(), &k, "secrets/app.yaml", LEAKY_SECRETS);
    (t, k)
}

fn assert_no_canary(out: &RunOutput, what: &str) {
    let all = out.all_output();
    for c in CANARIES
        .iter()
        .chain(&["literal-in-list-9999", "first line"])
    {
        assert!(!all.contains(c), "{what} printed {c}:\n{all}");
    }
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode("b64-CANARY-6666");
    assert!(!all.contains(&b64), "{what} printed the base64 canary");
}

#[test]
fn issue19_4_values_from_sops_files_are_masked_everywhere_render_prints() {
    let (t, k) = leaky_workspace(true);
    let d = t.path();
    let env = keyenv(&k.files[0]);
    let out = berth_run(d, &["render", "-p", "p"], &env);
    out.assert_code(0);
    assert_no_canary(&out, "render");
    assert!(out.stdout().contains("<masked>"), "{}", out.stdout());
    // The structure around masked values is kept.
    assert!(out.stdout().contains("tag: <masked>"), "{}", out.stdout());
    let out = berth_run(d, &["render", "-p", "p", "--output", "json"], &env);
    out.assert_code(0);
    assert_no_canary(&out, "render -o json");
    let json: serde_json::Value = serde_json::from_str(&out.stdout()).expect("valid JSON");
    assert!(json["releases"][0]["objects"].is_array());
    let out = berth_run(d, &["render", "-p", "p", "--output-dir", "out"], &env);
    out.assert_code(0);
    let written = std::fs::read_to_string(d.join("out/app.yaml")).unwrap();
    for c in CANARIES {
        assert!(!written.contains(c), "out/app.yaml holds {c}");
    }
    // --show-secrets prints them all.
    let out = berth_run(d, &["render", "-p", "p", "--show-secrets"], &env);
    out.assert_code(0);
    for c in CANARIES.iter().chain(&["literal-in-list-9999"]) {
        let shown = if *c == "b64-CANARY-6666" {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(c)
        } else {
            c.to_string()
        };
        assert!(out.stdout().contains(&shown), "--show-secrets hid {c}");
    }
}

#[test]
fn issue19_4_secret_inside_a_kind_list_is_masked() {
    let t = workspace(&[(
        "list.yaml",
        "apiVersion: v1\nkind: SecretList\nmetadata:\n  name: l\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata:\n      name: a\n    stringData:\n      k: plain-LIST-VALUE\n  - apiVersion: v1\n    kind: List\n    items:\n      - apiVersion: v1\n        kind: Secret\n        metadata:\n          name: b\n        data:\n          k: bmVzdGVkLUxJU1QtVkFMVUU=\n",
    )]);
    let d = t.path();
    write(
        d,
        "profiles/p.yaml",
        "releases:\n  - name: app\n    chart: charts/app\n",
    );
    let out = berth(d).args(["render", "-p", "p"]).success();
    out.assert_never_printed(&["plain-LIST-VALUE", "bmVzdGVkLUxJU1QtVkFMVUU="]);
    assert!(
        out.stdout().contains("<masked: 16 bytes>"),
        "{}",
        out.stdout()
    );
    let out = berth(d)
        .args(["render", "-p", "p", "--show-secrets"])
        .success();
    assert!(out.stdout().contains("plain-LIST-VALUE"));
}

#[test]
fn issue19_4_partial_not_found_never_prints_the_value() {
    let t = workspace(&[
        ("a.yaml", &cm("  x: {{include values.name this}}\n")),
        ("b.yaml", &cm("  y: {{> (lookup values \"name\")}}\n")),
    ]);
    let d = t.path();
    let k = age_keys(d, 1);
    let env = keyenv(&k.files[0]);
    // "tok" is shorter than the masking minimum: the error text itself must not hold it.
    for name in ["tok-123456", "tok"] {
        sops_file(d, &k, "secrets/app.yaml", &format!("name: {name}\n"));
        let out = berth_run(d, &["render", "-p", "p"], &env);
        out.assert_code(1);
        out.assert_stderr_contains(&["charts/app/templates/a.yaml", "values.name"]);
        out.assert_stderr_contains(&["charts/app/templates/b.yaml", "partial not found"]);
        out.assert_never_printed(&[name]);
    }
}

#[test]
fn issue19_4_values_from_sops_files_are_masked_in_diff_deploy_json_and_server_errors() {
    let server = TestApiServer::start();
    let (t, k) = leaky_workspace(false);
    let d = t.path();
    let kc = server.kubeconfig();
    let run = |args: &[&str]| {
        berth(d)
            .env("SOPS_AGE_KEY_FILE", &k.files[0])
            .args(args.iter().copied())
            .args(["--kubeconfig".as_ref(), kc.as_os_str()])
            .output()
    };
    let out = run(&["diff", "-p", "p"]);
    assert!(
        out.exit_code() == 0 || out.exit_code() == 2,
        "{}",
        out.report("diff")
    );
    assert_no_canary(&out, "diff");
    let out = run(&["diff", "-p", "p", "--output", "json"]);
    assert_no_canary(&out, "diff -o json");
    let out = run(&["deploy", "-p", "p", "--yes"]);
    out.assert_code(0);
    assert_no_canary(&out, "deploy");
    // The cluster got the real values.
    let cm = server
        .get("v1", "ConfigMap", Some("ns"), "out")
        .expect("ConfigMap");
    assert_eq!(cm["data"]["plain"], "cm-CANARY-1111");
    // A change: the diff of deploy shows old and new masked.
    let changed = LEAKY_SECRETS.replace("cm-CANARY-1111", "cm-CANARY-1112");
    sops_file(d, &k, "secrets/app.yaml", &changed);
    let out = run(&["deploy", "-p", "p", "--yes", "--output", "json"]);
    out.assert_code(0);
    assert_no_canary(&out, "deploy -o json");
    out.assert_never_printed(&["cm-CANARY-1112"]);
    let out = run(&["history", "app", "-p", "p"]);
    assert_no_canary(&out, "history");
    // The API server echoes an invalid label value in its error: masked.
    let bad = LEAKY_SECRETS.replace("label-CANARY-4444", "bad label CANARY!!");
    sops_file(d, &k, "secrets/app.yaml", &bad);
    let out = run(&["deploy", "-p", "p", "--yes"]);
    out.assert_code(1);
    out.assert_never_printed(&["bad label CANARY!!"]);
    assert!(
        out.stderr().contains("<masked>"),
        "{}",
        out.report("server error")
    );
    // Nothing later shows it either (a failed record's error is masked when
    // written: `release::Transaction::fail`).
    for args in [
        vec!["history", "app", "-p", "p"],
        vec!["history", "app", "-p", "p", "--output", "json"],
        vec!["status", "-p", "p"],
    ] {
        let out = run(&args);
        out.assert_never_printed(&["bad label CANARY!!"]);
    }
}

// ------------------------------------------------- 6: recursion and size limits

#[test]
fn issue19_6_partials_including_themselves_or_each_other_fail_cleanly() {
    type Files<'a> = &'a [(&'a str, &'a str)];
    let cases: &[(Files, &[&str])] = &[
        // include: a partial that includes itself
        (
            &[
                ("_self.tpl", "{{include \"self\" this}}"),
                ("cm.yaml", "{{include \"self\" this}}\n"),
            ],
            &["include", "deeper than 100 levels"],
        ),
        // include: two partials that include each other
        (
            &[
                ("_a.tpl", "{{include \"b\" this}}"),
                ("_b.tpl", "{{include \"a\" this}}"),
                ("cm.yaml", "{{include \"a\" this}}\n"),
            ],
            &["include", "deeper than 100 levels"],
        ),
        // native partials that include each other
        (
            &[
                ("_a.tpl", "{{> b}}"),
                ("_b.tpl", "{{#if x}}{{/if}}{{> a}}"),
                ("cm.yaml", "{{> a}}\n"),
            ],
            &["partials include each other", "a → b → a"],
        ),
        // a native partial that includes itself
        (
            &[("_s.tpl", "{{> s}}"), ("cm.yaml", "{{> s}}\n")],
            &["partials include each other", "s → s"],
        ),
        // tpl rendering itself
        (
            &[("cm.yaml", &cm("  x: {{tpl values.t values}}\n"))],
            &["tpl", "deeper than 100 levels"],
        ),
    ];
    for (files, needles) in cases {
        let t = tempdir();
        let d = t.path();
        write(
            d,
            "profiles/p.yaml",
            "releases:\n  - name: app\n    chart: charts/app\n",
        );
        write(d, "charts/app/Chart.yaml", CHART_YAML);
        write(d, "charts/app/values.yaml", "t: \"{{tpl t this}}\"\n");
        for (name, body) in files.iter() {
            write(d, &format!("charts/app/templates/{name}"), body);
        }
        let out = berth(d).args(["render", "-p", "p"]).output();
        out.assert_code(1);
        out.assert_stderr_contains(needles);
    }
}

#[test]
fn issue19_6_huge_indent_widths_fail_with_the_limit() {
    for (tmpl, needles) in [
        (
            "{{indent 99999999999999 \"x\"}}",
            vec!["indent", "99999999999999", "10000"],
        ),
        ("{{nindent 20000 \"x\"}}", vec!["nindent", "20000", "10000"]),
    ] {
        let t = tempdir();
        let d = t.path();
        write(
            d,
            "profiles/p.yaml",
            "releases:\n  - name: app\n    chart: charts/app\n",
        );
        write(d, "charts/app/Chart.yaml", CHART_YAML);
        write(
            d,
            "charts/app/templates/cm.yaml",
            &cm(&format!("  x: |\n{tmpl}\n")),
        );
        let out = berth(d).args(["render", "-p", "p"]).output();
        out.assert_code(1);
        out.assert_stderr_contains(&needles);
    }
}

#[test]
fn issue19_6_lease_seconds_out_of_range_is_refused_at_load() {
    for (value, line) in [("10000000000000", 2), ("0", 2)] {
        let t = tempdir();
        let d = t.path();
        write(
            d,
            "profiles/p.yaml",
            "releases:\n  - name: app\n    chart: charts/app\n",
        );
        write(d, "charts/app/Chart.yaml", CHART_YAML);
        write(
            d,
            "berth.yaml",
            &format!("historyLimit: 3\nleaseSeconds: {value}\n"),
        );
        let out = berth(d).args(["render", "-p", "p"]).output();
        out.assert_code(1);
        out.assert_stderr_contains(&[
            "berth.yaml",
            "leaseSeconds",
            value,
            "1 to 86400",
            &format!("line {line}"),
        ]);
    }
}

// ----------------------------------------------------------------- 8: names

#[test]
fn issue19_8_release_and_namespace_names_are_validated_at_load() {
    let cases = [
        (
            "releases:\n  - name: ../../escaped\n    chart: charts/app\n",
            "../../escaped",
            2,
        ),
        (
            "releases:\n  - name: Web_1\n    chart: charts/app\n",
            "Web_1",
            2,
        ),
        (
            "namespace: 'Bad NS!'\nreleases:\n  - name: web\n    chart: charts/app\n",
            "Bad NS!",
            1,
        ),
        (
            "releases:\n  - name: web\n    namespace: a.b\n    chart: charts/app\n",
            "a.b",
            3,
        ),
    ];
    let long = "r".repeat(54);
    let long_case = format!("releases:\n  - name: {long}\n    chart: charts/app\n");
    for (profile, name, line) in cases
        .iter()
        .map(|(p, n, l)| (p.to_string(), n.to_string(), *l))
        .chain([(long_case, "53".to_string(), 2)])
    {
        let t = tempdir();
        let d = t.path().join("ws");
        write(&d, "profiles/p.yaml", &profile);
        write(&d, "charts/app/Chart.yaml", CHART_YAML);
        write(&d, "charts/app/templates/cm.yaml", &cm("  a: b\n"));
        let out = berth(&d)
            .args(["render", "-p", "p", "--output-dir", "out"])
            .output();
        out.assert_code(1);
        out.assert_stderr_contains(&["profiles/p.yaml", &name, &format!("line {line}")]);
        assert!(!d.join("out").exists(), "something was written");
        assert!(!t.path().join("escaped.yaml").exists());
    }
}

// --------------------------------------------------------------- 13: edit

struct Immutable(PathBuf);

impl Immutable {
    fn set(p: &Path) -> Immutable {
        let st = std::process::Command::new("chattr")
            .arg("+i")
            .arg(p)
            .status()
            .expect("run chattr");
        assert!(st.success(), "chattr +i failed");
        Immutable(p.to_path_buf())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

fn edit_env(d: &Path, k: &Keys, editor: &str) -> (Vec<(&'static str, String)>, PathBuf) {
    let tmp = d.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut env = keyenv(&k.files[0]);
    env.push(("TMPDIR", tmp.display().to_string()));
    env.push(("EDITOR", editor_script(d, "ed.sh", editor)));
    (env, tmp)
}

/// The one saved-aside file under `tmp`.
fn saved_aside(tmp: &Path) -> PathBuf {
    let saved: Vec<PathBuf> = std::fs::read_dir(tmp)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("berth-saved-"))
        })
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    saved[0].clone()
}

#[test]
fn issue19_13_edit_is_not_lost_when_the_write_fails() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 1);
    std::fs::create_dir(d.join("locked")).unwrap();
    sops_file(d, &k, "locked/s.yaml", "token: old-SECRET\n");
    let before = std::fs::read(d.join("locked/s.yaml")).unwrap();
    let (env, tmp) = edit_env(d, &k, "sed -i 's/old-SECRET/new-SECRET/' \"$1\"");
    let guard = Immutable::set(&d.join("locked"));
    let out = berth_run(d, &["secrets", "edit", "locked/s.yaml"], &env);
    drop(guard);
    out.assert_code(1);
    out.assert_never_printed(&["new-SECRET", "old-SECRET"]);
    let saved = saved_aside(&tmp);
    out.assert_stderr_contains(&[
        "locked/s.yaml",
        "was not changed",
        &saved.display().to_string(),
    ]);
    assert_eq!(std::fs::read(d.join("locked/s.yaml")).unwrap(), before);
    // The saved copy is the edit, encrypted with the file's keys.
    let plain = sops_ok(
        d,
        &["decrypt", &saved.display().to_string()],
        &keyenv(&k.files[0]),
    );
    assert_eq!(plain, "token: new-SECRET\n");
    assert!(leftover_temp(&tmp).is_empty(), "{:?}", leftover_temp(&tmp));
    // An immutable file itself.
    let guard = Immutable::set(&d.join("locked/s.yaml"));
    std::fs::remove_file(&saved).unwrap();
    let out = berth_run(d, &["secrets", "edit", "locked/s.yaml"], &env);
    drop(guard);
    out.assert_code(1);
    saved_aside(&tmp);
}

#[test]
fn issue19_13_edit_writes_through_a_symlink() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 1);
    sops_file(d, &k, "real/s.yaml", "token: old-SECRET\n");
    std::os::unix::fs::symlink("real/s.yaml", d.join("link.yaml")).unwrap();
    let (env, _) = edit_env(d, &k, "sed -i 's/old-SECRET/new-SECRET/' \"$1\"");
    berth_run(d, &["secrets", "edit", "link.yaml"], &env).assert_code(0);
    let meta = std::fs::symlink_metadata(d.join("link.yaml")).unwrap();
    assert!(meta.file_type().is_symlink(), "the symlink was replaced");
    let plain = sops_ok(d, &["decrypt", "real/s.yaml"], &keyenv(&k.files[0]));
    assert_eq!(plain, "token: new-SECRET\n");
    // `secrets set` writes through it too.
    berth_run(
        d,
        &["secrets", "set", "link.yaml", "token", "\"third\""],
        &keyenv(&k.files[0]),
    )
    .assert_code(0);
    assert!(std::fs::symlink_metadata(d.join("link.yaml"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(sops_ok(d, &["decrypt", "real/s.yaml"], &keyenv(&k.files[0])).contains("third"));
}

#[test]
fn issue19_13_a_set_made_while_the_editor_is_open_is_not_overwritten() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 1);
    sops_file(d, &k, "s.yaml", "token: old-SECRET\nother: 1\n");
    let berth_bin = crate::support::harness::berth_bin();
    // The "editor" runs a `secrets set` on the same file, then edits its copy.
    let (env, tmp) = edit_env(
        d,
        &k,
        &format!(
            "'{}' secrets set s.yaml other 2 && sed -i 's/old-SECRET/new-SECRET/' \"$1\"",
            berth_bin.display()
        ),
    );
    let out = berth_run(d, &["secrets", "edit", "s.yaml"], &env);
    out.assert_code(1);
    out.assert_stderr_contains(&["s.yaml changed on disk while the editor was open"]);
    out.assert_never_printed(&["new-SECRET", "old-SECRET"]);
    let plain = sops_ok(d, &["decrypt", "s.yaml"], &keyenv(&k.files[0]));
    assert_eq!(plain, "token: old-SECRET\nother: 2\n", "the set was kept");
    let saved = saved_aside(&tmp);
    let edited = sops_ok(
        d,
        &["decrypt", &saved.display().to_string()],
        &keyenv(&k.files[0]),
    );
    assert_eq!(edited, "token: new-SECRET\nother: 1\n", "the edit was kept");
}

#[test]
fn issue19_13_stale_edit_dirs_of_killed_sessions_are_cleaned() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 1);
    sops_file(d, &k, "s.yaml", "token: old-SECRET\n");
    let (env, tmp) = edit_env(d, &k, "exit 0");
    // A session that was SIGKILLed: its pid is gone, its plaintext remains.
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let dead = child.id();
    child.kill().unwrap();
    child.wait().unwrap();
    let stale = tmp.join(format!("berth-edit-{dead}-abc123"));
    std::fs::create_dir(&stale).unwrap();
    std::fs::write(stale.join("s.yaml"), "token: old-SECRET\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&stale, std::fs::Permissions::from_mode(0o700)).unwrap();
    // A live session's dir, and one that is not private: both left alone.
    let live = tmp.join(format!("berth-edit-{}-live01", std::process::id()));
    std::fs::create_dir(&live).unwrap();
    std::fs::set_permissions(&live, std::fs::Permissions::from_mode(0o700)).unwrap();
    let open = tmp.join(format!("berth-edit-{dead}-open01"));
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = berth_run(d, &["secrets", "edit", "s.yaml"], &env);
    out.assert_code(0);
    assert!(!stale.exists(), "the stale dir is still there");
    assert!(live.exists() && open.exists());
    out.assert_stderr_contains(&["removed 1 private edit directory"]);
}

#[test]
fn issue19_13_sops_key_in_edited_text_gets_the_right_hint() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 1);
    sops_file(d, &k, "s.yaml", "token: old-SECRET\n");
    let (env, _) = edit_env(d, &k, "printf 'token: x\\nsops: y\\n' > \"$1\"");
    let out = berth_run(d, &["secrets", "edit", "s.yaml"], &env);
    out.assert_code(1);
    out.assert_stderr_contains(&["top-level `sops` key", "reserves"]);
    assert!(
        !out.stderr().contains("use `berth secrets edit`"),
        "{}",
        out.stderr()
    );
}

// ------------------------------------- integrity: any byte change to a file

/// A document whose every part is bound by the cipher's additional data or
/// the MAC (no `_unencrypted` keys, no empty strings, no nulls: sops does
/// not bind those keys' names, so renaming one is not detected — by sops
/// either).
const INTEGRITY_DOC: &str = "# top comment\ndb:\n    # the password\n    password: hunter2-SECRET\n    port: 5432\n    ratio: 1.5\n    on: true\nusers:\n    - name: alice\n      roles:\n        - admin\n        - dev\n    - name: bob\nmotd: |\n    multi\n    line\n";

const INTEGRITY_JSON: &str = "{\n\t\"a\": \"s3cret\",\n\t\"b\": [1, 2.5, true, {\"c\": \"d\"}],\n\t\"e\": {\"f\": \"g\"}\n}\n";

const KEY: [u8; 32] = [0x5a; 32];

mod integrity {
    use super::*;
    use berth::secrets::{fuzz_support, Format};

    pub(super) fn encrypted(format: Format, doc: &str) -> (String, String) {
        let enc = fuzz_support::encrypt_with_key(format, doc, KEY).expect("encrypts");
        let plain = fuzz_support::decrypt_with_key(format, &enc, KEY).expect("decrypts");
        (enc, plain)
    }

    /// `enc` with byte `at` replaced by `b`: decrypts to exactly `original`, or is refused.
    pub(super) fn check(format: Format, enc: &str, original: &str, at: usize, b: u8) {
        let mut bytes = enc.as_bytes().to_vec();
        bytes[at] = b;
        let Ok(text) = String::from_utf8(bytes) else {
            return;
        };
        if let Ok(plain) = fuzz_support::decrypt_with_key(format, &text, KEY) {
            if plain == original {
                return;
            }
            // What sops' format cannot see (berth neither, being compatible):
            // a map re-nested into a one-item list keeps every value's key
            // path and order, as list indices are not part of the path.
            // A plain comment may appear (comments written by hand or by an
            // old sops are kept, as sops keeps them); every value and every
            // original comment stays, in order.
            assert!(
                fuzz_support::same_values(format, &plain, original),
                "byte {at} set to {b:#04x} decrypted to something else:\n{text}\n---\n{plain}"
            );
        }
    }
}

#[test]
fn issue19_any_single_byte_change_to_an_encrypted_file_is_refused_or_harmless() {
    use berth::secrets::Format;
    for (format, doc) in [
        (Format::Yaml, INTEGRITY_DOC),
        (Format::Json, INTEGRITY_JSON),
    ] {
        let (enc, original) = integrity::encrypted(format, doc);
        // Every position, with bytes that keep the text plausible.
        for at in 0..enc.len() {
            for b in [
                b' ',
                b'\n',
                b'#',
                b'"',
                b':',
                b'-',
                b'A',
                b'0',
                b'x',
                enc.as_bytes()[at] ^ 1,
            ] {
                integrity::check(format, &enc, &original, at, b);
            }
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
    #[test]
    fn issue19_any_byte_change_property(at in 0usize..1_000_000, b in 0u8..=255, json in proptest::bool::ANY) {
        use berth::secrets::Format;
        let (format, doc) = if json { (Format::Json, INTEGRITY_JSON) } else { (Format::Yaml, INTEGRITY_DOC) };
        let (enc, original) = integrity::encrypted(format, doc);
        integrity::check(format, &enc, &original, at % enc.len(), b);
    }
}

// ------------------------------------------- fuzz findings, replayed forever

/// Every input under `tests/fuzz_regressions/<target>/` (crashes found by
/// `scripts/fuzz`, and the issue's own attack inputs) through the code the
/// target exercises: each must fail or succeed cleanly.
#[test]
fn issue19_fuzz_regressions_replay_cleanly() {
    // berth renders on worker threads with a large stack; so does this replay.
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(replay_fuzz_regressions)
        .expect("spawn")
        .join()
        .expect("replay");
}

fn replay_fuzz_regressions() {
    use berth::secrets::{fuzz_support, Format};
    let root = crate::support::harness::repo_root().join("tests/fuzz_regressions");
    let mut replayed = 0;
    for target in ["sops_yaml", "sops_json", "sops_decrypt_mac", "template"] {
        // Crash files from libFuzzer are raw bytes; the targets take UTF-8.
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        for e in entries.flatten() {
            let data = std::fs::read(e.path()).expect("read input");
            let text = String::from_utf8_lossy(&data);
            match target {
                "sops_yaml" => {
                    fuzz_support::store_round_trip(Format::Yaml, &text).expect("round trip")
                }
                "sops_json" => {
                    fuzz_support::store_round_trip(Format::Json, &text).expect("round trip")
                }
                "sops_decrypt_mac" => {
                    let _ = fuzz_support::decrypt_with_key(Format::Yaml, &text, KEY);
                    let _ = fuzz_support::decrypt_with_key(Format::Json, &text, KEY);
                }
                _ => {
                    let (partial, template) = text.split_once('\n').unwrap_or(("", &text));
                    let mut hb = handlebars_registry();
                    if hb.register_partial("p", partial).is_ok() {
                        let _ = hb
                            .render_template(template, &serde_json::json!({"values": {"a": "x"}}));
                    }
                }
            }
            replayed += 1;
        }
    }
    assert!(
        replayed > 0,
        "no regression inputs found under {}",
        root.display()
    );
}

fn handlebars_registry() -> handlebars::Handlebars<'static> {
    let mut hb = handlebars::Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    berth::chart::helpers::register(&mut hb);
    hb
}
