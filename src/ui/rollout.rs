//! How a rollout looks: plans as coloured unified diffs with a summary line
//! ([`print_diffs`]), and the engine's events as progress (a bar per release on
//! a terminal, `[release] …` lines otherwise), warnings and log lines
//! ([`ProgressEvents`]). Decides wording only; what happens is `rollout`'s.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Mutex;

use crate::cli::DiffDisplayArgs;
use crate::diff::{render_object, Action, RenderOptions, Summary};
use crate::rollout::{Event, Events, Operation, ReleaseDiff};

use super::progress::{Progress, ReleaseProgress};
use super::Ui;

/// Print the diffs as text (changed objects and a summary line): to stdout, or
/// to stderr when stdout carries the JSON result. Returns the summary of all.
pub fn print_diffs(
    ui: &Ui,
    diffs: &[ReleaseDiff],
    display: &DiffDisplayArgs,
) -> anyhow::Result<Summary> {
    if ui.json() {
        write_diffs(
            ui,
            diffs,
            display,
            ui.color_stderr(),
            &mut std::io::stderr(),
        )
    } else {
        write_diffs(
            ui,
            diffs,
            display,
            ui.color_stdout(),
            &mut std::io::stdout(),
        )
    }
}

/// Write the diffs to `out`; returns the summary of all of them.
fn write_diffs(
    ui: &Ui,
    diffs: &[ReleaseDiff],
    display: &DiffDisplayArgs,
    color: bool,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<Summary> {
    let opts = RenderOptions {
        color,
        show_secrets: display.show_secrets,
        context_lines: display.context_lines,
    };
    // Buffered: a 1,000-object first deploy prints ~15,000 lines, which a
    // line-buffered stdout wrote with one syscall each.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    let mut total = Summary::default();
    for d in diffs {
        total.merge(d.summary);
        for e in &d.entries {
            if e.diff.action == Action::Unchanged {
                // Keep the order when both go to one terminal.
                out.flush()?;
                ui.detail(format!("= {} (unchanged)", e.diff.object));
                continue;
            }
            out.write_all(render_object(&e.diff, &opts).as_bytes())?;
        }
    }
    if total.has_changes() {
        writeln!(out, "{total}")?;
    } else {
        writeln!(out, "No changes: {} object(s) up to date.", total.unchanged)?;
    }
    out.flush()?;
    Ok(total)
}

/// Shows a rollout's events: progress per release, warnings, log lines.
pub struct ProgressEvents<'a> {
    ui: &'a Ui,
    progress: Progress,
    releases: Mutex<HashMap<String, ReleaseProgress>>,
}

impl<'a> ProgressEvents<'a> {
    /// Bars when `ui` allows them; lines (quiet with `--quiet`) under `--output json`.
    pub fn new(ui: &'a Ui) -> ProgressEvents<'a> {
        let progress = if ui.json() {
            Progress::lines(ui.is_quiet())
        } else {
            Progress::new(ui)
        };
        ProgressEvents {
            ui,
            progress,
            releases: Mutex::new(HashMap::new()),
        }
    }

    /// Remove the bars once every release has settled.
    pub fn clear(&self) {
        self.progress.clear();
    }

    /// Run `f` on the progress of `release` (started on first use).
    fn on(&self, release: &str, f: impl FnOnce(&ReleaseProgress)) {
        let mut releases = self.releases.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(progress) = releases.get(release) {
            return f(progress);
        }
        let progress = self.progress.release(release, 0);
        f(&progress);
        releases.insert(release.to_string(), progress);
    }
}

impl Events for ProgressEvents<'_> {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::Started { release, steps } => {
                let progress = self.progress.release(release, steps);
                let mut releases = self.releases.lock().unwrap_or_else(|e| e.into_inner());
                releases.insert(release.to_string(), progress);
            }
            Event::Applied {
                release,
                object,
                created,
            } => {
                let verb = if created { "created" } else { "configured" };
                self.on(release, |p| p.step(&format!("{verb} {object}")));
            }
            Event::Pruned { release, object } => {
                self.on(release, |p| p.step(&format!("pruned {object}")));
            }
            Event::Waiting {
                release,
                object,
                state,
            } => {
                self.on(release, |p| p.note(&format!("waiting for {object}: {state}")));
            }
            Event::Ready { release, object } => {
                self.on(release, |p| p.step(&format!("ready {object}")));
            }
            Event::TookOver { message, .. } => self.ui.warn(message),
            Event::Repaired { message, .. } => self.ui.warn(message),
            Event::IntendedNotNoted {
                operation,
                release,
                revision,
                error,
            } => match operation {
                Operation::Deploy => self.ui.warn(format!("release {release}: {error}")),
                Operation::Restore => self.ui.warn(format!(
                    "could not note the objects of revision {revision} on its record: {error}"
                )),
            },
            Event::Deployed {
                operation,
                release,
                revision,
                counts,
            } => {
                let message = match operation {
                    Operation::Deploy => format!(
                        "revision {revision} deployed ({} created, {} configured, {} pruned)",
                        counts.created, counts.configured, counts.pruned
                    ),
                    Operation::Restore => format!("revision {revision} deployed"),
                };
                self.on(release, |p| p.finish(&message));
            }
            Event::ApplyFailed {
                operation,
                release,
                revision,
                error,
            } => {
                let message = match operation {
                    Operation::Deploy => format!("failed: {error:#}"),
                    Operation::Restore => format!("revision {revision} failed"),
                };
                self.on(release, |p| p.fail(&message));
            }
            Event::FailureNotRecorded {
                operation,
                release,
                revision,
                error,
            } => match operation {
                Operation::Deploy => self.ui.warn(format!(
                    "could not record the failure of {release}: {error} (its lease expires on its own)"
                )),
                Operation::Restore => self.ui.warn(format!(
                    "could not record revision {revision} as failed: {error}"
                )),
            },
            Event::Skipped { release, reason } => {
                self.ui.warn(format!("release {release}: {reason}"));
            }
            Event::RollingBack {
                namespace,
                release,
                failed,
                to,
            } => self.ui.warn(format!(
                "release {namespace}/{release}: revision {failed} failed; --atomic rolls back to revision {to}"
            )),
            Event::RestorePlanned { diff } => {
                // The --atomic restore's diff, shown as `rollback` shows it by default.
                let display = DiffDisplayArgs {
                    show_secrets: false,
                    context_lines: 3,
                };
                if let Err(e) = print_diffs(self.ui, std::slice::from_ref(diff), &display) {
                    self.ui.warn(format!("cannot show the rollback's diff: {e}"));
                }
            }
            Event::RolledBack {
                namespace,
                release,
                to,
                recorded,
            } => self.ui.info(format!(
                "release {namespace}/{release}: rolled back to revision {to} (recorded as revision {recorded})"
            )),
        }
    }
}
