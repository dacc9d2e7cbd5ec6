//! File formats: one store per format turning bytes into the ordered tree and
//! back. Stores know nothing of keys, ciphers or the MAC.

pub(crate) mod binary;
pub(crate) mod dotenv;
mod flat;
pub(crate) mod ini;
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
    /// A map or list where a line-based store (dotenv, INI) needs a string.
    #[error("cannot use complex value in this format; offending key {key}")]
    Complex { key: String },
    /// Writing a tree without a `data` key as binary.
    #[error("No binary data found in tree")]
    NoBinaryData,
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
    /// `KEY=value` lines (sops' dotenv store).
    Dotenv,
    /// Sections of `key = value` (sops' INI store).
    Ini,
    /// Any bytes, kept as the `data` value (sops' binary store).
    Binary,
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
            "env" | "dotenv" => Some(Format::Dotenv),
            "ini" => Some(Format::Ini),
            "binary" if explicit.is_some() => Some(Format::Binary),
            _ => None,
        }
    }

    /// The store sops picks: `explicit` (`--input-type`/`--output-type`) by
    /// name, else by extension, else binary (sops' `DefaultStoreForPathOrFormat`).
    pub fn for_sops(path: &Path, explicit: Option<&str>) -> Option<Format> {
        match explicit.filter(|e| !e.is_empty()) {
            Some(e) => Format::detect(path, Some(e)),
            None => Some(Format::detect(path, None).unwrap_or(Format::Binary)),
        }
    }

    /// The file extension of the format (for temp files).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
            Format::Dotenv => "env",
            Format::Ini => "ini",
            Format::Binary => "txt",
        }
    }

    /// Parse a document into a map tree.
    pub(crate) fn load(self, text: &str) -> Result<Value, FormatError> {
        match self {
            Format::Yaml => yaml::load(text),
            Format::Json => json::load(text),
            Format::Dotenv => dotenv::load(text),
            Format::Ini => ini::load(text),
            Format::Binary => Ok(binary::load(text)),
        }
    }

    /// Parse an encrypted document; its metadata is the top-level `sops`
    /// entry whatever the store's own layout.
    pub(crate) fn load_encrypted(self, text: &str) -> Result<Value, FormatError> {
        match self {
            Format::Yaml | Format::Json => self.load(text),
            Format::Dotenv => dotenv::load_encrypted(text),
            Format::Ini => ini::load_encrypted(text),
            Format::Binary => binary::load_encrypted(text),
        }
    }

    /// Write a map tree. `encrypted` selects sops' encrypted-file layout.
    pub(crate) fn emit(self, tree: &Value, encrypted: bool) -> Result<String, FormatError> {
        match self {
            Format::Yaml => Ok(yaml::emit(tree, encrypted)),
            Format::Json => Ok(json::emit(tree)),
            Format::Dotenv => dotenv::emit(tree),
            Format::Ini => ini::emit(tree),
            Format::Binary if encrypted => Ok(json::emit(tree)),
            Format::Binary => binary::emit(tree),
        }
    }
}
