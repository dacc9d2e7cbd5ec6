//! The conversions every sprig topic shares: sprig's `strval`, spf13/cast's
//! `ToInt64`/`ToInt`/`ToFloat64` (with Go's `strconv` number syntax), sprig's
//! `empty`, `reflect.DeepEqual`, and the texts of the Go runtime panics sprig
//! functions raise. No template function is registered here.

use std::rc::Rc;

use crate::fmt::display;
use crate::func::FuncError;
use crate::value::{SliceType, Value};

/// The message of Go's nil-pointer panic (`reflect.TypeOf(nil).Kind()`).
pub(crate) const NIL_DEREF: &str =
    "runtime error: invalid memory address or nil pointer dereference";

/// sprig's `strval`: strings as they are, `[]byte` as text, anything else as `%v`
/// (which is also what a `String()` method prints for the objects we model).
pub(crate) fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        other => display(other),
    }
}

/// The elements of a Go slice or array (`[]byte` yields its bytes as integers).
pub(crate) fn slice_items(v: &Value) -> Option<Rc<Vec<Value>>> {
    match v {
        Value::List(_, items) => Some(items.clone()),
        Value::Bytes(b) => Some(Rc::new(
            b.iter().map(|x| Value::Int(i64::from(*x))).collect(),
        )),
        _ => None,
    }
}

/// `reflect.TypeOf(v).Kind()` as sprig's list functions use it: a panic for nil,
/// otherwise the kind's name for their `Cannot ... on type KIND` errors.
pub(crate) fn kind_or_panic(v: &Value) -> Result<&str, FuncError> {
    if v.is_nil() {
        return Err(FuncError::new(NIL_DEREF));
    }
    Ok(v.kind_name())
}

/// Go's `int64(f)` on amd64: truncation, and `-9223372036854775808` for
/// values out of range and NaN.
pub(crate) fn float_to_i64(f: f64) -> i64 {
    // 2^63: the first float64 above every int64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || !(-LIMIT..LIMIT).contains(&f) {
        i64::MIN
    } else {
        f.trunc() as i64
    }
}

/// spf13/cast `ToInt64`: numbers converted Go's way, strings read by
/// `strconv.ParseInt(s, 0, 0)` after dropping a `.0…` suffix, booleans as
/// 0/1, and 0 for everything else (errors are swallowed).
pub(crate) fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Uint64(u) => *u as i64,
        Value::Float64(f) => float_to_i64(*f),
        Value::String(s) => parse_int_base0(trim_zero_decimal(s)).unwrap_or(0),
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

/// spf13/cast `ToInt` (Go's `int` is 64 bits here, so the same as `ToInt64`).
pub(crate) fn to_int(v: &Value) -> i64 {
    to_int64(v)
}

/// spf13/cast `ToFloat64`: numbers converted, strings read by
/// `strconv.ParseFloat`, booleans as 0/1, and 0 for everything else.
pub(crate) fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Uint64(u) => *u as f64,
        Value::Float64(f) => *f,
        Value::String(s) => parse_go_float(s).unwrap_or(0.0),
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => 0.0,
    }
}

/// cast's `trimZeroDecimal`: `"5.00"` → `"5"`; anything else unchanged.
fn trim_zero_decimal(s: &str) -> &str {
    let bytes = s.as_bytes();
    let mut found_zero = false;
    for i in (1..=bytes.len()).rev() {
        match bytes[i - 1] {
            b'.' => {
                if found_zero {
                    return &s[..i - 1];
                }
            }
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// Go's `underscoreOK`: underscores only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    if !b.is_empty() && (b[0] == b'-' || b[0] == b'+') {
        i = 1;
    }
    let mut hex = false;
    if b.len() - i >= 2 && b[i] == b'0' && matches!(b[i + 1] | 0x20, b'b' | b'o' | b'x') {
        hex = b[i + 1] | 0x20 == b'x';
        saw = b'0';
        i += 2;
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// `strconv.ParseInt(s, 0, 64)`: optional sign, `0x`/`0o`/`0b`/leading-`0`
/// prefixes, underscores between digits; `None` on any error (range included).
pub(crate) fn parse_int_base0(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = parse_uint_base0(body, s)?;
    if neg {
        if magnitude > 1u64 << 63 {
            return None;
        }
        Some((magnitude as i64).wrapping_neg())
    } else {
        i64::try_from(magnitude).ok()
    }
}

fn parse_uint_base0(body: &str, whole: &str) -> Option<u64> {
    if body.is_empty() {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    let (base, digits) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest.to_string())
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest.to_string())
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest.to_string())
    } else if lower.starts_with('0') && lower.len() > 1 {
        (8, lower[1..].to_string())
    } else {
        (10, lower)
    };
    if digits.contains('_') && !underscore_ok(whole) {
        return None;
    }
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    if digits.is_empty() && base != 8 {
        return None;
    }
    if digits.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(&digits, base).ok()
}

/// `strconv.ParseFloat(s, 64)`: decimal and hexadecimal (`0x1p-2`) forms,
/// `inf`/`infinity`/`nan` in any case, underscores between digits. `None`
/// on a syntax error or when the value is out of range.
pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let sign = if neg { -1.0 } else { 1.0 };
    match lower.as_str() {
        "inf" | "infinity" => return Some(sign * f64::INFINITY),
        // Go accepts NaN only unsigned.
        "nan" if body.len() == s.len() => return Some(f64::NAN),
        "nan" => return None,
        _ => {}
    }
    if lower.contains('_') && !underscore_ok(s) {
        return None;
    }
    let clean: String = lower.chars().filter(|c| *c != '_').collect();
    let value = if let Some(hex) = clean.strip_prefix("0x") {
        parse_hex_float(hex)?
    } else {
        if clean.is_empty()
            || !clean
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-'))
        {
            return None;
        }
        clean.parse::<f64>().ok()?
    };
    if value.is_infinite() {
        return None;
    }
    Some(sign * value)
}

/// The part of a Go hexadecimal float after `0x`: mantissa digits with an
/// optional point, then a mandatory `p` exponent.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mantissa, exp) = s.split_once('p')?;
    let exp: i32 = exp.parse().ok()?;
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in int_part.chars() {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        value += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(value * 2f64.powi(exp))
}

/// sprig's `empty`: nil, false, zero numbers and empty strings, slices and
/// maps are empty; structs and non-nil pointers are not.
pub(crate) fn empty(v: &Value) -> bool {
    match v {
        Value::Nil => true,
        Value::Bool(b) => !b,
        Value::Int(i) | Value::Int64(i) => *i == 0,
        Value::Uint64(u) => *u == 0,
        Value::Float64(f) => *f == 0.0,
        Value::String(s) => s.is_empty(),
        Value::Bytes(b) => b.is_empty(),
        Value::List(_, l) => l.is_empty(),
        Value::Map(m) => m.borrow().is_empty(),
        Value::Object(_) => false,
    }
}

/// `reflect.DeepEqual`: same Go type and deeply equal contents (NaN is never
/// equal; objects are equal when they are the same object or print the same
/// with the same type).
pub(crate) fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Uint64(x), Value::Uint64(y)) => x == y,
        (Value::Float64(x), Value::Float64(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::List(tx, x), Value::List(ty, y)) => {
            tx == ty && x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| deep_equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            if Rc::ptr_eq(x, y) {
                return true;
            }
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w)))
        }
        (Value::Object(x), Value::Object(y)) => {
            // Go compares every field; the printed form, the JSON form and a
            // version's original text stand for them here.
            let original = |o: &Rc<dyn crate::value::Object>| {
                o.has_method("Original")
                    .then(|| o.call_method("Original", &[]).ok().map(|v| display(&v)))
            };
            Rc::ptr_eq(x, y)
                || (x.type_name() == y.type_name()
                    && x.display() == y.display()
                    && x.to_json() == y.to_json()
                    && original(x) == original(y))
        }
        _ => false,
    }
}

/// Deep copy as mitchellh/copystructure makes it: new maps and slices all the
/// way down, scalars and objects as they are.
pub(crate) fn deep_copy(v: &Value) -> Value {
    match v {
        Value::List(t, items) => Value::List(*t, Rc::new(items.iter().map(deep_copy).collect())),
        Value::Map(m) => Value::map(
            m.borrow()
                .iter()
                .map(|(k, v)| (k.clone(), deep_copy(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A `[]string` value from owned strings.
pub(crate) fn strings(items: Vec<String>) -> Value {
    Value::List(
        SliceType::String,
        Rc::new(items.into_iter().map(Value::from).collect()),
    )
}

/// The `i`th argument (the executor guarantees the count; a missing one is nil).
pub(crate) fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or(Value::Nil)
}

/// The `i`th argument as a string (the executor converted it to `string`).
pub(crate) fn sarg(args: &[Value], i: usize) -> Rc<str> {
    match args.get(i) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => strval(other).into(),
        None => "".into(),
    }
}

/// The `i`th argument as an integer (the executor converted it to `int`).
pub(crate) fn iarg(args: &[Value], i: usize) -> i64 {
    args.get(i).map(to_int64).unwrap_or(0)
}

/// The `i`th argument as a `map[string]interface {}` (`None` for nil maps).
pub(crate) fn marg(args: &[Value], i: usize) -> Option<crate::value::Map> {
    match args.get(i) {
        Some(Value::Map(m)) => Some(m.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_integer_syntax() {
        for (s, want) in [
            ("0x1F", Some(31)),
            ("010", Some(8)),
            ("1_000", Some(1000)),
            (" 3", None),
            ("0b11", Some(3)),
            ("-0o17", Some(-15)),
            ("+5", Some(5)),
            ("9223372036854775808", None),
            ("-9223372036854775808", Some(i64::MIN)),
            ("_1", None),
            ("1__0", None),
            ("0", Some(0)),
        ] {
            assert_eq!(parse_int_base0(s), want, "{s}");
        }
    }

    #[test]
    fn go_float_syntax() {
        assert_eq!(parse_go_float("1e3"), Some(1000.0));
        assert_eq!(parse_go_float("0x1p-2"), Some(0.25));
        assert_eq!(parse_go_float("1_0"), Some(10.0));
        assert_eq!(parse_go_float("abc"), None);
        assert_eq!(parse_go_float("1e400"), None);
        assert_eq!(parse_go_float("-Inf"), Some(f64::NEG_INFINITY));
    }
}
