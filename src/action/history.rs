//! `berth history`.

use crate::action::Exit;
use crate::cli::{GlobalArgs, HistoryArgs};
use crate::ui::Ui;

/// Run `berth history`.
pub fn run(_ui: &Ui, _global: &GlobalArgs, _args: &HistoryArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`berth history` is not implemented yet")
}
