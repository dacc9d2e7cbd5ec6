//! The functions every Go template has (`and`, `or`, `not`, `len`, `index`,
//! `slice`, `print`, `printf`, `println`, `html`, `js`, `urlquery`, `call`,
//! `eq`, `ne`, `lt`, `le`, `gt`, `ge`), with Go's argument handling and
//! error texts. A function of the same name in the set's function map wins,
//! as in Go.
//!
//! These bodies work on the executor's values (they see whether a value is
//! missing or a nil `interface {}`); they do no parsing or printing of their
//! own beyond [`crate::fmt`].

use crate::exec::{At, Error, State, Want, RV};
use crate::func::Param;
use crate::parse::Arg;
use crate::value::{SliceType, Value};

const NAMES: &[&str] = &[
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
    "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
];

/// Whether `name` is one of Go's builtin template functions.
pub fn is_builtin(name: &str) -> bool {
    NAMES.contains(&name)
}

type R<T> = Result<T, Error>;

const REFLECT: Want = Want::Reflect;
const ANY: Want = Want::Param(Param::Any);

/// Run builtin `name` (arguments not yet evaluated).
pub(crate) fn call<'a>(
    s: &mut State<'a, '_>,
    dot: &RV,
    name: &str,
    args: &'a [Arg],
    fin: Option<RV>,
    at: At<'a>,
) -> R<RV> {
    if name == "and" || name == "or" {
        if args.len() + usize::from(fin.is_some()) < 1 {
            return Err(s.error(format!(
                "wrong number of args for {name}: want at least 1 got {}",
                args.len()
            )));
        }
        let mut v = RV::Invalid;
        for a in args {
            v = s.eval_arg(dot, Some(REFLECT), a)?;
            if v.truth() == (name == "or") {
                return Ok(v);
            }
        }
        if let Some(f) = fin {
            v = f;
        }
        return Ok(v);
    }
    let (fixed, variadic): (&[Want], Option<Want>) = match name {
        "not" | "len" => (&[REFLECT], None),
        "index" | "slice" | "eq" | "call" => (&[REFLECT], Some(REFLECT)),
        "ne" | "lt" | "le" | "gt" | "ge" => (&[REFLECT, REFLECT], None),
        "printf" => (&[Want::Param(Param::String)], Some(ANY)),
        _ => (&[], Some(ANY)),
    };
    let argv = s.eval_args(dot, name, fixed, variadic, args, fin)?;
    let result: Result<RV, String> = match name {
        "not" => Ok(RV::Typed(Value::Bool(!argv[0].truth()))),
        "len" => length(&argv[0]).map(|n| RV::Typed(Value::Int(n))),
        "index" => index(&argv[0], &argv[1..]),
        "slice" => slice(&argv[0], &argv[1..]),
        "eq" => eq(&argv[0], &argv[1..]).map(|b| RV::Typed(Value::Bool(b))),
        "ne" => eq(&argv[0], &argv[1..]).map(|b| RV::Typed(Value::Bool(!b))),
        "lt" => lt(&argv[0], &argv[1]).map(|b| RV::Typed(Value::Bool(b))),
        "le" => le(&argv[0], &argv[1]).map(|b| RV::Typed(Value::Bool(b))),
        "gt" => le(&argv[0], &argv[1]).map(|b| RV::Typed(Value::Bool(!b))),
        "ge" => lt(&argv[0], &argv[1]).map(|b| RV::Typed(Value::Bool(!b))),
        "call" => {
            let callee = args.first().map(|a| a.to_string()).unwrap_or_default();
            match argv[0].concrete() {
                None => Err("call of nil".to_string()),
                Some(v) => Err(format!("non-function {callee} of type {}", v.type_name())),
            }
        }
        "print" | "println" | "printf" => {
            let vals: Vec<Value> = argv.into_iter().map(RV::into_value).collect();
            Ok(RV::Typed(Value::str(match name {
                "print" => crate::fmt::sprint(&vals),
                "println" => crate::fmt::sprintln(&vals),
                _ => {
                    let format = vals[0].as_str().unwrap_or_default().to_string();
                    crate::fmt::sprintf(&format, &vals[1..])
                }
            })))
        }
        "html" => Ok(RV::Typed(Value::str(html_escape(&eval_args(argv))))),
        "js" => Ok(RV::Typed(Value::str(js_escape(&eval_args(argv))))),
        "urlquery" => Ok(RV::Typed(Value::str(query_escape(&eval_args(argv))))),
        _ => Err(format!("unknown builtin {name}")),
    };
    result.map_err(|msg| s.fail(name, msg, at))
}

/// Go's `evalArgs`: one string argument as it is, otherwise `Sprint` with
/// missing values printed as `<no value>`.
fn eval_args(argv: Vec<RV>) -> String {
    if argv.len() == 1 {
        if let Some(Value::String(s)) = argv[0].concrete() {
            return s.to_string();
        }
    }
    let vals: Vec<Value> = argv
        .into_iter()
        .map(|v| match v.concrete() {
            None => Value::str("<no value>"),
            Some(v) => v.clone(),
        })
        .collect();
    crate::fmt::sprint(&vals)
}

fn length(v: &RV) -> Result<i64, String> {
    match v {
        RV::Invalid => Err("reflect: call of reflect.Value.Type on zero Value".into()),
        RV::Iface(Value::Nil) => Err("len of nil pointer".into()),
        RV::Iface(v) | RV::Typed(v) => match v {
            Value::String(s) => Ok(s.len() as i64),
            Value::Bytes(b) => Ok(b.len() as i64),
            Value::List(_, l) => Ok(l.len() as i64),
            Value::Map(m) => Ok(m.borrow().len() as i64),
            Value::Object(o) => match (o.entries(), o.items()) {
                (Some(e), _) => Ok(e.len() as i64),
                (_, Some(i)) => Ok(i.len() as i64),
                _ => Err(format!("len of type {}", o.type_name())),
            },
            other => Err(format!("len of type {}", other.type_name())),
        },
    }
}

fn index_arg(index: &RV, cap: usize, exclusive: bool) -> Result<usize, String> {
    let x: i128 = match index.concrete() {
        Some(Value::Int(i) | Value::Int64(i)) => *i as i128,
        Some(Value::Uint64(u)) => *u as i128,
        None => return Err("cannot index slice/array with nil".into()),
        Some(v) => {
            return Err(format!(
                "cannot index slice/array with type {}",
                v.type_name()
            ))
        }
    };
    if x < 0 || x > cap as i128 || (exclusive && x == cap as i128) {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index(item: &RV, indexes: &[RV]) -> Result<RV, String> {
    if item.concrete().is_none() {
        return Err("index of untyped nil".into());
    }
    let mut item = item.clone();
    for index in indexes {
        let Some(v) = item.concrete().cloned() else {
            return Err("index of nil pointer".into());
        };
        item = match &v {
            Value::List(st, items) => {
                let x = index_arg(index, items.len(), false)?;
                if x == items.len() {
                    return Err("reflect: slice index out of range".into());
                }
                match st {
                    SliceType::Interface => RV::Iface(items[x].clone()),
                    _ => RV::typed(items[x].clone()),
                }
            }
            Value::String(s) => {
                let x = index_arg(index, s.len(), false)?;
                if x == s.len() {
                    return Err("reflect: string index out of range".into());
                }
                RV::Typed(Value::Uint64(s.as_bytes()[x] as u64))
            }
            Value::Bytes(b) => {
                let x = index_arg(index, b.len(), false)?;
                if x == b.len() {
                    return Err("reflect: slice index out of range".into());
                }
                RV::Typed(Value::Uint64(b[x] as u64))
            }
            Value::Map(m) => {
                let key = match index.concrete() {
                    Some(Value::String(k)) => k.clone(),
                    None => return Err("value is nil; should be of type string".into()),
                    Some(other) => {
                        return Err(format!(
                            "value has type {}; should be string",
                            other.type_name()
                        ))
                    }
                };
                let got = m.borrow().get(&*key).cloned();
                RV::Iface(got.unwrap_or(Value::Nil))
            }
            Value::Object(o) if o.entries().is_some() => {
                let key = match index.concrete() {
                    Some(Value::String(k)) => k.clone(),
                    None => return Err("value is nil; should be of type string".into()),
                    Some(other) => {
                        return Err(format!(
                            "value has type {}; should be string",
                            other.type_name()
                        ))
                    }
                };
                let entries = o.entries().unwrap_or_default();
                match entries.into_iter().find(|(k, _)| *k == *key) {
                    Some((_, v)) => RV::typed(v),
                    None => RV::Typed(Value::Bytes(std::rc::Rc::from(Vec::new()))),
                }
            }
            Value::Object(o) if o.items().is_some() => {
                let items = o.items().unwrap_or_default();
                let x = index_arg(index, items.len(), false)?;
                if x == items.len() {
                    return Err("reflect: slice index out of range".into());
                }
                RV::typed(items[x].clone())
            }
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn slice(item: &RV, indexes: &[RV]) -> Result<RV, String> {
    let Some(v) = item.concrete() else {
        return Err("slice of untyped nil".into());
    };
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let len = match v {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            s.len()
        }
        Value::List(_, l) => l.len(),
        Value::Bytes(b) => b.len(),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let mut idx = [0, len, len];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(index, len, false)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(match v {
        Value::String(s) => match s.get(idx[0]..idx[1]) {
            Some(sub) => RV::Typed(Value::str(sub)),
            None => RV::Typed(Value::Bytes(s.as_bytes()[idx[0]..idx[1]].into())),
        },
        Value::List(st, l) => RV::Typed(Value::List(*st, l[idx[0]..idx[1]].to_vec().into())),
        Value::Bytes(b) => RV::Typed(Value::Bytes(b[idx[0]..idx[1]].into())),
        _ => RV::Invalid,
    })
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Uint,
    Float,
    String,
}

fn basic_kind(v: Option<&Value>) -> Kind {
    match v {
        Some(Value::Bool(_)) => Kind::Bool,
        Some(Value::Int(_) | Value::Int64(_)) => Kind::Int,
        Some(Value::Uint64(_)) => Kind::Uint,
        Some(Value::Float64(_)) => Kind::Float,
        Some(Value::String(_)) => Kind::String,
        _ => Kind::Invalid,
    }
}

fn as_int(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        _ => 0,
    }
}

fn as_uint(v: &Value) -> u64 {
    match v {
        Value::Uint64(u) => *u,
        _ => 0,
    }
}

fn as_float(v: &Value) -> f64 {
    match v {
        Value::Float64(f) => *f,
        _ => 0.0,
    }
}

/// Go's reflect kind, for `canCompare`.
fn reflect_kind(v: &Value) -> &'static str {
    match v {
        Value::List(..) | Value::Bytes(_) => "slice",
        Value::Map(_) => "map",
        Value::Object(o) if o.kind_name() == "ptr" => "ptr",
        Value::Object(_) => "struct",
        _ => "basic",
    }
}

fn percent_s(v: &Value) -> String {
    crate::fmt::sprintf("%s", std::slice::from_ref(v))
}

fn eq(arg1: &RV, rest: &[RV]) -> Result<bool, String> {
    let v1 = arg1.concrete();
    if rest.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let k1 = basic_kind(v1);
    for arg in rest {
        let v2 = arg.concrete();
        let k2 = basic_kind(v2);
        let truth = if k1 != k2 {
            match (k1, k2, v1, v2) {
                (Kind::Int, Kind::Uint, Some(a), Some(b)) => {
                    as_int(a) >= 0 && as_int(a) as u64 == as_uint(b)
                }
                (Kind::Uint, Kind::Int, Some(a), Some(b)) => {
                    as_int(b) >= 0 && as_uint(a) == as_int(b) as u64
                }
                (_, _, Some(a), Some(b)) => {
                    return Err(format!(
                        "incompatible types for comparison: {} and {}",
                        a.type_name(),
                        b.type_name()
                    ))
                }
                _ => false,
            }
        } else {
            match (v1, v2) {
                (Some(a), Some(b)) => match k1 {
                    Kind::Bool => a.truth() == b.truth(),
                    Kind::Int => as_int(a) == as_int(b),
                    Kind::Uint => as_uint(a) == as_uint(b),
                    Kind::Float => as_float(a) == as_float(b),
                    Kind::String => a.as_str() == b.as_str(),
                    Kind::Invalid => {
                        if reflect_kind(a) != reflect_kind(b) {
                            return Err(format!(
                                "non-comparable types {}: {}, {}: {}",
                                percent_s(a),
                                a.type_name(),
                                b.type_name(),
                                crate::fmt::display(b)
                            ));
                        }
                        match (a, b) {
                            (Value::Object(x), Value::Object(y)) => std::rc::Rc::ptr_eq(x, y),
                            _ => {
                                return Err(format!(
                                    "non-comparable type {}: {}",
                                    percent_s(b),
                                    b.type_name()
                                ))
                            }
                        }
                    }
                },
                (None, None) => true,
                _ => false,
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt(arg1: &RV, arg2: &RV) -> Result<bool, String> {
    let bad = || "invalid type for comparison".to_string();
    let v1 = arg1.concrete();
    let k1 = basic_kind(v1);
    if k1 == Kind::Invalid {
        return Err(bad());
    }
    let v2 = arg2.concrete();
    let k2 = basic_kind(v2);
    if k2 == Kind::Invalid {
        return Err(bad());
    }
    let (Some(a), Some(b)) = (v1, v2) else {
        return Err(bad());
    };
    if k1 != k2 {
        return match (k1, k2) {
            (Kind::Int, Kind::Uint) => Ok(as_int(a) < 0 || (as_int(a) as u64) < as_uint(b)),
            (Kind::Uint, Kind::Int) => Ok(as_int(b) >= 0 && as_uint(a) < as_int(b) as u64),
            _ => Err(format!(
                "incompatible types for comparison: {} and {}",
                a.type_name(),
                b.type_name()
            )),
        };
    }
    Ok(match k1 {
        Kind::Bool | Kind::Invalid => return Err(bad()),
        Kind::Int => as_int(a) < as_int(b),
        Kind::Uint => as_uint(a) < as_uint(b),
        Kind::Float => as_float(a) < as_float(b),
        Kind::String => a.as_str() < b.as_str(),
    })
}

fn le(arg1: &RV, arg2: &RV) -> Result<bool, String> {
    if lt(arg1, arg2)? {
        return Ok(true);
    }
    eq(arg1, std::slice::from_ref(arg2))
}

/// Go's `template.HTMLEscapeString`.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02X}", c as u32)),
            c if (c as u32) < 0x80 => out.push(c),
            c if crate::fmt::is_go_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
