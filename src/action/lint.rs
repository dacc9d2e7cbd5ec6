//! `berth lint`.

use crate::action::Exit;
use crate::cli::{GlobalArgs, LintArgs};
use crate::ui::Ui;

/// Run `berth lint`.
pub fn run(_ui: &Ui, _global: &GlobalArgs, _args: &LintArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`berth lint` is not implemented yet")
}
