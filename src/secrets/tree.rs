//! The ordered SOPS tree: maps keep key order, comments are items of the
//! branch they sit in, lists keep comments as elements. The same type holds a
//! plaintext tree and an encrypted one (scalars become `ENC[…]` strings).
//! Owns walking the tree in sops' order; knows nothing of YAML, JSON or keys.

use zeroize::Zeroize;

/// One node of the tree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Map(Vec<Item>),
    Seq(Vec<Value>),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A timestamp, kept as its RFC 3339 text (sops' `type:time`).
    Time(String),
    Bytes(Vec<u8>),
    Null,
    /// A comment inside a list.
    Comment(String),
}

/// One item of a map branch: a comment or a key with its value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    Comment(String),
    Entry(String, Value),
}

impl Zeroize for Value {
    fn zeroize(&mut self) {
        match self {
            Value::Map(items) => {
                for item in items.iter_mut() {
                    match item {
                        Item::Comment(c) => c.zeroize(),
                        Item::Entry(k, v) => {
                            k.zeroize();
                            v.zeroize();
                        }
                    }
                }
            }
            Value::Seq(values) => values.iter_mut().for_each(Zeroize::zeroize),
            Value::Str(s) | Value::Time(s) | Value::Comment(s) => s.zeroize(),
            Value::Bytes(b) => b.zeroize(),
            Value::Int(i) => i.zeroize(),
            Value::Float(f) => f.zeroize(),
            Value::Bool(b) => b.zeroize(),
            Value::Null => {}
        }
    }
}

/// A plaintext tree: wiped from memory when dropped.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlainTree(pub(crate) Value);

impl Drop for PlainTree {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// A leaf the walker hands to its callback: a scalar or a comment, with the
/// path of keys leading to it (list indices are not part of sops' path).
pub(crate) enum Leaf<'a> {
    /// A scalar value (never `Null`: sops does not walk nulls).
    Value(&'a mut Value),
    /// A comment text (map item or list element).
    Comment(&'a mut String),
}

/// The callback of [`walk`]: a leaf and its path.
pub(crate) type LeafFn<'f, E> = dyn FnMut(Leaf<'_>, &[String]) -> Result<(), E> + 'f;

/// Walk every leaf in document order, as sops' `walkBranch` does.
pub(crate) fn walk<E>(
    value: &mut Value,
    path: &mut Vec<String>,
    f: &mut LeafFn<'_, E>,
) -> Result<(), E> {
    match value {
        Value::Map(items) => {
            for item in items.iter_mut() {
                match item {
                    Item::Comment(c) => f(Leaf::Comment(c), path)?,
                    Item::Entry(k, v) => {
                        path.push(k.clone());
                        let r = walk(v, path, f);
                        path.pop();
                        r?;
                    }
                }
            }
            Ok(())
        }
        Value::Seq(values) => {
            for v in values.iter_mut() {
                if let Value::Comment(c) = v {
                    f(Leaf::Comment(c), path)?;
                } else {
                    walk(v, path, f)?;
                }
            }
            Ok(())
        }
        Value::Null => Ok(()),
        Value::Comment(c) => f(Leaf::Comment(c), path),
        other => f(Leaf::Value(other), path),
    }
}

/// The bytes sops feeds to the cipher and the MAC for a scalar.
pub(crate) fn scalar_bytes(value: &Value) -> Vec<u8> {
    match value {
        Value::Str(s) | Value::Time(s) | Value::Comment(s) => s.as_bytes().to_vec(),
        Value::Bytes(b) => b.clone(),
        Value::Int(i) => i.to_string().into_bytes(),
        Value::Float(f) => go_format_float_f(*f).into_bytes(),
        Value::Bool(true) => b"True".to_vec(),
        Value::Bool(false) => b"False".to_vec(),
        Value::Null | Value::Map(_) | Value::Seq(_) => Vec::new(),
    }
}

/// Go's `strconv.FormatFloat(f, 'f', -1, 64)`.
pub(crate) fn go_format_float_f(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{f}")
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` (what go-yaml writes for floats).
pub(crate) fn go_format_float_g(f: f64) -> String {
    if !f.is_finite() {
        return go_format_float_f(f);
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Shortest digits and decimal exponent via Rust's `{:e}`.
    let e = format!("{f:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    // Go uses precision 6 for the %e/%f decision when formatting shortest.
    if !(-4..6).contains(&exp) {
        return go_exp(mantissa, exp);
    }
    format!("{f}")
}

fn go_exp(mantissa: &str, exp: i32) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_format_like_go() {
        assert_eq!(go_format_float_f(1.5), "1.5");
        assert_eq!(go_format_float_f(1e6), "1000000");
        assert_eq!(go_format_float_g(1e6), "1e+06");
        assert_eq!(go_format_float_g(1.5), "1.5");
        assert_eq!(go_format_float_g(100.0), "100");
        assert_eq!(go_format_float_g(123456.0), "123456");
        assert_eq!(go_format_float_g(0.0001), "0.0001");
        assert_eq!(go_format_float_g(0.00001), "1e-05");
        assert_eq!(go_format_float_g(1234567.0), "1.234567e+06");
    }
}
