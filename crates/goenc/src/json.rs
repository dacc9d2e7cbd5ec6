//! JSON exactly as Go's encoding/json writes and reads it.
//!
//! Writing ([`to_string`], [`to_string_pretty`], [`to_string_raw`]):
//! map keys sorted bytewise, `<`, `>`, `&`, U+2028 and U+2029 escaped (HTML
//! escaping off for the raw form), floats in Go's `'f'`/`'e'` choice.
//! Reading ([`from_str`], [`from_str_into`]): Go's scanner with its error
//! texts (`invalid character 'x' looking for beginning of value`), its
//! 10,000-level nesting limit, every number a float64.
//!
//! Works on [`serde_json::Value`]; knows nothing of templates.

use serde_json::{Map, Number, Value};

use crate::gofloat;
use crate::Target;

/// A JSON read or write failure with Go's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
    offset: Option<usize>,
    /// What Go leaves decoded when a number does not fit a float64 (the
    /// rest of the document, that number as null).
    partial: Option<Box<Value>>,
}

impl Error {
    fn syntax(message: String, offset: usize) -> Error {
        Error {
            message,
            offset: Some(offset),
            partial: None,
        }
    }

    fn other(message: String) -> Error {
        Error {
            message,
            offset: None,
            partial: None,
        }
    }

    /// The value json.Unmarshal still stored when it failed on a number out
    /// of float64's range (Helm's `fromJson` returns it with `Error` added).
    pub fn partial_value(&self) -> Option<&Value> {
        self.partial.as_deref()
    }

    /// The byte offset of a syntax error (Go's `SyntaxError.Offset`).
    pub fn offset(&self) -> Option<usize> {
        self.offset
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

// ---------------------------------------------------------------- writing

/// `json.Marshal(v)`.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, true, None, 0);
    out
}

/// `json.MarshalIndent(v, "", "  ")` (sprig's `toPrettyJson`).
pub fn to_string_pretty(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, true, Some("  "), 0);
    out
}

/// An `Encoder` with `SetEscapeHTML(false)`, without the final newline
/// (sprig's `toRawJson`).
pub fn to_string_raw(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, false, None, 0);
    out
}

fn newline(out: &mut String, indent: Option<&str>, depth: usize) {
    if let Some(ind) = indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(ind);
        }
    }
}

/// encoding/json's writer, on an explicit stack (values may nest 10,000 deep).
fn write_value(out: &mut String, root: &Value, html: bool, indent: Option<&str>, depth: usize) {
    enum W<'a> {
        Value(&'a Value, usize),
        Key(&'a str),
        /// `,` then a new line at this depth
        Comma(usize),
        /// a new line at this depth, then the closing bracket
        Close(char, usize),
    }
    let mut work = vec![W::Value(root, depth)];
    while let Some(w) = work.pop() {
        match w {
            W::Key(k) => {
                write_string(out, k, html);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
            }
            W::Comma(d) => {
                out.push(',');
                newline(out, indent, d);
            }
            W::Close(c, d) => {
                newline(out, indent, d);
                out.push(c);
            }
            W::Value(v, d) => match v {
                Value::Null => out.push_str("null"),
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                Value::Number(n) => out.push_str(&number_text(n)),
                Value::String(s) => write_string(out, s, html),
                Value::Array(items) if items.is_empty() => out.push_str("[]"),
                Value::Object(m) if m.is_empty() => out.push_str("{}"),
                Value::Array(items) => {
                    out.push('[');
                    newline(out, indent, d + 1);
                    work.push(W::Close(']', d));
                    for (i, item) in items.iter().enumerate().rev() {
                        work.push(W::Value(item, d + 1));
                        if i > 0 {
                            work.push(W::Comma(d + 1));
                        }
                    }
                }
                Value::Object(m) => {
                    let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                    out.push('{');
                    newline(out, indent, d + 1);
                    work.push(W::Close('}', d));
                    for (i, (k, item)) in entries.into_iter().enumerate().rev() {
                        work.push(W::Value(item, d + 1));
                        work.push(W::Key(k));
                        if i > 0 {
                            work.push(W::Comma(d + 1));
                        }
                    }
                }
            },
        }
    }
}

/// A number as encoding/json writes a Go int or float64.
pub(crate) fn number_text(n: &Number) -> String {
    if n.is_f64() {
        gofloat::format_json(n.as_f64().unwrap_or(0.0))
    } else {
        n.to_string()
    }
}

/// encoding/json's string escaping.
pub(crate) fn write_string(out: &mut String, s: &str, html: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '<' | '>' | '&' if html => {
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 0xF] as char);
            }
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 0xF] as char);
            }
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------- reading

/// encoding/json's nesting limit.
const MAX_NESTING_DEPTH: usize = 10_000;

/// `json.Unmarshal(text, &v)` with `v interface{}`.
pub fn from_str(text: &str) -> Result<Value, Error> {
    from_str_into(text, &Target::Any)
}

/// `json.Unmarshal` into a value of Go type `target` (`map[string]interface {}`
/// for Helm's `fromJson`, `[]interface {}` for `fromJsonArray`). A type
/// mismatch at the top is Go's `cannot unmarshal X into Go value of type T`.
pub fn from_str_into(text: &str, target: &Target) -> Result<Value, Error> {
    check_valid(text.as_bytes())?;
    let mut number_error = None;
    let value = build(text, &mut number_error);
    // the kind of the top-level literal (a number out of range is still one)
    let kind = match text
        .trim_start_matches([' ', '\t', '\r', '\n'])
        .as_bytes()
        .first()
    {
        Some(b'{') => Some("object"),
        Some(b'[') => Some("array"),
        Some(b'"') => Some("string"),
        Some(b't' | b'f') => Some("bool"),
        Some(b'n') | None => None,
        Some(_) => Some("number"),
    };
    let mismatch = match (target, kind) {
        (Target::Map(t), Some(k)) if k != "object" => Some((k, t)),
        (Target::Slice(t), Some(k)) if k != "array" => Some((k, t)),
        _ => None,
    };
    if let Some((k, t)) = mismatch {
        return Err(Error::other(format!(
            "json: cannot unmarshal {k} into Go value of type {t}"
        )));
    }
    match number_error {
        Some(e) => Err(Error {
            partial: Some(Box::new(value)),
            ..Error::other(e)
        }),
        None => Ok(value),
    }
}

/// Go's `quoteChar`: how the scanner names a byte in its messages (a
/// byte of a multi-byte character prints as the Latin-1 character of that
/// byte, as Go converts the byte to a rune).
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".into(),
        b'"' => "'\"'".into(),
        _ => {
            let q = crate::yaml::go_quote(&char::from(c).to_string());
            format!("'{}'", &q[1..q.len() - 1])
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    ObjectKey,
    ObjectValue,
    Array,
}

/// Go's `checkValid`: the scanner over the whole input, first error wins.
fn check_valid(b: &[u8]) -> Result<(), Error> {
    let err = |c: u8, at: usize, what: &str| {
        Err(Error::syntax(
            format!("invalid character {} {what}", quote_char(c)),
            at + 1,
        ))
    };
    let eof = || {
        Err(Error::syntax(
            "unexpected end of JSON input".into(),
            b.len(),
        ))
    };
    // Go's scanner ends by feeding a space: inside a token that space is
    // the invalid character it reports
    let eof_in = |what: &str| {
        Err(Error::syntax(
            format!("invalid character ' ' {what}"),
            b.len(),
        ))
    };
    let is_space = |c: u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let mut stack: Vec<Ctx> = Vec::new();
    let mut i = 0;
    // state: expecting a value (true) or after a value (false)
    let mut want_value = true;
    let mut allow_close = false; // right after `[` or `{`
    loop {
        if want_value {
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            let Some(&c) = b.get(i) else { return eof() };
            if allow_close {
                allow_close = false;
                match (c, stack.last()) {
                    (b']', Some(Ctx::Array)) | (b'}', Some(Ctx::ObjectKey)) => {
                        stack.pop();
                        i += 1;
                        want_value = false;
                        continue;
                    }
                    _ => {}
                }
            }
            if stack.last() == Some(&Ctx::ObjectKey) && c != b'"' {
                return err(c, i, "looking for beginning of object key string");
            }
            match c {
                b'{' | b'[' => {
                    stack.push(if c == b'{' {
                        Ctx::ObjectKey
                    } else {
                        Ctx::Array
                    });
                    if stack.len() > MAX_NESTING_DEPTH {
                        return err(c, i, "exceeded max depth");
                    }
                    i += 1;
                    allow_close = true;
                    continue;
                }
                b'"' => {
                    i += 1;
                    loop {
                        let Some(&c) = b.get(i) else { return eof() };
                        match c {
                            b'"' => {
                                i += 1;
                                break;
                            }
                            b'\\' => {
                                i += 1;
                                let Some(&e) = b.get(i) else {
                                    return eof_in("in string escape code");
                                };
                                match e {
                                    b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => {
                                        i += 1
                                    }
                                    b'u' => {
                                        i += 1;
                                        for _ in 0..4 {
                                            let Some(&h) = b.get(i) else {
                                                return eof_in(
                                                    "in \\u hexadecimal character escape",
                                                );
                                            };
                                            if !h.is_ascii_hexdigit() {
                                                return err(
                                                    h,
                                                    i,
                                                    "in \\u hexadecimal character escape",
                                                );
                                            }
                                            i += 1;
                                        }
                                    }
                                    _ => return err(e, i, "in string escape code"),
                                }
                            }
                            c if c < 0x20 => return err(c, i, "in string literal"),
                            _ => i += 1,
                        }
                    }
                }
                b'-' | b'0'..=b'9' => {
                    if c == b'-' {
                        i += 1;
                        match b.get(i) {
                            None => return eof_in("in numeric literal"),
                            Some(b'0'..=b'9') => {}
                            Some(&d) => return err(d, i, "in numeric literal"),
                        }
                    }
                    if b[i] == b'0' {
                        i += 1;
                    } else {
                        while matches!(b.get(i), Some(b'0'..=b'9')) {
                            i += 1;
                        }
                    }
                    if b.get(i) == Some(&b'.') {
                        i += 1;
                        match b.get(i) {
                            None => return eof_in("after decimal point in numeric literal"),
                            Some(b'0'..=b'9') => {}
                            Some(&d) => return err(d, i, "after decimal point in numeric literal"),
                        }
                        while matches!(b.get(i), Some(b'0'..=b'9')) {
                            i += 1;
                        }
                    }
                    if matches!(b.get(i), Some(b'e' | b'E')) {
                        i += 1;
                        if matches!(b.get(i), Some(b'+' | b'-')) {
                            i += 1;
                        }
                        match b.get(i) {
                            None => return eof_in("in exponent of numeric literal"),
                            Some(b'0'..=b'9') => {}
                            Some(&d) => return err(d, i, "in exponent of numeric literal"),
                        }
                        while matches!(b.get(i), Some(b'0'..=b'9')) {
                            i += 1;
                        }
                    }
                }
                b't' | b'f' | b'n' => {
                    let word: &[u8] = match c {
                        b't' => b"true",
                        b'f' => b"false",
                        _ => b"null",
                    };
                    let name = std::str::from_utf8(word).unwrap_or("");
                    for (k, &w) in word.iter().enumerate().skip(1) {
                        match b.get(i + k) {
                            None => {
                                return eof_in(&format!(
                                    "in literal {name} (expecting '{}')",
                                    w as char
                                ))
                            }
                            Some(&x) if x == w => {}
                            Some(&x) => {
                                return err(
                                    x,
                                    i + k,
                                    &format!("in literal {name} (expecting '{}')", w as char),
                                )
                            }
                        }
                    }
                    i += word.len();
                }
                _ => return err(c, i, "looking for beginning of value"),
            }
            want_value = false;
            continue;
        }
        // after a value
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        let Some(ctx) = stack.last().copied() else {
            return match b.get(i) {
                None => Ok(()),
                Some(&c) => err(c, i, "after top-level value"),
            };
        };
        let Some(&c) = b.get(i) else { return eof() };
        match ctx {
            Ctx::ObjectKey => {
                if c != b':' {
                    return err(c, i, "after object key");
                }
                if let Some(top) = stack.last_mut() {
                    *top = Ctx::ObjectValue;
                }
                want_value = true;
            }
            Ctx::ObjectValue => match c {
                b',' => {
                    if let Some(top) = stack.last_mut() {
                        *top = Ctx::ObjectKey;
                    }
                    want_value = true;
                }
                b'}' => {
                    stack.pop();
                }
                _ => return err(c, i, "after object key:value pair"),
            },
            Ctx::Array => match c {
                b',' => want_value = true,
                b']' => {
                    stack.pop();
                }
                _ => return err(c, i, "after array element"),
            },
        }
        i += 1;
    }
}

enum Open {
    Array(Vec<Value>),
    Object(Map<String, Value>, Option<String>),
}

/// Build the value of already-validated JSON (iteratively: 10,000 levels).
fn build(text: &str, number_error: &mut Option<String>) -> Value {
    let b = text.as_bytes();
    let mut i = 0;
    let mut stack: Vec<Open> = Vec::new();
    loop {
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n' | b',' | b':') {
            i += 1;
        }
        let Some(&c) = b.get(i) else {
            return Value::Null;
        };
        let value = match c {
            b'{' => {
                i += 1;
                stack.push(Open::Object(Map::new(), None));
                continue;
            }
            b'[' => {
                i += 1;
                stack.push(Open::Array(Vec::new()));
                continue;
            }
            b'}' | b']' => {
                i += 1;
                match stack.pop() {
                    Some(Open::Array(items)) => Value::Array(items),
                    Some(Open::Object(m, _)) => Value::Object(m),
                    None => return Value::Null,
                }
            }
            b'"' => {
                let (s, next) = read_string(text, i);
                i = next;
                if let Some(Open::Object(_, key @ None)) = stack.last_mut() {
                    *key = Some(s);
                    continue;
                }
                Value::String(s)
            }
            b't' => {
                i += 4;
                Value::Bool(true)
            }
            b'f' => {
                i += 5;
                Value::Bool(false)
            }
            b'n' => {
                i += 4;
                Value::Null
            }
            _ => {
                let start = i;
                while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let lit = &text[start..i];
                match lit
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .and_then(Number::from_f64)
                {
                    Some(n) => Value::Number(n),
                    None => {
                        number_error.get_or_insert_with(|| {
                            format!(
                                "json: cannot unmarshal number {lit} into Go value of type float64"
                            )
                        });
                        Value::Null
                    }
                }
            }
        };
        match stack.last_mut() {
            None => return value,
            Some(Open::Array(items)) => items.push(value),
            Some(Open::Object(m, key)) => {
                if let Some(k) = key.take() {
                    m.insert(k, value);
                }
            }
        }
    }
}

/// Decode the string literal starting at `start` (a `"`); Go's rules for
/// `\u` escapes: surrogate pairs combine, lone surrogates become U+FFFD.
fn read_string(text: &str, start: usize) -> (String, usize) {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut i = start + 1;
    let hex4 = |at: usize| -> Option<u32> {
        text.get(at..at + 4)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    while i < b.len() {
        match b[i] {
            b'"' => return (out, i + 1),
            b'\\' => {
                let e = b.get(i + 1).copied().unwrap_or(b'"');
                i += 2;
                match e {
                    b'b' => out.push('\x08'),
                    b'f' => out.push('\x0c'),
                    b'n' => out.push('\n'),
                    b'r' => out.push('\r'),
                    b't' => out.push('\t'),
                    b'u' => {
                        let u = hex4(i).unwrap_or(0xFFFD);
                        i += 4;
                        if (0xD800..0xDC00).contains(&u)
                            && b.get(i) == Some(&b'\\')
                            && b.get(i + 1) == Some(&b'u')
                        {
                            if let Some(lo) = hex4(i + 2).filter(|lo| (0xDC00..0xE000).contains(lo))
                            {
                                let cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                                out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                                i += 6;
                                continue;
                            }
                        }
                        out.push(char::from_u32(u).unwrap_or('\u{fffd}'));
                    }
                    other => out.push(char::from(other)),
                }
            }
            _ => {
                let rest = &text[i..];
                let ch = rest.chars().next().unwrap_or('\u{fffd}');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    (out, i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn go_marshal_forms() {
        let v = json!({"b": [1, 1.5, "<&>"], "a": {}, "c": [], "d": "\u{2028}\t\u{1}"});
        assert_eq!(
            to_string(&v),
            r#"{"a":{},"b":[1,1.5,"\u003c\u0026\u003e"],"c":[],"d":"\u2028\t\u0001"}"#
        );
        assert_eq!(to_string_raw(&json!("<&>")), r#""<&>""#);
        assert_eq!(
            to_string_pretty(&json!({"a": [1, {}]})),
            "{\n  \"a\": [\n    1,\n    {}\n  ]\n}"
        );
    }

    #[test]
    fn go_unmarshal_errors() {
        let e = |s: &str| from_str(s).unwrap_err().to_string();
        assert_eq!(e(""), "unexpected end of JSON input");
        assert_eq!(e("{\"a\" 1}"), "invalid character '1' after object key");
        assert_eq!(
            e("[1,]"),
            "invalid character ']' looking for beginning of value"
        );
        assert_eq!(
            e("tru"),
            "invalid character ' ' in literal true (expecting 'e')"
        );
        assert_eq!(
            e("trux"),
            "invalid character 'x' in literal true (expecting 'e')"
        );
        assert_eq!(e("1 2"), "invalid character '2' after top-level value");
        assert_eq!(
            from_str("[1e400]").unwrap_err().to_string(),
            "json: cannot unmarshal number 1e400 into Go value of type float64"
        );
    }
}
