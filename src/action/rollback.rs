//! `berth rollback`, and the restore step `deploy --atomic` shares: redeploy a
//! stored revision's manifest as a NEW revision (described `rollback to N`)
//! through the deploy engine ([`diff_releases`], [`apply_release`]), with the
//! same diff preview, prompt/`--yes`, prune and wait as `deploy`. Nothing is
//! re-rendered and nothing is decrypted: the record holds the rendered objects.
//!
//! The manifest is never printed; the preview masks Secret values as `diff` does.

use serde::Serialize;

use crate::action::deploy::{
    apply_release, apply_settings, diff_releases, print_diffs, ApplyCounts, ApplySettings,
    DiffSettings, ReleaseTarget, DEFAULT_CONCURRENCY,
};
use crate::action::lifecycle::{connect, Selected};
use crate::action::runtime;
use crate::action::Exit;
use crate::cli::{DiffDisplayArgs, GlobalArgs, RollbackArgs};
use crate::cluster::Cluster;
use crate::manifest::parse_manifest;
use crate::release::{
    prune_base, rollback_target, Record, RecordMeta, ReleaseError, Releases, Status,
};
use crate::ui::progress::Progress;
use crate::ui::Ui;

/// How a restore asks before it applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// Apply without asking (`--yes`, or `--atomic` after a failed deploy).
    Yes,
    /// Ask on the terminal; refuse without one (naming `--yes`).
    Ask,
    /// Show the diff and stop (`--dry-run`).
    DryRun,
}

/// Everything a restore needs besides the revision to restore.
pub struct Restore<'a> {
    pub ui: &'a Ui,
    pub cluster: &'a Cluster,
    pub releases: &'a Releases,
    pub apply: ApplySettings,
    pub display: DiffDisplayArgs,
    pub confirm: Confirm,
    /// What the replaced deployed revision becomes: `rolled-back` for `berth
    /// rollback`, `superseded` for `--atomic` (which restores that very revision).
    pub replaced_becomes: Status,
}

/// How a restore ended (errors aside).
#[derive(Debug)]
pub enum Restored {
    /// The new revision's record (status `deployed`) and what the apply did.
    Done {
        record: Box<Record>,
        counts: ApplyCounts,
    },
    /// `--dry-run`: the diff was shown, nothing applied.
    DryRun,
    /// The user said no at the prompt.
    Declined,
}

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
        let restore = Restore {
            ui,
            cluster: &conn.cluster,
            releases: &conn.releases,
            apply,
            display: args.display.clone(),
            confirm: if args.dry_run {
                Confirm::DryRun
            } else if args.apply.yes {
                Confirm::Yes
            } else {
                Confirm::Ask
            },
            replaced_becomes: Status::RolledBack,
        };
        let outcome = restore_revision(&restore, &target).await?;
        let (revision, status, counts) = match &outcome {
            Restored::Done { record, counts } => {
                ui.info(format!(
                    "rolled back {}/{}: revision {} restores revision {}",
                    record.namespace, record.release, record.revision, target.revision
                ));
                (Some(record.revision), Some(record.status), Some(*counts))
            }
            Restored::DryRun => (None, None, None),
            // As `deploy` does: a "no" at the prompt is exit 1, nothing written.
            Restored::Declined => {
                anyhow::bail!("rollback cancelled at the prompt: nothing was applied")
            }
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

/// Show the diff of restoring `target`, confirm, then apply it as a new
/// revision under the release's deploy lease. A failed apply is recorded as a
/// `failed` revision and returned as the error.
pub async fn restore_revision(r: &Restore<'_>, target: &Record) -> anyhow::Result<Restored> {
    let source = format!("revision {} of release {}", target.revision, target.release);
    let objects = parse_manifest(&target.manifest, &source)?;
    let history = r
        .releases
        .history(&target.namespace, &target.release)
        .await?;
    let base = prune_base(&history);
    let diffs = diff_releases(
        r.cluster,
        &DiffSettings {
            field_manager: r.apply.field_manager.clone(),
            concurrency: DEFAULT_CONCURRENCY,
        },
        &[ReleaseTarget {
            name: target.release.clone(),
            namespace: target.namespace.clone(),
            objects,
            inventory: base.clone(),
        }],
    )
    .await?;
    let Some(diff) = diffs.into_iter().next() else {
        anyhow::bail!("the deploy engine returned no diff for {source}");
    };
    print_diffs(r.ui, std::slice::from_ref(&diff), &r.display)?;
    match r.confirm {
        Confirm::DryRun => return Ok(Restored::DryRun),
        Confirm::Ask => {
            let question = format!(
                "Roll back {}/{} to revision {}?",
                target.namespace, target.release, target.revision
            );
            if !r.ui.confirm("berth rollback", &question)? {
                return Ok(Restored::Declined);
            }
        }
        Confirm::Yes => {}
    }
    let meta = RecordMeta {
        profile: target.profile.clone(),
        chart_name: target.chart_name.clone(),
        chart_version: target.chart_version.clone(),
        git: target.git.clone(),
        description: format!("rollback to {}", target.revision),
    };
    let mut tx = r
        .releases
        .begin(&target.namespace, &target.release, meta)
        .await?;
    tx.set_previous_status(r.replaced_becomes);
    if let Some(msg) = &tx.took_over {
        r.ui.warn(msg);
    }
    // Name what is about to be applied on the pending record, in case this
    // process dies mid-apply (best effort, but a lost lease stops here).
    match tx
        .set_intended(target.manifest.clone(), diff.inventory())
        .await
    {
        Ok(()) => {}
        Err(e @ ReleaseError::LeaseLost { .. }) => return Err(e.into()),
        Err(e) => r.ui.warn(format!(
            "could not note the objects of revision {} on its record: {e}",
            tx.revision
        )),
    }
    let progress = if r.ui.json() {
        Progress::lines(r.ui.is_quiet())
    } else {
        Progress::new(r.ui)
    };
    let progress = progress.release(&target.release, diff.entries.len() as u64);
    let inventory = diff.inventory();
    match tx
        .hold(apply_release(r.cluster, &r.apply, &diff, &progress))
        .await
    {
        Ok(Ok(counts)) => {
            progress.finish(&format!("revision {} deployed", tx.revision));
            let record = tx.succeed(target.manifest.clone(), inventory).await?;
            Ok(Restored::Done {
                record: Box::new(record),
                counts,
            })
        }
        Ok(Err(e)) => {
            progress.fail(&format!("revision {} failed", tx.revision));
            let revision = tx.revision;
            // Remember everything this attempt may have touched, so a later deploy can prune it.
            let mut touched = inventory;
            for o in base {
                if !touched.contains(&o) {
                    touched.push(o);
                }
            }
            if let Err(record_err) = tx
                .fail(&format!("{e:#}"), target.manifest.clone(), touched)
                .await
            {
                r.ui.warn(format!(
                    "could not record revision {revision} as failed: {record_err}"
                ));
            }
            Err(e.context(format!(
                "rollback of {}/{} to revision {} failed (recorded as revision {revision})",
                target.namespace, target.release, target.revision
            )))
        }
        Err(lost) => Err(lost.into()),
    }
}

/// `deploy --atomic`: after the deploy of a release failed (recorded as
/// `failed_revision`), restore `previous` (its deployed revision before the
/// deploy) as a new revision, without asking. Returns the error to report: the
/// deploy's, with what the rollback did (or why it could not) on top.
#[allow(clippy::too_many_arguments)]
pub async fn atomic_rollback(
    ui: &Ui,
    cluster: &Cluster,
    releases: &Releases,
    apply: &ApplySettings,
    namespace: &str,
    release: &str,
    failed_revision: u32,
    previous: Option<&Record>,
    err: anyhow::Error,
) -> anyhow::Error {
    let Some(previous) = previous else {
        return err.context(format!(
            "release {namespace}/{release}: revision {failed_revision} failed; --atomic found no earlier deployed revision to roll back to"
        ));
    };
    ui.warn(format!(
        "release {namespace}/{release}: revision {failed_revision} failed; --atomic rolls back to revision {}",
        previous.revision
    ));
    let restore = Restore {
        ui,
        cluster,
        releases,
        apply: apply.clone(),
        display: DiffDisplayArgs {
            show_secrets: false,
            context_lines: 3,
        },
        confirm: Confirm::Yes,
        // The revision being restored is the one that was deployed: it is
        // superseded by its copy, not "rolled back" away from.
        replaced_becomes: Status::Superseded,
    };
    match restore_revision(&restore, previous).await {
        Ok(Restored::Done { record, .. }) => {
            ui.info(format!(
                "release {namespace}/{release}: rolled back to revision {} (recorded as revision {})",
                previous.revision, record.revision
            ));
            err.context(format!(
                "release {namespace}/{release}: revision {failed_revision} failed; --atomic rolled back to revision {} (recorded as revision {})",
                previous.revision, record.revision
            ))
        }
        Ok(Restored::DryRun | Restored::Declined) => err.context(format!(
            "release {namespace}/{release}: revision {failed_revision} failed; the --atomic rollback was not applied"
        )),
        Err(rollback_err) => err.context(format!(
            "release {namespace}/{release}: revision {failed_revision} failed, and the --atomic rollback to revision {} failed too: {rollback_err:#}",
            previous.revision
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::GitInfo;
    use crate::manifest::ObjectRef;
    use crate::release::tests::sample_record;

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
