//! `berth dependency list|update|build CHART`: the chart's `Chart.yaml`
//! dependencies against Helm repositories, OCI registries and `file://`
//! directories (all of it in [`crate::chart::repo`]); this action only reads
//! the credentials, runs the request and prints what happened.

use std::io::Write as _;

use anyhow::Context as _;

use crate::action::Exit;
use crate::chart::repo::{self, credentials::Credentials, Options};
use crate::cli::{DependencyCommand, DependencyFetchArgs, GlobalArgs};
use crate::ui::Ui;

/// Run one `berth dependency` subcommand.
pub fn run(ui: &Ui, _global: &GlobalArgs, cmd: &DependencyCommand) -> anyhow::Result<Exit> {
    match cmd {
        DependencyCommand::List(args) => list(ui, &args.chart),
        DependencyCommand::Update(args) => fetch(ui, args, false),
        DependencyCommand::Build(args) => fetch(ui, args, true),
    }
}

fn list(ui: &Ui, chart: &std::path::Path) -> anyhow::Result<Exit> {
    let (rows, warnings) = repo::list(chart)?;
    if ui.json() {
        ui.print_json(&serde_json::json!({
            "dependencies": rows.unwrap_or_default(),
            "warnings": warnings,
        }))?;
        return Ok(Exit::Ok);
    }
    let mut out = std::io::stdout().lock();
    match rows {
        None => writeln!(
            out,
            "WARNING: no dependencies at {}",
            chart.join("charts").display()
        )?,
        Some(rows) => {
            writeln!(out, "{}\n", repo::format_table(&rows))?;
            for w in warnings {
                writeln!(out, "{w}")?;
            }
        }
    }
    Ok(Exit::Ok)
}

fn print_progress(line: &str) {
    eprintln!("{line}");
}

fn fetch(ui: &Ui, args: &DependencyFetchArgs, build: bool) -> anyhow::Result<Exit> {
    let opts = Options {
        plain_http: args.plain_http,
        credentials: Credentials::load()?,
        // Helm's progress lines, on stderr as they happen (not with --quiet).
        progress: (!ui.is_quiet()).then_some(print_progress as fn(&str)),
    };
    let runtime = crate::action::runtime()?;
    let report = runtime
        .block_on(async {
            if build {
                repo::build(&args.chart, &opts).await
            } else {
                repo::update(&args.chart, &opts).await
            }
        })
        .with_context(|| {
            format!(
                "dependency {} of {} failed",
                if build { "build" } else { "update" },
                args.chart.display()
            )
        })?;
    if ui.json() {
        ui.print_json(&serde_json::json!({
            "saved": report.saved,
            "lockWritten": report.lock_written,
        }))?;
    }
    Ok(Exit::Ok)
}
