//! `berth profiles`: the workspace's profiles with their descriptions and
//! resolved releases (after `extends`), in text or as one JSON document.

use serde::Serialize;

use crate::action::Exit;
use crate::cli::GlobalArgs;
use crate::ui::Ui;
use crate::workspace::{Workspace, WorkspaceError};

/// `--output json` of `berth profiles` (documented in docs/output/profiles.md).
#[derive(Debug, Serialize)]
pub struct ProfilesJson {
    pub profiles: Vec<ProfileJson>,
}

/// One profile.
#[derive(Debug, Serialize)]
pub struct ProfileJson {
    pub name: String,
    pub description: String,
    pub context: Option<String>,
    pub extends: Vec<String>,
    pub releases: Vec<ReleaseJson>,
}

/// One release of a profile.
#[derive(Debug, Serialize)]
pub struct ReleaseJson {
    pub name: String,
    pub namespace: String,
    pub chart: String,
    pub needs: Vec<String>,
}

/// Every profile of the workspace, resolved.
pub fn list(ws: &Workspace) -> anyhow::Result<ProfilesJson> {
    let mut profiles = Vec::new();
    for name in ws.profile_names()? {
        let file = ws.profile_file(&name)?;
        // In deploy order when the profile stands alone; a profile whose `needs`
        // name releases of another profile (to be combined with -p a,b) is listed
        // in declaration order.
        let (context, releases) = match ws.plan(std::slice::from_ref(&name)) {
            Ok(plan) => (plan.context, plan.releases),
            Err(WorkspaceError::UnknownNeed { .. }) => ws.profile_releases(&name)?,
            Err(e) => return Err(e.into()),
        };
        profiles.push(ProfileJson {
            description: file.description.clone(),
            context,
            extends: file.extends.clone(),
            releases: releases
                .iter()
                .map(|r| ReleaseJson {
                    name: r.name.clone(),
                    namespace: r.namespace.clone(),
                    chart: ws.display_path(&r.chart).to_string_lossy().into_owned(),
                    needs: r.needs.clone(),
                })
                .collect(),
            name,
        });
    }
    Ok(ProfilesJson { profiles })
}

/// Run `berth profiles`.
pub fn run(ui: &Ui, global: &GlobalArgs) -> anyhow::Result<Exit> {
    let ws = Workspace::discover(global.workspace.as_deref())?;
    let list = list(&ws)?;
    if ui.json() {
        ui.print_json(&list)?;
        return Ok(Exit::Ok);
    }
    if list.profiles.is_empty() {
        ui.info(format!(
            "no profiles in {}",
            ws.root.join("profiles").display()
        ));
        return Ok(Exit::Ok);
    }
    let width = list
        .profiles
        .iter()
        .map(|p| p.name.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for p in &list.profiles {
        out.push_str(&format!("{:width$}  {}\n", p.name, p.description));
        if !p.extends.is_empty() {
            out.push_str(&format!(
                "{:width$}    extends: {}\n",
                "",
                p.extends.join(", ")
            ));
        }
        for r in &p.releases {
            let needs = if r.needs.is_empty() {
                String::new()
            } else {
                format!("  needs: {}", r.needs.join(", "))
            };
            out.push_str(&format!(
                "{:width$}    - {} ({}, namespace {}){}\n",
                "", r.name, r.chart, r.namespace, needs
            ));
        }
    }
    print!("{out}");
    Ok(Exit::Ok)
}
