//! Integration tests: render (workspace, profiles, values precedence, templates,
//! helpers, partials, strictness, objects), lint and profiles — all through the
//! real `berth` binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::support::harness::{self, berth, copy_tree, require_tool, tempdir, RunOutput};

const CHART_YAML: &str = "apiVersion: v2\nname: app\nversion: 0.1.0\nappVersion: \"1.2.3\"\nannotations:\n  berth.deploy/engine: handlebars\n";

/// Write `files` (path, content) under `dir`.
fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, content).expect("write file");
    }
}

/// A temp workspace holding `files`.
fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempdir();
    write_files(dir.path(), files);
    dir
}

/// Parse a multi-document YAML stream into JSON values (empty documents dropped).
fn docs(yaml: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(yaml)
        .map(|d| Value::deserialize(d).expect("valid YAML output"))
        .filter(|v| !v.is_null())
        .collect()
}

/// The one object of `kind`/`name` in the output.
fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in output: {objects:#?}"))
}

/// A ConfigMap template printing `body` under `data`.
fn configmap(body: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\ndata:\n{body}")
}

fn render_ok(dir: &Path, args: &[&str]) -> (RunOutput, Vec<Value>) {
    let out = berth(dir).arg_list(args).success();
    let objects = docs(&out.stdout());
    (out, objects)
}

trait ArgList {
    fn arg_list(self, args: &[&str]) -> Self;
}

impl ArgList for harness::Run {
    fn arg_list(self, args: &[&str]) -> Self {
        self.args(args.iter().copied())
    }
}

/// age identity file and recipient made by the real `age-keygen`.
fn age_key(dir: &Path, name: &str) -> (PathBuf, String) {
    let keygen = require_tool("age-keygen");
    let path = dir.join(name);
    let status = Command::new(&keygen)
        .arg("-o")
        .arg(&path)
        .output()
        .expect("run age-keygen");
    assert!(status.status.success(), "age-keygen failed: {status:?}");
    let public = Command::new(&keygen)
        .arg("-y")
        .arg(&path)
        .output()
        .expect("run age-keygen -y");
    let recipient = String::from_utf8(public.stdout)
        .expect("utf8")
        .trim()
        .to_string();
    (path, recipient)
}

/// Encrypt `plain` with the real sops for `recipient` into `dir/rel`.
fn sops_encrypt(dir: &Path, rel: &str, plain: &str, recipient: &str) {
    let sops = require_tool("sops");
    let src = dir.join(format!("{rel}.plain.yaml"));
    std::fs::create_dir_all(src.parent().expect("parent")).expect("mkdir");
    std::fs::write(&src, plain).expect("write plaintext");
    let out = Command::new(&sops)
        .args([
            "encrypt",
            "--age",
            recipient,
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
        ])
        .arg(&src)
        .env_clear()
        .env("PATH", harness::tool_path())
        .env("HOME", dir)
        .output()
        .expect("run sops");
    assert!(
        out.status.success(),
        "sops encrypt failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(&src).expect("remove plaintext");
    std::fs::write(dir.join(rel), out.stdout).expect("write encrypted");
}

// ---------------------------------------------------------------- values

/// Every layer of the precedence order sets the keys from its rank upward; each
/// key must come out from the highest layer that sets it.
fn precedence_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("profiles/p.yaml", "namespace: ns\nvalues: [values/profile.yaml]\nsecrets: [secrets/profile.yaml]\nreleases:\n  - name: app\n    chart: charts/app\n    values: [values/release.yaml]\n    secrets: [secrets/release.yaml]\n    set: {k6: release-set, k7: release-set, k8: release-set}\n"),
        ("charts/app/Chart.yaml", CHART_YAML),
        ("charts/app/values.yaml", "k1: chart\nk2: chart\nk3: chart\nk4: chart\nk5: chart\nk6: chart\nk7: chart\nk8: chart\n"),
        ("charts/app/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\ndata:\n  k1: {{values.k1}}\n  k2: {{values.k2}}\n  k3: {{values.k3}}\n  k4: {{values.k4}}\n  k5: {{values.k5}}\n  k6: {{values.k6}}\n  k7: {{values.k7}}\n  k8: {{values.k8}}\n"),
        ("values/profile.yaml", "k2: profile-values\nk3: profile-values\nk4: profile-values\nk5: profile-values\nk6: profile-values\nk7: profile-values\nk8: profile-values\n"),
        ("values/release.yaml", "k4: release-values\nk5: release-values\nk6: release-values\nk7: release-values\nk8: release-values\n"),
        ("cli.yaml", "k7: cli-file\nk8: cli-file\n"),
    ]
}

#[test]
fn precedence_order_end_to_end_with_secrets() {
    let dir = workspace(&precedence_files());
    let (key, recipient) = age_key(dir.path(), "key.txt");
    sops_encrypt(
        dir.path(),
        "secrets/profile.yaml",
        "k3: profile-secrets\nk4: profile-secrets\nk5: profile-secrets\nk6: profile-secrets\nk7: profile-secrets\nk8: profile-secrets\n",
        &recipient,
    );
    sops_encrypt(
        dir.path(),
        "secrets/release.yaml",
        "k5: release-secrets\nk6: release-secrets\nk7: release-secrets\nk8: release-secrets\n",
        &recipient,
    );
    // Values from SOPS files are masked in output unless --show-secrets.
    let masked = berth(dir.path())
        .env("SOPS_AGE_KEY_FILE", &key)
        .args(["render", "-p", "p", "-f", "cli.yaml", "--set", "k8=cli-set"])
        .success();
    masked.assert_never_printed(&["profile-secrets", "release-secrets"]);
    let out = berth(dir.path())
        .env("SOPS_AGE_KEY_FILE", &key)
        .args([
            "render",
            "-p",
            "p",
            "-f",
            "cli.yaml",
            "--set",
            "k8=cli-set",
            "--show-secrets",
        ])
        .success();
    let objects = docs(&out.stdout());
    let data = &find(&objects, "ConfigMap", "out")["data"];
    assert_eq!(
        data,
        &json!({"k1": "chart", "k2": "profile-values", "k3": "profile-secrets", "k4": "release-values",
                "k5": "release-secrets", "k6": "release-set", "k7": "cli-file", "k8": "cli-set"})
    );
}

#[test]
fn precedence_order_of_plain_layers() {
    // The same order without the secrets layers (runs without a SOPS backend).
    let mut files = precedence_files();
    files[0] = ("profiles/p.yaml", "namespace: ns\nvalues: [values/profile.yaml]\nreleases:\n  - name: app\n    chart: charts/app\n    values: [values/release.yaml]\n    set: {k6: release-set, k7: release-set, k8: release-set}\n");
    let dir = workspace(&files);
    let (_, objects) = render_ok(
        dir.path(),
        &["render", "-p", "p", "-f", "cli.yaml", "--set", "k8=cli-set"],
    );
    assert_eq!(
        find(&objects, "ConfigMap", "out")["data"],
        json!({"k1": "chart", "k2": "profile-values", "k3": "profile-values", "k4": "release-values",
               "k5": "release-values", "k6": "release-set", "k7": "cli-file", "k8": "cli-set"})
    );
}

#[test]
fn null_deletes_keys_maps_merge_lists_replace() {
    let dir = workspace(&[
        ("profiles/p.yaml", "releases:\n  - name: app\n    chart: charts/app\n    values: [values/over.yaml]\n"),
        ("charts/app/Chart.yaml", CHART_YAML),
        ("charts/app/values.yaml", "a:\n  b: 1\n  c: 2\n  d: {e: 3}\nlist: [1, 2, 3]\nkeep: yes-kept\n"),
        ("values/over.yaml", "a:\n  b: null\n  d: {f: 4}\nlist: [9]\n"),
        ("charts/app/templates/cm.yaml", &configmap("  all: {{quote (toJson values)}}\n  b: {{#if values.a.b}}has-b{{else}}no-b{{/if}}\n")),
    ]);
    let (_, objects) = render_ok(dir.path(), &["render", "-p", "p", "--set", "a.c=null"]);
    let data = &find(&objects, "ConfigMap", "out")["data"];
    assert_eq!(data["b"], "no-b");
    let all: Value = serde_json::from_str(data["all"].as_str().expect("string")).expect("json");
    assert_eq!(
        all,
        json!({"a": {"d": {"e": 3, "f": 4}}, "list": [9], "keep": "yes-kept"})
    );
}

#[test]
fn set_syntax_edge_cases() {
    let dir = workspace(&[
        (
            "profiles/p.yaml",
            "releases:\n  - name: app\n    chart: charts/app\n",
        ),
        ("charts/app/Chart.yaml", CHART_YAML),
        (
            "charts/app/values.yaml",
            "servers: [{name: old, port: 1}]\n",
        ),
        (
            "charts/app/templates/cm.yaml",
            &configmap("  all: {{quote (toJson values)}}\n"),
        ),
        (
            "cert.pem",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        ),
    ]);
    let (_, objects) = render_ok(
        dir.path(),
        &[
            "render",
            "-p",
            "p",
            "--set",
            "servers[1].name=web,servers[1].port=8080",
            "--set",
            r"annotations.example\.com/team=data,int=42,neg=-7,zero=0,lead=007,float=1.5,yes=true,no=FALSE,nil=null,empty=",
            "--set",
            r"list={a,b,c},comma=x\,y",
            "--set-string",
            "str=42,flag=true",
            "--set-file",
            "tls.cert=cert.pem",
        ],
    );
    let data = &find(&objects, "ConfigMap", "out")["data"];
    let all: Value = serde_json::from_str(data["all"].as_str().expect("string")).expect("json");
    assert_eq!(
        all,
        json!({
            // --set replaces the list (as Helm does): index 0 is null, index 1 set.
            "servers": [null, {"name": "web", "port": 8080}],
            "annotations": {"example.com/team": "data"},
            "int": 42, "neg": -7, "zero": 0, "lead": "007", "float": "1.5",
            "yes": true, "no": false, "empty": "",
            // a null with no chart default to delete is kept, as in Helm v4
            "nil": null,
            "list": ["a", "b", "c"], "comma": "x,y",
            "str": "42", "flag": "true",
            "tls": {"cert": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}
        })
    );
}

/// Issue 11's examples through the CLI: user layers merge first (a `null`
/// in an early `-f` does not delete the chart's map for a later one),
/// `--set l[1]=x` edits the `-f` list, `--set-json`/`--set-literal` apply in
/// Helm's order, and a type mismatch warns once, without values.
#[test]
fn user_layers_merge_before_the_chart_as_in_helm() {
    let dir = workspace(&[
        (
            "profiles/p.yaml",
            "releases:\n  - name: app\n    chart: charts/app\n    set: {\"l[2]\": from-release-set}\n  - name: two\n    namespace: two\n    chart: charts/app\n",
        ),
        ("charts/app/Chart.yaml", CHART_YAML),
        ("charts/app/values.yaml", "m: {a: 1, b: 2}\nl: [chart]\nt: {k: secret-default}\nn: null\nr: 2\n"),
        ("one.yaml", "m: null\nl: [a, b, c]\nt: not-a-map\n"),
        ("two.yaml", "m: {c: 3}\n"),
        (
            "charts/app/templates/cm.yaml",
            &configmap("  all: {{quote (toJson values)}}\n  r: \"{{values.r}}\"\n"),
        ),
    ]);
    let out = berth(dir.path())
        .args([
            "render",
            "-p",
            "p",
            "-f",
            "one.yaml",
            "-f",
            "two.yaml",
            "--set",
            "l[1]=x",
            "--set-json",
            r#"j={"k":[1,2]}"#,
            "--set-literal",
            "lit=a,b=c",
        ])
        .success();
    let objects = docs(&out.stdout());
    for object in objects.iter().filter(|o| o["kind"] == "ConfigMap") {
        let all: Value =
            serde_json::from_str(object["data"]["all"].as_str().expect("string")).expect("json");
        assert_eq!(
            all,
            json!({"m": {"a": 1, "b": 2, "c": 3}, "l": ["a", "x", "c"], "t": "not-a-map", "r": 2,
                   "j": {"k": [1, 2]}, "lit": "a,b=c"})
        );
        assert_eq!(object["data"]["r"], "2");
    }
    // A user scalar over a chart map at the top level is silent in Helm.
    assert!(!out.stderr().contains("warning"), "{}", out.stderr());
    // A user map over a chart scalar warns: once for both releases, no value.
    let out = berth(dir.path())
        .args(["render", "-p", "p", "--set", "m=1,r.x=1"])
        .success();
    let stderr = out.stderr();
    let warning = "warning: skipped value for app.r: Not a table.";
    assert_eq!(stderr.matches(warning).count(), 1, "{stderr}");
    assert!(!stderr.contains("secret-default"), "{stderr}");
}

/// Decrypted values keep the types sops stored (`type:int`, `type:float`,
/// `type:bool`, `type:str`): numbers stay numbers — integers pass an
/// `integer` schema although berth holds every file number as a float, as Helm
/// does — booleans stay booleans, and quoted strings stay strings.
#[test]
fn decrypted_values_keep_sops_types() {
    let dir = workspace(&[
        (
            "profiles/p.yaml",
            "releases:\n  - name: app\n    chart: charts/app\n    secrets: [secrets/s.yaml]\n",
        ),
        ("charts/app/Chart.yaml", CHART_YAML),
        (
            "charts/app/values.yaml",
            "count: 0\nf: 0.5\nb: false\ns: x\n",
        ),
        (
            "charts/app/values.schema.json",
            r#"{"type": "object", "properties": {"count": {"type": "integer"}, "f": {"type": "number"}, "b": {"type": "boolean"}, "s": {"type": "string"}}}"#,
        ),
        (
            "charts/app/templates/cm.yaml",
            &configmap("  all: {{quote (toJson values)}}\n"),
        ),
    ]);
    let (key, recipient) = age_key(dir.path(), "key.txt");
    sops_encrypt(
        dir.path(),
        "secrets/s.yaml",
        "count: 5\nf: 1.5\nb: true\ns: \"5\"\n",
        &recipient,
    );
    let encrypted = std::fs::read_to_string(dir.path().join("secrets/s.yaml")).expect("read");
    for tag in ["type:int", "type:float", "type:bool", "type:str"] {
        assert!(encrypted.contains(tag), "sops wrote {tag}");
    }
    let out = berth(dir.path())
        .env("SOPS_AGE_KEY_FILE", &key)
        .args(["render", "-p", "p"])
        .success();
    let objects = docs(&out.stdout());
    let all = find(&objects, "ConfigMap", "out")["data"]["all"]
        .as_str()
        .expect("string")
        .to_string();
    let all: Value = serde_json::from_str(&all).expect("json");
    assert_eq!(all, json!({"count": 5, "f": 1.5, "b": true, "s": "5"}));
}

#[test]
fn set_syntax_errors_name_the_flag() {
    let dir = workspace(&[
        (
            "profiles/p.yaml",
            "releases:\n  - name: app\n    chart: charts/app\n",
        ),
        ("charts/app/Chart.yaml", CHART_YAML),
        ("charts/app/templates/cm.yaml", &configmap("  a: x\n")),
    ]);
    for (arg, needle) in [
        ("novalue", "at character 7: a key has no value"),
        ("a..b=1", "a key ending in `.` has no value"),
        ("a[x]=1", "at character 4: a list index is not an integer"),
        ("a={x", "a list `{…` must end with `}`"),
        ("a=1,a.b=2", "the path needs a map here"),
    ] {
        let out = berth(dir.path())
            .args(["render", "-p", "p", "--set", arg])
            .code(1);
        out.assert_stderr_contains(&["--set", needle]);
    }
    let out = berth(dir.path())
        .args(["render", "-p", "p", "--set-file", "a=missing.txt"])
        .code(1);
    out.assert_stderr_contains(&["--set-file", "missing.txt"]);
}

#[test]
fn schema_failure_names_value_paths_and_masks_values() {
    let dir = workspace(&[
        (
            "profiles/p.yaml",
            "releases:\n  - name: app\n    chart: charts/app\n",
        ),
        ("charts/app/Chart.yaml", CHART_YAML),
        ("charts/app/values.yaml", "replicas: 1\ndb: {port: 5432}\n"),
        (
            "charts/app/values.schema.json",
            r#"{"type": "object", "properties": {"replicas": {"type": "integer"}, "db": {"type": "object", "properties": {"port": {"type": "integer", "maximum": 65535}}}}}"#,
        ),
        (
            "charts/app/templates/cm.yaml",
            &configmap("  r: {{quote values.replicas}}\n"),
        ),
    ]);
    let out = berth(dir.path())
        .args([
            "render",
            "-p",
            "p",
            "--set-string",
            "replicas=hunter2-secret",
            "--set",
            "db.port=70000",
        ])
        .code(1);
    out.assert_stderr_contains(&["values.schema.json", "replicas", "db.port"]);
    out.assert_never_printed(&["hunter2-secret", "70000"]);
    assert!(out.stdout().is_empty(), "nothing rendered on failure");
    // lint reports the same problems
    let out = berth(dir.path())
        .args([
            "lint",
            "-p",
            "p",
            "--set-string",
            "replicas=hunter2-secret",
            "--set",
            "db.port=70000",
        ])
        .code(1);
    out.assert_stderr_contains(&["replicas", "db.port"]);
    out.assert_never_printed(&["hunter2-secret"]);
}

// ---------------------------------------------------------------- templates

#[test]
fn every_helper_in_helm_argument_order() {
    let template = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: out
data:
  toYaml: {{quote (toYaml values.map)}}
  toJson: {{quote (toJson values.map)}}
  indent: {{quote (indent 2 values.multi)}}
  nindent: {{quote (nindent 2 "a")}}
  quote: '{{quote values.str 5}}'
  squote: "{{squote values.str}}"
  default-missing: {{default "gone" values.nope}}
  default-empty: {{default "fallback" values.empty}}
  default-set: {{default "gone" values.str}}
  required: {{required "str is required" values.str}}
  b64enc: {{b64enc values.str}}
  b64dec: {{b64dec "aGVsbG8="}}
  sha256sum: {{sha256sum "abc"}}
  include: {{quote (include "greet" values)}}
  tpl: {{tpl values.template this}}
  trunc: {{trunc 3 "abcdef"}}
  trunc-neg: {{trunc -2 "abcdef"}}
  trimSuffix: {{trimSuffix "-" "name-"}}
  trimPrefix: {{quote (trimPrefix "v" "v1.2")}}
  trim: {{quote (trim "  x  ")}}
  lower: {{lower "ABC"}}
  upper: {{upper "abc"}}
  replace: {{replace "." "-" "a.b.c"}}
  join: {{join "," values.list}}
  concat: {{quote (toJson (concat values.list values.list2))}}
  eq: {{eq values.str "Hello World"}}
  eq-missing: {{eq values.nope "x"}}
  ne: {{ne 1 2}}
  and: {{and true values.str}}
  or: {{or values.nope values.empty "third"}}
  not: {{not values.nope}}
  if-eq: {{#if (eq values.str "Hello World")}}yes{{else}}no{{/if}}
  unless: {{#unless values.nope}}skipped-missing{{/unless}}
  with: {{#with values.nope}}never{{else}}with-else{{/with}}
  each: "{{#each values.list}}{{@index}}={{this}};{{/each}}"
  each-map: "{{#each values.map}}{{@key}}={{this}};{{/each}}"
  each-missing: "{{#each values.nope}}x{{else}}none{{/each}}"
"#;
    let dir = workspace(&[
        ("profiles/p.yaml", "releases:\n  - name: app\n    chart: charts/app\n"),
        ("charts/app/Chart.yaml", CHART_YAML),
        ("charts/app/values.yaml", "str: Hello World\nmulti: \"a\\nb\"\nempty: \"\"\nmap: {b: 2, a: 1}\nlist: [x, \"y\"]\nlist2: [z]\ntemplate: \"{{values.str}} from {{release.name}}\"\n"),
        ("charts/app/templates/_greet.tpl", "hi {{str}}\n"),
        ("charts/app/templates/cm.yaml", template),
    ]);
    let (_, objects) = render_ok(dir.path(), &["render", "-p", "p"]);
    let data = &find(&objects, "ConfigMap", "out")["data"];
    let expect = json!({
        "toYaml": "b: 2\na: 1",
        "toJson": "{\"b\":2,\"a\":1}",
        "indent": "  a\n  b",
        "nindent": "\n  a",
        "quote": "\"Hello World\" \"5\"",
        "squote": "'Hello World'",
        "default-missing": "gone",
        "default-empty": "fallback",
        "default-set": "Hello World",
        "required": "Hello World",
        "b64enc": "SGVsbG8gV29ybGQ=",
        "b64dec": "hello",
        "sha256sum": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "include": "hi Hello World",
        "tpl": "Hello World from app",
        "trunc": "abc",
        "trunc-neg": "ef",
        "trimSuffix": "name",
        "trimPrefix": "1.2",
        "trim": "x",
        "lower": "abc",
        "upper": "ABC",
        "replace": "a-b-c",
        "join": "x,y",
        "concat": "[\"x\",\"y\",\"z\"]",
        "eq": true,
        "eq-missing": false,
        "ne": true,
        "and": "Hello World",
        "or": "third",
        "not": true,
        "if-eq": "yes",
        "unless": "skipped-missing",
        "with": "with-else",
        "each": "0=x;1=y;",
        "each-map": "b=2;a=1;",
        "each-missing": "none",
    });
    for (k, v) in expect.as_object().expect("map") {
        assert_eq!(&data[k], v, "helper {k}: got {}", data[k]);
    }
}

#[test]
fn required_fails_with_the_authors_message() {
    let dir = workspace(&[
        (
            "profiles/p.yaml",
            "releases:\n  - name: app\n    chart: charts/app\n",
        ),
        ("charts/app/Chart.yaml", CHART_YAML),
        (
            "charts/app/templates/cm.yaml",
            &configmap("  a: x\n  img: {{required \"hub.image is required\" values.hub.image}}\n"),
        ),
    ]);
    let out = berth(dir.path()).args(["render", "-p", "p"]).code(1);
    out.assert_stderr_contains(&["charts/app/templates/cm.yaml:7", "hub.image is required"]);
}

#[test]
fn partials_and_inline_partials_are_chart_wide() {
    let dir = workspace(&[
        ("profiles/p.yaml", "releases:\n  - name: app\n    chart: charts/app\n"),
        ("charts/app/Chart.yaml", CHART_YAML),
        ("charts/app/values.yaml", "team: data\n"),
        ("charts/app/templates/_labels.tpl", "app: {{chart.name}}\nteam: {{values.team}}\n"),
        ("charts/app/templates/_helpers.tpl", "{{#*inline \"fullname\"}}{{release.name}}-{{chart.name}}{{/inline}}\n{{#*inline \"selector\"}}\nrelease: {{release.name}}\ntier: web\n{{/inline}}\n"),
        ("charts/app/templates/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{> fullname}}\n  labels:\n    {{> labels}}\ndata:\n  sel: |{{nindent 4 (include \"selector\" this)}}\n"),
        ("charts/app/templates/b.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{> fullname}}-svc\n  labels:\n    {{> labels}}\nspec:\n  selector:\n    {{> selector}}\n---\n# an empty document is dropped\n---\n"),
    ]);
    let (out, objects) = render_ok(dir.path(), &["render", "-p", "p"]);
    assert_eq!(
        objects.len(),
        2,
        "partials render no document: {}",
        out.stdout()
    );
    let cm = find(&objects, "ConfigMap", "app-app");
    assert_eq!(cm["metadata"]["labels"]["team"], "data");
    assert_eq!(cm["metadata"]["labels"]["app"], "app");
    assert_eq!(cm["data"]["sel"], "release: app\ntier: web\n");
    let svc = find(&objects, "Service", "app-app-svc");
    assert_eq!(
        svc["spec"]["selector"],
        json!({"release": "app", "tier": "web"})
    );
}

#[test]
fn strict_missing_value_names_file_line_and_path() {
    let dir = workspace(&[
        ("profiles/p.yaml", "releases:\n  - name: app\n    chart: charts/app\n"),
        ("charts/app/Chart.yaml", CHART_YAML),
        ("charts/app/values.yaml", "image: {repository: nginx}\n"),
        ("charts/app/templates/deploy.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\ndata:\n  image: {{values.image.repository}}:{{values.image.tag}}\n"),
    ]);
    let out = berth(dir.path()).args(["render", "-p", "p"]).code(1);
    out.assert_stderr_contains(&["charts/app/templates/deploy.yaml:6", "values.image.tag"]);
    assert!(out.stdout().is_empty());

    // inside a helper argument, and inside an inline partial (its own file and line)
    write_files(
        dir.path(),
        &[
            ("charts/app/templates/deploy.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\ndata:\n  image: {{quote values.image.tag}}\n"),
        ],
    );
    let out = berth(dir.path()).args(["render", "-p", "p"]).code(1);
    out.assert_stderr_contains(&["deploy.yaml:6", "values.image.tag"]);
    write_files(
        dir.path(),
        &[
            ("charts/app/templates/_helpers.tpl", "{{! helpers }}\n\n{{#*inline \"img\"}}\n{{values.image.digest}}\n{{/inline}}\n"),
            ("charts/app/templates/deploy.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\ndata:\n  image: {{> img}}\n"),
        ],
    );
    let out = berth(dir.path()).args(["render", "-p", "p"]).code(1);
    out.assert_stderr_contains(&["charts/app/templates/_helpers.tpl:4", "values.image.digest"]);

    // a missing value inside `tpl` is reported at the tpl call
    write_files(
        dir.path(),
        &[
            ("charts/app/values.yaml", "image: {repository: nginx}\nurl: \"https://{{values.host}}/\"\n"),
            ("charts/app/templates/deploy.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: out\ndata:\n  url: {{tpl values.url this}}\n"),
        ],
    );
    let out = berth(dir.path()).args(["render", "-p", "p"]).code(1);
    out.assert_stderr_contains(&["charts/app/templates/deploy.yaml:6", "values.host"]);
}

#[test]
fn documents_must_be_kubernetes_objects() {
    let dir = workspace(&[
        (
            "profiles/p.yaml",
            "releases:\n  - name: app\n    chart: charts/app\n",
        ),
        ("charts/app/Chart.yaml", CHART_YAML),
        (
            "charts/app/templates/bad.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\n",
        ),
    ]);
    let out = berth(dir.path()).args(["render", "-p", "p"]).code(1);
    out.assert_stderr_contains(&["charts/app/templates/bad.yaml", "metadata.name"]);
}

#[test]
fn objects_namespaced_labelled_and_in_install_order() {
    let dir = workspace(&[
        ("profiles/p.yaml", "description: Demo profile\nnamespace: team-a\nreleases:\n  - name: app\n    chart: charts/app\n"),
        ("charts/app/Chart.yaml", CHART_YAML),
        ("charts/app/templates/all.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: elsewhere\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Cluster\n  names: {kind: Widget, plural: widgets}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  annotations:\n    profile: {{profile.name}} {{profile.description}}\n"),
    ]);
    let (_, objects) = render_ok(dir.path(), &["render", "-p", "p"]);
    let kinds: Vec<&str> = objects
        .iter()
        .map(|o| o["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "ConfigMap",
            "CustomResourceDefinition",
            "ClusterRole",
            "Service",
            "Deployment",
            "Widget"
        ]
    );
    for o in &objects {
        let labels = &o["metadata"]["labels"];
        assert_eq!(labels["app.kubernetes.io/managed-by"], "berth");
        assert_eq!(labels["berth.deploy/release"], "app");
        assert_eq!(labels["berth.deploy/profile"], "p");
    }
    assert_eq!(
        find(&objects, "Deployment", "web")["metadata"]["namespace"],
        "team-a"
    );
    assert_eq!(
        find(&objects, "Service", "web")["metadata"]["namespace"],
        "elsewhere"
    );
    assert_eq!(
        find(&objects, "ClusterRole", "reader")["metadata"].get("namespace"),
        None
    );
    assert_eq!(
        find(&objects, "Namespace", "team-a")["metadata"].get("namespace"),
        None
    );
    assert_eq!(
        find(&objects, "Widget", "w")["metadata"].get("namespace"),
        None
    );
    assert_eq!(
        find(&objects, "ConfigMap", "cfg")["metadata"]["annotations"]["profile"],
        "p Demo profile"
    );
}

// ---------------------------------------------------------------- workspace

#[test]
fn unknown_profile_is_named_with_the_known_ones() {
    let dir = workspace(&[
        ("profiles/jupyter.yaml", "releases: []\n"),
        ("profiles/naas.yaml", "releases: []\n"),
    ]);
    let out = berth(dir.path()).args(["render", "-p", "jupiter"]).code(1);
    out.assert_stderr_contains(&["unknown profile `jupiter`", "jupyter, naas"]);
}

#[test]
fn unknown_keys_are_errors_naming_file_line_and_key() {
    let dir = workspace(&[
        ("profiles/p.yaml", "description: x\nreleases:\n  - name: app\n    chart: charts/app\n    valuez: [values/a.yaml]\n"),
        ("charts/app/Chart.yaml", CHART_YAML),
    ]);
    let out = berth(dir.path()).args(["render", "-p", "p"]).code(1);
    out.assert_stderr_contains(&["profiles/p.yaml", "valuez", "line 5"]);

    write_files(
        dir.path(),
        &[
            (
                "profiles/p.yaml",
                "releases:\n  - name: app\n    chart: charts/app\n",
            ),
            (
                "charts/app/Chart.yaml",
                "apiVersion: v2\nname: app\nversion: 0.1.0\ndependancies: []\nannotations:\n  berth.deploy/engine: handlebars\n",
            ),
            ("charts/app/templates/cm.yaml", &configmap("  a: b\n")),
        ],
    );
    let out = berth(dir.path()).args(["render", "-p", "p"]).code(1);
    out.assert_stderr_contains(&["charts/app/Chart.yaml", "dependancies", "line 4"]);

    write_files(
        dir.path(),
        &[
            ("charts/app/Chart.yaml", CHART_YAML),
            ("berth.yaml", "historyLimit: 5\nfieldManger: me\n"),
        ],
    );
    let out = berth(dir.path()).args(["render", "-p", "p"]).code(1);
    out.assert_stderr_contains(&["berth.yaml", "fieldManger", "line 2"]);
}

#[test]
fn needs_cycle_and_unknown_need_name_the_releases() {
    let dir = workspace(&[
        ("profiles/p.yaml", "releases:\n  - name: a\n    chart: charts/app\n    needs: [c]\n  - name: b\n    chart: charts/app\n    needs: [a]\n  - name: c\n    chart: charts/app\n    needs: [b]\n"),
        ("profiles/q.yaml", "releases:\n  - name: a\n    chart: charts/app\n    needs: [ghost]\n"),
        ("charts/app/Chart.yaml", CHART_YAML),
    ]);
    let out = berth(dir.path()).args(["render", "-p", "p"]).code(1);
    out.assert_stderr_contains(&["cycle", "a → c → b → a"]);
    let out = berth(dir.path()).args(["render", "-p", "q"]).code(1);
    out.assert_stderr_contains(&["`a` needs `ghost`"]);
}

#[test]
fn needs_order_releases() {
    let dir = workspace(&[
        ("profiles/p.yaml", "releases:\n  - name: web\n    chart: charts/app\n    needs: [db, cache]\n  - name: cache\n    chart: charts/app\n  - name: db\n    chart: charts/app\n    needs: [cache]\n"),
        ("charts/app/Chart.yaml", CHART_YAML),
        ("charts/app/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{release.name}}\n"),
    ]);
    let (_, objects) = render_ok(dir.path(), &["render", "-p", "p"]);
    let names: Vec<&str> = objects
        .iter()
        .map(|o| o["metadata"]["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["cache", "db", "web"]);
}

#[test]
fn multi_profile_conflict_and_agreement() {
    let dir = workspace(&[
        ("profiles/a.yaml", "namespace: ns\nreleases:\n  - name: web\n    chart: charts/app\n    set: {replicas: 1}\n  - name: shared\n    chart: charts/app\n"),
        ("profiles/b.yaml", "namespace: ns\nreleases:\n  - name: web\n    chart: charts/app\n    set: {replicas: 3}\n"),
        ("profiles/c.yaml", "namespace: ns\nreleases:\n  - name: shared\n    chart: charts/app\n  - name: other\n    chart: charts/app\n"),
        ("charts/app/Chart.yaml", CHART_YAML),
        ("charts/app/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{release.name}}\n"),
    ]);
    let out = berth(dir.path()).args(["render", "-p", "a,b"]).code(1);
    out.assert_stderr_contains(&["release `web`", "`a`", "`b`"]);
    // releases the profiles agree on are rendered once; -p a -p c is the same as -p a,c
    let (_, objects) = render_ok(dir.path(), &["render", "-p", "a", "-p", "c"]);
    let names: Vec<&str> = objects
        .iter()
        .map(|o| o["metadata"]["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["web", "shared", "other"]);
}

#[test]
fn extends_inherits_releases_values_and_overlays() {
    let dir = workspace(&[
        ("profiles/base.yaml", "description: Base\nnamespace: base-ns\nvalues: [values/base.yaml]\nreleases:\n  - name: web\n    chart: charts/app\n"),
        ("profiles/small.yaml", "description: Small\nextends: [base]\nnamespace: small-ns\nvalues: [values/small.yaml]\nreleases:\n  - name: web\n    set: {size: overlay}\n"),
        ("values/base.yaml", "size: base\ncolour: blue\n"),
        ("values/small.yaml", "size: small\n"),
        ("charts/app/Chart.yaml", CHART_YAML),
        ("charts/app/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{release.name}}\ndata:\n  size: {{values.size}}\n  colour: {{values.colour}}\n  profile: {{profile.name}}\n"),
    ]);
    let (_, objects) = render_ok(dir.path(), &["render", "-p", "small"]);
    let cm = find(&objects, "ConfigMap", "web");
    assert_eq!(
        cm["data"],
        json!({"size": "overlay", "colour": "blue", "profile": "small"})
    );
    assert_eq!(cm["metadata"]["namespace"], "small-ns");
}

#[test]
fn undecryptable_secrets_stop_the_render_naming_the_file() {
    let dir = workspace(&[
        (
            "profiles/p.yaml",
            "releases:\n  - name: app\n    chart: charts/app\n    secrets: [secrets/app.yaml]\n",
        ),
        ("charts/app/Chart.yaml", CHART_YAML),
        ("charts/app/values.yaml", "password: \"\"\n"),
        (
            "charts/app/templates/cm.yaml",
            &configmap("  password: {{quote values.password}}\n"),
        ),
    ]);
    let (_, recipient) = age_key(dir.path(), "other-key.txt");
    sops_encrypt(
        dir.path(),
        "secrets/app.yaml",
        "password: s3cr3t-never-shown\n",
        &recipient,
    );
    // no identity given: the file cannot be decrypted
    let out = berth(dir.path()).args(["render", "-p", "p"]).code(1);
    out.assert_stderr_contains(&["secrets/app.yaml"]);
    assert!(
        out.stdout().is_empty(),
        "nothing rendered: {}",
        out.stdout()
    );
    out.assert_never_printed(&["s3cr3t-never-shown"]);
    // a wrong identity neither
    let (wrong, _) = age_key(dir.path(), "wrong-key.txt");
    let out = berth(dir.path())
        .env("SOPS_AGE_KEY_FILE", &wrong)
        .args(["render", "-p", "p"])
        .code(1);
    out.assert_stderr_contains(&["secrets/app.yaml"]);
    assert!(out.stdout().is_empty());
    // and lint reports it too
    let out = berth(dir.path()).args(["lint", "-p", "p"]).code(1);
    out.assert_stderr_contains(&["secrets/app.yaml"]);
}

#[test]
fn git_facts_reach_templates() {
    let dir = workspace(&[
        ("profiles/p.yaml", "releases:\n  - name: app\n    chart: charts/app\n"),
        ("charts/app/Chart.yaml", CHART_YAML),
        ("charts/app/templates/cm.yaml", &configmap("  tag: \"{{values.image}}:{{git.shortSha}}\"\n  sha: \"{{git.sha}}\"\n  gittag: \"{{git.tag}}\"\n  dirty: \"{{git.dirty}}\"\n")),
        ("charts/app/values.yaml", "image: registry.example.org/app\n"),
    ]);
    let repo = git2::Repository::init(dir.path()).expect("git init");
    let mut index = repo.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.write().expect("write index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("find tree");
    let sig = git2::Signature::now("Test", "test@example.org").expect("signature");
    let commit = repo
        .commit(Some("HEAD"), &sig, &sig, "initial", &tree, &[])
        .expect("commit");
    let object = repo.find_object(commit, None).expect("object");
    repo.tag_lightweight("v1.0.0", &object, false).expect("tag");
    // .home is created by the harness inside the repo: ignore it so the tree stays clean
    std::fs::write(dir.path().join(".git/info/exclude"), ".home/\n").expect("exclude");

    let (_, objects) = render_ok(dir.path(), &["render", "-p", "p"]);
    let data = &find(&objects, "ConfigMap", "out")["data"];
    let sha = commit.to_string();
    assert_eq!(
        data["tag"],
        format!("registry.example.org/app:{}", &sha[..7])
    );
    assert_eq!(data["sha"], sha);
    assert_eq!(data["gittag"], "v1.0.0");
    assert_eq!(data["dirty"], "false");
}

// ---------------------------------------------------------------- commands

#[test]
fn lint_reports_every_problem() {
    let dir = workspace(&[
        ("profiles/p.yaml", "releases:\n  - name: one\n    chart: charts/one\n  - name: two\n    chart: charts/two\n"),
        ("charts/one/Chart.yaml", "apiVersion: v2\nname: one\nversion: 0.1.0\nannotations:\n  berth.deploy/engine: handlebars\n"),
        ("charts/one/templates/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one-a\ndata:\n  a: {{values.missingA}}\n"),
        ("charts/one/templates/b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one-b\ndata:\n  b: {{values.missingB}}\n"),
        ("charts/two/Chart.yaml", "apiVersion: v2\nname: two\nversion: 0.1.0\nannotations:\n  berth.deploy/engine: handlebars\n"),
        ("charts/two/values.schema.json", r#"{"type": "object", "required": ["port"]}"#),
        ("charts/two/templates/a.yaml", &configmap("  a: x\n")),
    ]);
    let out = berth(dir.path()).args(["lint", "-p", "p"]).code(1);
    out.assert_stderr_contains(&["values.missingA", "values.missingB", "port", "3 problem"]);

    let out = berth(dir.path())
        .args(["lint", "-p", "p", "--output", "json"])
        .code(1);
    let report: Value = serde_json::from_str(&out.stdout()).expect("lint json");
    assert_eq!(report["ok"], false);
    assert_eq!(report["problems"].as_array().expect("problems").len(), 3);

    write_files(
        dir.path(),
        &[
            ("charts/one/values.yaml", "missingA: 1\nmissingB: 2\n"),
            ("charts/two/values.yaml", "port: 80\n"),
        ],
    );
    berth(dir.path()).args(["lint", "-p", "p"]).success();
}

#[test]
fn render_to_directory_and_json() {
    let dir = workspace(&[
        ("profiles/p.yaml", "namespace: ns\nreleases:\n  - name: web\n    chart: charts/app\n  - name: api\n    chart: charts/app\n    needs: [web]\n"),
        ("charts/app/Chart.yaml", CHART_YAML),
        ("charts/app/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{release.name}}\n"),
    ]);
    let out = berth(dir.path())
        .args(["render", "-p", "p", "-o", "out"])
        .success();
    assert!(out.stdout().is_empty());
    let web = std::fs::read_to_string(dir.path().join("out/web.yaml")).expect("web.yaml");
    let api = std::fs::read_to_string(dir.path().join("out/api.yaml")).expect("api.yaml");
    assert_eq!(
        find(&docs(&web), "ConfigMap", "web")["metadata"]["namespace"],
        "ns"
    );
    assert_eq!(docs(&api).len(), 1);

    let out = berth(dir.path())
        .args(["render", "-p", "p", "--output", "json"])
        .success();
    let doc: Value = serde_json::from_str(&out.stdout()).expect("one JSON document");
    assert_eq!(doc["profiles"], json!(["p"]));
    let releases = doc["releases"].as_array().expect("releases");
    assert_eq!(releases[0]["name"], "web");
    assert_eq!(releases[1]["needs"], json!(["web"]));
    assert_eq!(
        releases[0]["chart"],
        json!({"name": "app", "version": "0.1.0"})
    );
    let obj = &releases[0]["objects"][0];
    assert_eq!(obj["kind"], "ConfigMap");
    assert_eq!(obj["apiVersion"], "v1");
    assert_eq!(obj["namespace"], "ns");
    assert_eq!(obj["source"], "charts/app/templates/cm.yaml");
    assert_eq!(obj["object"]["metadata"]["name"], "web");
    for key in ["sha", "shortSha", "tag", "branch", "dirty"] {
        assert!(doc["git"].get(key).is_some(), "git.{key}");
    }
}

#[test]
fn profiles_lists_descriptions_and_releases() {
    let dir = workspace(&[
        ("profiles/base.yaml", "description: The base\nnamespace: b\nreleases:\n  - name: web\n    chart: charts/app\n"),
        ("profiles/more.yaml", "description: More things\nextends: [base]\nreleases:\n  - name: api\n    chart: charts/app\n    needs: [web]\n"),
    ]);
    let out = berth(dir.path()).args(["profiles"]).success();
    let text = out.stdout();
    assert!(text.contains("base") && text.contains("The base"), "{text}");
    assert!(
        text.contains("More things") && text.contains("api"),
        "{text}"
    );

    // a profile meant to be combined (its `needs` are in another profile) still lists
    write_files(
        dir.path(),
        &[("profiles/zaddon.yaml", "description: Add-on\nreleases:\n  - name: addon\n    chart: charts/app\n    needs: [web]\n")],
    );
    let out = berth(dir.path())
        .args(["profiles", "--output", "json"])
        .success();
    let doc: Value = serde_json::from_str(&out.stdout()).expect("json");
    assert_eq!(doc["profiles"][2]["releases"][0]["needs"], json!(["web"]));
    let more = &doc["profiles"][1];
    assert_eq!(more["name"], "more");
    assert_eq!(more["description"], "More things");
    assert_eq!(more["extends"], json!(["base"]));
    assert_eq!(
        more["releases"][1],
        json!({"name": "api", "namespace": "b", "chart": "charts/app", "needs": ["web"]})
    );
}

#[test]
fn workspace_found_from_a_subdirectory_or_flag() {
    let dir = workspace(&[
        (
            "profiles/p.yaml",
            "releases:\n  - name: app\n    chart: charts/app\n",
        ),
        ("charts/app/Chart.yaml", CHART_YAML),
        ("charts/app/templates/cm.yaml", &configmap("  a: b\n")),
    ]);
    let sub = dir.path().join("charts/app/templates");
    let (_, objects) = render_ok(&sub, &["render", "-p", "p"]);
    assert_eq!(objects.len(), 1);
    let elsewhere = tempdir();
    let root = dir.path().to_string_lossy().into_owned();
    let (_, objects) = render_ok(
        elsewhere.path(),
        &["--workspace", &root, "render", "-p", "p"],
    );
    assert_eq!(objects.len(), 1);
    let out = berth(elsewhere.path()).args(["render", "-p", "p"]).code(1);
    out.assert_stderr_contains(&["no berth workspace"]);
}

// ---------------------------------------------------------------- the demo workspace

/// A copy of the repository's demo workspace.
fn demo() -> tempfile::TempDir {
    let dir = tempdir();
    let root = harness::repo_root();
    for d in ["profiles", "charts", "values", "secrets"] {
        copy_tree(&root.join(d), &dir.path().join(d));
    }
    for f in ["berth.yaml", ".sops.yaml"] {
        std::fs::copy(root.join(f), dir.path().join(f)).expect("copy demo file");
    }
    dir
}

fn demo_render(dir: &Path, profile: &str) -> String {
    berth(dir)
        .env("SOPS_AGE_KEY_FILE", "secrets/demo.agekey")
        .args(["render", "-p", profile])
        .success()
        .stdout()
}

#[test]
fn demo_secrets_files_are_sops_encrypted() {
    let root = harness::repo_root().join("secrets");
    for entry in std::fs::read_dir(&root).expect("secrets dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "agekey") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.contains("\nsops:\n") && text.contains("ENC[AES256_GCM"),
            "{} is not SOPS-encrypted",
            path.display()
        );
    }
}

#[test]
fn demo_renders_valid_deterministic_jupyter_and_platform() {
    let dir = demo();
    for profile in ["jupyter", "platform", "naas", "dev"] {
        let first = demo_render(dir.path(), profile);
        let second = demo_render(dir.path(), profile);
        assert_eq!(
            first, second,
            "{profile}: render is not byte-for-byte deterministic"
        );
        let objects = docs(&first);
        assert!(!objects.is_empty());
        for o in &objects {
            for key in ["apiVersion", "kind"] {
                assert!(
                    o[key].as_str().is_some_and(|s| !s.is_empty()),
                    "{key} in {o}"
                );
            }
            assert!(o["metadata"]["name"].as_str().is_some());
            assert_eq!(o["metadata"]["labels"]["berth.deploy/profile"], profile);
        }
    }
    let objects = docs(&demo_render(dir.path(), "jupyter"));
    // hub after proxy (needs), and within each release install order
    let summary: Vec<String> = objects
        .iter()
        .map(|o| {
            format!(
                "{}/{}/{}",
                o["metadata"]["labels"]["berth.deploy/release"]
                    .as_str()
                    .unwrap_or(""),
                o["kind"].as_str().unwrap_or(""),
                o["metadata"]["name"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "proxy/Secret/proxy-token",
            "proxy/Service/proxy-api",
            "proxy/Service/proxy-public",
            "proxy/Deployment/proxy",
            "proxy/Ingress/jupyterhub",
            "hub/ServiceAccount/hub",
            "hub/Secret/hub",
            "hub/ConfigMap/hub-config",
            "hub/PersistentVolumeClaim/hub-db-dir",
            "hub/Role/hub",
            "hub/RoleBinding/hub",
            "hub/Service/hub",
            "hub/Deployment/hub",
        ]
    );
    let config = find(&objects, "ConfigMap", "hub-config")["data"]["jupyterhub_config.py"]
        .as_str()
        .expect("hub config");
    assert!(
        config.contains("\"display_name\": \"Small\"") && config.contains("\"cpu_limit\": 1.5"),
        "{config}"
    );
    let hub = find(&objects, "Deployment", "hub");
    assert_eq!(hub["metadata"]["namespace"], "jupyter");
    assert_eq!(
        hub["spec"]["template"]["spec"]["containers"][0]["image"],
        "quay.io/jupyterhub/k8s-hub:4.1.0"
    );

    let platform = docs(&demo_render(dir.path(), "platform"));
    let naas = find(&platform, "Deployment", "naas");
    let env = naas["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .expect("env");
    let names: Vec<&str> = env
        .iter()
        .map(|e| e["name"].as_str().unwrap_or(""))
        .collect();
    for want in [
        "NAAS_RUNNER_PORT",
        "PUBLIC_PROXY_API",
        "JUPYTERHUB_URL",
        "SCREENSHOT_API",
        "NOTIFICATIONS_API",
        "NAAS_SENTRY_DSN",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    // the hub deploys before naas in the platform profile
    let release_order: Vec<&str> = platform
        .iter()
        .map(|o| {
            o["metadata"]["labels"]["berth.deploy/release"]
                .as_str()
                .unwrap_or("")
        })
        .collect();
    let last_hub = release_order
        .iter()
        .rposition(|r| *r == "hub")
        .expect("hub");
    let first_naas = release_order
        .iter()
        .position(|r| *r == "naas")
        .expect("naas");
    assert!(last_hub < first_naas, "{release_order:?}");
}

#[test]
fn demo_lints_clean() {
    let dir = demo();
    berth(dir.path())
        .env("SOPS_AGE_KEY_FILE", "secrets/demo.agekey")
        .args(["lint", "-p", "platform,dev"])
        .code(1) // platform and dev define the same releases differently: a conflict
        .assert_stderr_contains(&["defined differently"]);
    for p in ["jupyter", "naas", "platform", "dev"] {
        berth(dir.path())
            .env("SOPS_AGE_KEY_FILE", "secrets/demo.agekey")
            .args(["lint", "-p", p])
            .success();
    }
}

#[test]
fn extends_cycle_and_inherited_conflict_are_errors() {
    let dir = workspace(&[
        ("profiles/a.yaml", "extends: [b]\nreleases: []\n"),
        ("profiles/b.yaml", "extends: [a]\nreleases: []\n"),
        (
            "profiles/x.yaml",
            "releases:\n  - name: web\n    chart: charts/app\n    set: {n: 1}\n",
        ),
        (
            "profiles/y.yaml",
            "releases:\n  - name: web\n    chart: charts/app\n    set: {n: 2}\n",
        ),
        ("profiles/xy.yaml", "extends: [x, y]\n"),
        ("charts/app/Chart.yaml", CHART_YAML),
    ]);
    let out = berth(dir.path()).args(["render", "-p", "a"]).code(1);
    out.assert_stderr_contains(&["extends itself", "a → b → a"]);
    let out = berth(dir.path()).args(["render", "-p", "xy"]).code(1);
    out.assert_stderr_contains(&["profiles/xy.yaml", "`web`", "inherited differently"]);
}
