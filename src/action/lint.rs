//! `berth lint`: everything `render` checks (profiles, `needs`, values, secrets
//! decryption, schema, templates, objects, duplicates), reporting every problem
//! found rather than stopping at the first.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::action::render::{check_duplicates, RenderRequest, Session};
use crate::action::Exit;
use crate::cli::{GlobalArgs, LintArgs};
use crate::ui::Ui;

/// One lint problem: which release (empty for plan-level problems) and what.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub release: String,
    pub message: String,
}

/// `--output json` of `berth lint`.
#[derive(Serialize)]
struct LintJson<'a> {
    ok: bool,
    profiles: &'a [String],
    releases: usize,
    problems: &'a [Problem],
}

/// Lint the releases of `profiles`: every problem found.
pub fn lint(req: &RenderRequest) -> anyhow::Result<(usize, Vec<Problem>)> {
    let mut session = Session::open(req)?;
    let mut problems = Vec::new();
    let mut rendered = Vec::new();
    let results = session.render_all();
    let plans = session.plan.releases.clone();
    for (plan, result) in plans.iter().zip(results) {
        match result {
            Ok(r) => rendered.push(r),
            Err(found) => problems.extend(found.into_iter().map(|message| Problem {
                release: plan.name.clone(),
                message,
            })),
        }
    }
    if let Err(found) = check_duplicates(&rendered) {
        problems.extend(found.into_iter().map(|message| Problem {
            release: String::new(),
            message,
        }));
    }
    Ok((plans.len(), problems))
}

/// Run `berth lint`.
pub fn run(ui: &Ui, global: &GlobalArgs, args: &LintArgs) -> anyhow::Result<Exit> {
    let revisions = BTreeMap::new();
    let req = RenderRequest {
        strict: args.strict,
        workspace: global.workspace.as_deref(),
        profiles: &args.profiles.profiles,
        values: &args.values,
        namespace: None,
        revisions: &revisions,
    };
    let (releases, problems) = lint(&req)?;
    if ui.json() {
        ui.print_json(&LintJson {
            ok: problems.is_empty(),
            profiles: &args.profiles.profiles,
            releases,
            problems: &problems,
        })?;
    } else {
        for p in &problems {
            if p.release.is_empty() {
                eprintln!("problem: {}", crate::ui::mask::mask_always(&p.message));
            } else {
                eprintln!(
                    "problem: release `{}`: {}",
                    p.release,
                    crate::ui::mask::mask_always(&p.message)
                );
            }
        }
    }
    if problems.is_empty() {
        ui.info(format!(
            "lint: {releases} releases of {} are fine",
            args.profiles.profiles.join(",")
        ));
        Ok(Exit::Ok)
    } else {
        anyhow::bail!(
            "lint found {} problem(s) in {}",
            problems.len(),
            args.profiles.profiles.join(",")
        )
    }
}
