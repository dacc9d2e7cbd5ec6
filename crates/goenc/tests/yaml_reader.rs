//! Differential test: berth's YAML reader against Helm's own
//! `chartutil.ReadValues` (through the Helm oracle), one case per entry of
//! `tests/data/read_cases.txt`: values or the exact error text.

mod common;

use helm_oracle::oracle;

#[test]
fn reader_matches_helm_values_from_yaml() {
    let cases = common::cases("read_cases.txt");
    assert!(cases.len() >= 200, "corpus shrank: {}", cases.len());
    compare_with_helm(&cases);
}

/// The writer corpus (flow-style documents of every kind of value) read too.
#[test]
fn reader_matches_helm_on_the_writer_corpus() {
    compare_with_helm(&common::cases("write_cases.txt"));
}

fn compare_with_helm(cases: &[(String, String)]) {
    let mut helm = oracle();
    let mut failures = Vec::new();
    for (name, text) in cases {
        let want = helm.values_from_yaml(text);
        let got = goenc::yaml::read_values(text)
            .map(serde_json::Value::Object)
            .map_err(|e| e.to_string());
        let same = match (&want, &got) {
            (Ok(w), Ok(g)) => common::normalize(w) == common::normalize(g),
            (Err(w), Err(g)) => w == g,
            _ => false,
        };
        if !same {
            failures.push(format!(
                "{name}: {text:?}\n  helm:  {want:?}\n  berth: {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Inputs where berth is known to differ from Helm (listed in the report);
/// each must still differ, so a fix moves the case into `read_cases.txt`.
#[test]
fn known_reader_differences_still_differ() {
    let cases = common::cases("read_known_differences.txt");
    let mut helm = oracle();
    for (name, text) in &cases {
        let want = helm.values_from_yaml(text);
        let got = goenc::yaml::read_values(text)
            .map(serde_json::Value::Object)
            .map_err(|e| e.to_string());
        let same = match (&want, &got) {
            (Ok(w), Ok(g)) => common::normalize(w) == common::normalize(g),
            (Err(w), Err(g)) => w == g,
            _ => false,
        };
        println!("{name}: helm {want:?}\n  berth {got:?}");
        assert!(!same, "{name} now matches Helm: move it to read_cases.txt");
    }
}
