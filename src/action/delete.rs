//! `berth delete`: remove releases from the cluster. For each selected release
//! it previews what goes (`- Kind ns/name` per object, then the revision records),
//! asks (or needs `--yes`), deletes the objects in reverse install order, then
//! the records unless `--keep-history`.
//!
//! The objects are those every kept revision applied (failed ones included, so
//! nothing a half-done deploy created is left behind), and only when the live
//! object still carries the release's label: an object that has since moved to
//! another release or was never berth's is kept, with a warning. A release with
//! a deploy in progress (an unexpired lease) is refused.

use serde::Serialize;

use crate::action::lifecycle::{self, connect, Selected};
use crate::action::runtime;
use crate::action::Exit;
use crate::cli::{DeleteArgs, GlobalArgs};
use crate::cluster::{Cluster, ResourceInfo};
use crate::manifest::ObjectRef;
use crate::release::all_objects;
use crate::ui::{paint, Ui};

/// The label naming the release an object belongs to (set by the render step).
use crate::manifest::LABEL_RELEASE;

/// The JSON document of `berth delete --output json`.
#[derive(Debug, Clone, Serialize)]
pub struct DeleteDoc {
    pub releases: Vec<DeletedRelease>,
}

/// What was (or, when declined, would have been) deleted of one release.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedRelease {
    pub release: String,
    pub namespace: String,
    /// Objects deleted, in the order they were deleted.
    pub objects: Vec<ObjectRef>,
    /// Objects left alone: they no longer carry this release's label.
    pub kept: Vec<ObjectRef>,
    /// Revision records deleted (0 with `--keep-history`).
    pub records: usize,
}

/// One release's deletion plan.
struct Planned {
    release: String,
    namespace: String,
    objects: Vec<(ObjectRef, ResourceInfo)>,
    kept: Vec<ObjectRef>,
    records: usize,
}

/// Run `berth delete`.
pub fn run(ui: &Ui, global: &GlobalArgs, args: &DeleteArgs) -> anyhow::Result<Exit> {
    let selected = Selected::open(
        global.workspace.as_deref(),
        &args.profiles.profiles,
        &args.cluster,
    )?;
    let plans = selected.releases(&args.releases)?;
    let rt = runtime()?;
    rt.block_on(async {
        let conn = connect(&args.cluster, &selected.workspace).await?;
        selected.check_context(&conn.cluster)?;
        let mut planned = Vec::new();
        for plan in &plans {
            conn.releases
                .check_lease(&plan.namespace, &plan.name)
                .await?;
            let history = conn.releases.history(&plan.namespace, &plan.name).await?;
            let (objects, kept) =
                live_objects(&conn.cluster, &plan.name, &all_objects(&history)).await?;
            planned.push(Planned {
                release: plan.name.clone(),
                namespace: plan.namespace.clone(),
                objects,
                kept,
                records: if args.keep_history { 0 } else { history.len() },
            });
        }
        preview(ui, &planned, args.keep_history);
        let nothing = planned
            .iter()
            .all(|p| p.objects.is_empty() && p.records == 0);
        if nothing {
            ui.info("nothing to delete");
            return finish(ui, &planned, false);
        }
        if !args.yes && !ui.confirm("berth delete", "Delete these objects and records?")? {
            // As `deploy` does: a "no" at the prompt is exit 1, nothing deleted.
            anyhow::bail!("delete cancelled at the prompt: nothing was deleted");
        }
        for p in &planned {
            for (o, res) in &p.objects {
                let ns = o.namespace.as_deref().filter(|_| res.namespaced);
                conn.cluster.delete(res, ns, &o.name).await?;
                ui.info(format!("deleted {o}"));
            }
            if p.records > 0 {
                conn.releases
                    .delete_records(&p.namespace, &p.release)
                    .await?;
                ui.info(format!(
                    "deleted {} revision record(s) of {}/{}",
                    p.records, p.namespace, p.release
                ));
            }
        }
        finish(ui, &planned, true)
    })
}

/// Split the recorded objects into those to delete (live and labelled as this
/// release's) and those to keep (live, labelled otherwise); gone ones drop out.
async fn live_objects(
    cluster: &Cluster,
    release: &str,
    refs: &[ObjectRef],
) -> anyhow::Result<(Vec<(ObjectRef, ResourceInfo)>, Vec<ObjectRef>)> {
    let mut delete = Vec::new();
    let mut kept = Vec::new();
    for o in lifecycle::live_objects(cluster, refs).await? {
        let (Some(res), Some(live)) = (o.resource, o.live) else {
            continue;
        };
        let owner = live
            .pointer("/metadata/labels")
            .and_then(|l| l.get(LABEL_RELEASE))
            .and_then(|v| v.as_str());
        if owner == Some(release) {
            delete.push((o.object, res));
        } else {
            kept.push(o.object);
        }
    }
    Ok((delete, kept))
}

fn preview(ui: &Ui, planned: &[Planned], keep_history: bool) {
    let color = ui.color_stderr();
    let mut objects = 0;
    let mut records = 0;
    for p in planned {
        ui.info(format!(
            "release {} (namespace {}):",
            p.release, p.namespace
        ));
        for (o, _) in &p.objects {
            ui.info(paint(color, "31", &format!("- {o}")));
        }
        for o in &p.kept {
            ui.warn(format!(
                "keeping {o}: it no longer carries the label {LABEL_RELEASE}={}",
                p.release
            ));
        }
        if p.records > 0 {
            ui.info(paint(
                color,
                "31",
                &format!("- {} revision record(s)", p.records),
            ));
        }
        objects += p.objects.len();
        records += p.records;
    }
    let history = if keep_history {
        "revision records kept".to_string()
    } else {
        format!("{records} revision record(s) to delete")
    };
    ui.info(format!("{objects} object(s) to delete, {history}"));
}

fn finish(ui: &Ui, planned: &[Planned], done: bool) -> anyhow::Result<Exit> {
    if ui.json() {
        let doc = DeleteDoc {
            releases: planned
                .iter()
                .map(|p| DeletedRelease {
                    release: p.release.clone(),
                    namespace: p.namespace.clone(),
                    objects: if done {
                        p.objects.iter().map(|(o, _)| o.clone()).collect()
                    } else {
                        Vec::new()
                    },
                    kept: p.kept.clone(),
                    records: if done { p.records } else { 0 },
                })
                .collect(),
        };
        ui.print_json(&doc)?;
    }
    Ok(Exit::Ok)
}
