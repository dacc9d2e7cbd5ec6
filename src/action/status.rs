//! `berth status`.

use crate::action::Exit;
use crate::cli::{GlobalArgs, StatusArgs};
use crate::ui::Ui;

/// Run `berth status`.
pub fn run(_ui: &Ui, _global: &GlobalArgs, _args: &StatusArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`berth status` is not implemented yet")
}
