//! `berth delete`.

use crate::action::Exit;
use crate::cli::{DeleteArgs, GlobalArgs};
use crate::ui::Ui;

/// Run `berth delete`.
pub fn run(_ui: &Ui, _global: &GlobalArgs, _args: &DeleteArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`berth delete` is not implemented yet")
}
