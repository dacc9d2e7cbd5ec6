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
            let mut args = Vec::new();
            while let Some(tok) = t.get(*i) {
                if matches!(tok, Tok::Pipe | Tok::Close) {
                    break;
                }
                args.push(parse_operand(t, i)?);
            }
            Ok(Node::Call(name.clone(), args))
        }
        _ => parse_operand(t, i),
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
                n.parse::<f64>().map(|f| Node::Lit(Value::Float64(f))).map_err(|_| Unsupported)
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
                    Ok(node)
                }
                _ => Err(Unsupported),
            }
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

fn eval(n: &Node, f: &FuncMap, piped: Option<Value>) -> Result<Result<Value, (String, String)>, Unsupported> {
    match n {
        Node::Lit(v) => {
            if piped.is_some() {
                return Err(Unsupported);
            }
            Ok(Ok(v.clone()))
        }
        Node::Pipe(cmds) => {
            let mut value = piped;
            for c in cmds {
                match eval(c, f, value.take())? {
                    Ok(v) => value = Some(v),
                    Err(e) => return Ok(Err(e)),
                }
            }
            Ok(Ok(value.unwrap_or(Value::Nil)))
        }
        Node::Call(name, args) => {
            let func = f.get(name).ok_or(Unsupported)?;
            let mut vals = Vec::new();
            let mut literal = Vec::new();
            for a in args {
                match eval(a, f, None)? {
                    Ok(v) => vals.push(v),
                    Err(e) => return Ok(Err(e)),
                }
                literal.push(matches!(a, Node::Lit(_)));
            }
            if let Some(p) = piped {
                vals.push(p);
                literal.push(false);
            }
            let sig = func.signature;
            let fixed = sig.params.len();
            if vals.len() < fixed || (sig.variadic.is_none() && vals.len() != fixed) {
                return Err(Unsupported);
            }
            let mut conv = Vec::new();
            for (i, v) in vals.into_iter().enumerate() {
                let p = if i < fixed { sig.params[i] } else { sig.variadic.ok_or(Unsupported)? };
                conv.push(convert(v, p, literal[i])?);
            }
            Ok((func.call)(&mut NoEnv, conv).map_err(|e| (name.clone(), e.0)))
        }
    }
}

/// Evaluate a probe made of text and `{{ pipeline }}` actions.
fn run_probe(probe: &str, f: &FuncMap) -> Result<Outcome, Unsupported> {
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
        let mut i = 0;
        let node = parse_pipeline(&toks, &mut i)?;
        if i != toks.len() {
            return Err(Unsupported);
        }
        match eval(&node, f, None)? {
            Ok(Value::Nil) => {}
            Ok(v) => out.push_str(&gotemplate::fmt::display(&v)),
            Err((name, msg)) => return Ok(Outcome::Error(name, msg)),
        }
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    Ok(Outcome::Text(out))
}

fn probe_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/probes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/probes")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("sprig-") && name.ends_with(".txt")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn sprig_probes_match_helm() {
    let funcs = gotemplate::sprig::functions();
    let chart = std::env::temp_dir().join(format!("gotemplate-sprig-probes-{}", std::process::id()));
    std::fs::create_dir_all(chart.join("templates")).expect("temp chart");
    std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: p\nversion: 0.1.0\n").expect("Chart.yaml");
    let mut compared = 0;
    let mut skipped = 0;
    let mut failures = Vec::new();
    for file in probe_files() {
        let text = std::fs::read_to_string(&file).expect("probe file");
        for line in text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
            let Ok(ours) = run_probe(line, &funcs) else {
                skipped += 1;
                continue;
            };
            std::fs::write(chart.join("templates/t.yaml"), line).expect("template");
            let helm = helm_oracle::oracle().render(&chart, serde_json::json!({"name": "r", "namespace": "ns"}));
            compared += 1;
            let same = match (&ours, &helm) {
                (Outcome::Text(t), Ok(files)) => files["p/templates/t.yaml"].as_str() == Some(t.as_str()),
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
                failures.push(format!("{}: {line}\n  berth: {ours}\n  helm:  {helm}", file.display()));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&chart);
    eprintln!("sprig probes: {compared} compared with Helm, {skipped} left to the engine harness");
    assert!(compared >= 200, "only {compared} probes could be compared");
    assert!(failures.is_empty(), "{} of {compared} probes differ from Helm:\n{}", failures.len(), failures.join("\n"));
}
