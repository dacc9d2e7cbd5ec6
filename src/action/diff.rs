//! `berth diff`: render the profiles, plan them against the cluster with the
//! rollout engine ([`super::lifecycle::prepare`]: server-side dry-run per
//! object, prunes from the previous inventory) and show the plan as coloured
//! unified diffs or one JSON document. Never writes to the cluster.
//! Exit codes with `--exit-code`: 0 no changes, 2 changes, 1 error.

use serde::Serialize;

use crate::action::lifecycle::prepare;
use crate::action::runtime;
use crate::action::Exit;
use crate::cli::{DiffArgs, GlobalArgs};
use crate::diff::{ObjectDiffJson, Summary};
use crate::ui::rollout::print_diffs;
use crate::ui::Ui;

/// One release in `diff --output json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ReleaseJson {
    release: String,
    namespace: String,
    summary: Summary,
    objects: Vec<ObjectDiffJson>,
}

/// The JSON document of `diff --output json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DiffJson<'a> {
    context: &'a str,
    profiles: &'a [String],
    changes: bool,
    summary: Summary,
    releases: Vec<ReleaseJson>,
}

/// Run `berth diff`.
pub fn run(ui: &Ui, global: &GlobalArgs, args: &DiffArgs) -> anyhow::Result<Exit> {
    // Never dropped (see `deploy`): the process exits right after.
    let p = std::mem::ManuallyDrop::new(runtime()?.block_on(prepare(
        global,
        &args.profiles.profiles,
        &args.values,
        &args.cluster,
    ))?);
    let summary = if ui.json() {
        let mut summary = Summary::default();
        let releases = p
            .diffs
            .iter()
            .map(|d| {
                summary.merge(d.summary);
                ReleaseJson {
                    release: d.release.clone(),
                    namespace: d.namespace.clone(),
                    summary: d.summary,
                    objects: d
                        .entries
                        .iter()
                        .map(|e| e.diff.to_json(args.display.show_secrets))
                        .collect(),
                }
            })
            .collect();
        ui.print_json(&DiffJson {
            context: p.cluster.context(),
            profiles: &p.rendered.plan.profiles,
            changes: summary.has_changes(),
            summary,
            releases,
        })?;
        summary
    } else {
        print_diffs(ui, &p.diffs, &args.display)?
    };
    if args.exit_code && summary.has_changes() {
        return Ok(Exit::Changes);
    }
    Ok(Exit::Ok)
}
