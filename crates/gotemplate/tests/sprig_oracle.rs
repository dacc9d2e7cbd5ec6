//! Differential test of `gotemplate::sprig` against Helm v4 (the oracle):
//! every probe in `tests/probes/sprig-*.txt` that is a plain call of sprig
//! functions on literals (`{{ f "a" 1 (g 2) | h }}`) is evaluated here with a
//! tiny pipeline evaluator over `sprig::functions()`, and its output (or its
//! `error calling F: ...` message) compared with Helm's. Probes that need
//! the real executor (`.Values`, variables, control actions, builtins) are
//! left to the engine's harness; this test only counts them.

use std::path::{Path, PathBuf};

use gotemplate::value::Value;
use gotemplate::{Env, FuncError, FuncMap, Param};

struct NoEnv;

impl Env for NoEnv {
    fn execute_named(&mut self, _: &str, _: Value) -> Result<String, FuncError> {
        Err(FuncError::new("no executor"))
    }
    fn execute_text(&mut self, _: &str, _: Value) -> Result<String, FuncError> {
        Err(FuncError::new("no executor"))
    }
}

/// Why a probe is not evaluated here.
#[derive(Debug)]
struct Unsupported;

enum Outcome {
    Text(String),
    /// (function name, message)
    Error(String, String),
}

#[derive(Debug, Clone)]
enum Tok {
    Str(String),
    Num(String),
    Ident(String),
    Open,
    Close,
    Pipe,
    /// `.Name` (a field or method of the value before it, or of dot).
    Field(String),
    /// `$name`.
    Var(String),
    /// `:=`.
    Declare,
}

fn lex(s: &str) -> Result<Vec<Tok>, Unsupported> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '(' {
            out.push(Tok::Open);
            i += 1;
        } else if ch == ')' {
            out.push(Tok::Close);
            i += 1;
        } else if ch == '|' {
            out.push(Tok::Pipe);
            i += 1;
        } else if ch == ':' && c.get(i + 1) == Some(&'=') {
            out.push(Tok::Declare);
            i += 2;
        } else if ch == '.' || ch == '$' {
            let mut j = i + 1;
            while j < c.len() && (c[j].is_alphanumeric() || c[j] == '_') {
                j += 1;
            }
            let name: String = c[i + 1..j].iter().collect();
            if ch == '$' {
                out.push(Tok::Var(name));
            } else if name.is_empty() {
                return Err(Unsupported);
            } else {
                out.push(Tok::Field(name));
            }
            i = j;
        } else if ch == '"' {
            let mut j = i + 1;
            let mut text = String::new();
            while j < c.len() && c[j] != '"' {
                if c[j] == '\\' {
                    j += 1;
                    match c.get(j) {
                        Some('n') => text.push('\n'),
                        Some('t') => text.push('\t'),
                        Some('\\') => text.push('\\'),
                        Some('"') => text.push('"'),
                        _ => return Err(Unsupported),
                    }
                } else {
                    text.push(c[j]);
                }
                j += 1;
            }
            out.push(Tok::Str(text));
            i = j + 1;
        } else if ch == '`' {
            let mut j = i + 1;
            while j < c.len() && c[j] != '`' {
                j += 1;
            }
            out.push(Tok::Str(c[i + 1..j].iter().collect()));
            i = j + 1;
        } else if ch.is_ascii_digit() || ch == '-' || ch == '+' {
            let mut j = i + 1;
            while j < c.len() && (c[j].is_ascii_alphanumeric() || c[j] == '.' || c[j] == '_') {
                j += 1;
            }
            out.push(Tok::Num(c[i..j].iter().collect()));
            i = j;
        } else if ch.is_alphabetic() {
            let mut j = i + 1;
            while j < c.len() && (c[j].is_alphanumeric() || c[j] == '_') {
                j += 1;
            }
            out.push(Tok::Ident(c[i..j].iter().collect()));
            i = j;
        } else {
            return Err(Unsupported);
        }
    }
    Ok(out)
}

enum Node {
    Lit(Value),
    Call(String, Vec<Node>),
    Pipe(Vec<Node>),
    /// `$x`, or `.Values` when the variable name is empty ("dot").
    Var(String),
    /// A field chain on a base node; the last field may be a method called with args.
    Chain(Box<Node>, Vec<String>, Vec<Node>),
}

fn parse_pipeline(t: &[Tok], i: &mut usize) -> Result<Node, Unsupported> {
    let mut cmds = vec![parse_cmd(t, i)?];
    while matches!(t.get(*i), Some(Tok::Pipe)) {
        *i += 1;
        cmds.push(parse_cmd(t, i)?);
    }
    Ok(Node::Pipe(cmds))
}

fn parse_cmd(t: &[Tok], i: &mut usize) -> Result<Node, Unsupported> {
    match t.get(*i) {
        Some(Tok::Ident(name)) if !matches!(name.as_str(), "true" | "false" | "nil") => {
            *i += 1;
            let args = parse_args(t, i)?;
            Ok(Node::Call(name.clone(), args))
        }
        _ => {
            let operand = parse_operand(t, i)?;
            if let Node::Chain(base, fields, _) = operand {
                let args = parse_args(t, i)?;
                return Ok(Node::Chain(base, fields, args));
            }
            Ok(operand)
        }
    }
}

fn parse_args(t: &[Tok], i: &mut usize) -> Result<Vec<Node>, Unsupported> {
    let mut args = Vec::new();
    while let Some(tok) = t.get(*i) {
        if matches!(tok, Tok::Pipe | Tok::Close) {
            break;
        }
        args.push(parse_operand(t, i)?);
    }
    Ok(args)
}

/// Fields following an operand (`(x).A.B`, `$v.A`, `.Values.a`).
fn parse_fields(t: &[Tok], i: &mut usize, base: Node) -> Node {
    let mut fields = Vec::new();
    while let Some(Tok::Field(f)) = t.get(*i) {
        fields.push(f.clone());
        *i += 1;
    }
    if fields.is_empty() {
        base
    } else {
        Node::Chain(Box::new(base), fields, Vec::new())
    }
}

fn parse_operand(t: &[Tok], i: &mut usize) -> Result<Node, Unsupported> {
    let tok = t.get(*i).ok_or(Unsupported)?.clone();
    *i += 1;
    match tok {
        Tok::Str(s) => Ok(Node::Lit(Value::from(s))),
        Tok::Num(n) => {
            if let Ok(v) = n.parse::<i64>() {
                Ok(Node::Lit(Value::Int(v)))
            } else if n.contains(['.', 'e']) && !n.starts_with("0x") {
                n.parse::<f64>()
                    .map(|f| Node::Lit(Value::Float64(f)))
                    .map_err(|_| Unsupported)
            } else {
                Err(Unsupported)
            }
        }
        Tok::Ident(id) => match id.as_str() {
            "true" => Ok(Node::Lit(Value::Bool(true))),
            "false" => Ok(Node::Lit(Value::Bool(false))),
            "nil" => Ok(Node::Lit(Value::Nil)),
            _ => Ok(Node::Call(id, Vec::new())),
        },
        Tok::Open => {
            let node = parse_pipeline(t, i)?;
            match t.get(*i) {
                Some(Tok::Close) => {
                    *i += 1;
                    Ok(parse_fields(t, i, node))
                }
                _ => Err(Unsupported),
            }
        }
        Tok::Var(name) => Ok(parse_fields(t, i, Node::Var(name))),
        Tok::Field(first) => {
            *i -= 1;
            let _ = first;
            Ok(parse_fields(t, i, Node::Var(String::new())))
        }
        _ => Err(Unsupported),
    }
}

/// A literal as `text/template` hands it to a parameter of type `p`.
fn convert(v: Value, p: Param, literal: bool) -> Result<Value, Unsupported> {
    Ok(match (p, v) {
        (Param::Any, v) => v,
        (Param::String, v @ Value::String(_)) => v,
        (Param::Int, Value::Int(i)) => Value::Int(i),
        (Param::Int64, Value::Int(i)) if literal => Value::Int64(i),
        (Param::Int64, v @ Value::Int64(_)) => v,
        (Param::Float64, Value::Int(i)) if literal => Value::Float64(i as f64),
        (Param::Float64, v @ Value::Float64(_)) => v,
        (Param::Bool, v @ Value::Bool(_)) => v,
        (Param::Map, v @ (Value::Map(_) | Value::Nil)) => v,
        (Param::Slice, v @ (Value::List(gotemplate::SliceType::Interface, _) | Value::Nil)) => v,
        (Param::StringSlice, v @ Value::List(gotemplate::SliceType::String, _)) => v,
        _ => return Err(Unsupported),
    })
}

/// Variables and dot (the chart's `.Values` under key "Values").
struct Scope<'a> {
    funcs: &'a FuncMap,
    dot: Value,
    vars: std::collections::HashMap<String, Value>,
}

type Eval = Result<Result<Value, (String, String)>, Unsupported>;

/// The two builtins probes lean on (the engine owns the real ones): `len`, and `eq` of two scalars.
fn builtin(name: &str, args: &[Value]) -> Option<Result<Value, Unsupported>> {
    match (name, args) {
        ("len", [v]) => Some(match v {
            Value::String(s) => Ok(Value::Int(s.len() as i64)),
            Value::List(_, l) => Ok(Value::Int(l.len() as i64)),
            Value::Map(m) => Ok(Value::Int(m.borrow().len() as i64)),
            _ => Err(Unsupported),
        }),
        ("eq", [a, b]) => Some(match (a, b) {
            (Value::String(x), Value::String(y)) => Ok(Value::Bool(x == y)),
            (Value::Bool(x), Value::Bool(y)) => Ok(Value::Bool(x == y)),
            (Value::Int(x), Value::Int(y)) => Ok(Value::Bool(x == y)),
            _ => Err(Unsupported),
        }),
        _ => None,
    }
}

fn field_of(v: &Value, name: &str, args: Vec<Value>, last: bool) -> Eval {
    match v {
        Value::Map(m) if args.is_empty() => {
            Ok(Ok(m.borrow().get(name).cloned().unwrap_or(Value::Nil)))
        }
        Value::Object(o) if o.has_method(name) => {
            if !last && !args.is_empty() {
                return Err(Unsupported);
            }
            Ok(o.call_method(name, &args)
                .map_err(|e| (name.to_string(), e)))
        }
        Value::Object(o) if args.is_empty() => o.field(name).map(Ok).ok_or(Unsupported),
        _ => Err(Unsupported),
    }
}

fn eval(n: &Node, sc: &Scope, piped: Option<Value>) -> Eval {
    match n {
        Node::Lit(v) => {
            if piped.is_some() {
                return Err(Unsupported);
            }
            Ok(Ok(v.clone()))
        }
        Node::Var(name) => {
            if piped.is_some() {
                return Err(Unsupported);
            }
            if name.is_empty() {
                return Ok(Ok(sc.dot.clone()));
            }
            sc.vars.get(name).cloned().map(Ok).ok_or(Unsupported)
        }
        Node::Chain(base, fields, args) => {
            let mut value = match eval(base, sc, None)? {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            };
            let mut call_args = Vec::new();
            for a in args {
                match eval(a, sc, None)? {
                    Ok(v) => call_args.push(v),
                    Err(e) => return Ok(Err(e)),
                }
            }
            if let Some(p) = piped {
                call_args.push(p);
            }
            for (k, f) in fields.iter().enumerate() {
                let last = k + 1 == fields.len();
                let these = if last {
                    std::mem::take(&mut call_args)
                } else {
                    Vec::new()
                };
                match field_of(&value, f, these, last)? {
                    Ok(v) => value = v,
                    Err(e) => return Ok(Err(e)),
                }
            }
            Ok(Ok(value))
        }
        Node::Pipe(cmds) => {
            let mut value = piped;
            for c in cmds {
                match eval(c, sc, value.take())? {
                    Ok(v) => value = Some(v),
                    Err(e) => return Ok(Err(e)),
                }
            }
            Ok(Ok(value.unwrap_or(Value::Nil)))
        }
        Node::Call(name, args) => {
            let mut vals = Vec::new();
            let mut literal = Vec::new();
            for a in args {
                match eval(a, sc, None)? {
                    Ok(v) => vals.push(v),
                    Err(e) => return Ok(Err(e)),
                }
                literal.push(matches!(a, Node::Lit(_)));
            }
            if let Some(p) = piped {
                vals.push(p);
                literal.push(false);
            }
            if let Some(result) = builtin(name, &vals) {
                return result.map(Ok);
            }
            let func = sc.funcs.get(name).ok_or(Unsupported)?;
            let sig = func.signature;
            let fixed = sig.params.len();
            if vals.len() < fixed || (sig.variadic.is_none() && vals.len() != fixed) {
                return Err(Unsupported);
            }
            let mut conv = Vec::new();
            for (i, v) in vals.into_iter().enumerate() {
                let p = if i < fixed {
                    sig.params[i]
                } else {
                    sig.variadic.ok_or(Unsupported)?
                };
                conv.push(convert(v, p, literal[i])?);
            }
            Ok((func.call)(&mut NoEnv, conv).map_err(|e| (name.clone(), e.0)))
        }
    }
}

/// Evaluate a probe made of text and `{{ pipeline }}` / `{{ $v := pipeline }}` actions.
fn run_probe(probe: &str, funcs: &FuncMap, values: &Value) -> Result<Outcome, Unsupported> {
    let mut dot = std::collections::BTreeMap::new();
    dot.insert("Values".to_string(), values.clone());
    let mut sc = Scope {
        funcs,
        dot: Value::map(dot),
        vars: Default::default(),
    };
    let mut out = String::new();
    let mut rest = probe;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").ok_or(Unsupported)? + start;
        let inner = &rest[start + 2..end];
        if inner.starts_with('-') || inner.ends_with('-') {
            return Err(Unsupported);
        }
        let toks = lex(inner)?;
        let (declare, body) = match toks.as_slice() {
            [Tok::Var(name), Tok::Declare, body @ ..] => (Some(name.clone()), body),
            _ => (None, toks.as_slice()),
        };
        let mut i = 0;
        let node = parse_pipeline(body, &mut i)?;
        if i != body.len() {
            return Err(Unsupported);
        }
        match eval(&node, &sc, None)? {
            Ok(v) => match &declare {
                Some(name) => {
                    sc.vars.insert(name.clone(), v);
                }
                None if v.is_nil() => {}
                None => out.push_str(&gotemplate::fmt::display(&v)),
            },
            Err((name, msg)) => return Ok(Outcome::Error(name, msg)),
        }
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    Ok(Outcome::Text(out))
}

/// A values file as Helm holds it: YAML → JSON → every number a float64.
fn chart_values(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Number(n) => Value::Float64(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::Array(items) => Value::list(items.iter().map(chart_values).collect()),
        serde_json::Value::Object(m) => Value::map(
            m.iter()
                .map(|(k, v)| (k.clone(), chart_values(v)))
                .collect(),
        ),
        other => Value::from_json(other),
    }
}

/// Compare every probe of `tests/probes/sprig-TOPIC.txt` that this
/// evaluator can run with Helm's rendering; returns how many were compared.
fn check_topic(topic: &str, minimum: usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/probes");
    let file: PathBuf = dir.join(format!("sprig-{topic}.txt"));
    let text = std::fs::read_to_string(&file).expect("probe file");
    let values_file = dir.join(format!("sprig-{topic}.values.yaml"));
    let values_yaml = std::fs::read_to_string(&values_file).ok();
    let values_json = match &values_yaml {
        Some(y) => helm_oracle::oracle()
            .values_from_yaml(y)
            .expect("values file"),
        None => serde_json::json!({}),
    };
    let funcs = gotemplate::sprig::functions();
    let chart =
        std::env::temp_dir().join(format!("gotemplate-sprig-{topic}-{}", std::process::id()));
    std::fs::create_dir_all(chart.join("templates")).expect("temp chart");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: p\nversion: 0.1.0\n",
    )
    .expect("Chart.yaml");
    if let Some(y) = &values_yaml {
        std::fs::write(chart.join("values.yaml"), y).expect("values.yaml");
    }
    let mut compared = 0;
    let mut skipped = 0;
    let mut failures = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        // Each render starts from fresh values (probes may `set` into them).
        let Ok(ours) = run_probe(line, &funcs, &chart_values(&values_json)) else {
            skipped += 1;
            continue;
        };
        std::fs::write(chart.join("templates/t.yaml"), line).expect("template");
        let helm = helm_oracle::oracle()
            .render(&chart, serde_json::json!({"name": "r", "namespace": "ns"}));
        compared += 1;
        let same = match (&ours, &helm) {
            (Outcome::Text(t), Ok(files)) => {
                files["p/templates/t.yaml"].as_str() == Some(t.as_str())
            }
            (Outcome::Error(name, msg), Err(e)) => {
                e.ends_with(&format!("error calling {name}: {msg}"))
                    || (e.starts_with("execution error at (") && e.ends_with(&format!("): {msg}")))
            }
            _ => false,
        };
        if !same {
            let ours = match ours {
                Outcome::Text(t) => format!("{t:?}"),
                Outcome::Error(n, m) => format!("error calling {n}: {m}"),
            };
            let helm = match helm {
                Ok(files) => format!("{:?}", files["p/templates/t.yaml"].as_str().unwrap_or("")),
                Err(e) => e,
            };
            failures.push(format!("{line}\n  berth: {ours}\n  helm:  {helm}"));
        }
    }
    let _ = std::fs::remove_dir_all(&chart);
    eprintln!(
        "sprig-{topic}: {compared} probes compared with Helm, {skipped} left to the engine harness"
    );
    assert!(
        compared >= minimum,
        "sprig-{topic}: only {compared} probes could be compared (want {minimum})"
    );
    assert!(
        failures.is_empty(),
        "{} of {compared} sprig-{topic} probes differ from Helm:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

macro_rules! topics {
    ($($name:ident: $topic:literal >= $min:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_topic($topic, $min);
            }
        )*
    };
}

topics! {
    strings_match_helm: "strings" >= 140,
    lists_match_helm: "lists" >= 125,
    dicts_match_helm: "dicts" >= 80,
    math_match_helm: "math" >= 150,
    defaults_match_helm: "defaults" >= 80,
    regex_match_helm: "regex" >= 70,
    encoding_match_helm: "encoding" >= 35,
    semver_match_helm: "semver" >= 115,
    paths_match_helm: "paths" >= 30,
    dates_match_helm: "dates" >= 80,
    urls_match_helm: "urls" >= 40,
    crypto_match_helm: "crypto" >= 20,
    values_match_helm: "values" >= 80,
}
