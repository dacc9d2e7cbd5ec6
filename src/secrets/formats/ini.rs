//! INI store, as sops' `stores/ini` (go-ini underneath): sections of
//! `key = value` pairs, all values strings; metadata in a `[sops]` section of
//! flattened keys. A comment above a key is kept after it in the tree, as sops
//! keeps it.

use super::dotenv::scalar_string;
use super::{flat, FormatError};
use crate::secrets::tree::{Item, Value};

fn strip_comment(c: &str) -> String {
    let t = c.trim();
    if let Some(r) = t.strip_prefix(';') {
        r.trim_start_matches([';', ' ']).to_string()
    } else if let Some(r) = t.strip_prefix('#') {
        r.trim_start_matches(['#', ' ']).to_string()
    } else {
        t.to_string()
    }
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    for q in ["\"\"\"", "`", "\""] {
        if v.len() >= 2 * q.len() && v.starts_with(q) && v.ends_with(q) {
            return v[q.len()..v.len() - q.len()].to_string();
        }
    }
    v.to_string()
}

/// Parse a plaintext INI document into a map of sections.
pub(crate) fn load(text: &str) -> Result<Value, FormatError> {
    let mut sections: Vec<Item> = Vec::new();
    let mut current: Option<(String, Vec<Item>)> = None;
    let mut pending: Vec<String> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with(';') || line.starts_with('#') {
            pending.push(strip_comment(line));
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            if let Some((k, items)) = current.take() {
                sections.push(Item::Entry(k, Value::Map(items)));
            }
            let mut items = Vec::new();
            if !pending.is_empty() {
                items.push(Item::Comment(pending.join("\n")));
                pending.clear();
            }
            current = Some((name.trim().to_string(), items));
            continue;
        }
        let at = line.find(['=', ':']).ok_or_else(|| FormatError::Syntax {
            line: n + 1,
            col: 1,
            reason: "a line that is neither a section, a key nor a comment".into(),
        })?;
        let (k, v) = (line[..at].trim(), &line[at + 1..]);
        let items = &mut current
            .get_or_insert_with(|| ("DEFAULT".to_string(), Vec::new()))
            .1;
        items.push(Item::Entry(k.to_string(), Value::Str(unquote(v))));
        if !pending.is_empty() {
            items.push(Item::Comment(pending.join("\n")));
            pending.clear();
        }
    }
    if let Some((k, items)) = current.take() {
        sections.push(Item::Entry(k, Value::Map(items)));
    }
    Ok(Value::Map(sections))
}

/// Parse an encrypted INI document: the `[sops]` section becomes the `sops` entry.
pub(crate) fn load_encrypted(text: &str) -> Result<Value, FormatError> {
    let Value::Map(items) = load(text)? else {
        return Err(FormatError::NotAMap);
    };
    let out = items
        .into_iter()
        .map(|item| match item {
            Item::Entry(k, Value::Map(entries)) if k == "sops" => {
                let pairs = entries
                    .into_iter()
                    .filter_map(|i| match i {
                        Item::Entry(k, Value::Str(v)) => Some((k, v)),
                        _ => None,
                    })
                    .collect();
                Item::Entry(k, flat::unflatten(pairs))
            }
            other => other,
        })
        .collect();
    Ok(Value::Map(out))
}

fn quote(v: &str) -> String {
    if v.contains('\n') {
        format!("\"\"\"{v}\"\"\"")
    } else if v.contains(['#', ';']) || v.trim() != v {
        if v.contains('`') {
            format!("\"\"\"{v}\"\"\"")
        } else {
            format!("`{v}`")
        }
    } else {
        v.to_string()
    }
}

fn comment_lines(c: &str, out: &mut String) {
    for l in c.split('\n') {
        if l.starts_with(';') || l.starts_with('#') {
            out.push_str(l);
        } else {
            out.push_str("; ");
            out.push_str(l);
        }
        out.push('\n');
    }
}

/// Write sections as go-ini does (keys aligned within a section, a blank line
/// between sections); a `sops` entry becomes the flattened `[sops]` section.
pub(crate) fn emit(tree: &Value) -> Result<String, FormatError> {
    let Value::Map(sections) = tree else {
        return Err(FormatError::NotAMap);
    };
    let mut out = String::new();
    let mut first = true;
    for item in sections {
        let Item::Entry(name, value) = item else {
            continue;
        };
        let entries: Vec<(String, String, Option<String>)> = if name == "sops" {
            flat::flatten(value)
                .into_iter()
                .map(|(k, v)| (k, v, None))
                .collect()
        } else {
            let Value::Map(items) = value else {
                return Err(FormatError::Complex { key: name.clone() });
            };
            let mut entries: Vec<(String, String, Option<String>)> = Vec::new();
            for (i, it) in items.iter().enumerate() {
                match it {
                    Item::Comment(_) if i == 0 => {}
                    Item::Comment(c) => {
                        if let Some(last) = entries.last_mut() {
                            last.2 = Some(c.clone());
                        }
                    }
                    Item::Entry(k, v) => {
                        if matches!(v, Value::Map(_) | Value::Seq(_)) {
                            return Err(FormatError::Complex { key: k.clone() });
                        }
                        let s = String::from_utf8_lossy(&scalar_string(v)).into_owned();
                        entries.push((k.clone(), s, None));
                    }
                }
            }
            entries
        };
        if !first {
            out.push('\n');
        }
        first = false;
        if let Value::Map(items) = value {
            if let Some(Item::Comment(c)) = items.first() {
                comment_lines(c, &mut out);
            }
        }
        out.push_str(&format!("[{name}]\n"));
        let width = entries
            .iter()
            .map(|e| e.0.chars().count())
            .max()
            .unwrap_or(0);
        for (k, v, c) in entries {
            if let Some(c) = c {
                comment_lines(&c, &mut out);
            }
            let pad = width - k.chars().count();
            out.push_str(&k);
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(" = ");
            out.push_str(&quote(&v));
            out.push('\n');
        }
    }
    Ok(out)
}
