//! `berth rollback`: redeploy a stored revision's manifest as a NEW revision
//! (described `rollback to N`) through the rollout engine
//! ([`plan_restore`], [`restore`]), with the same diff preview, prompt/`--yes`,
//! prune and wait as `deploy`. Nothing is re-rendered and nothing is
//! decrypted: the record holds the rendered objects.
//!
//! The manifest is never printed; the preview masks Secret values as `diff` does.

use serde::Serialize;

use crate::action::lifecycle::{apply_settings, connect, Selected};
use crate::action::runtime;
use crate::action::Exit;
use crate::cli::{GlobalArgs, RollbackArgs};
use crate::release::{rollback_target, Status};
use crate::rollout::{plan_restore, restore, ApplyCounts, Rollout};
use crate::ui::rollout::{print_diffs, ProgressEvents};
use crate::ui::Ui;

/// The JSON document of `berth rollback --output json`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RollbackDoc {
    pub release: String,
    pub namespace: String,
    /// The revision whose manifest was restored.
    pub restored: u32,
    /// The new revision (`null` for `--dry-run`).
    pub revision: Option<u32>,
    pub status: Option<Status>,
    pub counts: Option<ApplyCounts>,
    pub duration_seconds: f64,
}

/// Run `berth rollback`.
pub fn run(ui: &Ui, global: &GlobalArgs, args: &RollbackArgs) -> anyhow::Result<Exit> {
    let started = std::time::Instant::now();
    let selected = Selected::open(
        global.workspace.as_deref(),
        &args.profiles.profiles,
        &args.cluster,
    )?;
    let plan = selected
        .releases(std::slice::from_ref(&args.release))?
        .remove(0);
    // Rollback never decrypts, so nothing would be known to mask: learn the
    // release's current secret values, so the restored manifest's diff and
    // messages show them masked.
    crate::secrets::remember_secret_values(plan.sources.iter().filter_map(|s| match s {
        crate::values::ValueSource::Secrets(p) => Some(p.as_path()),
        _ => None,
    }));
    let settings = &selected.workspace.settings;
    let apply = apply_settings(&args.apply, &settings.field_manager)?;
    runtime()?.block_on(async {
        let conn = connect(&args.cluster, &selected.workspace).await?;
        selected.check_context(&conn.cluster)?;
        let history = conn.releases.history(&plan.namespace, &plan.name).await?;
        let target = rollback_target(&history, args.revision)?.clone();
        let current = crate::release::current(&history);
        ui.info(format!(
            "rolling back {}/{} from revision {} to revision {} ({}-{}, {})",
            plan.namespace,
            plan.name,
            current.map_or("none".to_string(), |c| c.revision.to_string()),
            target.revision,
            target.chart_name,
            target.chart_version,
            crate::release::timestamp(target.updated_at),
        ));
        let events = ProgressEvents::new(ui);
        let rollout = Rollout {
            cluster: &conn.cluster,
            releases: &conn.releases,
            events: &events,
        };
        let restoring = plan_restore(&rollout, &apply.field_manager, &target).await?;
        print_diffs(ui, std::slice::from_ref(&restoring.diff), &args.display)?;
        let (revision, status, counts) = if args.dry_run {
            (None, None, None)
        } else {
            if !args.apply.yes {
                let question = format!(
                    "Roll back {}/{} to revision {}?",
                    target.namespace, target.release, target.revision
                );
                // As `deploy` does: a "no" at the prompt is exit 1, nothing written.
                if !ui.confirm("berth rollback", &question)? {
                    anyhow::bail!("rollback cancelled at the prompt: nothing was applied");
                }
            }
            let done = restore(&rollout, &apply, &restoring, Status::RolledBack).await?;
            let record = &done.record;
            ui.info(format!(
                "rolled back {}/{}: revision {} restores revision {}",
                record.namespace, record.release, record.revision, target.revision
            ));
            (
                Some(record.revision),
                Some(record.status),
                Some(done.counts),
            )
        };
        if ui.json() {
            ui.print_json(&RollbackDoc {
                release: plan.name.clone(),
                namespace: plan.namespace.clone(),
                restored: target.revision,
                revision,
                status,
                counts,
                duration_seconds: started.elapsed().as_secs_f64(),
            })?;
        }
        Ok(Exit::Ok)
    })
}

#[cfg(test)]
mod tests {
    use crate::git::GitInfo;
    use crate::manifest::ObjectRef;
    use crate::release::tests::sample_record;
    use crate::release::{prune_base, Record, Status};

    fn record(revision: u32, status: Status, names: &[&str]) -> Record {
        Record {
            chart_name: "hub".into(),
            chart_version: "1".into(),
            git: GitInfo::default(),
            manifest: String::new(),
            inventory: names
                .iter()
                .map(|n| ObjectRef {
                    api_version: "v1".into(),
                    kind: "ConfigMap".into(),
                    namespace: Some("jupyter".into()),
                    name: n.to_string(),
                })
                .collect(),
            ..sample_record("hub", revision, status)
        }
    }

    fn names(refs: &[ObjectRef]) -> Vec<&str> {
        refs.iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn prune_base_is_current_inventory_plus_later_failures() {
        let history = [
            record(1, Status::Failed, &["ancient"]),
            record(2, Status::Superseded, &["a", "old"]),
            record(3, Status::Deployed, &["a", "b"]),
            record(4, Status::Failed, &["a", "b", "new"]),
            record(5, Status::Pending, &[]),
        ];
        assert_eq!(names(&prune_base(&history)), ["a", "b", "new"]);
        assert!(prune_base(&[]).is_empty());
        // Never deployed: only what failed attempts applied.
        let history = [record(1, Status::Failed, &["x"])];
        assert_eq!(names(&prune_base(&history)), ["x"]);
    }
}
