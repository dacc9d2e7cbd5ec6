//! `berth deploy`: the guards (dirty git tree under CI, kube-context), the
//! diff preview and the prompt, then the rollout engine ([`crate::rollout`])
//! deploys the releases in `needs` order, and the result is shown as log
//! lines or one JSON document.

use serde::Serialize;

use crate::action::lifecycle::{apply_settings, parse_timeout, prepare};
use crate::action::{runtime, Exit};
use crate::cli::{DeployArgs, GlobalArgs};
use crate::diff::Summary;
use crate::git::GitInfo;
use crate::release::RecordMeta;
use crate::rollout::{deploy_all, DeployRelease, DeploySettings, Outcome, OutcomeStatus, Rollout};
use crate::ui::rollout::{print_diffs, ProgressEvents};
use crate::ui::Ui;
use crate::workspace::Workspace;

/// The JSON document of `deploy --output json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DeployJson<'a> {
    context: &'a str,
    profiles: &'a [String],
    changes: bool,
    summary: Summary,
    releases: &'a [Outcome],
}

/// Run `berth deploy`.
pub fn run(ui: &Ui, global: &GlobalArgs, args: &DeployArgs) -> anyhow::Result<Exit> {
    runtime()?.block_on(deploy(ui, global, args))
}

async fn deploy(ui: &Ui, global: &GlobalArgs, args: &DeployArgs) -> anyhow::Result<Exit> {
    // Refuse a dirty tree under CI before touching the cluster.
    let root = Workspace::discover(global.workspace.as_deref())?.root;
    check_dirty(&GitInfo::discover(&root)?, args.allow_dirty)?;
    parse_timeout(&args.apply.timeout)?;
    // Never dropped: freeing every rendered object, diff and live object one
    // by one was ~5% of a 1,000-object run's CPU; the process exits right after.
    let p = std::mem::ManuallyDrop::new(
        prepare(global, &args.profiles.profiles, &args.values, &args.cluster).await?,
    );
    let apply = apply_settings(&args.apply, &p.rendered.workspace.settings.field_manager)?;
    let settings = DeploySettings {
        rollback_on_failure: args.atomic.then(|| apply.clone()),
        apply,
    };

    let summary = print_diffs(ui, &p.diffs, &args.display)?;
    let releases: Vec<DeployRelease> = p
        .rendered
        .releases
        .iter()
        .zip(&p.diffs)
        .zip(&p.current)
        .zip(&p.repair_due)
        .map(|(((r, diff), current), repair_due)| DeployRelease {
            name: r.name.clone(),
            namespace: r.namespace.clone(),
            needs: r.needs.clone(),
            manifest: r.manifest(),
            meta: RecordMeta {
                profile: r.profile.clone(),
                chart_name: r.chart_name.clone(),
                chart_version: r.chart_version.clone(),
                git: p.rendered.git.clone(),
                description: "deploy".into(),
            },
            diff,
            current: current.as_ref(),
            repair_due: *repair_due,
        })
        .collect();
    let records_due = releases.iter().any(|d| !d.is_recorded() || d.repair_due);
    let finish = |outcomes: &[Outcome]| -> anyhow::Result<Exit> {
        if ui.json() {
            ui.print_json(&DeployJson {
                context: p.cluster.context(),
                profiles: &p.rendered.plan.profiles,
                changes: summary.has_changes(),
                summary,
                releases: outcomes,
            })?;
        }
        Ok(Exit::Ok)
    };
    let idle =
        |status| -> Vec<Outcome> { releases.iter().map(|d| Outcome::idle(d, status)).collect() };
    if !summary.has_changes() && !records_due {
        ui.info("Nothing to deploy: the cluster already matches the render.");
        return finish(&idle(OutcomeStatus::Unchanged));
    }
    if args.dry_run {
        ui.info("Dry run: nothing was applied.");
        return finish(&idle(OutcomeStatus::DryRun));
    }
    if summary.has_changes() && !args.apply.yes {
        let question = format!("Deploy {summary} to context {:?}?", p.cluster.context());
        if !ui.confirm("deploy", &question)? {
            anyhow::bail!("deploy cancelled at the prompt: nothing was applied");
        }
    }

    let events = ProgressEvents::new(ui);
    let rollout = Rollout {
        cluster: &p.cluster,
        releases: &p.releases,
        events: &events,
    };
    let deployed = deploy_all(&rollout, &settings, &releases).await;
    events.clear();
    let outcomes = deployed?;
    for o in &outcomes {
        if o.status == OutcomeStatus::Deployed {
            ui.info(format!(
                "release {}/{}: revision {} deployed",
                o.namespace,
                o.release,
                o.revision.unwrap_or_default()
            ));
        }
    }
    finish(&outcomes)
}

/// `deploy` refuses a dirty tree under CI unless `--allow-dirty`.
fn check_dirty(git: &GitInfo, allow_dirty: bool) -> anyhow::Result<()> {
    let ci = std::env::var("CI")
        .map(|v| !v.is_empty() && v != "false" && v != "0")
        .unwrap_or(false);
    match dirty_refusal(ci, git, allow_dirty) {
        Some(msg) => Err(anyhow::anyhow!(msg)),
        None => Ok(()),
    }
}

/// The refusal message for a dirty tree under CI, naming up to five paths.
fn dirty_refusal(ci: bool, git: &GitInfo, allow_dirty: bool) -> Option<String> {
    if !ci || !git.dirty || allow_dirty {
        return None;
    }
    let mut paths: Vec<String> = git
        .dirty_paths
        .iter()
        .take(5)
        .map(|p| p.display().to_string())
        .collect();
    if git.dirty_paths.len() > 5 {
        paths.push(format!("and {} more", git.dirty_paths.len() - 5));
    }
    Some(format!(
        "refusing to deploy from a dirty git tree with CI set: {} (commit them, or pass --allow-dirty)",
        paths.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirty_tree_refused_only_under_ci_without_allow_dirty() {
        let git = GitInfo {
            dirty: true,
            dirty_paths: (0..7).map(|i| format!("f{i}.yaml").into()).collect(),
            ..Default::default()
        };
        let msg = dirty_refusal(true, &git, false).unwrap();
        assert!(
            msg.contains("f0.yaml, f1.yaml, f2.yaml, f3.yaml, f4.yaml, and 2 more"),
            "{msg}"
        );
        assert!(msg.contains("--allow-dirty"));
        assert!(dirty_refusal(true, &git, true).is_none());
        assert!(dirty_refusal(false, &git, false).is_none());
        assert!(dirty_refusal(true, &GitInfo::default(), false).is_none());
    }
}
