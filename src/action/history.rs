//! `berth history`: the revision records of a profile's releases, as a table or
//! as one JSON document (fields documented in `docs/output/history.md`).
//!
//! Reads records only (no render, no decryption). Never prints a record's
//! manifest: it holds the rendered Secrets in clear.

use serde::Serialize;

use crate::action::lifecycle::{connect, Selected};
use crate::action::runtime;
use crate::action::Exit;
use crate::cli::{GlobalArgs, HistoryArgs};
use crate::manifest::ObjectRef;
use crate::release::{timestamp, Record, Status};
use crate::ui::Ui;

/// Run `berth history`.
pub fn run(ui: &Ui, global: &GlobalArgs, args: &HistoryArgs) -> anyhow::Result<Exit> {
    let selected = Selected::open(
        global.workspace.as_deref(),
        &args.profiles.profiles,
        &args.cluster,
    )?;
    let names: Vec<String> = args.release.iter().cloned().collect();
    let plans = selected.releases(&names)?;
    let doc = runtime()?.block_on(async {
        let conn = connect(&args.cluster, &selected.workspace).await?;
        let mut releases = Vec::new();
        for plan in &plans {
            let records = conn.releases.history(&plan.namespace, &plan.name).await?;
            releases.push(ReleaseHistory {
                release: plan.name.clone(),
                namespace: plan.namespace.clone(),
                revisions: records.iter().map(RevisionView::from).collect(),
            });
        }
        anyhow::Ok(HistoryDoc { releases })
    })?;
    for r in doc.releases.iter().filter(|r| r.revisions.is_empty()) {
        ui.info(format!(
            "release {} has no revisions in namespace {}",
            r.release, r.namespace
        ));
    }
    if ui.json() {
        ui.print_json(&doc)?;
    } else if doc.releases.iter().any(|r| !r.revisions.is_empty()) {
        print!("{}", crate::ui::mask::mask(&table(&doc)));
    }
    Ok(Exit::Ok)
}

/// The JSON document of `berth history --output json`.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryDoc {
    pub releases: Vec<ReleaseHistory>,
}

/// One release's revisions, oldest first.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseHistory {
    pub release: String,
    pub namespace: String,
    pub revisions: Vec<RevisionView>,
}

/// What `history` shows of one record: everything but the manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevisionView {
    pub revision: u32,
    pub status: Status,
    pub profile: String,
    pub chart_name: String,
    pub chart_version: String,
    pub git: GitView,
    pub description: String,
    pub error: Option<String>,
    pub started_at: String,
    pub updated_at: String,
    pub inventory: Vec<ObjectRef>,
}

/// The git facts of a revision (without the dirty paths).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GitView {
    pub sha: String,
    pub short_sha: String,
    pub tag: String,
    pub branch: String,
    pub dirty: bool,
}

impl From<&Record> for RevisionView {
    fn from(r: &Record) -> Self {
        RevisionView {
            revision: r.revision,
            status: r.status,
            profile: r.profile.clone(),
            chart_name: r.chart_name.clone(),
            chart_version: r.chart_version.clone(),
            git: GitView {
                sha: r.git.sha.clone(),
                short_sha: r.git.short_sha.clone(),
                tag: r.git.tag.clone(),
                branch: r.git.branch.clone(),
                dirty: r.git.dirty,
            },
            description: r.description.clone(),
            error: r.error.clone(),
            started_at: timestamp(r.started_at),
            updated_at: timestamp(r.updated_at),
            inventory: r.inventory.clone(),
        }
    }
}

/// The git column: short sha, `+dirty` when dirty, the tag in parentheses; `-` when none.
pub fn git_cell(git: &GitView) -> String {
    if git.short_sha.is_empty() {
        return "-".to_string();
    }
    let mut cell = git.short_sha.clone();
    if git.dirty {
        cell.push_str("+dirty");
    }
    if !git.tag.is_empty() {
        cell.push_str(&format!(" ({})", git.tag));
    }
    cell
}

/// The description column: the description, then the error of a failed revision
/// (its first line, shortened; `--output json` has it whole).
pub fn description_cell(view: &RevisionView) -> String {
    match &view.error {
        Some(error) => {
            let first = error.lines().next().unwrap_or_default();
            let short: String = first.chars().take(120).collect();
            let ellipsis = if short.len() < error.len() { "…" } else { "" };
            format!("{}: {short}{ellipsis}", view.description)
        }
        None => view.description.clone(),
    }
}

/// Lay out rows as left-aligned columns separated by two spaces (no trailing blanks).
pub fn columns(rows: &[Vec<String>]) -> String {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..width)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 < row.len() {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            } else {
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The history table: one row per revision of every release, oldest first.
pub fn table(doc: &HistoryDoc) -> String {
    let mut rows = vec![[
        "RELEASE",
        "REVISION",
        "STATUS",
        "UPDATED",
        "CHART",
        "GIT",
        "DESCRIPTION",
    ]
    .map(str::to_string)
    .to_vec()];
    for release in &doc.releases {
        for v in &release.revisions {
            rows.push(vec![
                release.release.clone(),
                v.revision.to_string(),
                v.status.to_string(),
                v.updated_at.clone(),
                format!("{}-{}", v.chart_name, v.chart_version),
                git_cell(&v.git),
                description_cell(v),
            ]);
        }
    }
    columns(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::GitInfo;
    use crate::release::tests::sample_record;
    use chrono::TimeZone;

    fn record(revision: u32, status: Status) -> Record {
        let t = chrono::Utc
            .with_ymd_and_hms(2026, 11, 21, 12, revision, 0)
            .unwrap();
        Record {
            git: GitInfo {
                sha: "0123456789abcdef0123".into(),
                short_sha: "0123456".into(),
                tag: if revision == 1 {
                    "v1.0.0".into()
                } else {
                    String::new()
                },
                branch: "main".into(),
                dirty: revision == 2,
                dirty_paths: vec!["values/hub.yaml".into()],
            },
            error: (status == Status::Failed)
                .then(|| "apply Deployment jupyter/hub: 500 InternalError\nmore".into()),
            started_at: t,
            updated_at: t,
            manifest: "kind: Secret\nstringData:\n  password: hunter2-secret\n".into(),
            inventory: vec![],
            ..sample_record("hub", revision, status)
        }
    }

    fn doc() -> HistoryDoc {
        HistoryDoc {
            releases: vec![ReleaseHistory {
                release: "hub".into(),
                namespace: "jupyter".into(),
                revisions: [
                    record(1, Status::Superseded),
                    record(2, Status::Failed),
                    record(3, Status::Deployed),
                ]
                .iter()
                .map(RevisionView::from)
                .collect(),
            }],
        }
    }

    #[test]
    fn table_shows_revision_status_when_chart_git_description() {
        let t = table(&doc());
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4, "{t}");
        assert!(lines[0].starts_with("RELEASE  REVISION  STATUS"), "{t}");
        assert!(lines[1].contains("superseded"), "{t}");
        assert!(lines[1].contains("2026-11-21T12:01:00Z"), "{t}");
        assert!(lines[1].contains("jupyterhub-1.2.3"), "{t}");
        assert!(lines[1].contains("0123456 (v1.0.0)"), "{t}");
        assert!(lines[2].contains("0123456+dirty"), "{t}");
        assert!(
            lines[2].ends_with("deploy: apply Deployment jupyter/hub: 500 InternalError…"),
            "{t}"
        );
        assert!(lines[3].contains("deployed"), "{t}");
        // Columns line up: STATUS starts at the same offset on every line.
        let at = lines[0].find("STATUS").unwrap();
        assert_eq!(&lines[3][at..at + 8], "deployed");
    }

    #[test]
    fn json_carries_documented_fields_and_never_the_manifest() {
        let json = serde_json::to_value(doc()).unwrap();
        let r = &json["releases"][0];
        assert_eq!(r["release"], "hub");
        assert_eq!(r["namespace"], "jupyter");
        let v = &r["revisions"][1];
        for key in [
            "revision",
            "status",
            "profile",
            "chartName",
            "chartVersion",
            "git",
            "description",
            "error",
            "startedAt",
            "updatedAt",
            "inventory",
        ] {
            assert!(v.get(key).is_some(), "missing {key}: {v}");
        }
        assert_eq!(v["status"], "failed");
        assert_eq!(v["git"]["shortSha"], "0123456");
        assert!(v["git"].get("dirtyPaths").is_none());
        let text = json.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("manifest"), "{text}");
    }

    #[test]
    fn git_cell_without_repository_is_a_dash() {
        let mut v = RevisionView::from(&record(3, Status::Deployed));
        v.git = GitView {
            sha: String::new(),
            short_sha: String::new(),
            tag: String::new(),
            branch: String::new(),
            dirty: false,
        };
        assert_eq!(git_cell(&v.git), "-");
    }
}
