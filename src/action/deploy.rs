//! `berth deploy`.

use crate::action::Exit;
use crate::cli::{DeployArgs, GlobalArgs};
use crate::ui::Ui;

/// Run `berth deploy`.
pub fn run(_ui: &Ui, _global: &GlobalArgs, _args: &DeployArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`berth deploy` is not implemented yet")
}
