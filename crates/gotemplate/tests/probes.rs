//! Differential probes: every `tests/probes/<topic>.txt` holds one template
//! per line (`#` lines and blank lines ignored; `⏎` stands for a newline).
//! Each topic becomes a temporary chart (one template file per probe, plus
//! `<topic>.tpl` as `templates/_helpers.tpl` when present, `.Values` from
//! `<topic>.values.yaml` or `values.yaml`), rendered by Helm v4 (the
//! oracle) and by `gotemplate::helm::render`; outputs must match byte for
//! byte. When Helm fails the whole chart, each probe is rendered alone and
//! the outputs or error texts compared. Probes calling a function this
//! crate does not know yet (sprig's) are counted as not comparable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gotemplate::helm::{render, RenderFile, RenderOptions};
use gotemplate::{FuncMap, Value};
use helm_oracle::oracle;
use serde_json::json;

const CHART: &str = "probes";

fn probes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/probes")
}

/// A values tree as Helm reads files: every number a float64.
fn values_from_json(j: &serde_json::Value) -> Value {
    match j {
        serde_json::Value::Number(n) => Value::Float64(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::Array(items) => {
            Value::list(items.iter().map(values_from_json).collect())
        }
        serde_json::Value::Object(m) => Value::map(
            m.iter()
                .map(|(k, v)| (k.clone(), values_from_json(v)))
                .collect(),
        ),
        other => Value::from_json(other),
    }
}

fn release() -> Value {
    let mut m = BTreeMap::new();
    m.insert("Name".to_string(), Value::str("probe"));
    m.insert("Namespace".to_string(), Value::str("ns"));
    m.insert("Service".to_string(), Value::str("Helm"));
    m.insert("IsInstall".to_string(), Value::Bool(true));
    m.insert("IsUpgrade".to_string(), Value::Bool(false));
    m.insert("Revision".to_string(), Value::Int(1));
    Value::map(m)
}

struct Chart {
    dir: tempfile::TempDir,
}

fn write_chart(values: &str, helpers: Option<&str>, probes: &[(usize, &str)]) -> Chart {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("templates")).expect("templates dir");
    std::fs::write(
        root.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {CHART}\nversion: 0.1.0\n"),
    )
    .expect("Chart.yaml");
    std::fs::write(root.join("values.yaml"), values).expect("values.yaml");
    if let Some(h) = helpers {
        std::fs::write(root.join("templates/_helpers.tpl"), h).expect("helpers");
    }
    for (i, text) in probes {
        std::fs::write(root.join(format!("templates/p{i:03}.yaml")), text).expect("probe");
    }
    Chart { dir }
}

fn file_name(i: usize) -> String {
    format!("{CHART}/templates/p{i:03}.yaml")
}

/// Our render of the chart's files.
fn ours(
    chart: &Chart,
    values: &Value,
    helpers: Option<&str>,
    probes: &[(usize, &str)],
) -> Result<BTreeMap<String, String>, String> {
    let mut top = BTreeMap::new();
    top.insert("Values".to_string(), values.clone());
    top.insert("Release".to_string(), release());
    let data = Value::map(top);
    let base = format!("{CHART}/templates");
    let mut files: Vec<RenderFile> = probes
        .iter()
        .map(|(i, text)| RenderFile {
            name: file_name(*i),
            text: text.to_string(),
            data: data.clone(),
            base_path: base.clone(),
        })
        .collect();
    if let Some(h) = helpers {
        files.push(RenderFile {
            name: format!("{base}/_helpers.tpl"),
            text: h.to_string(),
            data: data.clone(),
            base_path: base.clone(),
        });
    }
    let _ = chart;
    render(&files, functions(), &RenderOptions { strict: false }).map_err(|e| e.to_string())
}

/// The function map Helm renders with: sprig's, then Helm's encoding
/// functions (`include`, `tpl`, `required`, `fail` come from the render loop).
fn functions() -> FuncMap {
    let mut funcs = gotemplate::sprig::functions();
    funcs.extend(gotemplate::encoding::functions());
    funcs
}

fn not_defined_function(err: &str) -> Option<String> {
    let i = err.find("function \"")?;
    let rest = &err[i + 10..];
    let end = rest.find('"')?;
    rest[end..]
        .starts_with("\" not defined")
        .then(|| rest[..end].to_string())
}

#[derive(Default)]
struct Tally {
    compared: usize,
    not_comparable: Vec<String>,
    failures: Vec<String>,
}

fn oracle_render(chart: &Chart) -> Result<BTreeMap<String, String>, String> {
    let files = oracle().render(
        chart.dir.path(),
        json!({"name": "probe", "namespace": "ns"}),
    )?;
    Ok(files
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default())
}

fn run_topic(topic: &str, tally: &mut Tally) {
    let dir = probes_dir();
    let text = std::fs::read_to_string(dir.join(format!("{topic}.txt"))).expect("topic file");
    let values_path = dir.join(format!("{topic}.values.yaml"));
    let values_text = std::fs::read_to_string(&values_path)
        .or_else(|_| std::fs::read_to_string(dir.join("values.yaml")))
        .expect("values.yaml");
    let helpers = std::fs::read_to_string(dir.join(format!("{topic}.tpl"))).ok();
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.replace('⏎', "\n"))
        .collect();
    let probes: Vec<(usize, &str)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i, l.as_str()))
        .collect();
    let chart = write_chart(&values_text, helpers.as_deref(), &probes);
    let values_json = oracle()
        .merge_values(chart.dir.path(), json!(null))
        .expect("merge_values");
    let values = values_from_json(&values_json);
    let want = oracle_render(&chart);
    let got = ours(&chart, &values, helpers.as_deref(), &probes);
    if let Ok(want) = &want {
        if let Err(e) = &got {
            if let Some(f) = not_defined_function(e) {
                // Compare one by one so only the probes using it are skipped.
                eprintln!("{topic}: whole chart not comparable ({f}); probing one by one");
            } else {
                tally
                    .failures
                    .push(format!("{topic}: helm rendered, we failed: {e}"));
                return;
            }
        } else if let Ok(got) = &got {
            for (i, line) in &probes {
                let name = file_name(*i);
                tally.compared += 1;
                if want.get(&name) != got.get(&name) {
                    tally.failures.push(format!(
                        "{topic}:{i}: {line:?}\n   helm: {:?}\n   ours: {:?}",
                        want.get(&name),
                        got.get(&name)
                    ));
                }
            }
            return;
        }
    }
    // Probe by probe.
    for (i, line) in &probes {
        let one = [(*i, *line)];
        let chart = write_chart(&values_text, helpers.as_deref(), &one);
        let want = oracle_render(&chart);
        let got = ours(&chart, &values, helpers.as_deref(), &one);
        let name = file_name(*i);
        if let Err(e) = &got {
            if let Some(f) = not_defined_function(e) {
                let helm_same = want.as_ref().err().is_some_and(|w| w == e);
                if !helm_same {
                    tally.not_comparable.push(format!("{topic}:{i} ({f})"));
                    continue;
                }
            }
        }
        tally.compared += 1;
        let want = want.map(|m| m.get(&name).cloned());
        let got = got.map(|m| m.get(&name).cloned());
        if want != got {
            tally.failures.push(format!(
                "{topic}:{i}: {line:?}\n   helm: {want:?}\n   ours: {got:?}"
            ));
        }
    }
}

#[test]
fn probes_match_helm() {
    let mut topics: Vec<String> = std::fs::read_dir(probes_dir())
        .expect("tests/probes")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.strip_suffix(".txt").map(str::to_string)
        })
        .collect();
    topics.sort();
    if let Ok(only) = std::env::var("PROBE_TOPIC") {
        topics.retain(|t| *t == only);
    }
    assert!(!topics.is_empty(), "no probe topics found");
    let mut tally = Tally::default();
    for t in &topics {
        run_topic(t, &mut tally);
    }
    eprintln!(
        "probes: {} compared with Helm, {} failed, {} not comparable (unknown functions)",
        tally.compared,
        tally.failures.len(),
        tally.not_comparable.len()
    );
    for n in &tally.not_comparable {
        eprintln!("  not comparable: {n}");
    }
    // Differences berth knows of and documents (docs/helm-compat.md): each
    // must still differ, so the list never outlives a fix.
    let known = known_differences();
    let (expected, unexpected): (Vec<&String>, Vec<&String>) = tally
        .failures
        .iter()
        .partition(|f| known.iter().any(|k| f.starts_with(&format!("{k}: "))));
    let fixed: Vec<&String> = known
        .iter()
        .filter(|k| !expected.iter().any(|f| f.starts_with(&format!("{k}: "))))
        .collect();
    eprintln!(
        "probes: {} known differences (tests/probes/known-differences.txt)",
        expected.len()
    );
    assert!(
        unexpected.is_empty(),
        "{} probes differ from Helm:\n{}",
        unexpected.len(),
        unexpected
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        fixed.is_empty() || std::env::var("PROBE_TOPIC").is_ok(),
        "listed as known differences but now matching Helm (remove them): {fixed:?}"
    );
    assert!(tally.compared > 0, "no probe was compared");
}

/// `topic:index` of every probe listed in `known-differences.txt`.
fn known_differences() -> Vec<String> {
    let text = std::fs::read_to_string(probes_dir().join("known-differences.txt"))
        .expect("tests/probes/known-differences.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}
