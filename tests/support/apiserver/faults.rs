//! Fault injection: rules that make the next N requests matching a method and
//! a path substring (optionally after letting the first few through) answer
//! 500/503/429 (with `Retry-After`) or a 409 conflict, wait first (latency),
//! lose their connection before or after being handled — or do any of that to
//! a share of the matching requests (rate rules, from a seeded generator, so a
//! run is reproducible). Owns only the rules.

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
    /// Close the connection without answering (the request is not handled).
    Drop,
    /// Handle the request, then close the connection without answering (a
    /// write lands but its client never learns it did).
    DropAfter,
}

/// One rule: `times` requests whose method equals `method` (or any, when empty
/// or `*`) and whose path contains `path` get `action`.
#[derive(Clone, Debug)]
pub struct Fault {
    pub method: String,
    pub path: String,
    pub action: FaultAction,
    pub times: usize,
    /// Matching requests let through before the rule applies.
    pub skip: usize,
    /// Apply to this share of matching requests (`None`: every one).
    pub rate: Option<f64>,
}

impl Fault {
    fn new(method: &str, path: &str, action: FaultAction, times: usize) -> Fault {
        Fault {
            method: method.into(),
            path: path.into(),
            action,
            times,
            skip: 0,
            rate: None,
        }
    }

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
    /// xorshift64 state of the rate rules (0: not seeded yet).
    dice: Mutex<u64>,
    injected: std::sync::atomic::AtomicUsize,
}

impl Faults {
    /// Add a rule.
    pub fn add(&self, fault: Fault) {
        self.lock().push(fault);
    }
    /// The next `times` matching requests answer `code` (429/503 with `Retry-After: 1`).
    pub fn fail(&self, method: &str, path: &str, code: u16, times: usize) {
        let retry_after = matches!(code, 429 | 503).then_some(1);
        self.add(Fault::new(
            method,
            path,
            FaultAction::Status { code, retry_after },
            times,
        ));
    }
    /// Like [`Faults::fail`] with an explicit `Retry-After` in seconds.
    pub fn fail_retry_after(&self, method: &str, path: &str, code: u16, times: usize, secs: u64) {
        let action = FaultAction::Status {
            code,
            retry_after: Some(secs),
        };
        self.add(Fault::new(method, path, action, times));
    }
    /// The next `times` matching requests wait `delay` first.
    pub fn latency(&self, method: &str, path: &str, delay: Duration, times: usize) {
        self.add(Fault::new(method, path, FaultAction::Latency(delay), times));
    }
    /// The next `times` matching requests lose their connection.
    pub fn drop_connection(&self, method: &str, path: &str, times: usize) {
        self.add(Fault::new(method, path, FaultAction::Drop, times));
    }
    /// The next `times` matching requests answer 409 Conflict.
    pub fn conflict(&self, method: &str, path: &str, times: usize) {
        self.add(Fault::new(method, path, FaultAction::Conflict, times));
    }
    /// The next `times` matching requests are handled, then lose their
    /// connection before the answer is sent.
    pub fn drop_answer(&self, method: &str, path: &str, times: usize) {
        self.add(Fault::new(method, path, FaultAction::DropAfter, times));
    }
    /// The `times` matching requests after the first `skip` get `action`.
    pub fn after(&self, skip: usize, method: &str, path: &str, action: FaultAction, times: usize) {
        let mut f = Fault::new(method, path, action, times);
        f.skip = skip;
        self.add(f);
    }
    /// Each matching request gets `action` with probability `rate`, for ever.
    pub fn rate(&self, method: &str, path: &str, action: FaultAction, rate: f64) {
        let mut f = Fault::new(method, path, action, usize::MAX);
        f.rate = Some(rate.clamp(0.0, 1.0));
        self.add(f);
    }
    /// Seed the generator rate rules draw from (a run is then reproducible).
    pub fn seed(&self, seed: u64) {
        *self.dice.lock().unwrap_or_else(|e| e.into_inner()) = seed | 1;
    }
    /// How many faults rules injected so far.
    pub fn injected(&self) -> usize {
        self.injected.load(std::sync::atomic::Ordering::Relaxed)
    }
    /// Remove every rule.
    pub fn clear(&self) {
        self.lock().clear();
    }
    /// How many injections are left across all rules.
    pub fn remaining(&self) -> usize {
        self.lock()
            .iter()
            .fold(0usize, |n, f| n.saturating_add(f.times))
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
            if r.skip > 0 {
                r.skip -= 1;
                continue;
            }
            if let Some(rate) = r.rate {
                if self.roll() >= rate {
                    continue;
                }
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
        if action.is_some() || !delay.is_zero() {
            self.injected
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        (delay, action)
    }

    /// A number in [0, 1) from the seeded xorshift64 generator.
    fn roll(&self) -> f64 {
        let mut state = self.dice.lock().unwrap_or_else(|e| e.into_inner());
        if *state == 0 {
            *state = 0x9e37_79b9_7f4a_7c15;
        }
        let mut x = *state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *state = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
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

/// Parse `--fault-rate` kinds: a comma list of `500`, `503`, `429`, `drop`,
/// `late-drop` (handled, then dropped) into actions (`retry_after` seconds
/// on 429/503).
pub fn parse_kinds(spec: &str, retry_after: u64) -> Result<Vec<FaultAction>, String> {
    spec.split(',')
        .map(|k| match k.trim() {
            "drop" => Ok(FaultAction::Drop),
            "late-drop" => Ok(FaultAction::DropAfter),
            code => {
                let code: u16 = code.parse().map_err(|_| {
                    format!("fault kind {code:?}: expected a status code, drop or late-drop")
                })?;
                Ok(FaultAction::Status {
                    code,
                    retry_after: matches!(code, 429 | 503).then_some(retry_after),
                })
            }
        })
        .collect()
}
