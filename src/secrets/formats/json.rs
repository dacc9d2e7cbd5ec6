//! JSON store: bytes ⇄ the ordered tree (key order kept). As in sops, every
//! JSON number is a float; output is tab-indented like sops'.

use super::FormatError;
use crate::secrets::tree::{Item, Value};

/// Parse any JSON value (duplicate keys refused) into a tree.
pub(crate) fn load_value(text: &str) -> Result<Value, FormatError> {
    parse(text).map(from_json)
}

/// Parse a JSON object into a map tree. A key defined twice in one object is
/// refused (serde_json would keep the last silently; a later `"token": ""`
/// must never override an encrypted value).
pub(crate) fn load(text: &str) -> Result<Value, FormatError> {
    match parse(text)? {
        v @ serde_json::Value::Object(_) => Ok(from_json(v)),
        _ => Err(FormatError::NotAMap),
    }
}

fn parse(text: &str) -> Result<serde_json::Value, FormatError> {
    match serde_json::from_str::<Checked>(text) {
        Ok(Checked(v)) => Ok(v),
        Err(e) => {
            let msg = e.to_string();
            let reason = match msg.find(DUPLICATE) {
                // Our own message (a key name, never a value), without serde's position suffix.
                Some(at) => msg[at..]
                    .split(" at line ")
                    .next()
                    .unwrap_or(DUPLICATE)
                    .to_string(),
                None if msg.contains("recursion limit") => {
                    format!("nested deeper than {} levels", super::MAX_DEPTH)
                }
                None => "invalid JSON".into(),
            };
            Err(FormatError::Syntax {
                line: e.line(),
                col: e.column(),
                reason,
            })
        }
    }
}

const DUPLICATE: &str = "mapping key \"";

/// A JSON value whose objects have no key twice.
struct Checked(serde_json::Value);

impl<'de> serde::Deserialize<'de> for Checked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CheckedVisitor).map(Checked)
    }
}

struct CheckedVisitor;

impl<'de> serde::de::Visitor<'de> for CheckedVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Checked(v)) = a.next_element()? {
            out.push(v);
        }
        Ok(serde_json::Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(k) = a.next_key::<String>()? {
            if out.contains_key(&k) {
                return Err(serde::de::Error::custom(format!(
                    "{DUPLICATE}{k}\" already defined"
                )));
            }
            let Checked(v) = a.next_value()?;
            out.insert(k, v);
        }
        Ok(serde_json::Value::Object(out))
    }
}

/// Convert a JSON value into a tree (numbers become floats, as in sops).
pub(crate) fn from_json(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::Str(s),
        serde_json::Value::Array(a) => Value::Seq(a.into_iter().map(from_json).collect()),
        serde_json::Value::Object(o) => Value::Map(
            o.into_iter()
                .map(|(k, v)| Item::Entry(k, from_json(v)))
                .collect(),
        ),
    }
}

/// Convert a tree into JSON; comments are dropped (JSON has none), floats
/// without a fraction print as integers, as Go's encoder does.
pub(crate) fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Null | Value::Comment(_) => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                J::from(*f as i64)
            } else {
                serde_json::Number::from_f64(*f).map_or(J::Null, J::Number)
            }
        }
        Value::Str(s) | Value::Time(s) => J::String(s.clone()),
        Value::Bytes(b) => J::String(String::from_utf8_lossy(b).into_owned()),
        Value::Seq(vals) => J::Array(
            vals.iter()
                .filter(|v| !matches!(v, Value::Comment(_)))
                .map(to_json)
                .collect(),
        ),
        Value::Map(items) => J::Object(
            items
                .iter()
                .filter_map(|i| match i {
                    Item::Entry(k, v) => Some((k.clone(), to_json(v))),
                    Item::Comment(_) => None,
                })
                .collect(),
        ),
    }
}

/// Emit a tree as tab-indented JSON.
pub(crate) fn emit(tree: &Value) -> String {
    let json = to_json(tree);
    let mut buf = Vec::new();
    let fmt = GoFloats(serde_json::ser::PrettyFormatter::with_indent(b"\t"));
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(&json, &mut ser)
        .expect("serializing a JSON value to memory cannot fail");
    buf.push(b'\n');
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

/// Go's `encoding/json` float layout: plain digits below 1e21 (and from
/// 1e-6), exponent form otherwise with at least two exponent digits removed
/// (`1e+21`, `1e-7`), as sops writes JSON numbers.
pub(crate) fn go_json_float(f: f64) -> String {
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format!("{f}");
    }
    let e = format!("{f:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    format!("{mantissa}e{sign}{digits}")
}

/// The pretty printer with Go's float layout.
struct GoFloats(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for GoFloats {
    fn write_f64<W: ?Sized + std::io::Write>(&mut self, w: &mut W, v: f64) -> std::io::Result<()> {
        w.write_all(go_json_float(v).as_bytes())
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod float_tests {
    use super::go_json_float;

    #[test]
    fn floats_are_written_as_go_json() {
        assert_eq!(go_json_float(1e16), "10000000000000000");
        assert_eq!(
            go_json_float(12345678901234567890.0),
            "12345678901234567000"
        );
        assert_eq!(go_json_float(1.5e300), "1.5e+300");
        assert_eq!(go_json_float(1e21), "1e+21");
        assert_eq!(go_json_float(1e-7), "1e-7");
        assert_eq!(go_json_float(0.5), "0.5");
    }
}
