//! Helm's `--set` syntax: `a.b=1,c[0].d=x`, escaped dots/commas/equals
//! (`a\.b=1`), lists in braces (`a={x,y}`), and typed scalars for `--set`
//! (ints, bools, null) versus strings for `--set-string`.

use serde_json::Value;

/// Largest list index `--set` may create (as Helm limits it).
const MAX_INDEX: usize = 65_536;

/// One step of a value path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// How a `--set` value is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `--set`: ints, bools and null are typed, the rest are strings.
    Typed,
    /// `--set-string`: always strings.
    String,
    /// `--set-file`: the value is a file path (read by the caller).
    File,
}

/// A syntax error in a `--set` expression or path. Names the position, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetError {
    #[error("key `{key}` has no value (expected KEY=VALUE)")]
    NoValue { key: String },
    #[error("empty key at character {pos}")]
    EmptyKey { pos: usize },
    #[error("bad list index in `{key}` at character {pos} (expected [N])")]
    BadIndex { key: String, pos: usize },
    #[error("list index {index} in `{key}` is larger than {MAX_INDEX}")]
    IndexTooLarge { key: String, index: usize },
    #[error("unterminated list `{{…` for key `{key}`")]
    UnterminatedList { key: String },
    #[error("`{key}`: a path cannot both be a list and a map")]
    TypeClash { key: String },
    /// A later pair is malformed. Its text is not quoted: it may be the rest of
    /// the previous value, split at an unescaped comma.
    #[error("after `{previous}=…`, at character {pos}: expected KEY=VALUE (write a comma inside a value as `\\,`)")]
    AfterValue { previous: String, pos: usize },
}

/// One parsed assignment: a path and its raw or typed value.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub key: String,
    pub path: Vec<Seg>,
    pub value: Value,
}

/// Parse a dotted path such as `hub.db[0].url` or `annotations.a\.b`.
pub fn parse_path(input: &str) -> Result<Vec<Seg>, SetError> {
    let chars: Vec<char> = input.chars().collect();
    let (path, end) = path_until(&chars, 0, &[])?;
    debug_assert_eq!(end, chars.len());
    Ok(path)
}

/// Parse a `--set`-style expression (`a=1,b.c=x`) into assignments.
pub fn parse(input: &str, kind: SetKind) -> Result<Vec<Assignment>, SetError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out: Vec<Assignment> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        // Past the first pair, what looks like a key may be the tail of the
        // previous value (`--set pw=a,b`): name the previous key, not the text.
        let fail = |e: SetError| match out.last() {
            Some(prev) => SetError::AfterValue {
                previous: prev.key.clone(),
                pos: start,
            },
            None => e,
        };
        let (path, end) = path_until(&chars, i, &['=', ',']).map_err(fail)?;
        let key: String = chars[start..end].iter().collect();
        if end >= chars.len() || chars[end] != '=' {
            return Err(fail(SetError::NoValue { key }));
        }
        i = end + 1;
        let value = if i < chars.len() && chars[i] == '{' && kind != SetKind::File {
            let close = find_unescaped(&chars, i + 1, '}')
                .ok_or_else(|| fail(SetError::UnterminatedList { key: key.clone() }))?;
            let items = split_unescaped(&chars[i + 1..close], ',');
            i = close + 1;
            let list = items
                .into_iter()
                .filter(|s| !s.is_empty())
                .map(|s| typed(&s, kind))
                .collect();
            Value::Array(list)
        } else {
            let end = find_unescaped(&chars, i, ',').unwrap_or(chars.len());
            let raw = unescape(&chars[i..end]);
            i = end;
            typed(&raw, kind)
        };
        // skip the comma separating pairs
        if i < chars.len() && chars[i] == ',' {
            i += 1;
        }
        out.push(Assignment { key, path, value });
    }
    Ok(out)
}

/// Type a raw `--set` value the way Helm does.
fn typed(raw: &str, kind: SetKind) -> Value {
    if kind != SetKind::Typed {
        return Value::String(raw.to_string());
    }
    if raw.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if raw.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if raw.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    let leading_zero = raw.starts_with('0') && raw != "0";
    if !leading_zero {
        if let Ok(n) = raw.parse::<i64>() {
            return Value::from(n);
        }
    }
    Value::String(raw.to_string())
}

/// Read a path from `chars[start..]` up to an unescaped stop character (or the end).
fn path_until(chars: &[char], start: usize, stops: &[char]) -> Result<(Vec<Seg>, usize), SetError> {
    let mut path = Vec::new();
    let mut key = String::new();
    let mut have_key = false;
    let mut i = start;
    let whole = |end: usize| {
        chars[start..end.min(chars.len())]
            .iter()
            .collect::<String>()
    };
    while i < chars.len() {
        let c = chars[i];
        if stops.contains(&c) {
            break;
        }
        match c {
            '\\' if i + 1 < chars.len() => {
                key.push(chars[i + 1]);
                have_key = true;
                i += 2;
            }
            '.' => {
                if !have_key && !matches!(path.last(), Some(Seg::Index(_))) {
                    return Err(SetError::EmptyKey { pos: i + 1 });
                }
                if have_key {
                    path.push(Seg::Key(std::mem::take(&mut key)));
                    have_key = false;
                }
                i += 1;
                if i >= chars.len() || stops.contains(&chars[i]) || chars[i] == '.' {
                    return Err(SetError::EmptyKey { pos: i + 1 });
                }
            }
            '[' => {
                if have_key {
                    path.push(Seg::Key(std::mem::take(&mut key)));
                    have_key = false;
                } else if path.is_empty() {
                    return Err(SetError::EmptyKey { pos: i + 1 });
                }
                let close = chars[i..]
                    .iter()
                    .position(|c| *c == ']')
                    .map(|p| p + i)
                    .ok_or_else(|| SetError::BadIndex {
                        key: whole(chars.len()),
                        pos: i + 1,
                    })?;
                let digits: String = chars[i + 1..close].iter().collect();
                let index: usize = digits.parse().map_err(|_| SetError::BadIndex {
                    key: whole(close + 1),
                    pos: i + 1,
                })?;
                if index > MAX_INDEX {
                    return Err(SetError::IndexTooLarge {
                        key: whole(close + 1),
                        index,
                    });
                }
                path.push(Seg::Index(index));
                i = close + 1;
                if i < chars.len()
                    && !stops.contains(&chars[i])
                    && chars[i] != '.'
                    && chars[i] != '['
                {
                    return Err(SetError::BadIndex {
                        key: whole(i + 1),
                        pos: i + 1,
                    });
                }
            }
            _ => {
                key.push(c);
                have_key = true;
                i += 1;
            }
        }
    }
    if have_key {
        path.push(Seg::Key(key));
    }
    if path.is_empty() {
        return Err(SetError::EmptyKey { pos: start + 1 });
    }
    Ok((path, i))
}

fn find_unescaped(chars: &[char], from: usize, target: char) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        if chars[i] == '\\' {
            i += 2;
            continue;
        }
        if chars[i] == target {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn split_unescaped(chars: &[char], sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    while let Some(pos) = find_unescaped(chars, start, sep) {
        out.push(unescape(&chars[start..pos]));
        start = pos + 1;
    }
    out.push(unescape(&chars[start..]));
    out
}

fn unescape(chars: &[char]) -> String {
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() {
            out.push(chars[i + 1]);
            i += 2;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Put `value` at `path` inside `tree`, creating maps and lists on the way
/// (lists grow with nulls). `key` names the assignment in errors.
pub fn apply(tree: &mut Value, path: &[Seg], value: Value, key: &str) -> Result<(), SetError> {
    let Some((first, rest)) = path.split_first() else {
        *tree = value;
        return Ok(());
    };
    match first {
        Seg::Key(k) => {
            if !tree.is_object() {
                if tree.is_array() {
                    return Err(SetError::TypeClash {
                        key: key.to_string(),
                    });
                }
                *tree = Value::Object(serde_json::Map::new());
            }
            let Value::Object(map) = tree else {
                return Err(SetError::TypeClash {
                    key: key.to_string(),
                });
            };
            if rest.is_empty() {
                map.insert(k.clone(), value);
                return Ok(());
            }
            let child = map.entry(k.clone()).or_insert(Value::Null);
            apply(child, rest, value, key)
        }
        Seg::Index(i) => {
            if !tree.is_array() {
                if tree.is_object() {
                    return Err(SetError::TypeClash {
                        key: key.to_string(),
                    });
                }
                *tree = Value::Array(Vec::new());
            }
            let Value::Array(list) = tree else {
                return Err(SetError::TypeClash {
                    key: key.to_string(),
                });
            };
            while list.len() <= *i {
                list.push(Value::Null);
            }
            apply(&mut list[*i], rest, value, key)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(input: &str, kind: SetKind) -> Value {
        let mut tree = json!({});
        for a in parse(input, kind).unwrap() {
            apply(&mut tree, &a.path, a.value, &a.key).unwrap();
        }
        tree
    }

    #[test]
    fn typed_values_and_lists() {
        assert_eq!(
            set(
                "a.b=1,c=true,d=null,e=007,f=1.5,g=-3,h={x,y}",
                SetKind::Typed
            ),
            json!({"a": {"b": 1}, "c": true, "d": null, "e": "007", "f": "1.5", "g": -3, "h": ["x", "y"]})
        );
        assert_eq!(
            set("a=1,b=true", SetKind::String),
            json!({"a": "1", "b": "true"})
        );
    }

    #[test]
    fn indexes_and_escapes() {
        assert_eq!(
            set(r"a[1].b=x,c\.d=y,e=1\,2,f=", SetKind::Typed),
            json!({"a": [null, {"b": "x"}], "c.d": "y", "e": "1,2", "f": ""})
        );
        assert_eq!(
            set("a[0][1]=z", SetKind::Typed),
            json!({"a": [[null, "z"]]})
        );
    }

    #[test]
    fn errors() {
        assert!(matches!(
            parse("a", SetKind::Typed),
            Err(SetError::NoValue { .. })
        ));
        assert!(matches!(
            parse("a..b=1", SetKind::Typed),
            Err(SetError::EmptyKey { .. })
        ));
        assert!(matches!(
            parse("a[x]=1", SetKind::Typed),
            Err(SetError::BadIndex { .. })
        ));
        assert!(matches!(
            parse("a[99999999]=1", SetKind::Typed),
            Err(SetError::IndexTooLarge { .. })
        ));
        assert!(matches!(
            parse("a={x", SetKind::Typed),
            Err(SetError::UnterminatedList { .. })
        ));
        // The tail of a value split at a comma is never echoed.
        let err = parse("db.password=s3cr3t,tail-of-secret", SetKind::Typed).unwrap_err();
        assert!(matches!(err, SetError::AfterValue { .. }));
        assert!(!err.to_string().contains("tail-of-secret"), "{err}");
        assert!(err.to_string().contains("db.password"), "{err}");
        let err = parse("a=1,x[y", SetKind::Typed).unwrap_err();
        assert!(!err.to_string().contains("x[y"), "{err}");
        let mut tree = json!({"a": [1]});
        assert!(apply(&mut tree, &parse_path("a.b").unwrap(), json!(1), "a.b").is_err());
    }
}
