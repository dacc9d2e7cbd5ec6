//! sprig's path functions: `base`, `dir`, `clean`, `ext`, `isAbs` (Go's
//! `path`) and the `os*` twins (Go's `path/filepath`, which on Linux, where
//! Helm renders, behaves the same).

use super::conv::sarg;
use super::reg;
use crate::func::{FuncMap, Param};
use crate::value::Value;

use Param::String as Str;

pub(super) fn register(m: &mut FuncMap) {
    for prefix in ["", "os"] {
        let name = |n: &str| {
            if prefix.is_empty() {
                n.to_string()
            } else {
                format!("os{}{}", n[..1].to_uppercase(), &n[1..])
            }
        };
        reg(m, &name("base"), &[Str], None, |a| {
            Ok(Value::from(base(&sarg(&a, 0))))
        });
        reg(m, &name("dir"), &[Str], None, |a| {
            Ok(Value::from(dir(&sarg(&a, 0))))
        });
        reg(m, &name("clean"), &[Str], None, |a| {
            Ok(Value::from(clean(&sarg(&a, 0))))
        });
        reg(m, &name("ext"), &[Str], None, |a| {
            Ok(Value::from(ext(&sarg(&a, 0))))
        });
        reg(m, &name("isAbs"), &[Str], None, |a| {
            Ok(Value::Bool(sarg(&a, 0).starts_with('/')))
        });
    }
}

/// Go's `path.Clean`: lexical `.`/`..`/`//` removal.
pub(crate) fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Go's `path.Base`.
fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// Go's `path.Dir`.
fn dir(p: &str) -> String {
    let cut = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    clean(&p[..cut])
}

/// Go's `path.Ext`.
fn ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return p[i..].to_string();
        }
    }
    String::new()
}
