//! sops' flattened metadata for the line-based stores (dotenv, INI): the
//! `sops` block as `key__map_sub__list_0__map_field` keys with string values,
//! newlines written as `\n`, sorted by key (sops' `FlattenMetadata`).

use crate::secrets::tree::{Item, Value};

const MAP: &str = "__map_";
const LIST: &str = "__list_";

/// Flatten a metadata tree into sorted `(key, value)` pairs (nulls and empty
/// lists drop out, as in sops).
pub(crate) fn flatten(meta: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Value::Map(items) = meta {
        for item in items {
            if let Item::Entry(k, v) = item {
                walk(k.clone(), v, &mut out);
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn walk(prefix: String, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Map(items) => {
            for item in items {
                if let Item::Entry(k, v) = item {
                    walk(format!("{prefix}{MAP}{k}"), v, out);
                }
            }
        }
        Value::Seq(vals) => {
            for (i, v) in vals.iter().enumerate() {
                walk(format!("{prefix}{LIST}{i}"), v, out);
            }
        }
        Value::Null | Value::Comment(_) => {}
        Value::Bool(b) => out.push((prefix, b.to_string())),
        Value::Int(i) => out.push((prefix, i.to_string())),
        Value::Float(f) => out.push((prefix, format!("{f:.0}"))),
        Value::Str(s) | Value::Time(s) => out.push((prefix, s.replace('\n', "\\n"))),
        Value::Bytes(b) => out.push((prefix, String::from_utf8_lossy(b).replace('\n', "\\n"))),
    }
}

#[derive(Debug)]
enum Token {
    Key(String),
    Index(usize),
}

fn tokenize(path: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut rest = path;
    let mut kind_list = false;
    let mut first = true;
    loop {
        let next = [rest.find(MAP), rest.find(LIST)]
            .into_iter()
            .flatten()
            .min();
        let (head, tail) = match next {
            Some(at) => (&rest[..at], Some(&rest[at..])),
            None => (rest, None),
        };
        if first || !kind_list {
            tokens.push(Token::Key(head.to_string()));
        } else {
            tokens.push(Token::Index(head.parse().unwrap_or(0)));
        }
        first = false;
        match tail {
            Some(t) if t.starts_with(MAP) => {
                kind_list = false;
                rest = &t[MAP.len()..];
            }
            Some(t) => {
                kind_list = true;
                rest = &t[LIST.len()..];
            }
            None => break,
        }
    }
    tokens
}

/// Rebuild the metadata tree from flattened string pairs (sops'
/// `UnflattenMetadata` with `DecodeNewLines` and `DecodeNonStrings`).
pub(crate) fn unflatten(pairs: Vec<(String, String)>) -> Value {
    let mut root = Value::Map(Vec::new());
    for (k, v) in pairs {
        let value = match k.as_str() {
            "mac_only_encrypted" => Value::Bool(v == "true"),
            "shamir_threshold" => match v.parse::<f64>() {
                Ok(f) => Value::Int(f as i64),
                Err(_) => Value::Str(v),
            },
            _ => Value::Str(v.replace("\\n", "\n")),
        };
        let tokens = tokenize(&k);
        insert(&mut root, &tokens, value);
    }
    root
}

fn insert(node: &mut Value, tokens: &[Token], value: Value) {
    let Some((first, rest)) = tokens.split_first() else {
        *node = value;
        return;
    };
    let fresh = || match rest.first() {
        Some(Token::Index(_)) => Value::Seq(Vec::new()),
        Some(Token::Key(_)) => Value::Map(Vec::new()),
        None => Value::Null,
    };
    match (first, node) {
        (Token::Key(k), Value::Map(items)) => {
            let pos = items
                .iter()
                .position(|i| matches!(i, Item::Entry(key, _) if key == k));
            let at = match pos {
                Some(p) => p,
                None => {
                    items.push(Item::Entry(k.clone(), fresh()));
                    items.len() - 1
                }
            };
            if let Item::Entry(_, v) = &mut items[at] {
                insert(v, rest, value);
            }
        }
        (Token::Index(i), Value::Seq(vals)) => {
            while vals.len() <= *i {
                vals.push(fresh());
            }
            insert(&mut vals[*i], rest, value);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_round_trips() {
        let meta = Value::Map(vec![
            Item::Entry(
                "age".into(),
                Value::Seq(vec![Value::Map(vec![
                    Item::Entry("recipient".into(), Value::Str("age1x".into())),
                    Item::Entry("enc".into(), Value::Str("a\nb".into())),
                ])]),
            ),
            Item::Entry("version".into(), Value::Str("3.11.0".into())),
        ]);
        let flat = flatten(&meta);
        assert_eq!(
            flat,
            vec![
                ("age__list_0__map_enc".to_string(), "a\\nb".to_string()),
                (
                    "age__list_0__map_recipient".to_string(),
                    "age1x".to_string()
                ),
                ("version".to_string(), "3.11.0".to_string()),
            ]
        );
        let back = unflatten(flat);
        let Value::Map(items) = back else {
            panic!("not a map")
        };
        assert_eq!(items.len(), 2);
    }
}
