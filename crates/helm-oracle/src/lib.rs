//! Test-only: Helm v4's own engine (PyPI `helm-python-sdk`, a binding of
//! Helm's Go SDK) as the oracle of berth's differential tests. One Python
//! process per test binary, spoken to in JSON lines (see `oracle.py`).
//!
//! The oracle is required, never optional: when `.venv` lacks the package
//! (run `scripts/setup`), [`oracle`] panics with a message saying so, so a
//! test that needs it fails loudly instead of being skipped.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

use serde_json::{json, Value};

/// A running oracle process.
pub struct Oracle {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// The workspace's `.venv` Python, or `HELM_ORACLE_PYTHON` when set.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("HELM_ORACLE_PYTHON") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python")
}

/// The process-wide oracle, started on first use.
///
/// # Panics
/// When the oracle cannot start: `.venv/bin/python` missing or
/// `helm-python-sdk` not importable. Run `scripts/setup`.
pub fn oracle() -> MutexGuard<'static, Oracle> {
    static ORACLE: OnceLock<Mutex<Oracle>> = OnceLock::new();
    let lock = ORACLE.get_or_init(|| Mutex::new(Oracle::start()));
    lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Oracle {
    fn start() -> Oracle {
        let python = python();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("oracle.py");
        let mut child = Command::new(&python)
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "the Helm oracle needs {} with helm-python-sdk (run scripts/setup): {e}",
                    python.display()
                )
            });
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut oracle = Oracle {
            _child: child,
            stdin,
            stdout,
        };
        let version = oracle
            .request(json!({"op": "version"}))
            .unwrap_or_else(|e| panic!("the Helm oracle did not start (run scripts/setup): {e}"));
        assert!(
            version["value"]
                .as_str()
                .is_some_and(|v| v.starts_with("v4.")),
            "the Helm oracle is not Helm v4: {version}"
        );
        oracle
    }

    /// Send one request; `Err` carries Helm's error message.
    ///
    /// # Panics
    /// When the oracle process died (its stderr is shown above the panic).
    pub fn request(&mut self, req: Value) -> Result<Value, String> {
        let line = serde_json::to_string(&req).expect("requests serialise");
        writeln!(self.stdin, "{line}").expect("the Helm oracle process ended");
        self.stdin.flush().expect("the Helm oracle process ended");
        let mut answer = String::new();
        let n = self
            .stdout
            .read_line(&mut answer)
            .expect("reading from the Helm oracle");
        assert!(
            n > 0,
            "the Helm oracle process ended (see its stderr above)"
        );
        let answer: Value = serde_json::from_str(&answer).expect("the oracle answers JSON");
        match answer.get("error") {
            Some(err) => Err(err.as_str().unwrap_or_default().to_string()),
            None => Ok(answer),
        }
    }

    /// Helm's per-file render of the chart in `chart` (`helm_render`):
    /// template path → output. `opts` may set `name`, `namespace`,
    /// `revision`, `is_install`, `is_upgrade` and `values` (user values).
    pub fn render(&mut self, chart: &Path, opts: Value) -> Result<Value, String> {
        let mut req = opts;
        req["op"] = json!("render");
        req["chart"] = json!(chart.to_string_lossy());
        self.request(req).map(|a| a["files"].clone())
    }

    /// What `helm template` builds: the sorted `manifest` (with `# Source:`
    /// lines, hooks excluded), the rendered `notes`, and the per-file `files`.
    pub fn template(&mut self, chart: &Path, opts: Value) -> Result<Value, String> {
        let mut req = opts;
        req["op"] = json!("template");
        req["chart"] = json!(chart.to_string_lossy());
        self.request(req)
    }

    /// Helm's strvals parser: `kind` is `set`, `string`, `json`, `literal` or `file`.
    pub fn strvals(&mut self, kind: &str, expr: &str) -> Result<Value, String> {
        self.request(json!({"op": "strvals", "kind": kind, "expr": expr}))
            .map(|a| a["value"].clone())
    }

    /// A values document read as Helm reads `-f` files.
    pub fn values_from_yaml(&mut self, yaml: &str) -> Result<Value, String> {
        self.request(json!({"op": "values_from_yaml", "yaml": yaml}))
            .map(|a| a["value"].clone())
    }

    /// The chart's defaults coalesced with `values` as an install does.
    pub fn merge_values(&mut self, chart: &Path, values: Value) -> Result<Value, String> {
        self.request(
            json!({"op": "merge_values", "chart": chart.to_string_lossy(), "values": values}),
        )
        .map(|a| a["value"].clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oracle_answers_and_reports_helm_errors() {
        let mut helm = oracle();
        assert_eq!(
            helm.strvals("set", "a.b=1,c={x,y}").unwrap(),
            json!({"a": {"b": 1}, "c": ["x", "y"]})
        );
        let err = helm.strvals("set", "a=1,a.b=2").unwrap_err();
        assert!(!err.is_empty());
    }
}
