//! `Chart.lock`: read, written as Helm writes it (sigs.k8s.io/yaml of
//! `chart.Lock`), and its `digest` computed as Helm's `resolver.HashReq`
//! computes it, so a lock berth writes is one Helm's `dependency build`
//! accepts, and the other way round.

use std::path::Path;

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use super::chartfile::Dependency;
use super::RepoError;

/// A parsed or resolved `Chart.lock`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lock {
    /// When it was generated, as Go's `time.Time` marshals to JSON.
    pub generated: String,
    /// `HashReq(Chart.yaml dependencies, locked dependencies)`.
    pub digest: String,
    /// One locked entry per `Chart.yaml` dependency, in the same order.
    pub dependencies: Vec<Dependency>,
}

impl Lock {
    /// `DIR/Chart.lock`, or `None` when there is none.
    pub fn read(dir: &Path) -> Result<Option<Lock>, RepoError> {
        let path = dir.join("Chart.lock");
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(RepoError::Read {
                    path: shown,
                    source,
                })
            }
        };
        Lock::parse(&text, &shown).map(Some)
    }

    /// Parse the text of a `Chart.lock`; `shown` names it in errors.
    pub fn parse(text: &str, shown: &str) -> Result<Lock, RepoError> {
        let invalid = |message: String| RepoError::Invalid {
            path: shown.to_string(),
            message,
        };
        let doc = goenc::yaml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let str_of = |v: Option<&Value>, what: &str| -> Result<String, RepoError> {
            match v {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(invalid(format!("{what}: must be a string"))),
            }
        };
        let Value::Object(top) = doc else {
            return Err(invalid("not a YAML mapping".into()));
        };
        let mut dependencies = Vec::new();
        if let Some(Value::Array(items)) = top.get("dependencies") {
            for (i, item) in items.iter().enumerate() {
                let at = |k: &str| format!("dependencies[{i}].{k}");
                dependencies.push(Dependency::locked(
                    &str_of(item.get("name"), &at("name"))?,
                    &str_of(item.get("repository"), &at("repository"))?,
                    &str_of(item.get("version"), &at("version"))?,
                ));
            }
        }
        Ok(Lock {
            generated: str_of(top.get("generated"), "generated")?,
            digest: str_of(top.get("digest"), "digest")?,
            dependencies,
        })
    }

    /// The bytes Helm's `writeLock` writes.
    pub fn to_yaml(&self) -> String {
        let deps: Vec<Value> = self.dependencies.iter().map(Dependency::to_json).collect();
        let doc = json!({
            "generated": self.generated,
            "digest": self.digest,
            "dependencies": deps,
        });
        // Strings, lists and maps only: the encoder cannot fail on them.
        goenc::yaml::to_string(&doc).unwrap_or_default()
    }
}

/// Helm's `resolver.HashReq`: `sha256:` and the hex SHA-256 of
/// `json.Marshal([2][]*chart.Dependency{req, lock})`.
pub fn hash_req(req: Option<&[Dependency]>, lock: &[Dependency]) -> String {
    let list = |deps: &[Dependency]| {
        let items: Vec<String> = deps.iter().map(Dependency::to_go_json_text).collect();
        format!("[{}]", items.join(","))
    };
    let text = format!(
        "[{},{}]",
        req.map_or_else(|| "null".to_string(), list),
        list(lock)
    );
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}

/// Now, as Go's `time.Now()` marshals to JSON: RFC 3339 with nanoseconds
/// (trailing zeros dropped) in the local zone, `Z` for a zero offset.
pub fn generated_now() -> String {
    go_time(chrono::Local::now().fixed_offset())
}

fn go_time(t: chrono::DateTime<chrono::FixedOffset>) -> String {
    use chrono::{Offset as _, Timelike as _};
    let mut out = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = t.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    let offset = t.offset().fix().local_minus_utc();
    if offset == 0 {
        out.push('Z');
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let abs = offset.abs();
        out.push_str(&format!("{sign}{:02}:{:02}", abs / 3600, (abs % 3600) / 60));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_time_trims_nanoseconds_and_writes_z_or_the_offset() {
        let t =
            chrono::DateTime::parse_from_rfc3339("2024-05-06T07:08:09.120000000+00:00").unwrap();
        assert_eq!(go_time(t), "2024-05-06T07:08:09.12Z");
        let t = chrono::DateTime::parse_from_rfc3339("2024-05-06T07:08:09-05:30").unwrap();
        assert_eq!(go_time(t), "2024-05-06T07:08:09-05:30");
    }

    #[test]
    fn lock_yaml_round_trips() {
        let lock = Lock {
            generated: "2024-05-06T07:08:09.12Z".into(),
            digest: "sha256:00".into(),
            dependencies: vec![Dependency::locked("a", "https://x.test/charts", "1.2.3")],
        };
        let text = lock.to_yaml();
        assert!(text.starts_with("dependencies:\n- name: a\n"), "{text}");
        assert_eq!(Lock::parse(&text, "Chart.lock").unwrap(), lock);
    }
}
