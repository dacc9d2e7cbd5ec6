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

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use regex::Regex;

use super::conv::{iarg, sarg, strings};
use super::reg;
use crate::func::{FuncError, FuncMap, Param};
use crate::value::Value;

use Param::{Int, String as Str};

pub(super) fn register(m: &mut FuncMap) {
    for (name, must) in [("regexMatch", false), ("mustRegexMatch", true)] {
        reg(m, name, &[Str, Str], None, move |a| {
            match cached(&sarg(&a, 0)) {
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
fn compiled(pattern: &str, must: bool) -> Result<Rc<Compiled>, FuncError> {
    cached(pattern).map_err(|e| {
        if must {
            FuncError::new(e)
        } else {
            FuncError::new(format!("regexp: Compile({}): {e}", go_backquote(pattern)))
        }
    })
}

/// Patterns compiled so far on this thread (templates call the same regex
/// for every item of a loop); cleared when it grows past 256 entries.
fn cached(pattern: &str) -> Result<Rc<Compiled>, String> {
    thread_local! {
        static CACHE: RefCell<HashMap<String, Rc<Compiled>>> = RefCell::new(HashMap::new());
    }
    if let Some(hit) = CACHE.with(|c| c.borrow().get(pattern).cloned()) {
        return Ok(hit);
    }
    let re = Rc::new(compile(pattern)?);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 256 {
            c.clear();
        }
        c.insert(pattern.to_string(), re.clone());
    });
    Ok(re)
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
pub(crate) fn compile(pattern: &str) -> Result<Compiled, String> {
    let translated = translate(pattern)
        .map_err(|(code, frag)| format!("error parsing regexp: {code}: `{frag}`"))?;
    let names = translated.names;
    regex::RegexBuilder::new(&translated.pattern)
        .build()
        .map(|re| Compiled { re, names })
        .map_err(|e| {
            let detail = e.to_string();
            let last = detail.lines().last().unwrap_or("").trim().to_string();
            if last.contains("Unicode property") || last.contains("unrecognized") {
                return format!("error parsing regexp: invalid character class range: `{pattern}`");
            }
            format!("error parsing regexp: {last}: `{pattern}`")
        })
}

type SyntaxError = (&'static str, String);

const POSIX: &[&str] = &[
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

/// Go's `regexp/syntax` parse, as far as it decides what is an error, and
/// the pattern rewritten for the `regex` crate (see the module doc).
struct Translator<'a> {
    c: Vec<char>,
    src: &'a str,
    i: usize,
    out: String,
    /// Capturing groups so far, and the Go names of the named ones (by index).
    captures: usize,
    names: Vec<(String, usize)>,
}

/// One open group: the largest `{n}` product inside it.
struct Group {
    product: u64,
}

impl<'a> Translator<'a> {
    fn frag(&self, from: usize, to: usize) -> String {
        self.c[from..to.min(self.c.len())].iter().collect()
    }

    fn peek(&self, k: usize) -> Option<char> {
        self.c.get(self.i + k).copied()
    }

    /// A Go escape that stands for one character, at `self.i` (the
    /// backslash); returns the code point and advances past it.
    fn char_escape(&mut self) -> Result<u32, SyntaxError> {
        let start = self.i;
        let Some(e) = self.peek(1) else {
            return Err(("trailing backslash at end of expression", String::new()));
        };
        self.i += 2;
        let invalid = |t: &Self, end: usize| ("invalid escape sequence", t.frag(start, end));
        match e {
            '1'..='7' if !matches!(self.peek(0), Some('0'..='7')) => Err(invalid(self, self.i)),
            '0'..='7' => {
                let mut v = e as u32 - '0' as u32;
                for _ in 0..2 {
                    match self.peek(0) {
                        Some(d @ '0'..='7') => {
                            v = v * 8 + (d as u32 - '0' as u32);
                            self.i += 1;
                        }
                        _ => break,
                    }
                }
                Ok(v)
            }
            'x' => {
                if self.peek(0) == Some('{') {
                    let mut j = self.i + 1;
                    let mut v: u32 = 0;
                    while let Some(d) = self.c.get(j).and_then(|c| c.to_digit(16)) {
                        v = v.saturating_mul(16).saturating_add(d);
                        j += 1;
                    }
                    if j == self.i + 1 || self.c.get(j) != Some(&'}') || v > 0x10ffff {
                        return Err(invalid(self, j));
                    }
                    self.i = j + 1;
                    return Ok(v);
                }
                let hi = self.peek(0).and_then(|c| c.to_digit(16));
                let lo = self.peek(1).and_then(|c| c.to_digit(16));
                match (hi, lo) {
                    (Some(h), Some(l)) => {
                        self.i += 2;
                        Ok(h * 16 + l)
                    }
                    (Some(_), None) => Err(invalid(self, self.i + 1)),
                    _ => Err(invalid(self, self.i)),
                }
            }
            'a' => Ok(7),
            'f' => Ok(12),
            'n' => Ok(10),
            'r' => Ok(13),
            't' => Ok(9),
            'v' => Ok(11),
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok(c as u32),
            _ => Err(invalid(self, self.i)),
        }
    }

    /// `\d \D \s \S \w \W` as ASCII sets (the part inside `[...]`), and whether negated.
    fn perl_class(e: char) -> Option<(&'static str, bool)> {
        Some(match e {
            'd' => ("0-9", false),
            'D' => ("0-9", true),
            'w' => ("0-9A-Za-z_", false),
            'W' => ("0-9A-Za-z_", true),
            's' => ("\\t\\n\\f\\r ", false),
            'S' => ("\\t\\n\\f\\r ", true),
            _ => return None,
        })
    }

    /// `\pX`, `\p{Name}`, `\PX`... copied through (the regex crate checks the name).
    fn unicode_class(&mut self) -> Result<String, SyntaxError> {
        let start = self.i;
        self.i += 2;
        match self.peek(0) {
            Some('{') => {
                let Some(end) = (self.i..self.c.len()).find(|&k| self.c[k] == '}') else {
                    return Err((
                        "invalid character class range",
                        self.frag(start, self.c.len()),
                    ));
                };
                self.i = end + 1;
            }
            Some(_) => self.i += 1,
            None => return Err(("invalid character class range", self.frag(start, self.i))),
        }
        let text = self.frag(start, self.i);
        // Go writes a negated name as \p{^Greek}; the regex crate as \P{Greek}.
        let rust = match (text.get(..4), text.get(4..)) {
            (Some("\\p{^"), Some(rest)) => format!("\\P{{{rest}"),
            (Some("\\P{^"), Some(rest)) => format!("\\p{{{rest}"),
            _ => text.clone(),
        };
        if regex::Regex::new(&rust).is_err() {
            return Err(("invalid character class range", text));
        }
        Ok(rust)
    }

    fn push_char(&mut self, v: u32) {
        self.out.push_str(&format!("\\x{{{v:X}}}"));
    }

    /// A `[...]` class starting at `self.i`.
    fn class(&mut self) -> Result<(), SyntaxError> {
        let start = self.i;
        self.i += 1;
        self.out.push('[');
        if self.peek(0) == Some('^') {
            self.out.push('^');
            self.i += 1;
        }
        let mut first = true;
        loop {
            let Some(ch) = self.peek(0) else {
                return Err(("missing closing ]", self.frag(start, self.c.len())));
            };
            if ch == ']' && !first {
                self.i += 1;
                self.out.push(']');
                return Ok(());
            }
            first = false;
            // POSIX class.
            if ch == '[' && self.peek(1) == Some(':') {
                if let Some(end) = (self.i + 2..self.c.len().saturating_sub(1))
                    .find(|&k| self.c[k] == ':' && self.c[k + 1] == ']')
                {
                    let name: String = self.frag(self.i + 2, end);
                    let bare = name.strip_prefix('^').unwrap_or(&name);
                    if !POSIX.contains(&bare) {
                        return Err(("invalid character class range", self.frag(self.i, end + 2)));
                    }
                    self.out.push_str(&self.frag(self.i, end + 2));
                    self.i = end + 2;
                    continue;
                }
            }
            if ch == '\\' {
                match self.peek(1) {
                    Some(e) if Self::perl_class(e).is_some() => {
                        let (set, neg) = Self::perl_class(e).unwrap_or(("", false));
                        self.out
                            .push_str(&format!("[{}{set}]", if neg { "^" } else { "" }));
                        self.i += 2;
                        continue;
                    }
                    Some('p' | 'P') => {
                        let u = self.unicode_class()?;
                        self.out.push_str(&u);
                        continue;
                    }
                    _ => {}
                }
            }
            // A single character, maybe the start of a range.
            let lo_start = self.i;
            let lo = self.class_char()?;
            if self.peek(0) == Some('-') && self.peek(1).is_some_and(|c| c != ']') {
                self.i += 1;
                let hi = self.class_char()?;
                if hi < lo {
                    return Err(("invalid character class range", self.frag(lo_start, self.i)));
                }
                self.push_char(lo);
                self.out.push('-');
                self.push_char(hi);
            } else {
                self.push_char(lo);
            }
        }
    }

    /// One character inside a class (literal or escape).
    fn class_char(&mut self) -> Result<u32, SyntaxError> {
        match self.peek(0) {
            Some('\\') => self.char_escape(),
            Some(c) => {
                self.i += 1;
                Ok(c as u32)
            }
            None => Err(("missing closing ]", String::new())),
        }
    }

    /// `{n}`, `{n,}`, `{n,m}` at `self.i`: (min, max or -1, length in chars).
    fn repeat_at(&self) -> Option<(u64, i64, usize)> {
        let mut j = self.i + 1;
        let digits = |j: &mut usize| {
            let s = *j;
            while self.c.get(*j).is_some_and(char::is_ascii_digit) {
                *j += 1;
            }
            (*j > s).then(|| self.frag(s, *j))
        };
        let min = digits(&mut j)?;
        let max = if self.c.get(j) == Some(&',') {
            j += 1;
            if self.c.get(j) == Some(&'}') {
                None
            } else {
                Some(digits(&mut j)?)
            }
        } else {
            Some(min.clone())
        };
        if self.c.get(j) != Some(&'}') {
            return None;
        }
        let min: u64 = min.parse().unwrap_or(u64::MAX);
        let max: i64 = match max {
            None => -1,
            Some(m) => m.parse().unwrap_or(i64::MAX),
        };
        Some((min, max, j + 1 - self.i))
    }

    fn run(mut self) -> Result<GoRegex, SyntaxError> {
        let mut groups: Vec<Group> = Vec::new();
        let mut top = Group { product: 1 };
        // What the next repetition applies to: None (nothing), or the
        // `{n}` product inside that atom.
        let mut atom: Option<u64> = None;
        let mut last_repeat: Option<usize> = None;
        while self.i < self.c.len() {
            let ch = self.c[self.i];
            let is_repeat_op =
                matches!(ch, '*' | '+' | '?') || (ch == '{' && self.repeat_at().is_some());
            if !is_repeat_op {
                last_repeat = None;
            }
            match ch {
                '\\' => {
                    let e = self.peek(1);
                    match e {
                        None => {
                            return Err(("trailing backslash at end of expression", String::new()))
                        }
                        Some('Q') => {
                            let body_start = self.i + 2;
                            let end = (body_start..self.c.len().saturating_sub(1))
                                .find(|&k| self.c[k] == '\\' && self.c[k + 1] == 'E');
                            let lit = self.frag(body_start, end.unwrap_or(self.c.len()));
                            self.out.push_str(&regex::escape(&lit));
                            self.i = end.map(|e| e + 2).unwrap_or(self.c.len());
                        }
                        Some(e) if Self::perl_class(e).is_some() => {
                            let (set, neg) = Self::perl_class(e).unwrap_or(("", false));
                            self.out
                                .push_str(&format!("[{}{set}]", if neg { "^" } else { "" }));
                            self.i += 2;
                        }
                        Some('b') => {
                            self.out.push_str("(?-u:\\b)");
                            self.i += 2;
                        }
                        Some('B') => {
                            self.out.push_str("(?-u:\\B)");
                            self.i += 2;
                        }
                        Some('A') => {
                            self.out.push_str("\\A");
                            self.i += 2;
                        }
                        Some('z') => {
                            self.out.push_str("\\z");
                            self.i += 2;
                        }
                        Some('C') => {
                            self.out.push_str("(?s:.)");
                            self.i += 2;
                        }
                        Some('p' | 'P') => {
                            let u = self.unicode_class()?;
                            self.out.push_str(&u);
                        }
                        Some(_) => {
                            let v = self.char_escape()?;
                            self.push_char(v);
                        }
                    }
                    atom = Some(1);
                }
                '[' => {
                    self.class()?;
                    atom = Some(1);
                }
                '(' => {
                    let start = self.i;
                    if self.peek(1) == Some('?') {
                        let rest: String = self.frag(self.i + 2, self.c.len());
                        let named = rest.strip_prefix("P<").or_else(|| rest.strip_prefix('<'));
                        if let Some(after) = named {
                            let prefix_len = rest.len() - after.len();
                            let Some(close) = after.find('>') else {
                                return Err((
                                    "invalid named capture",
                                    self.frag(start, self.c.len()),
                                ));
                            };
                            let name = &after[..close];
                            if name.is_empty()
                                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                            {
                                let end = self.i + 2 + prefix_len + name.chars().count() + 1;
                                return Err(("invalid named capture", self.frag(start, end)));
                            }
                            if self.names.iter().any(|(n, _)| n == name) {
                                let end = self.i + 2 + prefix_len + name.chars().count() + 1;
                                return Err((
                                    "duplicate capture group name",
                                    self.frag(start, end),
                                ));
                            }
                            // Go names may start with a digit; the regex crate's may not.
                            self.captures += 1;
                            self.names.push((name.to_string(), self.captures));
                            self.out.push('(');
                            self.i += 2 + prefix_len + name.chars().count() + 1;
                            groups.push(std::mem::replace(&mut top, Group { product: 1 }));
                            atom = None;
                            continue;
                        }
                        if rest.starts_with('P') {
                            return Err((
                                "invalid or unsupported Perl syntax",
                                self.frag(start, self.i + 3),
                            ));
                        }
                        // Flags: (?flags) or (?flags:re).
                        let mut j = self.i + 2;
                        let mut seen_minus = false;
                        let mut any = false;
                        loop {
                            match self.c.get(j) {
                                Some('i' | 'm' | 's' | 'U') => {
                                    any = true;
                                    j += 1;
                                }
                                Some('-') if !seen_minus => {
                                    seen_minus = true;
                                    any = false;
                                    j += 1;
                                }
                                Some(':') | Some(')')
                                    if any || (!seen_minus && self.c.get(j) == Some(&':')) =>
                                {
                                    break
                                }
                                _ => {
                                    return Err((
                                        "invalid or unsupported Perl syntax",
                                        self.frag(start, j + 1),
                                    ));
                                }
                            }
                        }
                        let flags = self.frag(self.i, j + 1);
                        self.out.push_str(&flags);
                        let closes = self.c[j] == ')';
                        self.i = j + 1;
                        if !closes {
                            groups.push(std::mem::replace(&mut top, Group { product: 1 }));
                            atom = None;
                        }
                        continue;
                    }
                    self.out.push('(');
                    self.captures += 1;
                    self.i += 1;
                    groups.push(std::mem::replace(&mut top, Group { product: 1 }));
                    atom = None;
                    continue;
                }
                ')' => {
                    let Some(outer) = groups.pop() else {
                        return Err(("unexpected )", self.src.to_string()));
                    };
                    let inner = std::mem::replace(&mut top, outer);
                    self.out.push(')');
                    self.i += 1;
                    atom = Some(inner.product);
                    continue;
                }
                '|' => {
                    self.out.push('|');
                    self.i += 1;
                    atom = None;
                    continue;
                }
                '*' | '+' | '?' | '{' if is_repeat_op => {
                    let op_start = self.i;
                    let (len, count) = if ch == '{' {
                        let (min, max, len) = self.repeat_at().unwrap_or((0, 0, 1));
                        (len, Some((min, max)))
                    } else {
                        (1, None)
                    };
                    let mut end = op_start + len;
                    if self.c.get(end) == Some(&'?') {
                        end += 1;
                    }
                    if let Some(prev) = last_repeat {
                        return Err(("invalid nested repetition operator", self.frag(prev, end)));
                    }
                    let Some(inner) = atom else {
                        return Err((
                            "missing argument to repetition operator",
                            self.frag(op_start, end),
                        ));
                    };
                    let mut product = inner;
                    if let Some((min, max)) = count {
                        if min > 1000 || max > 1000 || (max >= 0 && (max as u64) < min) {
                            return Err((
                                "invalid repeat count",
                                self.frag(op_start, op_start + len),
                            ));
                        }
                        let k = if max < 0 { min } else { max as u64 };
                        if (min >= 2 || max >= 2) && k > 0 && k.saturating_mul(inner) > 1000 {
                            return Err((
                                "invalid repeat count",
                                self.frag(op_start, op_start + len),
                            ));
                        }
                        if k > 0 {
                            product = k.saturating_mul(inner);
                        }
                    }
                    top.product = top.product.max(product);
                    self.out.push_str(&self.frag(op_start, end));
                    self.i = end;
                    last_repeat = Some(op_start);
                    atom = Some(product);
                    continue;
                }
                '{' | '}' => {
                    self.out.push('\\');
                    self.out.push(ch);
                    self.i += 1;
                    atom = Some(1);
                }
                _ => {
                    if matches!(ch, '#' | '&' | '~' | ' ' | '-') {
                        self.push_char(ch as u32);
                    } else {
                        self.out.push(ch);
                    }
                    self.i += 1;
                    atom = Some(1);
                }
            }
        }
        if !groups.is_empty() {
            return Err(("missing closing )", self.src.to_string()));
        }
        Ok(GoRegex {
            pattern: self.out,
            names: self.names,
        })
    }
}

/// Rewrite Go-only syntax into the `regex` crate's, or Go's syntax error
/// as (code, fragment).
fn translate(p: &str) -> Result<GoRegex, SyntaxError> {
    Translator {
        c: p.chars().collect(),
        src: p,
        i: 0,
        out: String::with_capacity(p.len() + 8),
        captures: 0,
        names: Vec::new(),
    }
    .run()
}

/// A translated pattern and its Go capture names (the regex crate sees them unnamed).
struct GoRegex {
    pattern: String,
    names: Vec<(String, usize)>,
}

/// A compiled Go regular expression.
pub(crate) struct Compiled {
    re: Regex,
    names: Vec<(String, usize)>,
}

impl std::ops::Deref for Compiled {
    type Target = Regex;
    fn deref(&self) -> &Regex {
        &self.re
    }
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
fn replace_all(re: &Compiled, src: &str, repl: &str, literal: bool) -> String {
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
                expand(re, &caps, src, repl, &mut dst);
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

/// Go's `Regexp.expand`: `$1`, `${1}`, `$name`, `${name}` and `$$`; a
/// malformed reference is written as a literal `$`.
fn expand(re: &Compiled, caps: &regex::Captures<'_>, _src: &str, template: &str, dst: &mut String) {
    let mut t = template;
    while let Some(pos) = t.find('$') {
        dst.push_str(&t[..pos]);
        t = &t[pos + 1..];
        if let Some(rest) = t.strip_prefix('$') {
            dst.push('$');
            t = rest;
            continue;
        }
        let (brace, body) = match t.strip_prefix('{') {
            Some(b) => (true, b),
            None => (false, t),
        };
        let len: usize = body
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .map(char::len_utf8)
            .sum();
        if len == 0 || (brace && !body[len..].starts_with('}')) {
            dst.push('$');
            continue;
        }
        let name = &body[..len];
        t = &body[len + usize::from(brace)..];
        let number = if name.bytes().all(|b| b.is_ascii_digit())
            && !(name.len() > 1 && name.starts_with('0'))
        {
            name.parse::<usize>().ok().filter(|n| *n < 100_000_000)
        } else {
            None
        };
        let group = match number {
            Some(n) => caps.get(n),
            None => re
                .names
                .iter()
                .filter(|(n, _)| n == name)
                .find_map(|(_, i)| caps.get(*i)),
        };
        if let Some(m) = group {
            dst.push_str(m.as_str());
        }
    }
    dst.push_str(t);
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
