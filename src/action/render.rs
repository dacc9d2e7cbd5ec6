//! `berth render`.

use crate::action::Exit;
use crate::cli::{GlobalArgs, RenderArgs};
use crate::ui::Ui;

/// Run `berth render`.
pub fn run(_ui: &Ui, _global: &GlobalArgs, _args: &RenderArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`berth render` is not implemented yet")
}
