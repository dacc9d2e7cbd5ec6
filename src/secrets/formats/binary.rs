//! Binary store, as sops' `stores/json` binary mode: the whole input is the
//! string value of one `data` key; encrypted files are JSON.

use super::{json, FormatError};
use crate::secrets::tree::{Item, Value};

/// The plaintext file as a tree `{data: <text>}`.
pub(crate) fn load(text: &str) -> Value {
    Value::Map(vec![Item::Entry(
        "data".into(),
        Value::Str(text.to_string()),
    )])
}

/// The plaintext bytes: the `data` value. Other trees cannot be written as
/// binary (sops: "No binary data found in tree").
pub(crate) fn emit(tree: &Value) -> Result<String, FormatError> {
    if let Value::Map(items) = tree {
        for i in items {
            if let Item::Entry(k, Value::Str(s)) = i {
                if k == "data" {
                    return Ok(s.clone());
                }
            }
        }
    }
    Err(FormatError::NoBinaryData)
}

/// Encrypted binary files are JSON documents.
pub(crate) fn load_encrypted(text: &str) -> Result<Value, FormatError> {
    json::load(text)
}
