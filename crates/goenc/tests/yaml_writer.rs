//! Differential test: berth's writers against Helm rendering a chart whose
//! templates call `toYaml`, `toYamlPretty`, `toJson`, `toPrettyJson` and
//! `toRawJson` on each value of `tests/data/write_cases.txt`.
//!
//! Each case is a YAML document `v: VALUE`; the values file Helm reads is
//! those values (read by berth's reader, which the reader test checks
//! against Helm) written as JSON under keys `c0`, `c1`, ...

mod common;

use std::fmt::Write as _;

use helm_oracle::oracle;
use serde_json::Value;

/// (template file prefix, Helm function, berth's equivalent)
type Writer = (&'static str, &'static str, fn(&Value) -> String);

fn functions() -> [Writer; 5] {
    [
        ("yaml", "toYaml", |v| {
            let s = goenc::yaml::to_string(v).unwrap_or_default();
            s.strip_suffix('\n').unwrap_or(&s).to_string()
        }),
        ("pretty", "toYamlPretty", |v| {
            let s = goenc::yaml::to_string_pretty(v).unwrap_or_default();
            s.strip_suffix('\n').unwrap_or(&s).to_string()
        }),
        ("json", "toJson", goenc::json::to_string),
        ("prettyjson", "toPrettyJson", goenc::json::to_string_pretty),
        ("rawjson", "toRawJson", goenc::json::to_string_raw),
    ]
}

#[test]
fn writers_match_helm_template_functions() {
    let cases = common::cases("write_cases.txt");
    assert!(cases.len() >= 200, "corpus shrank: {}", cases.len());
    let dir = std::env::temp_dir().join(format!("goenc-writer-{}", std::process::id()));
    let templates = dir.join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: t\nversion: 0.1.0\n",
    )
    .unwrap();
    let mut values = serde_json::Map::new();
    let mut inputs = Vec::new();
    for (i, (name, text)) in cases.iter().enumerate() {
        let doc = goenc::yaml::read_values(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let v = doc.get("v").cloned().unwrap_or(Value::Null);
        values.insert(format!("c{i}"), v.clone());
        inputs.push(v);
        for (file, func, _) in functions() {
            std::fs::write(
                templates.join(format!("{file}{i}.txt")),
                format!("{{{{ {func} .Values.c{i} }}}}"),
            )
            .unwrap();
        }
    }
    // JSON is YAML; escape what go-yaml's reader refuses raw
    let mut text = String::new();
    for c in serde_json::to_string(&Value::Object(values))
        .unwrap()
        .chars()
    {
        match c as u32 {
            0x7F..=0x9F | 0xFEFF | 0xFFFE | 0xFFFF => write!(text, "\\u{:04x}", c as u32).unwrap(),
            _ => text.push(c),
        }
    }
    std::fs::write(dir.join("values.yaml"), text).unwrap();
    let files = oracle().render(&dir, serde_json::json!({})).unwrap();
    let mut failures = String::new();
    let mut compared = 0;
    for (i, (name, text)) in cases.iter().enumerate() {
        for (file, func, ours) in functions() {
            let want = files[format!("t/templates/{file}{i}.txt")]
                .as_str()
                .unwrap_or_default();
            let got = ours(&inputs[i]);
            compared += 1;
            if want != got {
                writeln!(
                    failures,
                    "{name} {func}: {text:?}\n  helm:  {want:?}\n  berth: {got:?}"
                )
                .unwrap();
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        failures.is_empty(),
        "differences ({compared} compared):\n{failures}"
    );
}
