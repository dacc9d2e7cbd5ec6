//! TOML as Helm's `toToml` writes it: BurntSushi/toml v1's `Encoder`
//! (two-space table indentation, plain keys before tables, keys sorted,
//! nulls skipped, float64 always with a decimal point or exponent).
//!
//! Reading ([`from_str`], Helm's `fromToml`) parses with the `toml` crate
//! and maps the document onto the JSON tree as BurntSushi's decoder types it
//! (integers int64, floats float64); date-times become their text.
//!
//! Works on the JSON tree (integers are Go ints, floats float64); knows
//! nothing of templates.

use serde_json::Value;

/// A TOML encoding failure with BurntSushi/toml's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

const ARRAY_NIL_ELEMENT: &str = "toml: cannot encode array with nil element";
const NO_KEY: &str = "toml: top-level values must be Go maps or structs";

/// `toml.NewEncoder(w).Encode(v)`: the text written.
pub fn to_string(value: &Value) -> Result<String, Error> {
    if value.is_null() {
        // Go reflects on a nil interface and panics; text/template reports it
        return Err(Error(
            "reflect: call of reflect.Value.Type on zero Value".into(),
        ));
    }
    let mut enc = Encoder {
        out: String::new(),
        written: false,
    };
    enc.encode(&[], value)?;
    Ok(enc.out)
}

#[derive(PartialEq, Eq)]
enum Kind {
    Nil,
    Table,
    TableArray,
    Other,
}

/// BurntSushi's `tomlTypeOfGo`, as far as tables go (arrays holding a nil
/// fail here, wherever they are looked at).
fn kind(v: &Value) -> Result<Kind, Error> {
    Ok(match v {
        Value::Null => Kind::Nil,
        Value::Object(_) => Kind::Table,
        Value::Array(items) => {
            if items.is_empty() {
                return Ok(Kind::Other);
            }
            let mut all_tables = true;
            for item in items {
                match kind(item)? {
                    Kind::Nil => return Err(Error(ARRAY_NIL_ELEMENT.into())),
                    Kind::Table => {}
                    _ => all_tables = false,
                }
            }
            if all_tables {
                Kind::TableArray
            } else {
                Kind::Other
            }
        }
        _ => Kind::Other,
    })
}

fn bare(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|r| r.is_ascii_alphanumeric() || r == '_' || r == '-')
}

/// One key part as BurntSushi writes it.
fn key_part(k: &str) -> String {
    if k.is_empty() {
        "\"\"".into()
    } else if bare(k) {
        k.to_string()
    } else {
        quoted(k)
    }
}

fn dotted(key: &[String]) -> String {
    key.iter()
        .map(|k| key_part(k))
        .collect::<Vec<_>>()
        .join(".")
}

/// BurntSushi's `dblQuotedReplacer` inside double quotes.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn float_text(f: f64) -> String {
    if f.is_nan() {
        return if f.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf" } else { "inf" }.into();
    }
    let s = crate::gofloat::format_g(f, 64);
    if s.contains('e') || s.contains('.') {
        s
    } else {
        s + ".0"
    }
}

struct Encoder {
    out: String,
    written: bool,
}

impl Encoder {
    fn write(&mut self, s: &str) {
        self.out.push_str(s);
        self.written = true;
    }

    fn newline(&mut self) {
        if self.written {
            self.write("\n");
        }
    }

    fn indent(key: &[String]) -> String {
        "  ".repeat(key.len().saturating_sub(1))
    }

    fn encode(&mut self, key: &[String], v: &Value) -> Result<(), Error> {
        match v {
            Value::Null => Ok(()),
            Value::Object(_) => self.table(key, v),
            Value::Array(items) => {
                if kind(v)? == Kind::TableArray {
                    self.array_of_tables(key, items)
                } else {
                    self.key_value(key, v, false)
                }
            }
            _ => self.key_value(key, v, false),
        }
    }

    fn key_value(&mut self, key: &[String], v: &Value, inline: bool) -> Result<(), Error> {
        let Some(last) = key.last() else {
            return self.element(v);
        };
        let head = format!("{}{} = ", Self::indent(key), key_part(last));
        self.write(&head);
        self.element(v)?;
        if !inline {
            self.newline();
        }
        Ok(())
    }

    fn element(&mut self, v: &Value) -> Result<(), Error> {
        match v {
            Value::Null => Ok(()),
            Value::Bool(b) => {
                self.write(if *b { "true" } else { "false" });
                Ok(())
            }
            Value::Number(n) => {
                let s = if n.is_f64() {
                    float_text(n.as_f64().unwrap_or(0.0))
                } else {
                    n.to_string()
                };
                self.write(&s);
                Ok(())
            }
            Value::String(s) => {
                self.write(&quoted(s));
                Ok(())
            }
            Value::Array(items) => {
                self.write("[");
                for (i, item) in items.iter().enumerate() {
                    self.element(item)?;
                    if i + 1 != items.len() {
                        self.write(", ");
                    }
                }
                self.write("]");
                Ok(())
            }
            Value::Object(_) => self.map(&[], v, true),
        }
    }

    fn array_of_tables(&mut self, key: &[String], items: &[Value]) -> Result<(), Error> {
        if key.is_empty() {
            return Err(Error(NO_KEY.into()));
        }
        for item in items {
            if item.is_null() {
                continue;
            }
            self.newline();
            let head = format!("{}[[{}]]", Self::indent(key), dotted(key));
            self.write(&head);
            self.newline();
            self.map(key, item, false)?;
        }
        Ok(())
    }

    fn table(&mut self, key: &[String], v: &Value) -> Result<(), Error> {
        if key.len() == 1 {
            self.newline();
        }
        if !key.is_empty() {
            let head = format!("{}[{}]", Self::indent(key), dotted(key));
            self.write(&head);
            self.newline();
        }
        self.map(key, v, false)
    }

    fn map(&mut self, key: &[String], v: &Value, inline: bool) -> Result<(), Error> {
        let Value::Object(m) = v else { return Ok(()) };
        let mut direct: Vec<(&String, &Value)> = Vec::new();
        let mut sub: Vec<(&String, &Value)> = Vec::new();
        for (k, item) in m {
            match kind(item)? {
                Kind::Table | Kind::TableArray => sub.push((k, item)),
                _ => direct.push((k, item)),
            }
        }
        direct.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        sub.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        if inline {
            self.write("{");
        }
        let trail = !sub.is_empty();
        for (group, trail_comma) in [(direct, trail), (sub, false)] {
            let n = group.len();
            for (i, (k, item)) in group.into_iter().enumerate() {
                if item.is_null() {
                    continue;
                }
                if inline {
                    self.key_value(std::slice::from_ref(k), item, true)?;
                    if trail_comma || i + 1 != n {
                        self.write(", ");
                    }
                } else {
                    let mut child = key.to_vec();
                    child.push(k.clone());
                    self.encode(&child, item)?;
                }
            }
        }
        if inline {
            self.write("}");
        }
        Ok(())
    }
}

/// `toml.Unmarshal(text, &m)` into a `map[string]interface{}`. Error texts
/// are the `toml` crate's, prefixed `toml: ` (BurntSushi words them
/// differently).
pub fn from_str(text: &str) -> Result<Value, Error> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| Error(format!("toml: {}", e.message())))?;
    Ok(from_toml(toml::Value::Table(table)))
}

fn from_toml(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(datetime_text(&d)),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(from_toml).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, from_toml(v))).collect())
        }
    }
}

/// A TOML date-time as Go's `time.Time` marshals to JSON (RFC 3339 with
/// nanoseconds, trailing zeros trimmed): BurntSushi puts local date-times,
/// dates and times in UTC, a bare time on day 0000-01-01.
fn datetime_text(d: &toml::value::Datetime) -> String {
    let date = d
        .date
        .map(|x| format!("{:04}-{:02}-{:02}", x.year, x.month, x.day))
        .unwrap_or_else(|| "0000-01-01".into());
    let time = d
        .time
        .map(|t| {
            let mut s = format!("{:02}:{:02}:{:02}", t.hour, t.minute, t.second);
            if t.nanosecond > 0 {
                let frac = format!("{:09}", t.nanosecond);
                s.push('.');
                s.push_str(frac.trim_end_matches('0'));
            }
            s
        })
        .unwrap_or_else(|| "00:00:00".into());
    let zone = match d.offset {
        None | Some(toml::value::Offset::Z) => "Z".to_string(),
        Some(toml::value::Offset::Custom { minutes: 0 }) => "Z".to_string(),
        Some(toml::value::Offset::Custom { minutes }) => {
            let sign = if minutes < 0 { '-' } else { '+' };
            let m = minutes.unsigned_abs();
            format!("{sign}{:02}:{:02}", m / 60, m % 60)
        }
    };
    format!("{date}T{time}{zone}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn burntsushi_layout() {
        let v =
            json!({"b": {"c": "x", "d": {"e": 1}}, "a": 3.0, "l": [{"x": 1}, {"x": 2}], "n": null});
        assert_eq!(
            to_string(&v).unwrap(),
            "a = 3.0\n\n[b]\n  c = \"x\"\n  [b.d]\n    e = 1\n\n[[l]]\n  x = 1\n\n[[l]]\n  x = 2\n"
        );
    }
}
