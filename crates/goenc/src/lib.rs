//! YAML and JSON as Helm's Go libraries read and write them: go-yaml v2's
//! YAML 1.1 scalar resolution, merge keys and emitter, sigs.k8s.io/yaml's
//! YAML → JSON → value path (every number a float64), and encoding/json's
//! output. The data model is [`serde_json::Value`]: a number that is a float
//! there is a Go `float64`, an integer is a Go integer.
#![forbid(unsafe_code)]
//!
//! Dependencies: `saphyr-parser` (YAML event parser; the scalar typing,
//! tree building and limits are ours), `base64` (`!!binary`), `serde_json`
//! (the value model), `toml` (parsing for `fromToml`; the writer is ours).

pub mod gofloat;
pub mod json;
pub mod toml;
pub mod yaml;

/// The Go type a document is decoded into; decides encoding/json's type
/// error at the end (`cannot unmarshal array into Go value of type T`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `interface{}`: any document.
    Any,
    /// A map type, e.g. `common.Values` (values files) or
    /// `map[string]interface {}` (`fromYaml`). A null document is allowed.
    Map(&'static str),
    /// A slice type, e.g. `[]interface {}` (`fromYamlArray`).
    Slice(&'static str),
}
