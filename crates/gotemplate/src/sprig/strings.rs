//! sprig's string functions: case changes (Go's `strings` and `unicode`
//! simple mappings, goutils and xstrings word rules), trimming, quoting,
//! `indent`, `trunc`/`substr` with Go's byte indexing and slice panics,
//! `split`/`splitList`/`join`, `wrap`, `abbrev`, `initials`, `plural` and
//! the random `shuffle`. Random strings are in `crypto`; regexes in `regex`.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;

use super::conv::{arg, iarg, sarg, strings, strval};
use super::reg;
use crate::fmt::{display, quote};
use crate::func::{FuncError, FuncMap, Param};
use crate::value::Value;

use Param::{Any, Int, String as Str};

pub(super) fn register(m: &mut FuncMap) {
    reg(m, "hello", &[], None, |_| Ok(Value::str("Hello!")));
    reg(m, "abbrev", &[Int, Str], None, |a| {
        Ok(Value::from(abbrev(iarg(&a, 0), &sarg(&a, 1))))
    });
    reg(m, "abbrevboth", &[Int, Int, Str], None, |a| {
        Ok(Value::from(abbrevboth(
            iarg(&a, 0),
            iarg(&a, 1),
            &sarg(&a, 2),
        )))
    });
    reg(m, "trunc", &[Int, Str], None, |a| {
        trunc(iarg(&a, 0), &sarg(&a, 1))
    });
    reg(m, "trim", &[Str], None, |a| {
        Ok(Value::from(go_trim_space(&sarg(&a, 0))))
    });
    reg(m, "upper", &[Str], None, |a| {
        Ok(Value::from(go_upper(&sarg(&a, 0))))
    });
    reg(m, "lower", &[Str], None, |a| {
        Ok(Value::from(go_lower(&sarg(&a, 0))))
    });
    reg(m, "title", &[Str], None, |a| {
        Ok(Value::from(go_title(&sarg(&a, 0))))
    });
    reg(m, "untitle", &[Str], None, |a| {
        Ok(Value::from(untitle(&sarg(&a, 0))))
    });
    reg(m, "substr", &[Int, Int, Str], None, |a| {
        substr(iarg(&a, 0), iarg(&a, 1), &sarg(&a, 2))
    });
    reg(m, "repeat", &[Int, Str], None, |a| {
        let count = iarg(&a, 0);
        if count < 0 {
            return Err(FuncError::new("strings: negative Repeat count"));
        }
        let s = sarg(&a, 1);
        if (s.len() as u128) * (count as u128) > (1u128 << 31) {
            return Err(FuncError::new("strings: Repeat output length overflow"));
        }
        Ok(Value::from(s.repeat(count as usize)))
    });
    for name in ["trimall", "trimAll"] {
        reg(m, name, &[Str, Str], None, |a| {
            let cut = sarg(&a, 0);
            let s = sarg(&a, 1);
            Ok(Value::from(s.trim_matches(|c| cut.contains(c))))
        });
    }
    reg(m, "trimSuffix", &[Str, Str], None, |a| {
        let (suffix, s) = (sarg(&a, 0), sarg(&a, 1));
        Ok(Value::from(s.strip_suffix(&*suffix).unwrap_or(&s)))
    });
    reg(m, "trimPrefix", &[Str, Str], None, |a| {
        let (prefix, s) = (sarg(&a, 0), sarg(&a, 1));
        Ok(Value::from(s.strip_prefix(&*prefix).unwrap_or(&s)))
    });
    reg(m, "nospace", &[Str], None, |a| {
        Ok(Value::from(nospace(&sarg(&a, 0))))
    });
    reg(m, "initials", &[Str], None, |a| {
        Ok(Value::from(initials(&sarg(&a, 0))))
    });
    reg(m, "swapcase", &[Str], None, |a| {
        Ok(Value::from(swapcase(&sarg(&a, 0))))
    });
    reg(m, "shuffle", &[Str], None, |a| {
        let mut chars: Vec<char> = sarg(&a, 0).chars().collect();
        chars.shuffle(&mut rand::thread_rng());
        Ok(Value::from(chars.into_iter().collect::<String>()))
    });
    reg(m, "snakecase", &[Str], None, |a| {
        Ok(Value::from(super::words::to_lower_case(&sarg(&a, 0), '_')))
    });
    reg(m, "kebabcase", &[Str], None, |a| {
        Ok(Value::from(super::words::to_lower_case(&sarg(&a, 0), '-')))
    });
    reg(m, "camelcase", &[Str], None, |a| {
        Ok(Value::from(super::words::to_pascal_case(&sarg(&a, 0))))
    });
    reg(m, "wrap", &[Int, Str], None, |a| {
        Ok(Value::from(wrap_custom(
            &sarg(&a, 1),
            iarg(&a, 0),
            "",
            false,
        )))
    });
    reg(m, "wrapWith", &[Int, Str, Str], None, |a| {
        Ok(Value::from(wrap_custom(
            &sarg(&a, 2),
            iarg(&a, 0),
            &sarg(&a, 1),
            true,
        )))
    });
    reg(m, "contains", &[Str, Str], None, |a| {
        Ok(Value::Bool(sarg(&a, 1).contains(&*sarg(&a, 0))))
    });
    reg(m, "hasPrefix", &[Str, Str], None, |a| {
        Ok(Value::Bool(sarg(&a, 1).starts_with(&*sarg(&a, 0))))
    });
    reg(m, "hasSuffix", &[Str, Str], None, |a| {
        Ok(Value::Bool(sarg(&a, 1).ends_with(&*sarg(&a, 0))))
    });
    reg(m, "quote", &[], Some(Any), |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| quote(&strval(v)))
            .collect();
        Ok(Value::from(parts.join(" ")))
    });
    reg(m, "squote", &[], Some(Any), |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| format!("'{}'", display(v)))
            .collect();
        Ok(Value::from(parts.join(" ")))
    });
    reg(m, "cat", &[], Some(Any), |a| {
        let parts: Vec<String> = a.iter().filter(|v| !v.is_nil()).map(display).collect();
        Ok(Value::from(parts.join(" ")))
    });
    reg(m, "indent", &[Int, Str], None, |a| {
        indent_checked(iarg(&a, 0), &sarg(&a, 1)).map(Value::from)
    });
    reg(m, "nindent", &[Int, Str], None, |a| {
        indent_checked(iarg(&a, 0), &sarg(&a, 1)).map(|s| Value::from(format!("\n{s}")))
    });
    reg(m, "replace", &[Str, Str, Str], None, |a| {
        Ok(Value::from(go_replace_all(
            &sarg(&a, 2),
            &sarg(&a, 0),
            &sarg(&a, 1),
        )))
    });
    reg(m, "plural", &[Str, Str, Int], None, |a| {
        Ok(Value::String(if iarg(&a, 2) == 1 {
            sarg(&a, 0)
        } else {
            sarg(&a, 1)
        }))
    });
    reg(m, "toString", &[Any], None, |a| {
        Ok(Value::from(strval(&arg(&a, 0))))
    });
    reg(m, "split", &[Str, Str], None, |a| {
        Ok(index_map(go_split(&sarg(&a, 1), &sarg(&a, 0), -1)))
    });
    reg(m, "splitn", &[Str, Int, Str], None, |a| {
        Ok(index_map(go_split(&sarg(&a, 2), &sarg(&a, 0), iarg(&a, 1))))
    });
    reg(m, "splitList", &[Str, Str], None, |a| {
        Ok(strings(go_split(&sarg(&a, 1), &sarg(&a, 0), -1)))
    });
    reg(m, "toStrings", &[Any], None, |a| {
        Ok(strings(strslice(&arg(&a, 0))))
    });
    reg(m, "join", &[Str, Any], None, |a| {
        Ok(Value::from(strslice(&arg(&a, 1)).join(&sarg(&a, 0))))
    });
}

/// sprig's `strslice`: a `[]string` stays, other slices have their non-nil
/// elements turned into strings, nil is empty, anything else is one string.
pub(crate) fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(_, items) => items.iter().filter(|x| !x.is_nil()).map(strval).collect(),
        Value::Bytes(b) => b.iter().map(|x| x.to_string()).collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

/// `strings.Split(s, sep)` / `strings.SplitN(s, sep, n)` (n < 0: all).
pub(crate) fn go_split(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        // Split into UTF-8 sequences, the last one holding the rest.
        let chars: Vec<&str> = s
            .char_indices()
            .map(|(i, c)| &s[i..i + c.len_utf8()])
            .collect();
        let limit = if n < 0 || n as usize > chars.len() {
            chars.len()
        } else {
            n as usize
        };
        let mut out: Vec<String> = chars[..limit.saturating_sub(1)]
            .iter()
            .map(|p| p.to_string())
            .collect();
        if limit > 0 {
            let consumed: usize = out.iter().map(String::len).sum();
            out.push(s[consumed..].to_string());
        }
        return out;
    }
    if n < 0 {
        s.split(sep).map(str::to_string).collect()
    } else {
        s.splitn(n as usize, sep).map(str::to_string).collect()
    }
}

/// `strings.Replace(s, old, new, -1)`, including Go's rule for an empty
/// `old` (insert `new` before every rune and at the end).
fn go_replace_all(s: &str, old: &str, new: &str) -> String {
    if old.is_empty() {
        let mut out = String::new();
        for c in s.chars() {
            out.push_str(new);
            out.push(c);
        }
        out.push_str(new);
        return out;
    }
    s.replace(old, new)
}

/// sprig's `split` result: `{_0: first, _1: second, ...}`.
fn index_map(parts: Vec<String>) -> Value {
    let entries: BTreeMap<String, Value> = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| (format!("_{i}"), Value::from(p)))
        .collect();
    Value::map(entries)
}

/// Go's `unicode.IsSpace`.
pub(crate) fn is_go_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\x0b' | '\x0c' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    ) || (c as u32 > 0xff && c.is_whitespace())
}

/// `strings.TrimSpace`.
pub(crate) fn go_trim_space(s: &str) -> &str {
    s.trim_matches(is_go_space)
}

/// `unicode.ToUpper` of one rune (simple mapping: no `ß` → `SS`).
pub(crate) fn upper_rune(c: char) -> char {
    // Greek letters with ypogegrammeni: their simple upper case is the
    // prosgegrammeni form (Rust's full mapping splits them in two).
    let u = c as u32;
    let greek = match u {
        0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => Some(u + 8),
        0x1FB3 => Some(0x1FBC),
        0x1FC3 => Some(0x1FCC),
        0x1FF3 => Some(0x1FFC),
        _ => None,
    };
    if let Some(g) = greek.and_then(char::from_u32) {
        return g;
    }
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// `unicode.ToLower` of one rune (simple mapping).
pub(crate) fn lower_rune(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        (Some(l), Some(_)) if c == '\u{130}' => l,
        _ => c,
    }
}

/// `unicode.ToTitle` of one rune: the upper case except for the digraphs
/// that have a title-case form.
pub(crate) fn title_rune(c: char) -> char {
    match c {
        '\u{1c4}'..='\u{1c6}' => '\u{1c5}',
        '\u{1c7}'..='\u{1c9}' => '\u{1c8}',
        '\u{1ca}'..='\u{1cc}' => '\u{1cb}',
        '\u{1f1}'..='\u{1f3}' => '\u{1f2}',
        _ => upper_rune(c),
    }
}

/// `unicode.IsTitle`.
fn is_title(c: char) -> bool {
    matches!(c, '\u{1c5}' | '\u{1c8}' | '\u{1cb}' | '\u{1f2}' | '\u{1f88}'..='\u{1f8f}'
        | '\u{1f98}'..='\u{1f9f}' | '\u{1fa8}'..='\u{1faf}' | '\u{1fbc}' | '\u{1fcc}' | '\u{1ffc}')
}

fn go_upper(s: &str) -> String {
    s.chars().map(upper_rune).collect()
}

fn go_lower(s: &str) -> String {
    s.chars().map(lower_rune).collect()
}

/// `strings.Title`: title-case each letter that starts a word.
fn go_title(s: &str) -> String {
    let mut prev = ' ';
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_title_separator(prev) {
            out.push(title_rune(c));
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

/// `strings.Title`'s word separator rule.
fn is_title_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphabetic() || c.is_numeric() {
        return false;
    }
    is_go_space(c)
}

/// goutils `Uncapitalize`: lower-case the first rune of every
/// whitespace-separated word.
fn untitle(s: &str) -> String {
    let mut next = true;
    s.chars()
        .map(|c| {
            if is_go_space(c) {
                next = true;
                c
            } else if next {
                next = false;
                lower_rune(c)
            } else {
                c
            }
        })
        .collect()
}

/// goutils `SwapCase`.
fn swapcase(s: &str) -> String {
    let mut whitespace = true;
    s.chars()
        .map(|c| {
            if c.is_uppercase() || is_title(c) {
                whitespace = false;
                lower_rune(c)
            } else if c.is_lowercase() {
                if whitespace {
                    whitespace = false;
                    title_rune(c)
                } else {
                    upper_rune(c)
                }
            } else {
                whitespace = is_go_space(c);
                c
            }
        })
        .collect()
}

/// goutils `DeleteWhiteSpace`, which walks bytes (a byte 0x85 or 0xA0 inside
/// a multi-byte character counts as white space, and the other bytes are
/// then written back as Latin-1 runes).
fn nospace(s: &str) -> String {
    let bytes = s.as_bytes();
    let kept: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !is_go_space(char::from(*b)))
        .collect();
    if kept.len() == bytes.len() {
        return s.to_string();
    }
    kept.into_iter().map(char::from).collect()
}

/// goutils `Initials`: the first byte of every whitespace-separated word,
/// written as a Latin-1 rune.
fn initials(s: &str) -> String {
    let mut out = String::new();
    let mut gap = true;
    for b in s.bytes() {
        let c = char::from(b);
        if is_go_space(c) {
            gap = true;
        } else if gap {
            out.push(c);
            gap = false;
        }
    }
    out
}

/// `indent` with Go's panic for a negative count (`strings.Repeat`).
fn indent_checked(spaces: i64, s: &str) -> Result<String, FuncError> {
    if spaces < 0 {
        return Err(FuncError::new("strings: negative Repeat count"));
    }
    Ok(indent(spaces, s))
}

/// sprig's `indent`: pad the start and every line after a newline.
pub(crate) fn indent(spaces: i64, s: &str) -> String {
    let pad = " ".repeat(spaces.max(0) as usize);
    format!("{pad}{}", s.replace('\n', &format!("\n{pad}")))
}

/// A Go substring by byte offsets; text cut inside a character is repaired
/// with U+FFFD (Go would keep the raw bytes).
fn byte_slice(s: &str, start: usize, end: usize) -> String {
    String::from_utf8_lossy(&s.as_bytes()[start..end]).into_owned()
}

fn trunc(c: i64, s: &str) -> Result<Value, FuncError> {
    let len = s.len() as i64;
    if c < 0 && len + c > 0 {
        return Ok(Value::from(byte_slice(s, (len + c) as usize, s.len())));
    }
    if c >= 0 && len > c {
        return Ok(Value::from(byte_slice(s, 0, c as usize)));
    }
    Ok(Value::str(s))
}

fn substr(start: i64, end: i64, s: &str) -> Result<Value, FuncError> {
    let len = s.len() as i64;
    if start < 0 {
        if end < 0 {
            return Err(FuncError::new(format!(
                "runtime error: slice bounds out of range [:{end}]"
            )));
        }
        if end > len {
            return Err(FuncError::new(format!(
                "runtime error: slice bounds out of range [:{end}] with length {len}"
            )));
        }
        return Ok(Value::from(byte_slice(s, 0, end as usize)));
    }
    if end < 0 || end > len {
        if start > len {
            return Err(FuncError::new(format!(
                "runtime error: slice bounds out of range [{start}:{len}]"
            )));
        }
        return Ok(Value::from(byte_slice(s, start as usize, s.len())));
    }
    if start > end {
        return Err(FuncError::new(format!(
            "runtime error: slice bounds out of range [{start}:{end}]"
        )));
    }
    Ok(Value::from(byte_slice(s, start as usize, end as usize)))
}

fn abbrev(width: i64, s: &str) -> String {
    if width < 4 {
        return s.to_string();
    }
    abbreviate_full(s, 0, width).unwrap_or_default()
}

fn abbrevboth(left: i64, right: i64, s: &str) -> String {
    if right < 4 || (left > 0 && right < 7) {
        return s.to_string();
    }
    abbreviate_full(s, left, right).unwrap_or_default()
}

/// goutils `AbbreviateFull` (byte offsets; `None` where it returns an error).
fn abbreviate_full(s: &str, offset: i64, max_width: i64) -> Option<String> {
    if s.is_empty() {
        return Some(String::new());
    }
    if max_width < 4 {
        return None;
    }
    let len = s.len() as i64;
    if len <= max_width {
        return Some(s.to_string());
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    if offset <= 4 {
        return Some(format!("{}...", byte_slice(s, 0, (max_width - 3) as usize)));
    }
    if max_width < 7 {
        return None;
    }
    if offset + max_width - 3 < len {
        let rest = byte_slice(s, offset as usize, s.len());
        return Some(format!("...{}", abbreviate_full(&rest, 0, max_width - 3)?));
    }
    Some(format!(
        "...{}",
        byte_slice(s, (len - (max_width - 3)) as usize, s.len())
    ))
}

/// goutils `WrapCustom` (byte offsets, breaking at ASCII spaces).
fn wrap_custom(s: &str, width: i64, newline: &str, wrap_long_words: bool) -> String {
    if s.is_empty() {
        return String::new();
    }
    let newline = if newline.is_empty() { "\n" } else { newline };
    let width = width.max(1) as usize;
    let b = s.as_bytes();
    let len = b.len();
    let mut offset = 0usize;
    let mut out: Vec<u8> = Vec::new();
    while len - offset > width {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = width + offset + 1;
        let space = b[offset..end].iter().rposition(|c| *c == b' ');
        if let Some(rel) = space {
            let at = offset + rel;
            out.extend_from_slice(&b[offset..at]);
            out.extend_from_slice(newline.as_bytes());
            offset = at + 1;
        } else if wrap_long_words {
            let end = width + offset;
            out.extend_from_slice(&b[offset..end]);
            out.extend_from_slice(newline.as_bytes());
            offset += width;
        } else {
            let end = width + offset;
            match b[end..].iter().position(|c| *c == b' ') {
                None => {
                    out.extend_from_slice(&b[offset..]);
                    offset = len;
                }
                Some(rel) => {
                    let at = end + rel;
                    out.extend_from_slice(&b[offset..at]);
                    out.extend_from_slice(newline.as_bytes());
                    offset = at + 1;
                }
            }
        }
    }
    out.extend_from_slice(&b[offset..]);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_string_quirks() {
        // Expected values from Helm (see tests/probes/sprig-strings.txt).
        assert_eq!(nospace("à b"), "Ãb");
        assert_eq!(initials("élan vital"), "Ãv");
        assert_eq!(
            go_title("hello's world 1st x-ray"),
            "Hello'S World 1st X-Ray"
        );
        assert_eq!(swapcase("This Is A.Test"), "tHIS iS a.tEST");
        assert_eq!(
            super::super::words::to_lower_case("HTTPRequestID", '_'),
            "http_request_id"
        );
        assert_eq!(super::super::words::to_pascal_case("FOO_BAR"), "FooBar");
        assert_eq!(
            wrap_custom("aaaaaaaaa bb", 4, "<br>", true),
            "aaaa<br>aaaa<br>a bb"
        );
        assert_eq!(
            abbreviate_full("abcdefghijklmnopqrstuvwxyz", 5, 10).as_deref(),
            Some("...fghi...")
        );
    }

    #[test]
    fn shuffle_keeps_the_characters() {
        let f = super::super::functions();
        let out =
            (f["shuffle"].call)(&mut NoEnv, vec![Value::from("hello, wörld")]).expect("shuffle");
        let mut got: Vec<char> = crate::fmt::display(&out).chars().collect();
        let mut want: Vec<char> = "hello, wörld".chars().collect();
        got.sort();
        want.sort();
        assert_eq!(got, want);
    }

    struct NoEnv;

    impl crate::func::Env for NoEnv {
        fn execute_named(&mut self, _: &str, _: Value) -> Result<String, FuncError> {
            Err(FuncError::new("no executor"))
        }
        fn execute_text(&mut self, _: &str, _: Value) -> Result<String, FuncError> {
            Err(FuncError::new("no executor"))
        }
    }
}
