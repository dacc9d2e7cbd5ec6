//! Everything the user sees besides the command's result: log lines on stderr,
//! colour decisions (`--color`, `NO_COLOR`, terminals), the confirmation prompt,
//! progress bars, and the JSON result document. Library code never prints on
//! its own; actions go through [`Ui`].

pub mod mask;
pub mod progress;
pub mod rollout;

use std::io::{IsTerminal, Write};

use crate::cli::{ColorChoice, GlobalArgs, OutputFormat};

/// Output settings resolved once from the global flags and the environment.
#[derive(Debug, Clone)]
pub struct Ui {
    quiet: bool,
    verbose: u8,
    json: bool,
    color_stdout: bool,
    color_stderr: bool,
    stdin_tty: bool,
    stderr_tty: bool,
}

/// Errors of the confirmation prompt.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("{action} needs confirmation, but stdin is not a terminal: pass --yes to proceed without a prompt")]
    NoTerminal { action: String },
    #[error("cannot read the answer from the terminal")]
    Read(#[source] std::io::Error),
}

impl Ui {
    /// Resolve output settings from the global flags and the environment.
    pub fn new(global: &GlobalArgs) -> Ui {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let decide = |tty: bool| match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && !no_color,
        };
        Ui {
            quiet: global.quiet,
            verbose: global.verbose,
            json: global.output == OutputFormat::Json,
            color_stdout: decide(std::io::stdout().is_terminal()),
            color_stderr: decide(std::io::stderr().is_terminal()),
            stdin_tty: std::io::stdin().is_terminal(),
            stderr_tty: std::io::stderr().is_terminal(),
        }
    }

    /// A UI for tests and library callers: no colour, no terminal, not quiet.
    pub fn plain() -> Ui {
        Ui {
            quiet: false,
            verbose: 0,
            json: false,
            color_stdout: false,
            color_stderr: false,
            stdin_tty: false,
            stderr_tty: false,
        }
    }

    /// Whether the result goes out as one JSON document.
    pub fn json(&self) -> bool {
        self.json
    }
    /// Whether stdout may carry ANSI colour.
    pub fn color_stdout(&self) -> bool {
        self.color_stdout
    }
    /// Whether stderr may carry ANSI colour.
    pub fn color_stderr(&self) -> bool {
        self.color_stderr
    }
    /// Whether progress bars may be drawn (stderr is a terminal and not quiet).
    pub fn progress_bars(&self) -> bool {
        self.stderr_tty && !self.quiet
    }
    /// Whether stdin is a terminal (a prompt can be answered).
    pub fn interactive(&self) -> bool {
        self.stdin_tty
    }
    /// Whether `--quiet` was given.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }
    /// Verbosity level (`-v` count).
    pub fn verbosity(&self) -> u8 {
        self.verbose
    }

    /// A progress/log line on stderr (suppressed by `--quiet`).
    pub fn info(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{}", mask::mask(&msg.to_string()));
        }
    }
    /// A detail line on stderr, shown with `-v`.
    pub fn detail(&self, msg: impl std::fmt::Display) {
        if self.verbose > 0 && !self.quiet {
            eprintln!("{}", mask::mask(&msg.to_string()));
        }
    }
    /// A warning on stderr (shown even with `--quiet`).
    pub fn warn(&self, msg: impl std::fmt::Display) {
        let prefix = paint(self.color_stderr, "33", "warning:");
        eprintln!("{prefix} {}", mask::mask_always(&msg.to_string()));
    }

    /// Text for stdout or a file (rendered manifests, diffs, tables), with
    /// values from SOPS files masked unless `--show-secrets`.
    pub fn masked<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        mask::mask(text)
    }

    /// Ask a y/N question on the terminal. Without a terminal, fails with a
    /// message naming `--yes`; never waits for input that cannot come.
    pub fn confirm(&self, action: &str, question: &str) -> Result<bool, PromptError> {
        if !self.stdin_tty {
            return Err(PromptError::NoTerminal {
                action: action.to_string(),
            });
        }
        eprint!("{question} [y/N] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(PromptError::Read)?;
        Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
    }

    /// Print a serialisable result as one pretty JSON document on stdout.
    /// Values from SOPS files are masked unless `--show-secrets`.
    pub fn print_json<T: serde::Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(value)?;
        let mut out = std::io::stdout().lock();
        out.write_all(mask::mask(&text).as_bytes())?;
        writeln!(out)?;
        Ok(())
    }
}

/// Wrap `text` in an ANSI SGR `code` when `on`.
pub fn paint(on: bool, code: &str, text: &str) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// An error and its causes on one line, joined with `: `, leaving out a
/// cause that an outer message already spells out (many errors repeat their
/// source in their own text). Never a `Debug` dump.
pub fn one_line(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

/// Print an error and its causes on stderr: `error: …` then `  caused by: …`.
/// Values from SOPS files are always masked in errors (an API server may echo
/// a value back in its message).
pub fn report_error(err: &anyhow::Error, _quiet: bool) {
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut shown = err.to_string();
    eprintln!(
        "{} {}",
        paint(color, "31;1", "error:"),
        mask::mask_always(&shown)
    );
    for cause in err.chain().skip(1) {
        // Many errors already spell out their source in their own message.
        let text = cause.to_string();
        if !shown.contains(&text) {
            eprintln!("  caused by: {}", mask::mask_always(&text));
        }
        shown = text;
    }
}
