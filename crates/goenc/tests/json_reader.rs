//! Differential test: berth's JSON reader against encoding/json as Helm's
//! `fromJson` and `fromJsonArray` use it (results printed with `toJson`,
//! errors put under `Error` or as the only list item), one case per entry
//! of `tests/data/json_cases.txt`.

mod common;

use std::fmt::Write as _;

use goenc::{json, Target};
use helm_oracle::oracle;
use serde_json::{json as j, Value};

/// What `{{ fromJson S | toJson }}` prints, computed with berth's codecs.
fn from_json_map(s: &str) -> String {
    match json::from_str_into(s, &Target::Map("map[string]interface {}")) {
        // Go leaves a nil map for `null`: toJson prints null
        Ok(Value::Null) => "null".into(),
        Ok(v) => json::to_string(&v),
        Err(e) => match e.partial_value() {
            Some(Value::Object(m)) => {
                let mut m = m.clone();
                m.insert("Error".into(), Value::String(e.to_string()));
                json::to_string(&Value::Object(m))
            }
            _ => json::to_string(&j!({"Error": e.to_string()})),
        },
    }
}

/// What `{{ fromJsonArray S | toJson }}` prints.
fn from_json_array(s: &str) -> String {
    match json::from_str_into(s, &Target::Slice("[]interface {}")) {
        Ok(Value::Null) => "null".into(),
        Ok(v) => json::to_string(&v),
        Err(e) => json::to_string(&j!([e.to_string()])),
    }
}

#[test]
fn reader_matches_helm_from_json() {
    let cases = common::cases("json_cases.txt");
    assert!(cases.len() >= 100, "corpus shrank: {}", cases.len());
    let dir = std::env::temp_dir().join(format!("goenc-json-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: t\nversion: 0.1.0\n",
    )
    .unwrap();
    let mut values = serde_json::Map::new();
    for (i, (_, text)) in cases.iter().enumerate() {
        // the case text without the newline that ends it in the file
        let text = text.strip_suffix('\n').unwrap_or(text);
        values.insert(format!("s{i}"), Value::String(text.to_string()));
        std::fs::write(
            dir.join("templates").join(format!("m{i}.txt")),
            format!("{{{{ fromJson .Values.s{i} | toJson }}}}"),
        )
        .unwrap();
        std::fs::write(
            dir.join("templates").join(format!("a{i}.txt")),
            format!("{{{{ fromJsonArray .Values.s{i} | toJson }}}}"),
        )
        .unwrap();
    }
    let mut escaped = String::new();
    for c in json::to_string(&Value::Object(values)).chars() {
        match c as u32 {
            0x7F..=0x9F | 0xFEFF | 0xFFFE | 0xFFFF => {
                write!(escaped, "\\u{:04x}", c as u32).unwrap()
            }
            _ => escaped.push(c),
        }
    }
    std::fs::write(dir.join("values.yaml"), escaped).unwrap();
    let files = oracle().render(&dir, j!({})).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let mut failures = String::new();
    let mut compared = 0;
    for (i, (name, text)) in cases.iter().enumerate() {
        let text = text.strip_suffix('\n').unwrap_or(text);
        for (file, ours) in [("m", from_json_map(text)), ("a", from_json_array(text))] {
            let want = files[format!("t/templates/{file}{i}.txt")]
                .as_str()
                .unwrap();
            compared += 1;
            if want != ours {
                let shown: String = text.chars().take(80).collect();
                writeln!(
                    failures,
                    "{name} {file}: {shown:?}\n  helm:  {want}\n  berth: {ours}"
                )
                .unwrap();
            }
        }
    }
    assert!(
        failures.is_empty(),
        "differences ({compared} compared):\n{failures}"
    );
}
