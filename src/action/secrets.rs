//! `berth secrets …`.

use crate::action::Exit;
use crate::cli::{GlobalArgs, SecretsCommand};
use crate::ui::Ui;

/// Run one `berth secrets` subcommand.
pub fn run(_ui: &Ui, _global: &GlobalArgs, _cmd: &SecretsCommand) -> anyhow::Result<Exit> {
    anyhow::bail!("`berth secrets` is not implemented yet")
}
