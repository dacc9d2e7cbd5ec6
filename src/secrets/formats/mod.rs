//! File formats: one store per format turning bytes into the ordered tree and
//! back. Stores know nothing of keys, ciphers or the MAC.

pub(crate) mod json;
pub(crate) mod yaml;

use std::path::Path;

use super::tree::Value;

/// Why a document could not be read as a tree. Never quotes document text.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("line {line}, column {col}: {reason}")]
    Syntax {
        line: usize,
        col: usize,
        reason: String,
    },
    #[error("the document is not a map at the top level")]
    NotAMap,
    #[error("files with more than one YAML document are not supported")]
    MultiDocument,
    #[error("line {line}: only string keys are supported")]
    ComplexKey { line: usize },
    #[error("line {line}: alias to an unknown anchor")]
    UnknownAlias { line: usize },
    /// A key defined twice in one map (sops/go-yaml: "mapping key already defined").
    #[error("line {line}: mapping key \"{key}\" already defined at line {first}")]
    DuplicateKey {
        line: usize,
        key: String,
        first: usize,
    },
    #[error("line {line}: aliases expand to more than {limit} nodes (an alias bomb?)")]
    AliasExpansion { line: usize, limit: usize },
    #[error("line {line}: nested deeper than {limit} levels")]
    TooDeep { line: usize, limit: usize },
}

/// Deepest nesting of maps and lists a secrets document may have (serde_json's
/// own recursion limit, applied to YAML too).
pub const MAX_DEPTH: usize = 128;

/// Most nodes that alias expansion may add to one YAML secrets document.
pub const MAX_ALIAS_NODES: usize = 100_000;

/// A supported file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    /// The format named by `--input-type`, else by the file extension.
    pub fn detect(path: &Path, explicit: Option<&str>) -> Option<Format> {
        let name = match explicit {
            Some(e) => e.to_ascii_lowercase(),
            None => path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .unwrap_or_default(),
        };
        match name.as_str() {
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// Parse a document into a map tree.
    pub(crate) fn load(self, text: &str) -> Result<Value, FormatError> {
        match self {
            Format::Yaml => yaml::load(text),
            Format::Json => json::load(text),
        }
    }

    /// Write a map tree. `encrypted` selects sops' encrypted-file layout.
    pub(crate) fn emit(self, tree: &Value, encrypted: bool) -> String {
        match self {
            Format::Yaml => yaml::emit(tree, encrypted),
            Format::Json => json::emit(tree),
        }
    }
}
