//! YAML and JSON as Helm's Go libraries read and write them: go-yaml v2's
//! YAML 1.1 scalar resolution, merge keys and emitter, sigs.k8s.io/yaml's
//! YAML → JSON → value path (every number a float64), and encoding/json's
//! output; TOML as BurntSushi/toml writes it. The data model is
//! [`serde_json::Value`]: a number that is a float there is a Go `float64`,
//! an integer is a Go integer.
//!
//! - [`yaml`] — `from_str`/`read_values`/`from_str_into`/`parse_documents`
//!   (sigs.k8s.io/yaml.Unmarshal), `to_string` (`toYaml`), `to_string_pretty`
//!   (`toYamlPretty`), with [`yaml::Limits`] for hostile input.
//! - [`json`] — encoding/json's Marshal, MarshalIndent, unescaped-HTML
//!   encoder and Unmarshal, with Go's error texts.
//! - [`toml`] — `toToml`'s encoder; `fromToml`'s reader.
//! - [`gofloat`] — Go's float formatting.
//!
//! Known differences from Go are listed in `tests/data/read_known_differences.txt`
//! (checked to still differ) and in the module docs where they live.
//!
//! Dependencies: `saphyr-parser` (YAML event parser; the scalar typing,
//! tree building, libyaml compatibility and limits are ours), `base64`
//! (`!!binary`), `serde_json` (the value model), `toml` (parsing for
//! `fromToml`; the writer is ours).
#![forbid(unsafe_code)]

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
