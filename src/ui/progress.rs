//! Progress display for long operations (apply, wait): an indicatif bar per
//! release on a terminal, plain greppable log lines otherwise
//! (`[hub] applied Deployment jupyter/hub`). Nothing here decides what
//! happens; actions report steps and this module shows them. Messages must
//! never carry Secret values (callers pass object names and states only).

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Ui;

/// The progress display of one command run.
#[derive(Clone)]
pub struct Progress {
    bars: Option<MultiProgress>,
    quiet: bool,
}

/// The progress of one release.
#[derive(Clone)]
pub struct ReleaseProgress {
    name: String,
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    /// Bars when the UI allows them (stderr is a terminal, not quiet), lines otherwise.
    pub fn new(ui: &Ui) -> Progress {
        let bars = ui
            .progress_bars()
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Progress {
            bars,
            quiet: ui.is_quiet(),
        }
    }

    /// Remove the bars from the terminal once every release has settled, so the
    /// summary and any error print on clean lines (line mode: nothing to do).
    pub fn clear(&self) {
        if let Some(multi) = &self.bars {
            let _ = multi.clear();
        }
    }

    /// Lines only (tests, JSON output).
    pub fn lines(quiet: bool) -> Progress {
        Progress { bars: None, quiet }
    }

    /// Start showing a release with `steps` units of work.
    pub fn release(&self, name: &str, steps: u64) -> ReleaseProgress {
        let bar = self.bars.as_ref().map(|multi| {
            let style = ProgressStyle::with_template(
                "{spinner} {prefix:.bold} [{bar:30}] {pos}/{len} {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            let bar = multi.add(ProgressBar::new(steps));
            bar.set_style(style);
            bar.set_prefix(name.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        ReleaseProgress {
            name: name.to_string(),
            bar,
            quiet: self.quiet,
        }
    }
}

impl ReleaseProgress {
    fn line(&self, msg: &str) {
        if !self.quiet {
            eprintln!("[{}] {}", self.name, super::mask::mask_always(msg));
        }
    }

    /// A step is done (one object applied, deleted or ready).
    pub fn step(&self, msg: &str) {
        match &self.bar {
            Some(bar) => {
                // Waiting for readiness can add steps the plan did not count.
                if bar.position() >= bar.length().unwrap_or(0) {
                    bar.inc_length(1);
                }
                bar.inc(1);
                bar.set_message(super::mask::mask_always(msg).into_owned());
            }
            None => self.line(msg),
        }
    }

    /// A state change that is not a step (e.g. `waiting for Deployment …: 1/3 ready`).
    pub fn note(&self, msg: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(super::mask::mask_always(msg).into_owned()),
            None => self.line(msg),
        }
    }

    /// The release is done.
    pub fn finish(&self, msg: &str) {
        match &self.bar {
            Some(bar) => bar.finish_with_message(super::mask::mask_always(msg).into_owned()),
            None => self.line(msg),
        }
    }

    /// The release failed.
    pub fn fail(&self, msg: &str) {
        match &self.bar {
            Some(bar) => bar.abandon_with_message(super::mask::mask_always(msg).into_owned()),
            None => self.line(msg),
        }
    }
}
