//! Hostile input fails fast and cleanly: a billion-laughs alias bomb, a
//! 100,000-deep flow nesting, a 100,000-deep block nesting, an oversized
//! document; and the 10,000-level nesting Helm accepts still reads (on a
//! test thread's small stack). Timings are printed for the record.

use std::time::{Duration, Instant};

use goenc::yaml::{self, ErrorKind, Limits};

fn billion_laughs() -> String {
    let mut doc = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        doc.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    doc
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    println!("{what}: {took:?}");
    assert!(took < Duration::from_secs(2), "{what} took {took:?}");
    out
}

#[test]
fn billion_laughs_is_refused_quickly() {
    let doc = billion_laughs();
    let err = timed("billion laughs", || yaml::from_str(&doc)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Limit);
    assert_eq!(
        err.to_string(),
        "error converting YAML to JSON: yaml: document contains excessive aliasing"
    );
}

#[test]
fn alias_cap_names_its_number() {
    // go-yaml's ratio allows this (few aliases, many plain nodes); the cap does not
    let mut doc = String::from("big: &b [");
    doc.push_str(&vec!["1"; 2000].join(","));
    doc.push_str("]\nrefs: [*b, *b, *b]\n");
    let limits = Limits {
        max_alias_nodes: 5000,
        ..Limits::default()
    };
    let err = yaml::parse_with(&doc, &limits).unwrap_err();
    assert!(err.to_string().contains("more than 5000 nodes"), "{err}");
    assert!(yaml::from_str(&doc).is_ok());
}

#[test]
fn deep_flow_nesting_fails_fast() {
    let doc = format!("a: {}{}", "[".repeat(100_000), "]".repeat(100_000));
    let err = timed("100,000-deep flow", || yaml::from_str(&doc)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Limit);
    // berth's parser stops at 255 nested flow collections (Helm: 10,000)
    assert_eq!(
        err.to_string(),
        "error converting YAML to JSON: yaml: exceeded max depth of 255 nested flow collections"
    );
}

#[test]
fn deep_block_nesting_fails_fast() {
    // `- - - ... x`: every level one column deeper, on one line
    let doc = format!("a:\n  {}x\n", "- ".repeat(100_000));
    let err = timed("100,000-deep block", || yaml::from_str(&doc)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Limit);
    // Helm's text for the same file
    assert_eq!(
        err.to_string(),
        "error converting YAML to JSON: yaml: line 2: exceeded max depth of 10000"
    );
}

#[test]
fn helm_depth_limit_is_the_json_one() {
    // 10,001 levels that go-yaml reads (9,999 block sequences and two flow
    // ones under a map): encoding/json refuses them, with Helm's text
    let doc = format!("a:\n  {}{{b: [x]}}\n", "- ".repeat(9_998));
    let err = yaml::from_str(&doc).unwrap_err();
    assert_eq!(
        err.to_string(),
        "error unmarshaling JSON: while decoding JSON: invalid character '[' exceeded max depth"
    );
    // 10,000 levels are accepted, and the result can be written again
    let doc = format!("a:\n  {}x\n", "- ".repeat(9_999));
    let v = timed("10,000-deep read", || yaml::from_str(&doc)).unwrap();
    let out = yaml::to_string(&v).unwrap();
    assert!(out.starts_with("a:\n- - - "));
    let json = goenc::json::to_string(&v);
    assert!(json.starts_with("{\"a\":[[[["));
    let back = goenc::json::from_str(&json).unwrap();
    assert_eq!(goenc::json::to_string(&back), json);
}

#[test]
fn oversized_document_is_refused() {
    let limits = Limits {
        max_bytes: 1000,
        ..Limits::default()
    };
    let doc = "a: b\n".repeat(300);
    let err = yaml::parse_with(&doc, &limits).unwrap_err();
    assert_eq!(
        err.to_string(),
        "error converting YAML to JSON: yaml: document of 1500 bytes exceeds the limit of 1000 bytes"
    );
}

/// A document of `n` entries: nested maps, lists, a merge and quoted text.
fn big_document(n: usize) -> String {
    let mut doc = String::from("base: &b {x: 1, y: [a, b]}\n");
    for i in 0..n {
        doc.push_str(&format!(
            "k{i}:\n  <<: *b\n  name: \"item {i} é\"\n  list: [{i}, {i}.5, yes]\n  text: |\n    line {i}\n"
        ));
    }
    doc
}

#[test]
fn large_documents_read_in_linear_time() {
    let measure = |n: usize| {
        let doc = big_document(n);
        let start = Instant::now();
        let v = yaml::from_str(&doc).unwrap();
        let read = start.elapsed();
        assert_eq!(v.as_object().map(|m| m.len()), Some(n + 1));
        let start = Instant::now();
        let out = yaml::to_string(&v).unwrap();
        let write = start.elapsed();
        assert!(out.len() > doc.len() / 2);
        println!(
            "{n} entries ({} bytes): read {read:?}, write {write:?}",
            doc.len()
        );
        read + write
    };
    let small = measure(2_000);
    let large = measure(8_000);
    // four times the input: far less than the sixteen times a quadratic step costs
    assert!(
        large < small * 8 + Duration::from_millis(200),
        "2,000 entries {small:?}, 8,000 entries {large:?}"
    );
}

#[test]
fn many_repairs_stay_fast() {
    // every line `key:<TAB>value` (go-yaml reads it, saphyr needs it repaired)
    let doc: String = (0..5000).map(|i| format!("k{i}:\tv{i}\n")).collect();
    let v = timed("5,000 tab separators", || yaml::from_str(&doc)).unwrap();
    assert_eq!(v["k4999"], "v4999");
    // a tab inside a block scalar stays text
    let v = yaml::from_str("a: |\n  x:\ty\nb:\tz\n").unwrap();
    assert_eq!(v["a"], "x:\ty\n");
    assert_eq!(v["b"], "z");
}

#[test]
fn many_unindented_continuations_stay_fast() {
    // quoted scalars and flow lists continued at column 0, as go-yaml allows
    let doc: String = (0..2000)
        .map(|i| format!("k{i}:\n  q: \"line one\nline two {i}\"\n  f: [1,\n{i}]\n"))
        .collect();
    let v = timed("2,000 unindented continuations", || yaml::from_str(&doc)).unwrap();
    assert_eq!(v["k1999"]["q"], "line one line two 1999");
    assert_eq!(v["k1999"]["f"][1], 1999.0);
}
