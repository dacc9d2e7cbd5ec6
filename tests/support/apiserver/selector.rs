//! Label selectors (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`,
//! `!a`) and field selectors on string fields by dotted path
//! (`metadata.name`, `involvedObject.name`, with `=`/`==`/`!=`). Pure parsing
//! and matching.

use serde_json::Value;

/// One requirement of a selector.
#[derive(Clone, Debug, PartialEq)]
enum Req {
    Eq(String, String),
    Ne(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label or field selector (all requirements must hold).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selector(Vec<Req>);

/// Split on commas that are not inside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

impl Selector {
    /// Parse a selector string; the error names the bad term.
    pub fn parse(s: &str) -> Result<Selector, String> {
        let mut reqs = Vec::new();
        for term in split_top(s) {
            let t = term.trim();
            if t.is_empty() {
                continue;
            }
            let req = if let Some((k, v)) = t.split_once("!=") {
                Req::Ne(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = t.split_once("==") {
                Req::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = t.split_once('=') {
                Req::Eq(k.trim().into(), v.trim().into())
            } else if let Some(k) = t.strip_prefix('!') {
                Req::NotExists(k.trim().into())
            } else if let Some((k, rest)) = t.split_once(" notin ") {
                Req::NotIn(k.trim().into(), set_values(rest)?)
            } else if let Some((k, rest)) = t.split_once(" in ") {
                Req::In(k.trim().into(), set_values(rest)?)
            } else if t.chars().all(|c| c.is_alphanumeric() || "-_./".contains(c)) {
                Req::Exists(t.into())
            } else {
                return Err(format!("unable to parse requirement: {t:?}"));
            };
            reqs.push(req);
        }
        Ok(Selector(reqs))
    }

    /// Whether the lookup function `get` (key → value) satisfies every requirement.
    pub fn matches<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.0.iter().all(|r| match r {
            Req::Eq(k, v) => get(k) == Some(v.as_str()),
            Req::Ne(k, v) => get(k) != Some(v.as_str()),
            Req::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Req::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Req::Exists(k) => get(k).is_some(),
            Req::NotExists(k) => get(k).is_none(),
        })
    }

    /// Match against an object's labels.
    pub fn matches_labels(&self, obj: &Value) -> bool {
        let labels = &obj["metadata"]["labels"];
        self.matches(|k| labels.get(k).and_then(Value::as_str))
    }

    /// Match against an object's supported fields; unknown fields are an error
    /// reported by [`Selector::check_fields`].
    pub fn matches_fields(&self, obj: &Value) -> bool {
        self.matches(|k| field(obj, k))
    }

    /// Refuse field selectors on fields this server does not index.
    pub fn check_fields(&self) -> Result<(), String> {
        for r in &self.0 {
            let k = match r {
                Req::Eq(k, _) | Req::Ne(k, _) => k,
                other => return Err(format!("unsupported field selector {other:?}")),
            };
            if k.is_empty() || k.split('.').any(str::is_empty) {
                return Err(format!("field label not supported: {k}"));
            }
        }
        Ok(())
    }

    /// The name an `metadata.name=` requirement pins, if any.
    pub fn pinned_name(&self) -> Option<&str> {
        self.0.iter().find_map(|r| match r {
            Req::Eq(k, v) if k == "metadata.name" => Some(v.as_str()),
            _ => None,
        })
    }
}

/// A field selector key as a dotted path (`metadata.name`, `type`,
/// `involvedObject.name`, `status.phase` …); string fields only.
fn field<'a>(obj: &'a Value, k: &str) -> Option<&'a str> {
    k.split('.')
        .try_fold(obj, |cur, part| cur.get(part))?
        .as_str()
}

fn set_values(rest: &str) -> Result<Vec<String>, String> {
    let inner = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| format!("expected (values) in {rest:?}"))?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_selectors_follow_dotted_paths() {
        let ev = json!({"metadata": {"name": "e1"}, "involvedObject": {"kind": "Deployment", "name": "web"}});
        let sel =
            Selector::parse("involvedObject.kind=Deployment,involvedObject.name=web").unwrap();
        assert!(sel.check_fields().is_ok());
        assert!(sel.matches_fields(&ev));
        assert!(!Selector::parse("metadata.name!=e1")
            .unwrap()
            .matches_fields(&ev));
        assert!(Selector::parse("app in (a)")
            .unwrap()
            .check_fields()
            .is_err());
    }

    #[test]
    fn set_based_and_equality_requirements() {
        let obj = json!({"metadata": {"labels": {"app": "web", "tier": "fe"}}});
        for (s, want) in [
            ("app=web", true),
            ("app==web,tier!=be", true),
            ("app in (web, api),tier", true),
            ("app notin (web)", false),
            ("!tier", false),
            ("missing", false),
        ] {
            assert_eq!(
                Selector::parse(s).unwrap().matches_labels(&obj),
                want,
                "{s}"
            );
        }
    }
}
