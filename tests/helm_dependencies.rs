//! Umbrella charts as Helm processes their dependencies at render time
//! (`ProcessDependencies`: conditions, tags, aliases, import-values, library
//! subcharts, globals, schemas, `.tgz` subcharts), compared byte for byte
//! with Helm's SDK over several `--set` value sets; and the charts Helm
//! refuses (bad archives, missing dependencies, bad `Chart.yaml` entries),
//! compared with Helm's error text. Every chart is written for these tests
//! (`tests/charts/helm/deps-*`, `tests/charts/helm/_archive/`); archives are
//! packed here at run time, never committed.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::helm_template::{first_difference, helm_template_with};
use crate::support::harness::{berth, copy_tree, repo_root};

fn charts_dir() -> PathBuf {
    repo_root().join("tests/charts/helm")
}

/// Each chart and the `--set` expressions it renders with ("" for none).
fn cases() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        (
            "deps-conditions",
            vec![
                "",
                "alpha.enabled=false",
                "alpha.inner.enabled=true",
                "beta.enabled=false",
                "beta.enabled=null,global.beta=false",
                "gamma.on=true",
                "delta.mode=true",
                "delta.enabled=true",
            ],
        ),
        (
            "deps-tags",
            vec![
                "",
                "tags.web=true",
                "tags.api=true",
                "tags.extra=false",
                "ops.enabled=true,tags.extra=false",
                "tags.web=yes",
            ],
        ),
        (
            "deps-alias",
            vec![
                "",
                "worker_slow.enabled=false",
                "worker.replicas=3,worker-fast.queue=fast",
            ],
        ),
        (
            "deps-import",
            vec![
                "",
                "dbPort=3333",
                "database.host=null",
                "db.exports.data.dbName=other",
            ],
        ),
        ("deps-library", vec!["", "common.port=9090", "name=api"]),
        (
            "deps-schema",
            vec![
                "",
                "checked.mode=b",
                "optional.enabled=true,optional.port=8080",
            ],
        ),
        (
            "deps-global",
            vec![
                "",
                "global.domain=cli.example",
                "global.image.tag=v2,mid.global.midOnly=no",
            ],
        ),
        ("deps-define-override", vec!["", "twin.x=1"]),
        (
            "deps-nested",
            vec![
                "",
                "mid.enabled=false",
                "mid.leaf.enabled=false",
                "mid.leaf-b.enabled=true",
                "tags.optional=true",
                "mid.leaf-b.enabled=null,tags.optional=true",
            ],
        ),
        (
            "deps-versions",
            vec!["", "renamed.enabled=false", "nomatch.enabled=false"],
        ),
    ]
}

/// Compare `berth template rel CHART -n ns --show-secrets [--set S]` with
/// Helm's SDK for each set; returns one line per difference.
fn compare(chart: &Path, label: &str, sets: &[&str]) -> Vec<String> {
    let mut failures = Vec::new();
    for set in sets {
        let label = if set.is_empty() {
            label.to_string()
        } else {
            format!("{label} --set {set}")
        };
        let user: Value = if set.is_empty() {
            json!(null)
        } else {
            helm_oracle::oracle()
                .strvals("set", set)
                .unwrap_or_else(|e| panic!("{label}: Helm's strvals refused it: {e}"))
        };
        let want = match helm_template_with(chart, user) {
            Ok(text) => text,
            Err(e) => {
                failures.push(format!("{label}: Helm refused it: {e}"));
                continue;
            }
        };
        let tmp = tempfile::tempdir().unwrap();
        let mut run = berth(tmp.path()).args([
            "template",
            "rel",
            chart.to_str().unwrap(),
            "-n",
            "ns",
            "--show-secrets",
        ]);
        if !set.is_empty() {
            run = run.args(["--set", set]);
        }
        let out = run.output();
        if out.exit_code() != 0 {
            failures.push(format!("{label}: berth failed: {}", out.stderr()));
        } else if out.stdout() != want {
            failures.push(format!(
                "{label}: {}",
                first_difference(&out.stdout(), &want)
            ));
        }
    }
    failures
}

#[test]
fn umbrella_charts_render_as_helm_renders_them() {
    let cases = cases();
    let renders: usize = cases.iter().map(|(_, sets)| sets.len()).sum();
    assert!(cases.len() >= 10 && renders >= 40, "{renders} renders");
    let mut failures = Vec::new();
    for (chart, sets) in &cases {
        failures.extend(compare(&charts_dir().join(chart), chart, sets));
    }
    assert!(
        failures.is_empty(),
        "{} of {renders} renders differ from Helm:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `dir` packed as `helm package` lays it out: every file under `NAME/`, in
/// lexical order, gzip'd.
fn pack(dir: &Path, name: &str) -> Vec<u8> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            let name = format!("{rel}/{}", p.file_name().unwrap().to_string_lossy());
            if p.is_dir() {
                walk(&p, &name, out);
            } else {
                out.push((name, p));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, name, &mut files);
    let entries: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|(n, p)| (n, std::fs::read(p).unwrap()))
        .collect();
    gzip_tar(&entries)
}

/// A gzip'd tar of `entries`, names written verbatim (even unsafe ones).
fn gzip_tar(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        builder.append(&header, data.as_slice()).unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}

/// The archive umbrella in `tmp/umbrella`, its `packed` subchart as
/// `charts/packed-0.1.0.tgz`.
fn archive_umbrella(tmp: &Path) -> PathBuf {
    let src = charts_dir().join("_archive");
    let umbrella = tmp.join("umbrella");
    copy_tree(&src.join("umbrella"), &umbrella);
    std::fs::write(
        umbrella.join("charts/packed-0.1.0.tgz"),
        pack(&src.join("packed"), "packed"),
    )
    .unwrap();
    umbrella
}

#[test]
fn tgz_subcharts_and_packaged_charts_render_as_helm_renders_them() {
    let tmp = tempfile::tempdir().unwrap();
    let umbrella = archive_umbrella(tmp.path());
    let sets = [
        "",
        "packed.enabled=false",
        "tags.copies=false",
        "packed-copy.greeting=copy,packed.inner.depth=3",
    ];
    let mut failures = compare(&umbrella, "umbrella (tgz subchart)", &sets);
    // The whole umbrella packed: `berth template rel umbrella-2.0.0.tgz`.
    let whole = tmp.path().join("umbrella-2.0.0.tgz");
    std::fs::write(&whole, pack(&umbrella, "umbrella")).unwrap();
    failures.extend(compare(&whole, "umbrella-2.0.0.tgz", &sets[..2]));
    assert!(
        failures.is_empty(),
        "{} renders differ from Helm:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // --include-crds reaches into the archive's crds/.
    let out = berth(tmp.path())
        .args([
            "template",
            "rel",
            umbrella.to_str().unwrap(),
            "--include-crds",
        ])
        .success()
        .stdout();
    assert!(
        out.contains("# Source: umbrella/charts/packed/crds/widget.yaml"),
        "{out}"
    );
}

/// A chart `name` in `dir` with `Chart.yaml` `extra` lines.
fn chart(dir: &Path, name: &str, extra: &str) -> PathBuf {
    let d = dir.join(name);
    std::fs::create_dir_all(d.join("templates")).unwrap();
    std::fs::write(
        d.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: 1.0.0\n{extra}"),
    )
    .unwrap();
    d
}

const SUB_CHART_YAML: &[u8] = b"apiVersion: v2\nname: sub\nversion: 1.0.0\n";

/// Charts Helm refuses, each built in `tmp`: (case, chart path).
fn refused(tmp: &Path) -> Vec<(&'static str, PathBuf)> {
    let dep = "dependencies:\n  - name: sub\n    version: 1.0.0\n";
    let with_archive = |case: &'static str, bytes: Vec<u8>| {
        let c = chart(tmp, case, dep);
        std::fs::create_dir_all(c.join("charts")).unwrap();
        std::fs::write(c.join("charts/sub-1.0.0.tgz"), bytes).unwrap();
        (case, c)
    };
    let entries = |list: &[(&str, &[u8])]| -> Vec<(String, Vec<u8>)> {
        list.iter()
            .map(|(n, d)| (n.to_string(), d.to_vec()))
            .collect()
    };
    let full = gzip_tar(&entries(&[("sub/Chart.yaml", &[b'#'; 4000])]));
    let mut cases = vec![
        with_archive("not-gzip", b"this is not a gzip stream\n".to_vec()),
        with_archive(
            "parent-traversal",
            gzip_tar(&entries(&[
                ("sub/Chart.yaml", SUB_CHART_YAML),
                ("sub/../../escape.yaml", b"x: 1\n"),
            ])),
        ),
        with_archive(
            "absolute-path",
            gzip_tar(&entries(&[
                ("sub/Chart.yaml", SUB_CHART_YAML),
                ("sub//etc/passwd", b"x: 1\n"),
            ])),
        ),
        with_archive("empty-archive", gzip_tar(&[])),
        with_archive(
            "archive-without-chart-yaml",
            gzip_tar(&entries(&[("sub/values.yaml", b"a: 1\n")])),
        ),
        with_archive("truncated-archive", full[..full.len() / 2].to_vec()),
    ];
    let c = chart(tmp, "stray-file-in-charts", "");
    std::fs::create_dir_all(c.join("charts")).unwrap();
    std::fs::write(c.join("charts/README.md"), "not a chart\n").unwrap();
    cases.push(("stray-file-in-charts", c));
    for (case, extra) in [
        (
            "import-values-not-a-list",
            "dependencies:\n  - name: sub\n    version: 1.0.0\n    import-values: data\n",
        ),
        (
            "alias-with-a-dot",
            "dependencies:\n  - name: sub\n    version: 1.0.0\n    alias: bad.alias\n",
        ),
        ("null-dependency", "dependencies:\n  -\n"),
        (
            "dependency-name-a-list",
            "dependencies:\n  - name: [1]\n    version: 1.0.0\n",
        ),
    ] {
        let c = chart(tmp, case, extra);
        chart(&c.join("charts"), "sub", "");
        cases.push((case, c));
    }
    let plain = tmp.join("plain.tgz");
    std::fs::write(&plain, "hello: world\n").unwrap();
    cases.push(("packaged-chart-not-gzip", plain));
    let yaml = tmp.join("values.yaml");
    std::fs::write(&yaml, "hello: world\n").unwrap();
    cases.push(("yaml-given-as-chart", yaml));
    cases
}

#[test]
fn refused_charts_fail_with_helms_error_text() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = refused(tmp.path());
    let mut failures = Vec::new();
    for (case, path) in &cases {
        let helm_error = helm_oracle::oracle()
            .template(path, json!({"name": "rel", "namespace": "ns"}))
            .err()
            .unwrap_or_else(|| panic!("{case}: Helm accepted it"));
        let out = berth(tmp.path())
            .args(["template", "rel", path.to_str().unwrap(), "-n", "ns"])
            .output();
        if out.exit_code() != 1 {
            failures.push(format!("{case}: exit code {}, want 1", out.exit_code()));
        } else if !out.stderr().contains(&helm_error) {
            failures.push(format!(
                "{case}:\n  helm:  {helm_error:?}\n  berth: {:?}",
                out.stderr()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} refused charts differ from Helm:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn a_missing_dependency_is_named_as_helm_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    let c = chart(
        tmp.path(),
        "top",
        "dependencies:\n  - name: ghost\n    version: 1.0.0\n  - name: sub\n    alias: other\n    version: 1.0.0\n",
    );
    chart(&c.join("charts"), "sub", "");
    let helm_error = helm_oracle::oracle()
        .template(&c, json!({"name": "rel", "namespace": "ns"}))
        .expect_err("Helm accepted a missing dependency");
    // The SDK words the first half its own way; `helm template` (and berth)
    // say "an error occurred while checking for chart dependencies...".
    let (_, detail) = helm_error.split_once(": ").unwrap();
    let out = berth(tmp.path())
        .args(["template", "rel", c.to_str().unwrap()])
        .output();
    assert_eq!(out.exit_code(), 1);
    assert!(out.stderr().contains(detail), "{}", out.stderr());
    assert!(out.stderr().contains("helm dependency build"));
}

#[test]
fn a_subchart_schema_is_checked_against_its_own_values_only_when_enabled() {
    let chart = charts_dir().join("deps-schema");
    for (set, file) in [
        (
            "checked.replicas=0",
            "deps-schema/charts/checked/values.schema.json",
        ),
        (
            "checked.mode=c",
            "deps-schema/charts/checked/values.schema.json",
        ),
        (
            "optional.enabled=true",
            "deps-schema/charts/optional/values.schema.json",
        ),
    ] {
        let user = helm_oracle::oracle().strvals("set", set).unwrap();
        let helm_error = helm_template_with(&chart, user)
            .expect_err("Helm accepted values its subchart's schema forbids");
        assert!(
            helm_error.contains("values don't meet the specifications"),
            "{helm_error}"
        );
        let out = berth(&repo_root())
            .args(["template", "rel", chart.to_str().unwrap(), "--set", set])
            .output();
        assert_eq!(out.exit_code(), 1, "{set}: {}", out.stderr());
        let err = out.stderr();
        assert!(
            err.contains("values don't meet the specifications") && err.contains(file),
            "{set}: {err}"
        );
    }
}

#[test]
fn a_workspace_release_processes_dependencies_as_helm_template_does() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    copy_tree(
        &charts_dir().join("deps-nested"),
        &ws.join("charts/deps-nested"),
    );
    std::fs::create_dir_all(ws.join("profiles")).unwrap();
    std::fs::write(
        ws.join("values.yaml"),
        "tags:\n  optional: true\nmid:\n  leaf-b:\n    enabled: null\n",
    )
    .unwrap();
    std::fs::write(
        ws.join("profiles/web.yaml"),
        "namespace: ns\nreleases:\n  - name: rel\n    chart: charts/deps-nested\n    values: [values.yaml]\n",
    )
    .unwrap();
    let rendered = berth(ws)
        .args(["render", "-p", "web", "--show-secrets"])
        .success()
        .stdout();
    let user = helm_oracle::oracle()
        .values_from_yaml(&std::fs::read_to_string(ws.join("values.yaml")).unwrap())
        .unwrap();
    let helm = helm_template_with(&ws.join("charts/deps-nested"), user).unwrap();
    let names = |text: &str| -> Vec<String> {
        let mut n: Vec<String> = berth::manifest::helm::split_manifests(text)
            .iter()
            .filter_map(|d| serde_yaml_ng::from_str::<Value>(d).ok())
            .filter_map(|v| v["metadata"]["name"].as_str().map(String::from))
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&rendered), names(&helm), "render:\n{rendered}");
    assert!(names(&helm).contains(&"rel-leaf-b".to_string()));
}
