//! Fault injection: rules that make the next N requests matching a method and
//! a path substring answer 500/503/429 (with `Retry-After`) or a 409 conflict,
//! wait first (latency), or lose their connection. Owns only the rules.

use std::sync::Mutex;
use std::time::Duration;

/// What a matching request gets.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultAction {
    /// Answer with this status code (500, 503, 429 …); `retry_after` seconds are
    /// sent as `Retry-After` (defaults to 1 for 429/503).
    Status { code: u16, retry_after: Option<u64> },
    /// Answer 409 Conflict (as an optimistic-concurrency failure).
    Conflict,
    /// Wait before handling the request normally.
    Latency(Duration),
    /// Close the connection without answering.
    Drop,
}

/// One rule: `times` requests whose method equals `method` (or any, when empty
/// or `*`) and whose path contains `path` get `action`.
#[derive(Clone, Debug)]
pub struct Fault {
    pub method: String,
    pub path: String,
    pub action: FaultAction,
    pub times: usize,
}

impl Fault {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.times > 0
            && (self.method.is_empty()
                || self.method == "*"
                || self.method.eq_ignore_ascii_case(method))
            && path.contains(&self.path)
    }
}

/// The fault rules of one server (shared with the request handler).
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<Fault>>,
}

impl Faults {
    /// Add a rule.
    pub fn add(&self, fault: Fault) {
        self.lock().push(fault);
    }
    /// The next `times` matching requests answer `code` (429/503 with `Retry-After: 1`).
    pub fn fail(&self, method: &str, path: &str, code: u16, times: usize) {
        let retry_after = matches!(code, 429 | 503).then_some(1);
        self.add(Fault {
            method: method.into(),
            path: path.into(),
            action: FaultAction::Status { code, retry_after },
            times,
        });
    }
    /// Like [`Faults::fail`] with an explicit `Retry-After` in seconds.
    pub fn fail_retry_after(&self, method: &str, path: &str, code: u16, times: usize, secs: u64) {
        self.add(Fault {
            method: method.into(),
            path: path.into(),
            action: FaultAction::Status {
                code,
                retry_after: Some(secs),
            },
            times,
        });
    }
    /// The next `times` matching requests wait `delay` first.
    pub fn latency(&self, method: &str, path: &str, delay: Duration, times: usize) {
        self.add(Fault {
            method: method.into(),
            path: path.into(),
            action: FaultAction::Latency(delay),
            times,
        });
    }
    /// The next `times` matching requests lose their connection.
    pub fn drop_connection(&self, method: &str, path: &str, times: usize) {
        self.add(Fault {
            method: method.into(),
            path: path.into(),
            action: FaultAction::Drop,
            times,
        });
    }
    /// The next `times` matching requests answer 409 Conflict.
    pub fn conflict(&self, method: &str, path: &str, times: usize) {
        self.add(Fault {
            method: method.into(),
            path: path.into(),
            action: FaultAction::Conflict,
            times,
        });
    }
    /// Remove every rule.
    pub fn clear(&self) {
        self.lock().clear();
    }
    /// How many injections are left across all rules.
    pub fn remaining(&self) -> usize {
        self.lock().iter().map(|f| f.times).sum()
    }

    /// Consume the rules matching a request: total latency, then at most one
    /// other action.
    pub fn take(&self, method: &str, path: &str) -> (Duration, Option<FaultAction>) {
        let mut rules = self.lock();
        let mut delay = Duration::ZERO;
        let mut action = None;
        for r in rules.iter_mut() {
            if !r.matches(method, path) {
                continue;
            }
            match &r.action {
                FaultAction::Latency(d) => {
                    delay += *d;
                    r.times -= 1;
                }
                other if action.is_none() => {
                    action = Some(other.clone());
                    r.times -= 1;
                }
                _ => {}
            }
        }
        rules.retain(|r| r.times > 0);
        (delay, action)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Fault>> {
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Parse a standalone flag value `METHOD:PATH[:CODE]:TIMES` (CODE only for
/// `--fail`). Used by the example binary.
pub fn parse_rule(spec: &str, with_code: bool) -> Result<(String, String, u16, usize), String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let want = if with_code { 4 } else { 3 };
    if parts.len() != want {
        return Err(format!(
            "fault {spec:?}: expected {}",
            if with_code {
                "METHOD:PATH:CODE:TIMES"
            } else {
                "METHOD:PATH:TIMES"
            }
        ));
    }
    let times = parts[want - 1]
        .parse()
        .map_err(|_| format!("fault {spec:?}: TIMES must be a number"))?;
    let code = if with_code {
        parts[2]
            .parse()
            .map_err(|_| format!("fault {spec:?}: CODE must be a status code"))?
    } else {
        0
    };
    Ok((parts[0].into(), parts[1].into(), code, times))
}
