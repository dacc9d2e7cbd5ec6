//! Values → emitter events, as Helm's two YAML writers build them.
//!
//! `toYaml` (sigs.k8s.io/yaml.Marshal): encoding/json writes the value,
//! go-yaml v2 reads that JSON back (so a float64 `1e6` becomes the int
//! `1000000`, `1e20` the float `1e+20`) and its encoder writes it: keys in
//! go-yaml's order, strings quoted when they would read back as another type.
//! `toYamlPretty` (go-yaml v3's encoder) takes the value as is: float64
//! stays a float (`1e+06`).

use serde_json::Value;

use super::emit::{self, Event, Flavor, Style};
use super::resolve::{self, Scalar};
use super::sort;
use super::Error;
use crate::gofloat;

/// Deepest nesting go-yaml's scanner accepts when sigs re-reads the JSON.
const MAX_FLOW_DEPTH: usize = 10_000;

pub fn marshal_v2(value: &Value) -> Result<String, Error> {
    check_depth(value)?;
    check_reader_chars(value)?;
    let mut events = Vec::new();
    build(value, Flavor::V2, &mut events);
    Ok(emit::emit_document(&events, Flavor::V2, 2))
}

pub fn marshal_v3(value: &Value) -> Result<String, Error> {
    let mut events = Vec::new();
    build(value, Flavor::V3, &mut events);
    Ok(emit::emit_document(&events, Flavor::V3, 2))
}

/// sigs re-reads the JSON text with go-yaml, whose scanner refuses more
/// than 10,000 nested flow collections.
fn check_depth(value: &Value) -> Result<(), Error> {
    let mut stack = vec![(value, 1usize)];
    while let Some((v, d)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(m) => Box::new(m.values()),
            _ => continue,
        };
        if d > MAX_FLOW_DEPTH {
            return Err(Error::marshal(format!(
                "yaml: exceeded max depth of {MAX_FLOW_DEPTH}"
            )));
        }
        stack.extend(children.map(|c| (c, d + 1)));
    }
    Ok(())
}

/// sigs re-reads encoding/json's text with go-yaml, whose reader refuses
/// the raw characters encoding/json leaves unescaped (DEL, C1 controls
/// but NEL, U+FFFE, U+FFFF): such a value cannot be written.
fn check_reader_chars(value: &Value) -> Result<(), Error> {
    // encoding/json escapes controls below U+0020 and U+2028/U+2029 itself
    let bad = |s: &str| {
        // ASCII below DEL is always allowed (controls are escaped by encoding/json).
        !s.bytes().all(|b| b < 0x7f)
            && s.chars().any(|c| {
                c >= ' ' && !matches!(c, '\u{2028}' | '\u{2029}') && !super::compat::allowed_char(c)
            })
    };
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) if bad(s) => {
                return Err(Error::marshal(
                    "yaml: control characters are not allowed".into(),
                ))
            }
            Value::Array(items) => stack.extend(items),
            Value::Object(m) => {
                if m.keys().any(|k| bad(k)) {
                    return Err(Error::marshal(
                        "yaml: control characters are not allowed".into(),
                    ));
                }
                stack.extend(m.values());
            }
            _ => {}
        }
    }
    Ok(())
}

fn scalar(value: impl Into<String>, style: Style) -> Event {
    Event::Scalar {
        value: value.into(),
        style,
    }
}

/// go-yaml's `stringv`: literal for multi-line text, plain when the text
/// reads back as a string, double-quoted otherwise.
fn string_event(s: &str, flavor: Flavor) -> Event {
    let can_plain = match flavor {
        Flavor::V2 => !resolve::needs_quotes(s),
        Flavor::V3 => !(resolve::needs_quotes(s) || resolve::is_old_bool(s)),
    };
    let style = if s.contains('\n') {
        Style::Literal
    } else if can_plain {
        Style::Plain
    } else {
        Style::DoubleQuoted
    };
    scalar(s, style)
}

/// A JSON number as go-yaml v2 reads its encoding/json text back.
fn number_v2(n: &serde_json::Number) -> String {
    let text = if n.is_f64() {
        gofloat::format_json(n.as_f64().unwrap_or(0.0))
    } else {
        n.to_string()
    };
    match resolve::resolve("", &text) {
        Ok((_, Scalar::Int(i))) => i.to_string(),
        Ok((_, Scalar::Uint(u))) => u.to_string(),
        Ok((_, Scalar::Float(f))) => float_text(f),
        _ => text,
    }
}

/// A number as go-yaml v3 writes a Go int or float64.
fn number_v3(n: &serde_json::Number) -> String {
    if n.is_f64() {
        float_text(n.as_f64().unwrap_or(0.0))
    } else {
        n.to_string()
    }
}

/// go-yaml's `floatv`: `%g` shortest, with YAML's spellings of ±Inf and NaN.
fn float_text(f: f64) -> String {
    match gofloat::format_g(f, 64).as_str() {
        "+Inf" => ".inf".into(),
        "-Inf" => "-.inf".into(),
        "NaN" => ".nan".into(),
        s => s.to_string(),
    }
}

/// The string go-yaml v2 reads back from encoding/json's text: a raw NEL
/// (U+0085, which encoding/json does not escape) is a line break inside a
/// double-quoted scalar and folds like one.
fn reread(s: &str, flavor: Flavor) -> std::borrow::Cow<'_, str> {
    if flavor == Flavor::V3 || !s.contains('\u{85}') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{85}' {
            out.push(c);
            continue;
        }
        // spaces before the break go; so do blanks and breaks after it
        while out.ends_with(' ') {
            out.pop();
        }
        let mut breaks = 1;
        while let Some(&n) = chars.peek() {
            match n {
                ' ' => {}
                '\u{85}' => breaks += 1,
                _ => break,
            }
            chars.next();
        }
        if breaks == 1 {
            out.push(' ');
        } else {
            for _ in 1..breaks {
                out.push('\n');
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

fn build(value: &Value, flavor: Flavor, out: &mut Vec<Event>) {
    // explicit stack: values may nest 10,000 deep
    enum Work<'a> {
        Value(&'a Value),
        Key(&'a str),
        End(Event),
    }
    let mut work = vec![Work::Value(value)];
    while let Some(w) = work.pop() {
        match w {
            Work::End(ev) => out.push(ev),
            Work::Key(k) => out.push(string_event(&reread(k, flavor), flavor)),
            Work::Value(v) => match v {
                Value::Null => out.push(scalar("null", Style::Plain)),
                Value::Bool(b) => out.push(scalar(b.to_string(), Style::Plain)),
                Value::Number(n) => out.push(scalar(
                    match flavor {
                        Flavor::V2 => number_v2(n),
                        Flavor::V3 => number_v3(n),
                    },
                    Style::Plain,
                )),
                Value::String(s) => out.push(string_event(&reread(s, flavor), flavor)),
                Value::Array(items) => {
                    out.push(Event::SequenceStart { flow: false });
                    work.push(Work::End(Event::SequenceEnd));
                    for item in items.iter().rev() {
                        work.push(Work::Value(item));
                    }
                }
                Value::Object(m) => {
                    out.push(Event::MappingStart { flow: false });
                    work.push(Work::End(Event::MappingEnd));
                    let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                    sort::sort_by_key(&mut entries, |e| e.0.as_str(), flavor);
                    for (k, v) in entries.into_iter().rev() {
                        work.push(Work::Value(v));
                        work.push(Work::Key(k));
                    }
                }
            },
        }
    }
}
