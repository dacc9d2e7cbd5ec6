//! `berth template` against Helm v4's own engine, byte for byte: every chart
//! under `tests/charts/helm/` (charts written for these tests), with no
//! values and with each of its `ci/*.yaml` value files, rendered by the real
//! `berth` binary and by Helm's SDK. Helm's expected text is its release
//! manifest plus its hooks, assembled as `helm template` prints them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::support::harness::{berth, repo_root};

fn charts_dir() -> PathBuf {
    repo_root().join("tests/charts/helm")
}

/// Every (chart dir, optional values file) case.
fn cases() -> Vec<(PathBuf, Option<PathBuf>)> {
    let mut charts: Vec<PathBuf> = std::fs::read_dir(charts_dir())
        .expect("tests/charts/helm exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Chart.yaml").is_file())
        .collect();
    charts.sort();
    let mut cases = Vec::new();
    for chart in charts {
        cases.push((chart.clone(), None));
        let ci = chart.join("ci");
        if ci.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&ci)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                .collect();
            files.sort();
            cases.extend(files.into_iter().map(|f| (chart.clone(), Some(f))));
        }
    }
    cases
}

/// What `helm template rel CHART -n ns [-f FILE]` prints, from Helm's SDK.
fn helm_template(chart: &Path, values: Option<&Path>) -> Result<String, String> {
    helm_template_named("rel", chart, values)
}

/// What `helm template NAME CHART -n ns [-f FILE]` prints, from Helm's SDK.
fn helm_template_named(name: &str, chart: &Path, values: Option<&Path>) -> Result<String, String> {
    let user_values = match values {
        Some(file) => {
            helm_oracle::oracle().values_from_yaml(&std::fs::read_to_string(file).unwrap())?
        }
        None => json!(null),
    };
    helm_template_with_name(name, chart, user_values)
}

/// What `helm template rel CHART -n ns` prints with `user_values` (the
/// user-supplied values, `null` for none), from Helm's SDK: its release
/// manifest plus its hooks, as `helm template` prints them.
pub(crate) fn helm_template_with(
    chart: &Path,
    user_values: serde_json::Value,
) -> Result<String, String> {
    helm_template_with_name("rel", chart, user_values)
}

/// [`helm_template_with`] for release `name`.
fn helm_template_with_name(
    name: &str,
    chart: &Path,
    user_values: serde_json::Value,
) -> Result<String, String> {
    let mut helm = helm_oracle::oracle();
    let answer = helm.template(
        chart,
        json!({"name": name, "namespace": "ns", "values": user_values}),
    )?;
    let files: BTreeMap<String, String> = answer["files"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| !k.ends_with("NOTES.txt"))
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let (hooks, _) =
        berth::manifest::helm::sort_manifests(&files).map_err(|e| format!("hooks: {e}"))?;
    let mut text = format!("{}\n", answer["manifest"].as_str().unwrap().trim());
    for h in hooks {
        text.push_str(&format!("---\n# Source: {}\n{}\n", h.source, h.content));
    }
    Ok(text)
}

pub(crate) fn first_difference(a: &str, b: &str) -> String {
    let (al, bl): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    for i in 0..al.len().max(bl.len()) {
        let (x, y) = (al.get(i), bl.get(i));
        if x != y {
            return format!("line {}:\n  berth: {:?}\n  helm:  {:?}", i + 1, x, y);
        }
    }
    "texts differ only in their final newline".into()
}

#[test]
fn berth_template_matches_helm_byte_for_byte() {
    let cases = cases();
    assert!(cases.len() >= 20, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for (chart, values) in &cases {
        let label = format!(
            "{}{}",
            chart.file_name().unwrap().to_string_lossy(),
            values
                .as_ref()
                .map(|v| format!(" -f {}", v.file_name().unwrap().to_string_lossy()))
                .unwrap_or_default()
        );
        let want = helm_template(chart, values.as_deref())
            .unwrap_or_else(|e| panic!("{label}: Helm refused it: {e}"));
        let tmp = tempfile::tempdir().unwrap();
        let mut run = berth(tmp.path()).args([
            "template",
            "rel",
            chart.to_str().unwrap(),
            "-n",
            "ns",
            "--show-secrets",
        ]);
        if let Some(v) = values {
            run = run.args(["-f", v.to_str().unwrap()]);
        }
        let out = run.output();
        let got = out.stdout();
        if out.exit_code() != 0 {
            failures.push(format!("{label}: berth failed: {}", out.stderr()));
        } else if got != want {
            failures.push(format!("{label}: {}", first_difference(&got, &want)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Helm:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Whether every field of `want` is in `got` with the same value; the
/// metadata that berth adds to a release's objects (namespace, its
/// release/profile labels, annotations) may be extra in `got`.
fn contains(got: &serde_json::Value, want: &serde_json::Value) -> bool {
    match (got, want) {
        (serde_json::Value::Object(g), serde_json::Value::Object(w)) => w
            .iter()
            .all(|(k, v)| g.get(k).is_some_and(|gv| contains(gv, v))),
        (g, w) => g == w,
    }
}

#[test]
fn a_workspace_release_renders_a_helm_chart_as_helm_does() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    crate::support::harness::copy_tree(
        &charts_dir().join("basic-app"),
        &ws.join("charts/basic-app"),
    );
    std::fs::create_dir_all(ws.join("profiles")).unwrap();
    std::fs::write(
        ws.join("profiles/web.yaml"),
        "namespace: ns\nreleases:\n  - name: rel\n    chart: charts/basic-app\n    values: [charts/basic-app/ci/full-values.yaml]\n",
    )
    .unwrap();
    let rendered = berth(ws)
        .args(["render", "-p", "web", "--show-secrets"])
        .success()
        .stdout();
    let templated = berth(ws)
        .args([
            "template",
            "rel",
            "charts/basic-app",
            "-n",
            "ns",
            "-f",
            "charts/basic-app/ci/full-values.yaml",
            "--show-secrets",
        ])
        .success()
        .stdout();
    let parse = |text: &str| -> Vec<serde_json::Value> {
        berth::manifest::helm::split_manifests(text)
            .iter()
            .filter_map(|d| serde_yaml_ng::from_str::<serde_json::Value>(d).ok())
            .filter(|v| v.is_object())
            .collect()
    };
    let (objects, helm) = (parse(&rendered), parse(&templated));
    assert_eq!(
        objects.len(),
        helm.len(),
        "render:\n{rendered}\ntemplate:\n{templated}"
    );
    for want in &helm {
        let same = objects.iter().any(|o| contains(o, want));
        assert!(
            same,
            "berth render lacks or changes {want:#}\nrender:\n{rendered}"
        );
    }
    // Helm's own label stays: a release moved from Helm keeps its labels.
    assert!(rendered.contains("app.kubernetes.io/managed-by: Helm"));
    assert!(rendered.contains("berth.deploy/release: rel"));
}

#[test]
fn lint_strict_reports_values_a_helm_chart_reads_but_nobody_set() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    std::fs::create_dir_all(ws.join("profiles")).unwrap();
    std::fs::create_dir_all(ws.join("charts/app/templates")).unwrap();
    std::fs::write(
        ws.join("profiles/p.yaml"),
        "releases:\n  - name: app\n    chart: charts/app\n",
    )
    .unwrap();
    std::fs::write(
        ws.join("charts/app/Chart.yaml"),
        "apiVersion: v2\nname: app\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(ws.join("charts/app/values.yaml"), "image: nginx\n").unwrap();
    std::fs::write(
        ws.join("charts/app/templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  image: {{ .Values.image | quote }}\n  tag: {{ .Values.tagNobodySet | quote }}\n",
    )
    .unwrap();
    // As in Helm, an unset value renders empty...
    berth(ws).args(["lint", "-p", "p"]).success();
    // ...and --strict names it.
    let out = berth(ws).args(["lint", "-p", "p", "--strict"]).code(1);
    out.assert_stderr_contains(&["tagNobodySet"]);
}

#[test]
fn helm_chart_manifests_read_as_kubernetes_clients_read_them() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    std::fs::create_dir_all(ws.join("profiles")).unwrap();
    std::fs::create_dir_all(ws.join("charts/app/templates")).unwrap();
    std::fs::write(
        ws.join("profiles/p.yaml"),
        "releases:\n  - name: app\n    chart: charts/app\n",
    )
    .unwrap();
    std::fs::write(
        ws.join("charts/app/Chart.yaml"),
        "apiVersion: v2\nname: app\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        ws.join("charts/app/templates/pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  automountServiceAccountToken: yes\n  volumes:\n    - name: c\n      configMap:\n        name: c\n        defaultMode: 0644\n  containers:\n    - name: c\n      image: x\n      ports:\n        - containerPort: 8080\n",
    )
    .unwrap();
    let out = berth(ws)
        .args(["render", "-p", "p", "--output", "json"])
        .success();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout()).expect("render --output json");
    let text = doc.to_string();
    // YAML 1.1, as Helm's client sends it: 0644 is octal, yes is true; ints stay ints.
    assert!(text.contains("\"defaultMode\":420"), "{text}");
    assert!(
        text.contains("\"automountServiceAccountToken\":true"),
        "{text}"
    );
    assert!(text.contains("\"containerPort\":8080"), "{text}");
}

#[test]
fn output_dir_writes_each_templates_documents_to_its_own_file() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = charts_dir().join("hooks-and-tests");
    let stdout = berth(tmp.path())
        .args(["template", "rel", chart.to_str().unwrap(), "-n", "ns"])
        .success()
        .stdout();
    let out = berth(tmp.path())
        .args([
            "template",
            "rel",
            chart.to_str().unwrap(),
            "-n",
            "ns",
            "--output-dir",
            "out",
            "--release-name",
        ])
        .success();
    // Documents without the trailing blank lines a file's last one keeps.
    let docs = |text: &str| -> Vec<String> {
        berth::manifest::helm::split_manifests(text)
            .into_iter()
            .map(|d| d.trim_end().to_string())
            .collect()
    };
    let printed = docs(&stdout);
    let mut from_files = Vec::new();
    let mut seen = Vec::new();
    for line in out.stdout().lines() {
        let path = line.strip_prefix("wrote ").expect("`wrote PATH` lines");
        assert!(
            path.starts_with("out/rel/hooks-and-tests/templates/"),
            "{path}"
        );
        if !seen.contains(&path.to_string()) {
            seen.push(path.to_string());
            from_files.extend(docs(
                &std::fs::read_to_string(tmp.path().join(path)).unwrap(),
            ));
        }
    }
    let mut a = printed.clone();
    let mut b = from_files.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b, "the files hold exactly the printed documents");
    assert_eq!(
        out.stdout().lines().count(),
        printed.len(),
        "one `wrote` line per document"
    );
}

#[test]
fn a_dependency_missing_from_charts_is_refused_as_helm_refuses_it() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("umb");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: umb\nversion: 0.1.0\ndependencies:\n  - name: redis\n    version: 1.x\n    repository: https://charts.example.com\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    )
    .unwrap();
    let helm = helm_oracle::oracle()
        .template(&chart, json!({"name": "rel", "namespace": "ns"}))
        .unwrap_err();
    let common = "found in Chart.yaml, but missing in charts/ directory: redis";
    assert!(helm.contains(common), "{helm}");
    let out = berth(tmp.path())
        .args(["template", "rel", chart.to_str().unwrap()])
        .code(1);
    out.assert_stderr_contains(&["You may need to run 'helm dependency build'", common]);
}

/// `helm template -g CHART` (v4.2.3) still names the release `release-name`:
/// the template command sets that name before `NameAndChart` looks at
/// `--generate-name`. With a NAME as well, Helm refuses the flag.
#[test]
fn generate_name_renders_as_helm_template_does_and_refuses_a_name() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = charts_dir().join("basic-app");
    let want = helm_template_named("release-name", &chart, None).expect("Helm renders basic-app");
    for flag in ["-g", "--generate-name"] {
        let got = berth(tmp.path())
            .args([
                "template",
                flag,
                chart.to_str().unwrap(),
                "-n",
                "ns",
                "--show-secrets",
            ])
            .success()
            .stdout();
        assert!(got == want, "{flag}: {}", first_difference(&got, &want));
    }
    let out = berth(tmp.path())
        .args(["template", "-g", "rel", chart.to_str().unwrap()])
        .code(1);
    out.assert_stderr_contains(&["cannot set --generate-name and also specify a name"]);
    assert_eq!(out.stdout(), "", "nothing printed");
    let out = berth(tmp.path())
        .args(["template", "rel", chart.to_str().unwrap(), "extra", "more"])
        .code(1);
    out.assert_stderr_contains(&[
        "expected at most two arguments, unexpected arguments: extra, more",
    ]);
}
