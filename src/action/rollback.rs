//! `berth rollback`.

use crate::action::Exit;
use crate::cli::{GlobalArgs, RollbackArgs};
use crate::ui::Ui;

/// Run `berth rollback`.
pub fn run(_ui: &Ui, _global: &GlobalArgs, _args: &RollbackArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`berth rollback` is not implemented yet")
}
