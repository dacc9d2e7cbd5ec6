//! dotenv store, as sops' `stores/dotenv`: `KEY=value` lines (`\n` in a value
//! is a newline), `#` comment lines, metadata as flattened `sops_…` keys.

use super::{flat, FormatError};
use crate::secrets::tree::{scalar_bytes, Item, Value};

const PREFIX: &str = "sops_";

/// Parse a plaintext dotenv document.
pub(crate) fn load(text: &str) -> Result<Value, FormatError> {
    let mut items = Vec::new();
    for (n, line) in text.split('\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            items.push(Item::Comment(c.to_string()));
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(FormatError::Syntax {
                line: n + 1,
                col: 1,
                reason: "invalid dotenv input line (no `=`)".into(),
            });
        };
        items.push(Item::Entry(
            k.to_string(),
            Value::Str(v.replace("\\n", "\n")),
        ));
    }
    Ok(Value::Map(items))
}

/// Parse an encrypted dotenv document: `sops_…` keys become the `sops` entry.
pub(crate) fn load_encrypted(text: &str) -> Result<Value, FormatError> {
    let Value::Map(items) = load(text)? else {
        return Err(FormatError::NotAMap);
    };
    let mut rest = Vec::new();
    let mut meta = Vec::new();
    for item in items {
        match item {
            Item::Entry(k, Value::Str(v)) if k.starts_with(PREFIX) => {
                meta.push((k[PREFIX.len()..].to_string(), v))
            }
            other => rest.push(other),
        }
    }
    if !meta.is_empty() {
        rest.push(Item::Entry("sops".into(), flat::unflatten(meta)));
    }
    Ok(Value::Map(rest))
}

/// Write a tree as dotenv; a `sops` entry is written as flattened keys.
pub(crate) fn emit(tree: &Value) -> Result<String, FormatError> {
    let mut out = String::new();
    let Value::Map(items) = tree else {
        return Err(FormatError::NotAMap);
    };
    for item in items {
        match item {
            Item::Comment(c) => {
                out.push('#');
                out.push_str(c);
                out.push('\n');
            }
            Item::Entry(k, v) if k == "sops" && matches!(v, Value::Map(_)) => {
                for (fk, fv) in flat::flatten(v) {
                    out.push_str(&format!("{PREFIX}{fk}={fv}\n"));
                }
            }
            Item::Entry(k, v) => {
                if matches!(v, Value::Map(_) | Value::Seq(_)) {
                    return Err(FormatError::Complex { key: k.clone() });
                }
                let s = String::from_utf8_lossy(&scalar_string(v)).replace('\n', "\\n");
                out.push_str(k);
                out.push('=');
                out.push_str(&s);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// sops' `ValToString`: a value as the line-based stores write it.
pub(crate) fn scalar_string(v: &Value) -> Vec<u8> {
    match v {
        Value::Bool(true) => b"true".to_vec(),
        Value::Bool(false) => b"false".to_vec(),
        Value::Null => Vec::new(),
        other => scalar_bytes(other),
    }
}
