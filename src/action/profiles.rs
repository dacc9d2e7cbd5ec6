//! `berth profiles`.

use crate::action::Exit;
use crate::cli::GlobalArgs;
use crate::ui::Ui;

/// Run `berth profiles`.
pub fn run(_ui: &Ui, _global: &GlobalArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`berth profiles` is not implemented yet")
}
