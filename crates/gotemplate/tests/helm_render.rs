//! Helm's render loop against Helm itself on a chart with a subchart:
//! parse order decides which `define` wins (parent over subchart, and among
//! files of one directory the lexically smaller name), each chart's files
//! see their own `.Values` and `.Template`, and NOTES.txt renders too.

use std::collections::BTreeMap;
use std::path::Path;

use gotemplate::helm::{render, RenderFile, RenderOptions};
use gotemplate::{FuncMap, Value};
use helm_oracle::oracle;
use serde_json::json;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

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

fn top(values: Value) -> Value {
    let mut m = BTreeMap::new();
    m.insert("Values".to_string(), values);
    m.insert("Release".to_string(), release());
    Value::map(m)
}

const FILES: &[(&str, &str)] = &[
    ("Chart.yaml", "apiVersion: v2\nname: parent\nversion: 0.1.0\n"),
    ("values.yaml", "x: parent\nsub:\n  y: from-parent\n"),
    ("templates/_a.tpl", "{{ define \"shared\" }}parent-a{{ end }}{{ define \"ab\" }}a{{ end }}"),
    ("templates/_b.tpl", "{{ define \"shared\" }}parent-b{{ end }}{{ define \"ab\" }}b{{ end }}{{ define \"bonly\" }}b-only{{ end }}"),
    ("templates/main.yaml", "{{ include \"shared\" . }} {{ include \"ab\" . }} {{ include \"bonly\" . }} {{ include \"subonly\" . }} {{ .Values.x }} {{ .Template.Name }} {{ .Template.BasePath }}\n"),
    ("templates/NOTES.txt", "notes for {{ .Release.Name }}: {{ include \"shared\" . }}"),
    ("templates/z/deeper.yaml", "{{ define \"shared2\" }}deeper{{ end }}{{ include \"shared2\" . }}"),
    ("templates/y.yaml", "{{ define \"shared2\" }}shallower{{ end }}{{ include \"shared2\" . }}"),
    ("charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"),
    ("charts/sub/values.yaml", "y: sub-default\nz: 3\n"),
    ("charts/sub/templates/_h.tpl", "{{ define \"shared\" }}sub{{ end }}{{ define \"subonly\" }}from sub {{ .Values.y }}{{ end }}"),
    ("charts/sub/templates/s.yaml", "{{ include \"shared\" . }} {{ .Values.y }} {{ .Values.z }} {{ .Template.Name }} {{ .Template.BasePath }}"),
];

#[test]
fn subchart_and_file_order_match_helm() {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in FILES {
        write(dir.path(), rel, text);
    }
    let want = oracle()
        .render(dir.path(), json!({"name": "probe", "namespace": "ns"}))
        .expect("helm renders the chart");
    let merged = oracle().merge_values(dir.path(), json!(null)).unwrap();
    let parent_data = top(values_from_json(&merged));
    let sub_data = top(values_from_json(&merged["sub"]));
    let mut files = Vec::new();
    for (rel, text) in FILES {
        let Some(t) = rel.strip_prefix("charts/sub/templates/") else {
            if let Some(t) = rel.strip_prefix("templates/") {
                files.push(RenderFile {
                    name: format!("parent/templates/{t}"),
                    text: text.to_string(),
                    data: parent_data.clone(),
                    base_path: "parent/templates".into(),
                });
            }
            continue;
        };
        files.push(RenderFile {
            name: format!("parent/charts/sub/templates/{t}"),
            text: text.to_string(),
            data: sub_data.clone(),
            base_path: "parent/charts/sub/templates".into(),
        });
    }
    let got = render(&files, FuncMap::default(), &RenderOptions::default()).expect("we render");
    let want: BTreeMap<String, String> = want
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn first_failing_file_in_helm_order_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    );
    write(dir.path(), "templates/a.yaml", "{{ fail \"a fails\" }}");
    write(dir.path(), "templates/b.yaml", "{{ fail \"b fails\" }}");
    write(dir.path(), "templates/sub/c.yaml", "{{ .x.y.z }}");
    let want = oracle()
        .render(dir.path(), json!({"name": "probe", "namespace": "ns"}))
        .unwrap_err();
    let data = top(Value::empty_map());
    let files: Vec<RenderFile> = [
        ("c/templates/a.yaml", "{{ fail \"a fails\" }}"),
        ("c/templates/b.yaml", "{{ fail \"b fails\" }}"),
        ("c/templates/sub/c.yaml", "{{ .x.y.z }}"),
    ]
    .iter()
    .map(|(n, t)| RenderFile {
        name: n.to_string(),
        text: t.to_string(),
        data: data.clone(),
        base_path: "c/templates".into(),
    })
    .collect();
    let got = render(&files, FuncMap::default(), &RenderOptions::default()).unwrap_err();
    assert_eq!(got.to_string(), want);
}
