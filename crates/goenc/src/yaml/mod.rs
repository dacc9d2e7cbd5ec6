//! YAML as Helm reads and writes it through sigs.k8s.io/yaml over go-yaml v2.
//!
//! Reading ([`from_str`], [`read_values`], [`from_str_into`]) is
//! `yaml.Unmarshal`: YAML 1.1 scalars, merge keys, anchors, then the JSON
//! round trip that turns keys into strings and every number into a float64.
//! Writing ([`to_string`]) is `yaml.Marshal` as Helm's `toYaml` calls it:
//! encoding/json first, then go-yaml v2's emitter; [`to_string_pretty`] is
//! Helm v4's `toYamlPretty` (go-yaml v3's encoder, indent 2).
//!
//! Untrusted input is bounded by [`Limits`]: nesting, nodes produced by
//! aliases, and document size, each failing with its number in the message.
//! Error messages are Go's; they never quote a scalar beyond what Helm's own
//! message quotes.

mod compat;
mod decode;
mod emit;
mod encode;
mod gosyntax;
pub(crate) mod resolve;
mod sort;
mod tojson;
mod tree;

use serde_json::Value;

pub use crate::Target;
pub(crate) use gosyntax::quote as go_quote;

/// Bounds applied while reading a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of collections. Default 10,000: go-yaml v2 refuses
    /// more flow or block levels (`exceeded max depth of 10000`) and
    /// encoding/json, the next step Helm takes, refuses more than 10,000
    /// nested JSON values, so Helm itself accepts nothing deeper.
    pub max_depth: usize,
    /// Most nodes that aliases may produce in one document. Default
    /// 1,000,000; go-yaml's own ratio check (`document contains excessive
    /// aliasing`) applies as well and usually trips first.
    pub max_alias_nodes: usize,
    /// Largest document in bytes. Default 64 MiB.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 10_000,
            max_alias_nodes: 1_000_000,
            max_bytes: 64 << 20,
        }
    }
}

/// What went wrong, for callers that branch on the kind (never on the text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Not YAML (scanner or parser error).
    Syntax,
    /// Valid YAML that go-yaml refuses to decode (bad tag value, unknown
    /// anchor, recursive alias, bad merge, map or list as key).
    Decode,
    /// A map key sigs.k8s.io/yaml cannot turn into a JSON key (null, uint64).
    Key,
    /// A value JSON cannot hold (NaN, ±Inf).
    Json,
    /// The document is not of the type the caller asked for.
    Type,
    /// A [`Limits`] bound was exceeded.
    Limit,
    /// The value cannot be written (writer side).
    Marshal,
}

/// A YAML read or write failure with Go's message, as Helm shows it
/// (`error converting YAML to JSON: yaml: line 3: ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    line: Option<usize>,
    message: String,
}

impl Error {
    /// go-yaml's own error (`yaml: [line N: ]msg`), as sigs wraps it.
    pub(crate) fn yaml(kind: ErrorKind, line: Option<usize>, msg: String) -> Error {
        let where_ = line.map(|l| format!("line {l}: ")).unwrap_or_default();
        Error {
            kind,
            line,
            message: format!("error converting YAML to JSON: yaml: {where_}{msg}"),
        }
    }

    /// A failure of sigs' YAML → JSON conversion.
    pub(crate) fn convert(kind: ErrorKind, msg: String) -> Error {
        Error {
            kind,
            line: None,
            message: format!("error converting YAML to JSON: {msg}"),
        }
    }

    /// A failure of the final json decode into the caller's type.
    pub(crate) fn unmarshal(kind: ErrorKind, msg: String) -> Error {
        Error {
            kind,
            line: None,
            message: format!("error unmarshaling JSON: while decoding JSON: {msg}"),
        }
    }

    /// A writer failure with Go's text.
    pub(crate) fn marshal(msg: String) -> Error {
        Error {
            kind: ErrorKind::Marshal,
            line: None,
            message: msg,
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The line go-yaml names in the message, when it names one.
    pub fn line(&self) -> Option<usize> {
        self.line
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// `yaml.Unmarshal(text, &v)` with `v interface{}` and default [`Limits`]:
/// the first document only, as Go reads it. An empty document is `null`.
pub fn from_str(text: &str) -> Result<Value, Error> {
    parse_with(text, &Limits::default())
}

/// [`from_str`] with explicit limits.
pub fn parse_with(text: &str, limits: &Limits) -> Result<Value, Error> {
    from_str_into(text, &Target::Any, limits)
}

/// `yaml.Unmarshal` into a value of Go type `target`.
pub fn from_str_into(text: &str, target: &Target, limits: &Limits) -> Result<Value, Error> {
    check_size(text, limits)?;
    let docs = tree::parse(text, limits, true)?;
    let value = match docs.first() {
        Some(doc) => tojson::to_json(decode::decode(doc, limits)?)?,
        None => Value::Null,
    };
    tojson::into_target(value, target)
}

/// Helm's `chartutil.ReadValues` (values files, `-f`): the first document
/// as a map; an empty or `null` document is an empty map.
pub fn read_values(text: &str) -> Result<serde_json::Map<String, Value>, Error> {
    match from_str_into(text, &Target::Map("common.Values"), &Limits::default())? {
        Value::Object(m) => Ok(m),
        _ => Ok(serde_json::Map::new()),
    }
}

/// Every document of a multi-document stream, each read as [`from_str`]
/// reads one (go-yaml's `Decoder` loop). Helm itself reads only the first
/// document of a values file or `fromYaml` argument.
pub fn parse_documents(text: &str, limits: &Limits) -> Result<Vec<Value>, Error> {
    check_size(text, limits)?;
    let docs = tree::parse(text, limits, false)?;
    docs.iter()
        .map(|d| tojson::to_json(decode::decode(d, limits)?))
        .collect()
}

/// Every document of a manifest stream as a Kubernetes client sends it
/// (sigs.k8s.io/yaml's `YAMLToJSON`): YAML 1.1 scalars (`0644` is 420,
/// `yes` is true), keys as strings, integers kept as integers.
pub fn manifest_documents(text: &str, limits: &Limits) -> Result<Vec<Value>, Error> {
    check_size(text, limits)?;
    let docs = tree::parse(text, limits, false)?;
    docs.iter()
        .map(|d| tojson::to_json_keep_ints(decode::decode(d, limits)?))
        .collect()
}

/// The first document of `text` as a Kubernetes client reads one object
/// (sigs.k8s.io/yaml's `Unmarshal`: integers kept as integers, later
/// documents not read); an empty document is `null`.
pub fn manifest_document(text: &str, limits: &Limits) -> Result<Value, Error> {
    check_size(text, limits)?;
    let docs = tree::parse(text, limits, true)?;
    match docs.first() {
        Some(doc) => tojson::to_json_keep_ints(decode::decode(doc, limits)?),
        None => Ok(Value::Null),
    }
}

fn check_size(text: &str, limits: &Limits) -> Result<(), Error> {
    if text.len() > limits.max_bytes {
        return Err(Error::yaml(
            ErrorKind::Limit,
            None,
            format!(
                "document of {} bytes exceeds the limit of {} bytes",
                text.len(),
                limits.max_bytes
            ),
        ));
    }
    Ok(())
}

/// `sigs.k8s.io/yaml.Marshal(v)` (Helm's `toYaml` before it trims the final
/// newline): `v` is the JSON tree encoding/json would write; integers stay
/// integers, floats are formatted as encoding/json formats them.
pub fn to_string(value: &Value) -> Result<String, Error> {
    encode::marshal_v2(value)
}

/// Helm v4's `toYamlPretty` before it trims the final newline: go-yaml v3's
/// encoder with `SetIndent(2)` over the value itself (no JSON round trip).
pub fn to_string_pretty(value: &Value) -> Result<String, Error> {
    encode::marshal_v3(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_are_read_one_by_one() {
        let docs = parse_documents("a: 1\n---\nb: [x]\n---\n", &Limits::default()).unwrap();
        assert_eq!(
            docs,
            vec![json!({"a": 1.0}), json!({"b": ["x"]}), Value::Null]
        );
        // Helm reads only the first
        assert_eq!(from_str("a: 1\n---\nb: 2\n").unwrap(), json!({"a": 1.0}));
    }

    #[test]
    fn every_number_is_a_float64() {
        let v = from_str("i: 1\nf: 1.5\nbig: 18446744073709551615\n").unwrap();
        for (_, n) in v.as_object().unwrap() {
            assert!(n.is_f64(), "{n}");
        }
    }

    #[test]
    fn errors_carry_kind_and_line() {
        let e = from_str("a: 1\nb: c: d\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Syntax);
        assert_eq!(e.line(), Some(2));
        assert_eq!(
            e.to_string(),
            "error converting YAML to JSON: yaml: line 2: mapping values are not allowed in this context"
        );
        let e = read_values("- 1\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Type);
    }
}
