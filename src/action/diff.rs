//! `berth diff`.

use crate::action::Exit;
use crate::cli::{DiffArgs, GlobalArgs};
use crate::ui::Ui;

/// Run `berth diff`.
pub fn run(_ui: &Ui, _global: &GlobalArgs, _args: &DiffArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`berth diff` is not implemented yet")
}
