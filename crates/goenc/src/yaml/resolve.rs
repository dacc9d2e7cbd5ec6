//! go-yaml v2's YAML 1.1 scalar resolution: which plain scalar is a null, a
//! bool, an int (decimal, `0x`, `0o`, leading-zero octal, `0b`, with `_`),
//! a float, a timestamp or a string, and what an explicit `!!tag` demands.
//! The reader uses it to type plain scalars; the writer uses it to decide
//! which strings must be quoted.
//!
//! Pure functions over one scalar's text; knows nothing of documents.

/// go-yaml's long tag names.
pub const STR: &str = "tag:yaml.org,2002:str";
pub const BOOL: &str = "tag:yaml.org,2002:bool";
pub const INT: &str = "tag:yaml.org,2002:int";
pub const FLOAT: &str = "tag:yaml.org,2002:float";
pub const NULL: &str = "tag:yaml.org,2002:null";
pub const TIMESTAMP: &str = "tag:yaml.org,2002:timestamp";
pub const BINARY: &str = "tag:yaml.org,2002:binary";
pub const MERGE: &str = "tag:yaml.org,2002:merge";

/// A resolved scalar, as go-yaml v2 types it into `interface{}`.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    /// Go `int` (64-bit).
    Int(i64),
    /// Go `uint64` (integers above `int64`'s range).
    Uint(u64),
    Float(f64),
    /// The text itself (strings, timestamps, `<<`, custom tags).
    Str,
}

/// `tag:yaml.org,2002:int` → `!!int`.
pub fn short_tag(tag: &str) -> String {
    match tag.strip_prefix("tag:yaml.org,2002:") {
        Some(rest) => format!("!!{rest}"),
        None => tag.to_string(),
    }
}

fn resolvable(tag: &str) -> bool {
    matches!(tag, "" | STR | BOOL | INT | FLOAT | NULL | TIMESTAMP)
}

fn fixed(s: &str) -> Option<(&'static str, Scalar)> {
    let v = match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            (BOOL, Scalar::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            (BOOL, Scalar::Bool(false))
        }
        "" | "~" | "null" | "Null" | "NULL" => (NULL, Scalar::Null),
        ".nan" | ".NaN" | ".NAN" => (FLOAT, Scalar::Float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            (FLOAT, Scalar::Float(f64::INFINITY))
        }
        "-.inf" | "-.Inf" | "-.INF" => (FLOAT, Scalar::Float(f64::NEG_INFINITY)),
        "<<" => (MERGE, Scalar::Str),
        _ => return None,
    };
    Some(v)
}

/// The first-byte hint of go-yaml's resolve table.
fn hint(s: &str) -> u8 {
    match s.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => 0,
    }
}

/// The plain (untagged) resolution: the tag go-yaml assigns and the value.
fn resolve_plain(s: &str, may_timestamp: bool) -> (&'static str, Scalar) {
    let h = hint(s);
    if h == 0 {
        return (STR, Scalar::Str);
    }
    if let Some(v) = fixed(s) {
        return v;
    }
    match h {
        b'.' => {
            if let Some(f) = parse_go_float_dot(s) {
                return (FLOAT, Scalar::Float(f));
            }
        }
        b'D' | b'S' => {
            if may_timestamp && is_timestamp(s) {
                return (TIMESTAMP, Scalar::Str);
            }
            let plain: String = s.chars().filter(|&c| c != '_').collect();
            if let Some(i) = parse_int_base0(&plain) {
                return (INT, Scalar::Int(i));
            }
            if let Some(u) = parse_uint_base0(&plain) {
                return (INT, Scalar::Uint(u));
            }
            if is_yaml_style_float(&plain) {
                if let Some(f) = parse_decimal_float(&plain) {
                    return (FLOAT, Scalar::Float(f));
                }
            }
            // go-yaml's extra `0b` branches are covered by base-0 parsing.
        }
        _ => {}
    }
    (STR, Scalar::Str)
}

/// go-yaml v2's `resolve(tag, in)`: `tag` is the long tag from the
/// document ("" when none). Returns the resolved tag and value, or go-yaml's
/// message (`cannot decode !!str `x` as a !!int`).
pub fn resolve(tag: &str, s: &str) -> Result<(String, Scalar), String> {
    if !resolvable(tag) {
        return Ok((tag.to_string(), Scalar::Str));
    }
    let (rtag, out) = if tag == STR {
        (STR, Scalar::Str)
    } else {
        resolve_plain(s, tag.is_empty() || tag == TIMESTAMP)
    };
    if tag.is_empty() || tag == rtag || tag == STR {
        return Ok((rtag.to_string(), out));
    }
    if tag == FLOAT && rtag == INT {
        match out {
            Scalar::Int(i) => return Ok((FLOAT.to_string(), Scalar::Float(i as f64))),
            // go-yaml converts int and int64 only; a uint64 falls through to the error.
            Scalar::Uint(_) => {}
            _ => {}
        }
    }
    Err(format!(
        "cannot decode {} `{}` as a {}",
        short_tag(rtag),
        s,
        short_tag(tag)
    ))
}

/// Whether a string written plain would read back as something other than
/// a string (the writer's reason to quote it), including go-yaml's
/// sexagesimal-float guard.
pub fn needs_quotes(s: &str) -> bool {
    resolve_plain(s, true).0 != STR || is_base60_float(s)
}

/// v3's extra guard for YAML 1.1 booleans (`y`, `on`, `no`...), used by
/// `toYamlPretty`'s encoder.
pub fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
pub fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    if !matches!(b.get(i), Some(b'0'..=b'9')) {
        return false;
    }
    i += 1;
    while matches!(b.get(i), Some(b'0'..=b'9' | b'_')) {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // [0-5]?[0-9]
        match (b.get(i), b.get(i + 1)) {
            (Some(b'0'..=b'5'), Some(b'0'..=b'9')) => i += 2,
            (Some(b'0'..=b'9'), _) => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while matches!(b.get(i), Some(b'0'..=b'9' | b'_')) {
            i += 1;
        }
    }
    i == b.len()
}

/// `strconv.ParseInt(s, 0, 64)` (underscores already removed).
fn parse_int_base0(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mag = parse_uint_base0(body)?;
    if neg {
        if mag <= i64::MAX as u64 + 1 {
            Some((mag as i64).wrapping_neg())
        } else {
            None
        }
    } else if mag <= i64::MAX as u64 {
        Some(mag as i64)
    } else {
        None
    }
}

/// `strconv.ParseUint(s, 0, 64)`: no sign; `0x`, `0o`, `0b`, leading-`0` octal.
fn parse_uint_base0(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let (radix, digits) = if b.len() >= 2 && b[0] == b'0' {
        match b[1] {
            b'x' | b'X' => (16, &s[2..]),
            b'o' | b'O' => (8, &s[2..]),
            b'b' | b'B' => (2, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while matches!(b.get(*i), Some(b'0'..=b'9')) {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// A decimal float that matched go-yaml's float pattern; `None` when out
/// of range (Go's `ErrRange`).
fn parse_decimal_float(s: &str) -> Option<f64> {
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(f)
}

/// `strconv.ParseFloat(s, 64)` for a scalar starting with `.` (only the
/// decimal form `.digits[e±digits]` can start so).
fn parse_go_float_dot(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 1;
    while matches!(b.get(i), Some(b'0'..=b'9')) {
        i += 1;
    }
    if i == 1 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while matches!(b.get(i), Some(b'0'..=b'9')) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    parse_decimal_float(s)
}

/// go-yaml's `parseTimestamp`: four digits and `-`, then one of its
/// layouts (`2006-1-2T15:4:5.999999999Z07:00`, the same with `t`,
/// `2006-1-2 15:4:5.999999999`, `2006-1-2`) as Go's `time.Parse` reads them.
pub fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut p = TimeParser { b, i: 5 };
    let year: u32 = s[..4].parse().unwrap_or(0);
    let Some(month) = p.num12() else { return false };
    if !p.eat(b'-') {
        return false;
    }
    let Some(day) = p.num12() else { return false };
    if !(1..=12).contains(&month) || day < 1 || day > days_in(year, month) {
        return false;
    }
    if p.i == b.len() {
        return true;
    }
    let sep = b[p.i];
    let zone = match sep {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    p.i += 1;
    let Some(hour) = p.num12() else { return false };
    if !p.eat(b':') {
        return false;
    }
    let Some(min) = p.num12() else { return false };
    if !p.eat(b':') {
        return false;
    }
    let Some(sec) = p.num12() else { return false };
    if hour >= 24 || min >= 60 || sec >= 60 {
        return false;
    }
    // optional fraction: [.,] then digits
    if p.i + 1 < b.len() && matches!(b[p.i], b'.' | b',') && b[p.i + 1].is_ascii_digit() {
        p.i += 1;
        while p.i < b.len() && b[p.i].is_ascii_digit() {
            p.i += 1;
        }
    }
    if zone {
        if p.eat(b'Z') {
            return p.i == b.len();
        }
        // ±hh:mm
        let rest = &b[p.i..];
        if rest.len() != 6
            || !matches!(rest[0], b'+' | b'-')
            || rest[3] != b':'
            || ![1, 2, 4, 5].iter().all(|&k| rest[k].is_ascii_digit())
        {
            return false;
        }
        let hh = (rest[1] - b'0') * 10 + (rest[2] - b'0');
        let mm = (rest[4] - b'0') * 10 + (rest[5] - b'0');
        return hh <= 24 && mm <= 60;
    }
    p.i == b.len()
}

fn days_in(year: u32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

struct TimeParser<'a> {
    b: &'a [u8],
    i: usize,
}

impl TimeParser<'_> {
    /// Go's `getnum(value, false)`: one or two digits.
    fn num12(&mut self) -> Option<u32> {
        let d0 = *self.b.get(self.i)?;
        if !d0.is_ascii_digit() {
            return None;
        }
        self.i += 1;
        let mut n = u32::from(d0 - b'0');
        if let Some(&d1) = self.b.get(self.i) {
            if d1.is_ascii_digit() {
                self.i += 1;
                n = n * 10 + u32::from(d1 - b'0');
            }
        }
        Some(n)
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> Scalar {
        resolve("", s).unwrap().1
    }

    #[test]
    fn yaml11_forms() {
        assert_eq!(plain("0644"), Scalar::Int(420));
        assert_eq!(plain("0x1F"), Scalar::Int(31));
        assert_eq!(plain("0b101"), Scalar::Int(5));
        assert_eq!(plain("1_000"), Scalar::Int(1000));
        assert_eq!(plain("09"), Scalar::Float(9.0));
        assert_eq!(plain("1e3"), Scalar::Float(1000.0));
        assert_eq!(plain("1e400"), Scalar::Str);
        assert_eq!(plain("18446744073709551615"), Scalar::Uint(u64::MAX));
        assert_eq!(plain("yes"), Scalar::Bool(true));
        assert_eq!(plain("~"), Scalar::Null);
        assert_eq!(plain(".5"), Scalar::Float(0.5));
        assert!(is_timestamp("2001-12-14"));
        assert!(is_timestamp("2001-12-14T21:59:43.10-05:00"));
        assert!(is_timestamp("2001-12-14 21:59:43.10"));
        assert!(!is_timestamp("2001-02-30"));
        assert!(is_base60_float("1:20"));
        assert!(!is_base60_float("1:60"));
    }
}
