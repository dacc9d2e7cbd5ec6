//! Runs the real `berth` binary in a temp dir with a cleaned environment (no
//! stray `KUBECONFIG`, `SOPS_*`, `AWS_*`, `CI`, `NO_COLOR` …) and, on failure,
//! shows command, cwd, stdout and stderr.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root (where Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Path to the `berth` binary under test.
pub fn berth_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_berth"))
}

/// Find a peer tool (sops, age, age-keygen, kubectl, moto_server) on PATH or in the
/// project venv. A missing tool fails the test loudly: run `scripts/setup`.
pub fn require_tool(name: &str) -> PathBuf {
    let venv = repo_root().join(".venv/bin").join(name);
    if venv.is_file() {
        return venv;
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!("required test tool `{name}` not found on PATH or in .venv/bin: run scripts/setup (tests never skip silently)");
}

/// A directory holding `require_tool` results first, then the system PATH, for child processes.
pub fn tool_path() -> std::ffi::OsString {
    let mut dirs = vec![repo_root().join(".venv/bin")];
    dirs.extend(
        std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    std::env::join_paths(dirs).expect("PATH entries are valid")
}

/// A berth invocation being built.
pub struct Run {
    cmd: Command,
    cwd: PathBuf,
    args: Vec<String>,
    stdin: Option<Vec<u8>>,
}

/// Start a `berth` command running in `cwd` with a cleaned environment
/// (only PATH, and HOME pointed at `cwd/.home`).
pub fn berth(cwd: &Path) -> Run {
    let mut cmd = Command::new(berth_bin());
    clean_env(&mut cmd, cwd);
    cmd.current_dir(cwd);
    Run {
        cmd,
        cwd: cwd.to_path_buf(),
        args: Vec::new(),
        stdin: None,
    }
}

/// Clear the environment of `cmd`, keeping only PATH (with the venv) and a private HOME.
pub fn clean_env(cmd: &mut Command, cwd: &Path) {
    let home = cwd.join(".home");
    let _ = std::fs::create_dir_all(&home);
    cmd.env_clear()
        .env("PATH", tool_path())
        .env("HOME", home)
        .env("LANG", "C.UTF-8");
}

impl Run {
    /// Add arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for a in args {
            self.args.push(a.as_ref().to_string_lossy().into_owned());
            self.cmd.arg(a);
        }
        self
    }
    /// Set an environment variable.
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }
    /// Feed `input` on stdin (stdin is otherwise null: not a terminal).
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }
    /// Access the underlying command (e.g. to spawn it).
    pub fn command(&mut self) -> &mut Command {
        &mut self.cmd
    }

    /// Run to completion and return the output, whatever the exit code.
    pub fn output(mut self) -> RunOutput {
        use std::io::Write;
        self.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        self.cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = self.cmd.spawn().expect("spawn berth");
        if let Some(input) = self.stdin.take() {
            let mut sin = child.stdin.take().expect("stdin piped");
            std::thread::spawn(move || {
                let _ = sin.write_all(&input);
            });
        }
        let output = child.wait_with_output().expect("wait for berth");
        RunOutput {
            description: format!(
                "berth {}  (cwd: {})",
                self.args.join(" "),
                self.cwd.display()
            ),
            output,
        }
    }

    /// Run and require exit code 0.
    pub fn success(self) -> RunOutput {
        let out = self.output();
        out.assert_code(0);
        out
    }
    /// Run and require exit code `code`.
    pub fn code(self, code: i32) -> RunOutput {
        let out = self.output();
        out.assert_code(code);
        out
    }
}

/// The result of a berth run.
pub struct RunOutput {
    pub description: String,
    pub output: Output,
}

impl RunOutput {
    /// stdout as UTF-8 (lossy).
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    /// stderr as UTF-8 (lossy).
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    /// stdout and stderr together (for "never printed" checks).
    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout(), self.stderr())
    }
    /// The exit code (-1 when killed by a signal).
    pub fn exit_code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
    /// Panic with the full picture unless the exit code is `code`.
    pub fn assert_code(&self, code: i32) {
        if self.exit_code() != code {
            panic!(
                "{}",
                self.report(&format!(
                    "expected exit code {code}, got {}",
                    self.exit_code()
                ))
            );
        }
    }
    /// Panic unless stderr contains every needle.
    pub fn assert_stderr_contains(&self, needles: &[&str]) {
        let err = self.stderr();
        for n in needles {
            if !err.contains(n) {
                panic!("{}", self.report(&format!("stderr does not contain {n:?}")));
            }
        }
    }
    /// Panic if any needle appears in stdout or stderr.
    pub fn assert_never_printed(&self, needles: &[&str]) {
        let all = self.all_output();
        for n in needles {
            if !n.is_empty() && all.contains(n) {
                panic!(
                    "{}",
                    self.report(&format!("output contains forbidden text {n:?}"))
                );
            }
        }
    }
    /// A failure report: command, cwd, exit code, stdout, stderr.
    pub fn report(&self, what: &str) -> String {
        format!(
            "{what}\ncommand: {}\nexit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.description,
            self.output.status,
            self.stdout(),
            self.stderr()
        )
    }
}

/// A fresh temp directory for one test.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("berth-test-")
        .tempdir()
        .expect("create temp dir")
}

/// Copy a directory tree (e.g. the demo workspace) into `dst`.
pub fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("create dst");
    for entry in std::fs::read_dir(src).expect("read src") {
        let entry = entry.expect("dir entry");
        let from = entry.path();
        let to = dst.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&from, &to);
        } else {
            std::fs::copy(&from, &to).expect("copy file");
        }
    }
}
