//! sprig's regular-expression functions over Go's `regexp` (RE2) semantics:
//! `regexMatch`, `regexFind`, `regexFindAll`, `regexReplaceAll`,
//! `regexReplaceAllLiteral`, `regexSplit`, `regexQuoteMeta` and the `must*`
//! twins. The Rust `regex` crate matches the same leftmost-first RE2 way;
//! this module translates what differs:
//! - Go's `\d \w \s \b` (and negations) are ASCII-only: rewritten to ASCII classes;
//! - `\Q...\E` literal spans: rewritten to escaped text;
//! - Go's iteration over empty matches (`FindAll`, `ReplaceAll`, `Split`)
//!   is reproduced step by step with `find_at`.
//!
//! Known differences: compile errors carry Go's wording only for the common
//! cases (unclosed/unexpected parenthesis or bracket, missing repetition
//! argument); `(?i)` folds with Unicode simple folding in both, but `\C`
//! (any byte) reads as `.`; Rust limits compiled program size (10 MiB),
//! Go limits repetition counts to 1000 (both refuse, texts differ).

use regex::Regex;

use super::conv::{iarg, sarg, strings};
use super::reg;
use crate::func::{FuncError, FuncMap, Param};
use crate::value::Value;

use Param::{Int, String as Str};

pub(super) fn register(m: &mut FuncMap) {
    for (name, must) in [("regexMatch", false), ("mustRegexMatch", true)] {
        reg(m, name, &[Str, Str], None, move |a| {
            match compile(&sarg(&a, 0)) {
                Ok(re) => Ok(Value::Bool(re.is_match(&sarg(&a, 1)))),
                Err(e) if must => Err(FuncError::new(e)),
                Err(_) => Ok(Value::Bool(false)),
            }
        });
    }
    for (name, must) in [("regexFind", false), ("mustRegexFind", true)] {
        reg(m, name, &[Str, Str], None, move |a| {
            let re = compiled(&sarg(&a, 0), must)?;
            Ok(Value::str(
                re.find(&sarg(&a, 1)).map(|x| x.as_str()).unwrap_or(""),
            ))
        });
    }
    for (name, must) in [("regexFindAll", false), ("mustRegexFindAll", true)] {
        reg(m, name, &[Str, Str, Int], None, move |a| {
            let re = compiled(&sarg(&a, 0), must)?;
            let s = sarg(&a, 1);
            let found = find_all(&re, &s, iarg(&a, 2));
            if found.is_empty() {
                // Go returns a nil []string, which prints as [].
                return Ok(strings(Vec::new()));
            }
            Ok(strings(
                found
                    .into_iter()
                    .map(|(b, e)| s[b..e].to_string())
                    .collect(),
            ))
        });
    }
    for (name, must, literal) in [
        ("regexReplaceAll", false, false),
        ("mustRegexReplaceAll", true, false),
        ("regexReplaceAllLiteral", false, true),
        ("mustRegexReplaceAllLiteral", true, true),
    ] {
        reg(m, name, &[Str, Str, Str], None, move |a| {
            let re = compiled(&sarg(&a, 0), must)?;
            Ok(Value::from(replace_all(
                &re,
                &sarg(&a, 1),
                &sarg(&a, 2),
                literal,
            )))
        });
    }
    for (name, must) in [("regexSplit", false), ("mustRegexSplit", true)] {
        reg(m, name, &[Str, Str, Int], None, move |a| {
            let pattern = sarg(&a, 0);
            let re = compiled(&pattern, must)?;
            Ok(strings(split(
                &re,
                !pattern.is_empty(),
                &sarg(&a, 1),
                iarg(&a, 2),
            )))
        });
    }
    reg(m, "regexQuoteMeta", &[Str], None, |a| {
        Ok(Value::from(quote_meta(&sarg(&a, 0))))
    });
}

/// `regexp.Compile` for `must*` (the error) or `regexp.MustCompile` (a panic,
/// whose text Go prefixes with `regexp: Compile(...)`).
fn compiled(pattern: &str, must: bool) -> Result<Regex, FuncError> {
    compile(pattern).map_err(|e| {
        if must {
            FuncError::new(e)
        } else {
            FuncError::new(format!("regexp: Compile({}): {e}", go_backquote(pattern)))
        }
    })
}

/// Go's `strconv.Quote`-or-backquote choice in MustCompile's panic: a raw
/// string literal when possible.
fn go_backquote(s: &str) -> String {
    if !s.contains('`') && !s.chars().any(|c| c.is_control() && c != '\t') {
        format!("`{s}`")
    } else {
        crate::fmt::quote(s)
    }
}

/// Compile a Go pattern, or Go's `error parsing regexp: ...` text.
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    if let Some(e) = go_syntax_error(pattern) {
        return Err(e);
    }
    let translated = translate(pattern);
    Regex::new(&translated).map_err(|e| {
        let detail = e.to_string();
        let first = detail.lines().last().unwrap_or("").trim().to_string();
        format!("error parsing regexp: {first}: `{pattern}`")
    })
}

/// The Go wording for the commonest syntax errors, found by a scan.
fn go_syntax_error(p: &str) -> Option<String> {
    let b: Vec<char> = p.chars().collect();
    let mut stack: Vec<usize> = Vec::new();
    let mut i = 0;
    let mut prev_repeatable = false;
    while i < b.len() {
        match b[i] {
            '\\' => {
                if i + 1 >= b.len() {
                    return Some(
                        "error parsing regexp: trailing backslash at end of expression: ``".into(),
                    );
                }
                if b[i + 1] == 'Q' {
                    let rest: String = b[i + 2..].iter().collect();
                    let skip = rest
                        .find("\\E")
                        .map(|k| rest[..k].chars().count() + 4)
                        .unwrap_or(b.len() - i);
                    i += skip;
                    prev_repeatable = true;
                    continue;
                }
                i += 2;
                prev_repeatable = true;
                continue;
            }
            '[' => {
                let start = i;
                i += 1;
                if i < b.len() && b[i] == '^' {
                    i += 1;
                }
                if i < b.len() && b[i] == ']' {
                    i += 1;
                }
                while i < b.len() && b[i] != ']' {
                    if b[i] == '\\' {
                        i += 1;
                    } else if b[i] == '[' && b.get(i + 1) == Some(&':') {
                        if let Some(end) = (i + 2..b.len().saturating_sub(1))
                            .find(|&k| b[k] == ':' && b[k + 1] == ']')
                        {
                            i = end + 1;
                        }
                    }
                    i += 1;
                }
                if i >= b.len() {
                    let frag: String = b[start..].iter().collect();
                    return Some(format!("error parsing regexp: missing closing ]: `{frag}`"));
                }
                prev_repeatable = true;
            }
            '(' => {
                prev_repeatable = false;
                if b.get(i + 1) == Some(&'?') {
                    // Flags `(?i)` or a group opener `(?:`, `(?P<name>`, `(?i:`.
                    let mut k = i + 2;
                    while k < b.len() && !matches!(b[k], ')' | ':' | '>') {
                        k += 1;
                    }
                    if k < b.len() && b[k] != ')' {
                        stack.push(i);
                    }
                    i = k + 1;
                    continue;
                }
                stack.push(i);
            }
            ')' => {
                if stack.pop().is_none() {
                    return Some(format!("error parsing regexp: unexpected ): `{p}`"));
                }
                prev_repeatable = true;
            }
            '*' | '+' | '?' => {
                if !prev_repeatable {
                    let frag: String = b[i..(i + 1).min(b.len())].iter().collect();
                    let nested = i > 0 && matches!(b[i - 1], '*' | '+' | '?');
                    if nested && b[i] != '?' {
                        let frag: String = b[i - 1..=i].iter().collect();
                        return Some(format!(
                            "error parsing regexp: invalid nested repetition operator: `{frag}`"
                        ));
                    }
                    if !nested {
                        return Some(format!("error parsing regexp: missing argument to repetition operator: `{frag}`"));
                    }
                }
                prev_repeatable = false;
                if b.get(i + 1) == Some(&'?') {
                    i += 1;
                }
            }
            '|' => prev_repeatable = false,
            _ => prev_repeatable = true,
        }
        i += 1;
    }
    if let Some(&open) = stack.last() {
        let _ = open;
        return Some(format!("error parsing regexp: missing closing ): `{p}`"));
    }
    None
}

/// Rewrite Go-only syntax into the `regex` crate's (see the module doc).
fn translate(p: &str) -> String {
    let c: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let mut in_class = false;
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch == '\\' && i + 1 < c.len() {
            let e = c[i + 1];
            let class = match e {
                'd' => Some(("0-9", false)),
                'D' => Some(("0-9", true)),
                'w' => Some(("0-9A-Za-z_", false)),
                'W' => Some(("0-9A-Za-z_", true)),
                's' => Some(("\\t\\n\\f\\r ", false)),
                'S' => Some(("\\t\\n\\f\\r ", true)),
                _ => None,
            };
            if let Some((set, negated)) = class {
                let neg = if negated { "^" } else { "" };
                out.push_str(&format!("[{neg}{set}]"));
                i += 2;
                continue;
            }
            if !in_class && (e == 'b' || e == 'B') {
                out.push_str(if e == 'b' { "(?-u:\\b)" } else { "(?-u:\\B)" });
                i += 2;
                continue;
            }
            if e == 'Q' {
                let rest: String = c[i + 2..].iter().collect();
                let (lit, skip) = match rest.find("\\E") {
                    Some(k) => (rest[..k].to_string(), rest[..k].chars().count() + 2),
                    None => (rest.clone(), rest.chars().count()),
                };
                out.push_str(&regex::escape(&lit));
                i += 2 + skip;
                continue;
            }
            if e == 'C' {
                out.push('.');
                i += 2;
                continue;
            }
            out.push(ch);
            out.push(e);
            i += 2;
            continue;
        }
        if ch == '[' && !in_class {
            in_class = true;
            out.push(ch);
            i += 1;
            if i < c.len() && c[i] == '^' {
                out.push('^');
                i += 1;
            }
            if i < c.len() && c[i] == ']' {
                out.push_str("\\]");
                i += 1;
            }
            continue;
        }
        if in_class && ch == '[' && c.get(i + 1) == Some(&':') {
            // POSIX class: copy through to its closing ":]".
            if let Some(end) =
                (i + 2..c.len().saturating_sub(1)).find(|&k| c[k] == ':' && c[k + 1] == ']')
            {
                out.extend(&c[i..end + 2]);
                i = end + 2;
                continue;
            }
        }
        if in_class && ch == '[' {
            // A literal '[' inside a Go class; the regex crate would nest.
            out.push_str("\\[");
            i += 1;
            continue;
        }
        if in_class && (ch == '&' || ch == '~' || ch == '-') && c.get(i + 1) == Some(&ch) {
            // `&&`, `~~`, `--` are set operations in the regex crate, plain text in Go.
            out.push('\\');
            out.push(ch);
            i += 1;
            continue;
        }
        if ch == ']' && in_class {
            in_class = false;
        }
        out.push(ch);
        i += 1;
    }
    out
}

/// Go's `FindAllStringIndex(s, n)`: successive matches, an empty match
/// right after the previous match skipped, at most `n` (n < 0: all).
fn find_all(re: &Regex, s: &str, n: i64) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    let mut pos = 0;
    let mut prev_end: Option<usize> = None;
    while (n < 0 || (out.len() as i64) < n) && pos <= s.len() {
        let Some(m) = re.find_at(s, pos) else { break };
        let mut accept = true;
        if m.end() == pos {
            if Some(m.start()) == prev_end {
                accept = false;
            }
            pos += s[pos..].chars().next().map(char::len_utf8).unwrap_or(1);
        } else {
            pos = m.end();
        }
        prev_end = Some(m.end());
        if accept {
            out.push((m.start(), m.end()));
        }
    }
    out
}

/// Go's `ReplaceAllString` / `ReplaceAllLiteralString`.
fn replace_all(re: &Regex, src: &str, repl: &str, literal: bool) -> String {
    let mut dst = String::new();
    let mut last_end = 0;
    let mut search = 0;
    while search <= src.len() {
        let Some(caps) = re.captures_at(src, search) else {
            break;
        };
        let Some(m) = caps.get(0) else { break };
        dst.push_str(&src[last_end..m.start()]);
        if m.end() > last_end || m.start() == 0 {
            if literal {
                dst.push_str(repl);
            } else {
                caps.expand(repl, &mut dst);
            }
        }
        last_end = m.end();
        let width = src[search..]
            .chars()
            .next()
            .map(char::len_utf8)
            .unwrap_or(1);
        if search + width > m.end() {
            search += width;
        } else if search + 1 > m.end() {
            search += 1;
        } else {
            search = m.end();
        }
    }
    dst.push_str(&src[last_end.min(src.len())..]);
    dst
}

/// Go's `Regexp.Split(s, n)`.
fn split(re: &Regex, has_expr: bool, s: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if has_expr && s.is_empty() {
        return vec![String::new()];
    }
    let matches = find_all(re, s, n);
    let mut out = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for (ms, me) in matches {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = ms;
        if me != 0 {
            out.push(s[beg..end].to_string());
        }
        beg = me;
    }
    if end != s.len() {
        out.push(s[beg..].to_string());
    }
    out
}

/// Go's `regexp.QuoteMeta`: a backslash before each of `\.+*?()|[]{}^$`.
fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
