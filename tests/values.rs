//! Values against Helm v4's own SDK (the `helm-oracle` crate): the strvals
//! parsers on Helm's published test inputs and more, Helm's `MergeMaps` of
//! user layers, `CoalesceValues` onto chart defaults (nulls at every depth,
//! type changes, list replacement), `--set` into `-f` lists, and the Go types
//! numbers get. Expectations come from the oracle, never from this file; the
//! oracle is required (a missing one fails the tests, see `helm-oracle`).

use std::path::{Path, PathBuf};

use berth::values::{self, SetKind};
use helm_oracle::oracle;
use serde_json::{json, Map, Value};

// ------------------------------------------------------------ helpers

/// Deep equality where numbers compare by value (the oracle's JSON cannot
/// tell Go's int64 from float64; types are checked separately).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn kind_of(name: &str) -> SetKind {
    match name {
        "set" => SetKind::Typed,
        "string" => SetKind::String,
        "json" => SetKind::Json,
        "literal" => SetKind::Literal,
        "file" => SetKind::File,
        other => panic!("unknown strvals kind {other}"),
    }
}

/// berth: every step parsed into one map, as Helm's ParseInto family does.
fn berth_strvals(kind: &str, steps: &[&str]) -> Result<Value, String> {
    let mut out = Map::new();
    let mut read = |path: &str| -> Result<Value, String> {
        std::fs::read_to_string(path)
            .map(Value::String)
            .map_err(|e| format!("cannot read {path}: {e}"))
    };
    for step in steps {
        values::parse_set_into(step, kind_of(kind), &mut out, &mut read)
            .map_err(|e| e.to_string())?;
    }
    Ok(Value::Object(out))
}

/// Numbers as Helm types them: int64 from `--set` and friends, float64 from JSON.
fn check_number_types(kind: &str, value: &Value, case: &str) {
    match value {
        Value::Number(n) => {
            if kind == "json" {
                assert!(n.is_f64(), "{case}: --set-json numbers are float64");
            } else {
                assert!(n.is_i64(), "{case}: --set integers are int64");
            }
        }
        Value::Array(items) => items.iter().for_each(|v| check_number_types(kind, v, case)),
        Value::Object(map) => map.values().for_each(|v| check_number_types(kind, v, case)),
        _ => {}
    }
}

/// Compare berth with Helm on one strvals input: both fail, or both give the
/// same map. Returns whether Helm accepted it.
fn compare_strvals(kind: &str, steps: &[&str]) -> bool {
    let joined = steps.join(",");
    let helm = oracle().strvals(kind, &joined);
    let ours = berth_strvals(kind, steps);
    match (&ours, &helm) {
        (Ok(a), Ok(b)) => {
            assert!(same(a, b), "{kind} {joined:?}: berth {a} but Helm {b}");
            check_number_types(kind, a, &joined);
        }
        (Err(_), Err(_)) => {}
        _ => panic!("{kind} {joined:?}: berth {ours:?} but Helm {helm:?}"),
    }
    helm.is_ok()
}

/// Compare every input; assert that Helm accepted at least `accepted` and
/// refused at least `refused` of them (so both outcomes are exercised).
fn compare_all<'a>(
    kind: &str,
    cases: impl IntoIterator<Item = &'a [&'a str]>,
    accepted: usize,
    refused: usize,
) {
    let (mut ok, mut err) = (0, 0);
    for steps in cases {
        if compare_strvals(kind, steps) {
            ok += 1;
        } else {
            err += 1;
        }
    }
    assert!(
        ok >= accepted && err >= refused,
        "{kind}: {ok} accepted, {err} refused"
    );
}

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, text).expect("write");
    path
}

/// A chart directory whose values.yaml is `values` (and one template, `tpl`).
fn chart(dir: &Path, name: &str, values: &str, tpl: &str) -> PathBuf {
    let root = dir.join(name);
    write(
        &root,
        "Chart.yaml",
        &format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n"),
    );
    write(&root, "values.yaml", values);
    write(&root, "templates/out.txt", tpl);
    root
}

fn parse_yaml(text: &str) -> Map<String, Value> {
    match values::parse_values(text, Path::new("test.yaml")).expect("valid YAML") {
        Value::Object(map) => map,
        other => panic!("not a map: {other}"),
    }
}

// ------------------------------------------------------------ strvals

/// Helm's pkg/strvals TestParseSet (typed cases), TestParseSetNestedLevels,
/// the cases of issue 11, and edge cases of the grammar.
const TYPED: &[&str] = &[
    // TestParseSet
    "name1=null,f=false,t=true",
    "name1=value1",
    "name1=value1,name2=value2",
    "name1=value1,name2=value2,",
    "name1=value1,,,,name2=value2,",
    "name1=,name2=value2",
    "leading_zeros=00009",
    "zero_int=0",
    "long_int=1234567890",
    "boolean=true",
    "is_null=null",
    "name1,name2=",
    "name1,name2=value2",
    "name1,name2=value2\\",
    "name1,name2",
    "name1=one\\,two,name2=three\\,four",
    "name1=one\\=two,name2=three\\=four",
    "name1=one two three,name2=three two one",
    "outer.inner=value",
    "outer.middle.inner=value",
    "outer.inner1=value,outer.inner2=value2",
    "outer.inner1=value,outer.middle.inner=value",
    "name1.name2",
    "name1.name2,name1.name3",
    "name1.name2=",
    "name1.=name2",
    "name1.,name2",
    "name1={value1,value2}",
    "name1={value1,value2},name2={value1,value2}",
    "name1={1021,902}",
    "name1.name2={value1,value2}",
    "name1={1021,902",
    "list[0]=foo",
    "list[0].foo=bar",
    "list[0].foo=bar,list[0].hello=world",
    "list[0].foo=bar,list[-30].hello=world",
    "list[0]=foo,list[1]=bar",
    "list[0]=foo,list[1]=bar,",
    "list[0]=foo,list[3]=bar",
    "list[0]=foo,list[-20]=bar",
    "illegal[0]name.foo=bar",
    "noval[0]",
    "noval[0]=",
    "nested[0][0]=1",
    "nested[1][1]=1",
    "name1.name2[0].foo=bar,name1.name2[1].foo=bar",
    "name1.name2[1].foo=bar,name1.name2[0].foo=bar",
    "name1.name2[1].foo=bar",
    "]={}].",
    // issue 11
    "a=x\\",
    "x={a,,b}",
    "x={}",
    "a=1,a.b=2",
    "a=1,a[0]=2",
    "a[0][0]=1,a[0].b=2",
    // the grammar's corners
    "a[65536]=1",
    "a[65537]=1",
    "a[-1]=1",
    "a[ 1]=1",
    "a[+1]=1",
    "a[01]=1",
    "a[]=1",
    "a[x]=1",
    "a[0",
    "a[0][1",
    "a.b[0",
    "a[0].b[1",
    "a[0]b=1",
    "a[0],b=1",
    "a[0][0]",
    "a[0][0]=",
    "a[0].b=",
    "a[0].b[0]",
    "a[0].=1",
    "a[0]=x,a[0].b=1",
    "a[0]=x,a[0][1]=1",
    "a[0]=null,a[0][0]=1",
    "a={1,2},a[3]=x",
    "a={x,y},a[0].b=1",
    "a.b=1,a=2",
    "a[0]=1,a=2",
    "a[0]=1,a.b=1",
    "a.b=1,a[0]=1",
    "a=null,a.b=1",
    "a=null,a[0]=1",
    "a=1,a=2",
    "a.b=1,a.c.d=2,a.b=3",
    "\\",
    "=1",
    ".a=1",
    "[0]=1",
    "[0].a=1",
    "a.=1",
    "a..b=1",
    "a.b..c=1",
    ",a=1",
    "a=1,,b=2",
    "a.b",
    "a.b,c=1",
    "a=x\\,y",
    "a=x\\\\y",
    "a\\.b=1",
    "a\\[0]=1",
    "a\\=b=1",
    "a={x\\,y}",
    "a={x\\}y}",
    "a={x}y,b=1",
    "a={x},b=1",
    "a={x,{y},z}",
    "a=TRUE,b=False,c=NULL,d=tRuE",
    "a=+5,b=-05,c=-0,d=0x10,e=1e3,f=1.0,g=1.5",
    "a=9223372036854775807,b=9223372036854775808,c=-9223372036854775808",
    "a=1_000,b= 1,c=1 ",
    "a=yes,b=no,c=on,d=off,e=~",
    "ключ.值=ü,emoji=😀",
    "a b.c d=e f",
    "a=b=c",
    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.aa.bb.cc.dd=30-levels",
    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.aa.bb.cc.dd.ee=31-levels",
    "a[0].b[0].c[0].d[0].e[0].f[0].g[0].h[0].i[0].j[0].k[0].l[0].m[0].n[0].o[0].p[0].q[0].r[0].s[0].t[0].u[0].v[0].w[0].x[0].y[0].z[0].aa[0].bb[0].cc[0].dd[0].ee=x",
];

#[test]
fn set_agrees_with_helm_strvals() {
    let cases: Vec<[&str; 1]> = TYPED.iter().map(|e| [*e]).collect();
    compare_all("set", cases.iter().map(|c| &c[..]), 80, 35);
    // TestParseSetNestedLevels: 32 names, one more than Helm allows.
    let deep: Vec<String> = (1..=32).map(|i| format!("name{i}")).collect();
    let deep = format!("{}=value", deep.join("."));
    assert!(!compare_strvals("set", &[&deep]));
    let ours = berth_strvals("set", &[&deep]).unwrap_err();
    let helm = oracle().strvals("set", &deep).unwrap_err();
    assert!(ours.contains(&helm), "berth: {ours}\nHelm: {helm}");
}

/// TestParseSet's string cases and TestParseIntoString, plus the typed
/// corners as `--set-string` sees them.
#[test]
fn set_string_agrees_with_helm() {
    let cases: &[&[&str]] = &[
        &["long_int_string=1234567890"],
        &["boolean=true"],
        &["is_null=null"],
        &["zero=0"],
        &["a={1,true,null}"],
        &["a[1]=2,b.c=false"],
        &["a=1,a.b=2"],
        &["a=x\\"],
        &["noval[0]"],
        &[
            "outer.inner1=overwrite,outer.inner2=value2",
            "outer.inner1=1,outer.inner3=3",
        ],
    ];
    compare_all("string", cases.iter().copied(), 9, 1);
}

/// TestParseInto: assignments parsed into values already there (an earlier
/// flag's), lists edited in place.
#[test]
fn parse_into_agrees_with_helm() {
    let cases: &[&[&str]] = &[
        &[
            "outer.inner1=overwrite,outer.inner2=value2",
            "outer.inner1=value1,outer.inner3=value3,outer.inner4=4",
        ],
        &[
            "listOuter[0][0].type=listValue",
            "listOuter[0][0].status=alive",
        ],
        &[
            "listOuter[0][0].type=listValue",
            "listOuter[1][0].status=alive",
        ],
        &[
            "listOuter[0][0][0].exited=old",
            "listOuter[0][1][0].type=listValue",
            "listOuter[0][0][1].status=alive",
        ],
        &["l={a,b,c}", "l[1]=x"],
        &["l={a,b,c}", "l[5]=x"],
        &["l={a,b,c}", "l[1].k=v"],
        &["l={a,b,c}", "l[1][0]=v"],
        &["m.x=1", "m.y=2", "m=null"],
        &["m.x=1", "m=3", "m.y=2"],
    ];
    compare_all("set", cases.iter().copied(), 8, 2);
}

/// TestParseJSON (with its starting maps as earlier assignments) and the
/// JSON decoder's corners.
#[test]
fn set_json_agrees_with_helm() {
    let cases: &[&[&str]] = &[
        &[
            r#"outer.inner1="overwrite",outer.inner2="value2""#,
            r#"outer.inner1="1",outer.inner3=3,outer.inner4=true,outer.inner5="true""#,
        ],
        &[
            r#"outer.inner1={"x":"overwrite"},outer.inner2="value2",outer.inner3=["overwrite"]"#,
            r#"outer.inner1={"a":"1","b":2,"c":[1,2,3]},outer.inner3=["new value 1","new value 2"],outer.inner4={"aa":"1","bb":2,"cc":[1,2,3]},outer.inner5=[{"A":"1","B":2,"C":[1,2,3]}]"#,
        ],
        &[
            r#"outer.inner1={"x":"overwrite"},outer.inner2="value2""#,
            r#"outer.inner1=,outer.inner3={"aa":"1","bb":2,"cc":[1,2,3]},outer.inner3.cc[1]=null"#,
        ],
        &[
            r#"outer.inner1={"a":"1","b":2,"c":[1,2,3]},outer.inner3=["new value 1","new value 2"],outer.inner4={"aa":"1","bb":2,"cc":[1,2,3]},outer.inner5={"A":"1","B":2,"C":[1,2,3]}]"#,
        ],
        &["a=1x=2"],
        &["a=01=2"],
        &["a=1 b=2"],
        &[r#"a="x""y"=1"#],
        &["a=[1,2]]"],
        &["a={}"],
        &["a="],
        &["a= "],
        &["a=,b=1"],
        &["a[0].b="],
        &["a[0]=,a[2]=[]"],
        &[r#"a={"b":{"c":[1,{"d":null}]}}"#],
        &["a=1e400"],
        &["a=-0.0,b=1.5e3,c=-2"],
        &[r#"a="\u00e9\n""#],
        &["a=[1,2"],
        &[r#"a={"x":1"#],
        &["a=tru"],
        &["a=nul,b=1"],
        &["a=1."],
        &["a=-"],
        &["a=1e"],
        &["a=.5"],
        &[r#"a="x"#],
        &["a=[1,2],a[5]=3"],
        &[r#"a={"x":1},a.y=2"#],
        &["a=1,a.b=2"],
        &["a=12345678901234567890"],
        &["a=true,b=false,c=null"],
        &["a= [1, 2] , b = 3"],
        &["a=x"],
        &[r#"a={"k":1,"k":2}"#],
        &[r#"a=[{"b":1}],a[0].c=2"#],
        &["a.b.c=[[1],[2]],a.b.c[1][1]=3"],
    ];
    compare_all("json", cases.iter().copied(), 20, 10);
}

/// Helm's literal_parser_test.go inputs (one expression each).
#[test]
fn set_literal_agrees_with_helm() {
    let cases = [
        "name",
        "name=",
        "name=value",
        "long_int_string=1234567890",
        "boolean=true",
        "is_null=null",
        "zero=0",
        "name1=null,name2=value2",
        "name1=value,,,tail",
        "leading_zeros=00009",
        "name=one two three",
        "outer.inner=value",
        "outer.middle.inner=value",
        "name1.name2",
        "name1.name2=",
        "name1.=name2",
        "name1.,name2",
        "name1={value1,value2}",
        "list[0]=foo",
        "list[0].foo=bar",
        "list[-30].hello=world",
        "list[3]=bar",
        "illegal[0]name.foo=bar",
        "noval[0]",
        "noval[0]=",
        "nested[0][0]=1",
        "nested[1][1]=1",
        "name1.name2[0].foo=bar",
        "name1.name2[1].foo=bar",
        "]={}].",
        "name=val,val",
        "name=val.val",
        "name=val=val",
        "name=val$val",
        "name=(value",
        "name=value)",
        "name=(value)",
        "name={value",
        "name=value}",
        "name={value}",
        "name={value1,value2}",
        r"name=val\val",
        r"name=val\\val",
        r"name=val\\\val",
        r"name={val,.?*v\0a!l)some",
        r"name=em%GT)tqUDqz,i-\h+Mbqs-!:.m\\rE=mkbM#rR}@{-k@",
        "outer.inner1=value1,outer.inner3=value3,outer.inner4=4",
        "a,b.c=1",
        r"a\.b=1",
        "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.aa.bb.cc.dd.ee=31",
    ];
    let cases: Vec<[&str; 1]> = cases.iter().map(|e| [*e]).collect();
    compare_all("literal", cases.iter().map(|c| &c[..]), 30, 5);
}

/// TestParseFile/TestParseIntoFile and `--set-file a={f1,f2}` (issue 11).
#[test]
fn set_file_agrees_with_helm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f1 = write(dir.path(), "one.txt", "value1");
    let f2 = write(
        dir.path(),
        "two.pem",
        "-----BEGIN-----\nline, with comma\n-----END-----\n",
    );
    let (f1, f2) = (f1.display().to_string(), f2.display().to_string());
    let missing = dir.path().join("missing").display().to_string();
    let cases = [
        format!("name1={f1}"),
        format!("a={{{f1},{f2}}}"),
        format!("a[1]={f2}"),
        format!("a.b={f1},c={f2}"),
        "a=".to_string(),
        format!("a=,b={f1}"),
        format!("a={missing}"),
        format!("a={{{f1},{missing}}}"),
        format!("a[0]={f1},a[0].x={f2}"),
        "a={}".to_string(),
        format!("a={{{f1}}}x,b={f2}"),
        format!("a\\.b={f1}"),
    ];
    let cases: Vec<[&str; 1]> = cases.iter().map(|e| [e.as_str()]).collect();
    compare_all("file", cases.iter().map(|c| &c[..]), 5, 3);
}

/// Go's types of `--set` and `--set-json` values, read from Helm's own
/// type-assertion errors (`interface {} is int64, not map…`), since the
/// oracle's JSON loses them.
#[test]
fn set_value_types_match_helm() {
    fn go_type(v: &Value) -> &'static str {
        match v {
            Value::Null => "nil",
            Value::Bool(_) => "bool",
            Value::Number(n) if n.is_f64() => "float64",
            Value::Number(_) => "int64",
            Value::String(_) => "string",
            Value::Array(_) => "[]interface {}",
            Value::Object(_) => "map[string]interface {}",
        }
    }
    let cases = [
        ("set", "1"),
        ("set", "-5"),
        ("set", "0"),
        ("set", "007"),
        ("set", "1.5"),
        ("set", "true"),
        ("set", "null"),
        ("set", "9223372036854775808"),
        ("set", "{1,2}"),
        ("string", "1"),
        ("json", "1"),
        ("json", "1.5"),
        ("json", "\"x\""),
        ("json", "true"),
        ("json", "[1]"),
        ("json", "null"),
    ];
    for (kind, raw) in cases {
        let expr = format!("a={raw},a.b=1");
        let helm = oracle().strvals(kind, &expr).unwrap_err();
        let (_, after) = helm
            .split_once("interface {} is ")
            .unwrap_or_else(|| panic!("{kind} {expr}: Helm said {helm}"));
        let helm_type = after.split(", not").next().unwrap_or_default();
        let ours = berth_strvals(kind, &[&format!("a={raw}")]).expect("parses");
        assert_eq!(go_type(&ours["a"]), helm_type, "{kind} {raw}");
    }
}

/// A 15,000-segment path fails cleanly, whatever its shape (no stack overflow).
#[test]
fn huge_paths_fail_cleanly() {
    let dotted = format!("{}=1", vec!["a"; 15_000].join("."));
    let indexed = format!("a{}=1", "[0]".repeat(15_000));
    let mixed = format!("a{}=1", "[0].b".repeat(7_500));
    for (kind, expr) in [
        ("set", &dotted),
        ("set", &indexed),
        ("set", &mixed),
        ("json", &indexed),
        ("literal", &mixed),
    ] {
        let err = berth_strvals(kind, &[expr]).unwrap_err();
        assert!(
            err.contains(&values::MAX_NAME_LEVEL.to_string())
                || err.contains(&values::MAX_DEPTH.to_string()),
            "{err}"
        );
    }
    // Helm itself refuses the dotted one.
    assert!(oracle().strvals("set", &dotted).is_err());
    for path in [
        &dotted[..dotted.len() - 2],
        &indexed[..indexed.len() - 2],
        &mixed[..mixed.len() - 2],
    ] {
        let err = values::parse_set_path(path).unwrap_err().to_string();
        assert!(
            err.contains("maximum") || err.contains("more than"),
            "{err}"
        );
    }
}

/// Errors name the position, never the value (a value may be a secret,
/// split at a comma into what looks like a key).
#[test]
fn set_errors_never_show_values() {
    for (kind, expr) in [
        ("set", "db.password=hunter2,tail-of-secret"),
        ("set", "db.password=hunter2,tail-of-secret.x"),
        ("set", "db.password=hunter2,tail[of]=secret"),
        ("set", "pw={hunter2,tail-of-secret"),
        ("set", "pw=hunter2,pw.x=tail-of-secret"),
        ("json", r#"pw="hunter2,tail-of-secret"#),
        ("json", "pw=hunter2tail-of-secret"),
        ("literal", "tail-of-secret"),
    ] {
        let err = berth_strvals(kind, &[expr]).unwrap_err();
        assert!(
            !err.contains("hunter2") && !err.contains("tail"),
            "{kind}: {err}"
        );
        assert!(err.contains("at character"), "{kind}: {err}");
    }
}

// ------------------------------------------------------------ coalesce

/// One value of a given kind at the leaf of a test path.
fn leaf(kind: &str, user: bool) -> Option<Value> {
    match (kind, user) {
        ("absent", _) => None,
        ("null", _) => Some(Value::Null),
        ("scalar", false) => Some(json!(5)),
        ("scalar", true) => Some(json!("u")),
        ("list", false) => Some(json!([1, 2])),
        ("list", true) => Some(json!(["u"])),
        ("map", false) => Some(json!({"x": 1, "n": null, "deep": {"m": null, "k": 1}})),
        ("map", true) => Some(json!({"y": 2, "z": null, "x": null, "deep": {"k": null}})),
        _ => unreachable!(),
    }
}

/// `{k1: {k2: … {leaf, sibling}}}` to `depth` keys; siblings at every level.
fn nest(depth: usize, leaf: Option<Value>, sibling: &str) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert(sibling.to_string(), json!(sibling));
    if depth == 1 {
        if let Some(v) = leaf {
            map.insert("k".to_string(), v);
        }
    } else {
        map.insert(
            "k".to_string(),
            Value::Object(nest(depth - 1, leaf, sibling)),
        );
    }
    map
}

/// Every pair of {absent, null, scalar, list, map} for chart default and
/// user value, at depths 1–3: Helm v4's coalescing rules, from the oracle.
#[test]
fn coalesce_agrees_with_helm_on_every_kind_pair_and_depth() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kinds = ["absent", "null", "scalar", "list", "map"];
    let mut n = 0;
    for depth in 1..=3 {
        for chart_kind in kinds {
            for user_kind in kinds {
                let defaults = nest(depth, leaf(chart_kind, false), "s");
                let user = nest(depth, leaf(user_kind, true), "t");
                let yaml = serde_json::to_string(&Value::Object(defaults)).expect("json");
                let name = format!("c{depth}{chart_kind}{user_kind}");
                let root = chart(dir.path(), &name, &yaml, "x\n");
                let defaults = parse_yaml(&yaml);
                let (ours, _) = values::coalesce(&name, &defaults, user.clone());
                let helm = oracle()
                    .merge_values(&root, Value::Object(user.clone()))
                    .expect("Helm merges");
                let ours = Value::Object(ours);
                assert!(
                    same(&ours, &helm),
                    "chart {chart_kind} / user {user_kind} at depth {depth}:\nberth {ours}\nHelm  {helm}"
                );
                n += 1;
            }
        }
    }
    assert_eq!(n, 75);
}

/// Layers of user values (as `-f` files, profile and release values):
/// Helm's MergeMaps, then CoalesceValues onto the chart once.
const LAYERED: &[(&str, &[&str])] = &[
    // issue 11: a null in an early layer, a map in a later one
    ("m: {a: 1, b: 2}\n", &["m: null\n", "m: {c: 3}\n"]),
    ("m: {a: 1, b: 2}\n", &["m: {c: 3}\n", "m: null\n"]),
    ("m: {a: 1, b: 2}\n", &["m: {a: null}\n", "m: {c: 3}\n"]),
    ("m: {a: 1, b: 2}\n", &["m: {c: 3}\n", "m: {a: null}\n"]),
    (
        "m: {a: {x: 1}}\n",
        &["m: {a: {w: null}}\n", "m: {a: {z: 1}}\n"],
    ),
    ("l: [a, b, c]\n", &["l: [x]\n"]),
    ("l: [a, b, c]\n", &["l: [x]\n", "l: null\n"]),
    ("l: [a, b, c]\n", &["l: {k: v}\n"]),
    ("m: {k: v}\n", &["m: [x]\n", "m: {j: w}\n"]),
    ("m: {k: v}\n", &["m: scalar\n"]),
    ("s: 1\n", &["s: {a: 1}\n"]),
    ("s: 1\n", &["s: {a: 1}\n", "s: 2\n"]),
    ("a: {b: {c: {d: 1, e: 2}}}\n", &["a: {b: {c: {d: null}}}\n"]),
    (
        "a: {b: {c: {d: 1, e: 2}}}\n",
        &["a: {b: null}\n", "a: {b: {c: {f: 3}}}\n"],
    ),
    ("a: {b: {c: {d: 1, e: 2}}}\n", &["a: {b: {c: null}}\n"]),
    ("a: {b: null, c: {d: null}}\ne: null\n", &["x: 1\n"]),
    (
        "a: {b: null, c: {d: null}}\ne: null\n",
        &["a: {b: null}\ne: null\n"],
    ),
    (
        "a: {b: null, c: {d: null}}\ne: null\n",
        &["a: {c: {d: null}}\n"],
    ),
    (
        "a: 1\n",
        &["n1: null\n", "n2: {x: null}\n", "n3: {x: {w: null}}\n"],
    ),
    ("a: 1\n", &["a: null\n", "a: 2\n"]),
    ("a: 1\n", &["a: 2\n", "a: null\n"]),
    ("list: [{name: a, port: 1}]\n", &["list: [{name: b}]\n"]),
    ("f: 1.5\ni: 3\nbig: 12345678901234567890\n", &["f: 2\n"]),
    ("tags: {a: x}\n", &["tags: {}\n"]),
    ("tags: {a: x}\n", &["tags: []\n"]),
    ("e: {}\n", &["e: {k: null}\n"]),
    // lists are never cleaned of nulls, on either side
    ("l: [1, null, {a: null}]\n", &["x: 1\n"]),
    ("m: {l: [null, {a: null}]}\n", &["m: {k: 1}\n"]),
    ("a: 1\n", &["l: [null, {b: null}]\n"]),
    // `global` is an ordinary key for a chart without dependencies
    (
        "global: {x: 1, z: {q: 1}}\n",
        &["global: {w: 2, z: null}\n"],
    ),
    // a map emptied by nulls, and maps nested in user-only keys
    ("m: {a: 1}\n", &["m: {a: null}\n"]),
    ("m: {a: 1}\n", &["u: {v: {w: null}}\n", "u: {v: {x: 1}}\n"]),
    ("m: {a: {b: {c: 1}}}\n", &["m: {a: {b: {c: {d: 1}}}}\n"]),
    ("m: {a: {b: {c: {d: 1}}}}\n", &["m: {a: {b: {c: 2}}}\n"]),
    ("m: {a: {b: [1]}}\n", &["m: {a: {b: {c: 2}}}\n"]),
];

#[test]
fn layered_user_values_agree_with_helm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut n = 0;
    for (i, (defaults, layers)) in LAYERED.iter().enumerate() {
        // berth: every layer merged first, then coalesced once.
        let mut user = Map::new();
        for layer in *layers {
            values::merge_maps(&mut user, parse_yaml(layer));
        }
        let name = format!("layered{i}");
        let root = chart(dir.path(), &name, defaults, "x\n");
        let (ours, _) = values::coalesce(&name, &parse_yaml(defaults), user.clone());
        let helm = oracle()
            .merge_values(&root, Value::Object(user.clone()))
            .expect("Helm merges");
        let ours = Value::Object(ours);
        assert!(same(&ours, &helm), "case {i}:\nberth {ours}\nHelm  {helm}");
        n += 1;

        // Helm's own MergeMaps of the layers: the documents of one values.yaml
        // are merged with it (then coalesced, dropping nulls).
        let docs = layers.join("---\n");
        let root = chart(dir.path(), &format!("docs{i}"), &docs, "x\n");
        let (ours, _) = values::coalesce("docs", &user, Map::new());
        let helm = oracle()
            .merge_values(&root, json!({}))
            .expect("Helm merges");
        let ours = Value::Object(ours);
        assert!(
            same(&ours, &helm),
            "MergeMaps case {i}:\nberth {ours}\nHelm  {helm}"
        );
        n += 1;
    }
    assert_eq!(n, 2 * LAYERED.len());
}

/// What a template sees is what merge_values gives (Helm's render path).
#[test]
fn rendered_values_are_the_coalesced_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let defaults = "m: {a: 1, b: {c: 2, d: null}}\nl: [1, 2]\nn: null\n";
    let user = json!({"m": {"a": null, "b": {"e": 3}}, "l": [9], "x": null, "y": {"z": null}});
    let root = chart(dir.path(), "r", defaults, "{{ toJson .Values }}");
    let helm = oracle()
        .render(&root, json!({"values": user}))
        .expect("renders");
    let helm: Value =
        serde_json::from_str(helm["r/templates/out.txt"].as_str().expect("text")).expect("json");
    let Value::Object(user) = user else {
        unreachable!()
    };
    let (ours, _) = values::coalesce("r", &parse_yaml(defaults), user);
    assert!(
        same(&Value::Object(ours.clone()), &helm),
        "berth {ours:?}\nHelm {helm}"
    );
}

/// `--set l[1]=x` edits the list the `-f` files gave (Helm applies `--set`
/// onto the merged user values); the files' merged map is given to the
/// oracle as leading assignments of the same expression.
#[test]
fn set_goes_into_file_lists_as_in_helm() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["l: [a, b, c]\n"], &["l[1]=x"]),
        (&["l: [a, b, c]\n"], &["l[4]=x"]),
        (&["l: [a, b, c]\n", "l: [d]\n"], &["l[1]=x"]),
        (&["l: [{name: a}, {name: b}]\n"], &["l[1].port=80"]),
        (&["l: [a, b]\n"], &["l[0].k=v"]),
        (&["l: [[a], [b]]\n"], &["l[1][1]=x"]),
        (&["m: {a: x, b: {c: why}}\n"], &["m.b.d=z", "m.a=w"]),
        (&["m: {a: x}\n"], &["m.a.b=z"]),
        (&["m: {a: [x]}\n"], &["m.a.b=z"]),
        (&["m: {a: {b: c}}\n"], &["m.a[0]=z"]),
        (&["m: {a: x}\n", "m: {b: why}\n"], &["m={p,q}", "m[1]=r"]),
    ];
    let mut n = 0;
    for (files, sets) in cases {
        let mut user = Map::new();
        for file in *files {
            values::merge_maps(&mut user, parse_yaml(file));
        }
        let prefix = typed_prefix(&user);
        let mut read = |_: &str| -> Result<Value, String> { unreachable!() };
        let ours = sets.iter().try_for_each(|s| {
            values::parse_set_into(s, SetKind::Typed, &mut user, &mut read)
                .map_err(|e| e.to_string())
        });
        let expr = format!("{prefix},{}", sets.join(","));
        let helm = oracle().strvals("set", &expr);
        match (ours, helm) {
            (Ok(()), Ok(helm)) => {
                let ours = Value::Object(user);
                assert!(
                    same(&ours, &helm),
                    "{files:?} {sets:?}: berth {ours} Helm {helm}"
                );
            }
            (Err(_), Err(_)) => {}
            (ours, helm) => panic!("{files:?} {sets:?}: berth {ours:?} Helm {helm:?}"),
        }
        n += 1;
    }
    assert_eq!(n, cases.len());
}

/// Typed `--set` assignments that rebuild `map` (plain words and integers only).
fn typed_prefix(map: &Map<String, Value>) -> String {
    fn walk(path: &str, v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(&p, v, out);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(&format!("{path}[{i}]"), v, out);
                }
            }
            Value::String(s) => {
                assert!(
                    s.chars().all(|c| c.is_ascii_alphabetic()),
                    "plain words only"
                );
                out.push(format!("{path}={s}"));
            }
            Value::Number(n) => out.push(format!("{path}={}", n.as_f64().expect("f64") as i64)),
            other => panic!("not representable: {other}"),
        }
    }
    let mut out = Vec::new();
    walk("", &Value::Object(map.clone()), &mut out);
    out.join(",")
}

/// A release `set:` entry means `--set KEY=VALUE` with a YAML-typed value.
#[test]
fn release_set_entries_agree_with_helm() {
    let cases: &[(&str, &str, Value, &str)] = &[
        // (earlier --set, key, value, the value as --set text)
        ("a.b={x,y}", "a.b[1]", json!("z"), "z"),
        ("a.b={x,y}", "a.b[3].c", json!(2), "2"),
        ("a.b=x", "a.b.c", json!(true), "true"),
        ("a.b.c=x", "a.b[0]", json!("z"), "z"),
        ("a[0]=x", "a[0].b", json!("y"), "y"),
        ("a[0]=x", "a[0][0]", json!("y"), "y"),
        ("m.k=v", "m.j", json!(5), "5"),
        ("m.k=v", "m", json!(null), "null"),
        ("m.k=v", r"m.a\.b", json!("dotted"), "dotted"),
        ("n=null", "n.x", json!(1), "1"),
    ];
    for (before, key, value, text) in cases {
        let mut user = values::parse_set(before, SetKind::Typed).expect("parses");
        let path = values::parse_set_path(key).expect("a valid path");
        let ours = values::set_path(&mut user, &path, value.clone());
        let helm = oracle().strvals("set", &format!("{before},{key}={text}"));
        match (ours, helm) {
            (Ok(()), Ok(helm)) => {
                let ours = Value::Object(user);
                assert!(
                    same(&ours, &helm),
                    "{before} {key}: berth {ours} Helm {helm}"
                );
            }
            (Err(_), Err(_)) => {}
            (ours, helm) => panic!("{before} {key}: berth {ours:?} Helm {helm:?}"),
        }
    }
}

// ------------------------------------------------------------ numbers

/// Numbers from a values file are float64 in Helm (YAML → JSON → Go), as
/// `typeOf` shows in a template; berth reads them as floats.
#[test]
fn file_numbers_are_float64_as_in_helm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let defaults = "i: 1\nneg: -3\nf: 1.5\nz: 0\nbig: 12345678901234567890\nexp: 1e3\ns: \"1\"\nb: true\nnested: {c: 2, l: [1, 2.5]}\n";
    let tpl = "{{ range $k, $v := .Values }}{{ $k }}={{ typeOf $v }};{{ end }}|{{ typeOf .Values.nested.c }}|{{ range .Values.nested.l }}{{ typeOf . }};{{ end }}";
    let root = chart(dir.path(), "types", defaults, tpl);
    let helm = oracle().render(&root, json!({})).expect("renders");
    let helm = helm["types/templates/out.txt"]
        .as_str()
        .expect("text")
        .to_string();
    let ours = parse_yaml(defaults);
    fn go(v: &Value) -> &'static str {
        match v {
            Value::Number(n) if n.is_f64() => "float64",
            Value::Number(_) => "int64",
            Value::String(_) => "string",
            Value::Bool(_) => "bool",
            Value::Object(_) => "map[string]interface {}",
            Value::Array(_) => "[]interface {}",
            Value::Null => "<nil>",
        }
    }
    let mut keys: Vec<&String> = ours.keys().collect();
    keys.sort();
    let mut mine: String = keys
        .iter()
        .map(|k| format!("{k}={};", go(&ours[*k])))
        .collect();
    mine.push_str(&format!("|{}|", go(&ours["nested"]["c"])));
    for v in ours["nested"]["l"].as_array().expect("list") {
        mine.push_str(&format!("{};", go(v)));
    }
    assert_eq!(mine, helm);
}

// ------------------------------------------------------------ generated inputs

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Random expressions over the grammar's tokens, for every kind: whatever
/// Helm makes of them (a map or an error), berth makes the same.
#[test]
fn generated_expressions_agree_with_helm() {
    let common = [
        "a", "b", "=", "=", ",", ".", "[", "]", "[0]", "[1]", "[2]", "{", "}", "\\", "x", "1", "0",
        "-1", "null", "true", " ",
    ];
    let json = [
        "a",
        "b",
        "=",
        "=",
        ",",
        ".",
        "[0]",
        "[1]",
        "1",
        "\"s\"",
        "[1,2]",
        "{\"k\":1}",
        "null",
        "true",
        " ",
        "[",
        "]",
        "{",
        "}",
        "\\",
        "x",
    ];
    for (kind, tokens, count, seed) in [
        ("set", &common, 400, 0x9E37_79B9_7F4A_7C15u64),
        ("string", &common, 150, 0xD1B5_4A32_D192_ED03),
        ("literal", &common, 150, 0xABCD_EF01_2345_6789),
        ("json", &json, 300, 0x1234_5678_9ABC_DEF1),
    ] {
        let mut gen = Gen(seed);
        let mut accepted = 0;
        for _ in 0..count {
            let len = 1 + (gen.next() % 10) as usize;
            let expr: String = (0..len).map(|_| gen.pick(tokens)).collect();
            if compare_strvals(kind, &[&expr]) {
                accepted += 1;
            }
        }
        assert!(
            accepted > count / 10,
            "{kind}: only {accepted} of {count} accepted"
        );
    }
}

/// Random well-formed-looking assignments (paths of keys and indexes, typed
/// scalars, lists, empty values), several per expression, so later pairs
/// edit what earlier ones built — maps, lists, and clashes between them.
#[test]
fn generated_assignments_agree_with_helm() {
    let keys = ["a", "b", "c", "a\\.b", ""];
    let scalars = [
        "1", "0", "007", "-3", "x", "true", "NULL", "", "1.5", "a\\,b", "{p,q}", "{}", "{1,,2}",
    ];
    let json_values = [
        "1",
        "\"s\"",
        "[1,{\"k\":null}]",
        "{\"m\":{\"n\":1}}",
        "null",
        "",
        "true",
        "[]",
    ];
    for (kind, count, seed) in [
        ("set", 500u32, 0x0123_4567_89AB_CDEFu64),
        ("string", 150, 0x0F0F_0F0F_1234_4321),
        ("json", 300, 0x7777_1111_3333_5555),
        ("literal", 150, 0x5555_3333_1111_7777),
    ] {
        let mut gen = Gen(seed);
        let mut accepted = 0;
        for _ in 0..count {
            let pairs = 1 + gen.next() % 4;
            let mut expr = Vec::new();
            for _ in 0..pairs {
                let mut path = gen.pick(&keys[..4]).to_string();
                for _ in 0..gen.next() % 4 {
                    match gen.next() % 3 {
                        0 => path.push_str(&format!("[{}]", gen.next() % 3)),
                        _ => {
                            path.push('.');
                            path.push_str(gen.pick(&keys));
                        }
                    }
                }
                let value = if kind == "json" {
                    gen.pick(&json_values)
                } else {
                    gen.pick(&scalars)
                };
                expr.push(format!("{path}={value}"));
            }
            let expr = expr.join(",");
            if compare_strvals(kind, &[&expr]) {
                accepted += 1;
            }
        }
        assert!(
            accepted > count / 4,
            "{kind}: only {accepted} of {count} accepted"
        );
    }
}

/// A random values tree: maps of up to 3 keys from a small set, to `depth`,
/// with nulls, scalars and lists among the leaves.
fn random_tree(gen: &mut Gen, depth: u32) -> Value {
    match gen.next() % if depth == 0 { 4 } else { 6 } {
        0 => Value::Null,
        1 => json!(gen.next() % 3),
        2 => json!(["v", null]),
        3 => json!("s"),
        _ => {
            let mut map = Map::new();
            for _ in 0..1 + gen.next() % 3 {
                let key = gen.pick(&["p", "q", "r"]).to_string();
                map.insert(key, random_tree(gen, depth - 1));
            }
            Value::Object(map)
        }
    }
}

fn random_map(gen: &mut Gen) -> Map<String, Value> {
    match random_tree(gen, 3) {
        Value::Object(map) => map,
        other => {
            let mut map = Map::new();
            map.insert("p".to_string(), other);
            map
        }
    }
}

/// Random chart defaults and random user layers: berth's MergeMaps of the
/// layers coalesced onto the chart equals Helm's, and berth's MergeMaps
/// equals Helm's (multi-document values.yaml, whose documents Helm merges).
#[test]
fn generated_layers_agree_with_helm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut gen = Gen(0x2468_ACE0_1357_9BDF);
    for i in 0..150 {
        let defaults = random_map(&mut gen);
        let layers: Vec<Map<String, Value>> = (0..1 + gen.next() % 3)
            .map(|_| random_map(&mut gen))
            .collect();
        let mut user = Map::new();
        for layer in &layers {
            values::merge_maps(&mut user, layer.clone());
        }
        let yaml = serde_json::to_string(&defaults).expect("json");
        let root = chart(dir.path(), &format!("g{i}"), &yaml, "x\n");
        let (ours, _) = values::coalesce("g", &parse_yaml(&yaml), user.clone());
        let helm = oracle()
            .merge_values(&root, Value::Object(user.clone()))
            .expect("merges");
        let ours = Value::Object(ours);
        let case = format!("chart {yaml} layers {layers:?}");
        assert!(same(&ours, &helm), "{case}\nberth {ours}\nHelm  {helm}");

        let docs: Vec<String> = layers
            .iter()
            .map(|l| serde_json::to_string(l).expect("json"))
            .collect();
        let root = chart(dir.path(), &format!("gd{i}"), &docs.join("\n---\n"), "x\n");
        let (ours, _) = values::coalesce("gd", &user, Map::new());
        let helm = oracle().merge_values(&root, json!({})).expect("merges");
        let ours = Value::Object(ours);
        assert!(
            same(&ours, &helm),
            "MergeMaps {case}\nberth {ours}\nHelm  {helm}"
        );
    }
}
