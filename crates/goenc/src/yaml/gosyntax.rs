//! Go's `%#v` of a decoded YAML value, for the error messages that quote a
//! key the way go-yaml and sigs.k8s.io/yaml print it
//! (`invalid map key: []interface {}{"a"}`). Only the shapes those
//! messages can contain.

use super::decode::GoValue;
use crate::gofloat;

/// `%#v` of a value held in an `interface{}`; a nil prints `<nil>` at the
/// top (as fmt does for a nil interface argument).
pub fn go_syntax(v: &GoValue) -> String {
    match v {
        GoValue::Nil => "<nil>".into(),
        _ => inner(v),
    }
}

/// `%#v` of a nil or non-nil element inside a container.
fn inner(v: &GoValue) -> String {
    match v {
        GoValue::Nil => "interface {}(nil)".into(),
        GoValue::Bool(b) => b.to_string(),
        GoValue::Int(i) => i.to_string(),
        GoValue::Uint(u) => format!("0x{u:x}"),
        GoValue::Float(f) => gofloat::format_g(*f, 64),
        GoValue::Str(s) => quote(s),
        GoValue::Seq(items) => {
            let parts: Vec<String> = items.iter().map(inner).collect();
            format!("[]interface {{}}{{{}}}", parts.join(", "))
        }
        GoValue::Map(m) => {
            let mut entries: Vec<&(GoValue, GoValue)> = m.entries.iter().collect();
            entries.sort_by(|a, b| key_order(&a.0, &b.0));
            let parts: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{}:{}", inner(k), inner(v)))
                .collect();
            format!("map[interface {{}}]interface {{}}{{{}}}", parts.join(", "))
        }
    }
}

/// fmt's sorted map printing: interface keys by dynamic type first (Go
/// orders types by their runtime descriptor's address: nil lowest, then in
/// Helm's binary string before int; the rest of this order is a guess),
/// then by value.
fn key_order(a: &GoValue, b: &GoValue) -> std::cmp::Ordering {
    fn rank(v: &GoValue) -> u8 {
        match v {
            GoValue::Nil => 0,
            GoValue::Str(_) => 1,
            GoValue::Int(_) => 2,
            GoValue::Bool(_) => 3,
            GoValue::Float(_) => 4,
            GoValue::Uint(_) => 5,
            GoValue::Seq(_) => 6,
            GoValue::Map(_) => 7,
        }
    }
    match (a, b) {
        (GoValue::Str(x), GoValue::Str(y)) => x.cmp(y),
        (GoValue::Int(x), GoValue::Int(y)) => x.cmp(y),
        (GoValue::Uint(x), GoValue::Uint(y)) => x.cmp(y),
        (GoValue::Bool(x), GoValue::Bool(y)) => x.cmp(y),
        (GoValue::Float(x), GoValue::Float(y)) => x.total_cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Go's `strconv.Quote`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            '\u{fffd}' => out.push('\u{fffd}'),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' || c == '\u{feff}' => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
