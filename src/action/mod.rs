//! One action per command. Each action turns the raw clap arguments into a
//! validated request, prepares a plan without side effects, then performs it.
//! Actions are the only place where workspace, values, chart, secrets, cluster,
//! diff and release meet.

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::ui::Ui;

pub mod delete;
pub mod dependency;
pub mod deploy;
pub mod diff;
pub mod history;
pub mod lifecycle;
pub mod lint;
pub mod profiles;
pub mod render;
pub mod rollback;
pub mod secrets;
pub mod status;
pub mod template;

/// How a successful command ends. Errors are exit code 1 (mapped in `main`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Exit code 0.
    Ok,
    /// Exit code 2: `diff --exit-code` found changes.
    Changes,
    /// A command's own exit code (`berth sops` uses sops' codes).
    Code(u8),
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        match exit {
            Exit::Ok => ExitCode::SUCCESS,
            Exit::Changes => ExitCode::from(2),
            Exit::Code(c) => ExitCode::from(c),
        }
    }
}

/// The tokio runtime of one command that talks to the cluster (commands that
/// do not — render, lint, profiles, secrets — never start one).
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context as _;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Run one parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    let ui = Ui::new(&cli.global);
    let global = &cli.global;
    // `--show-secrets` turns off taint-tracked masking for this command's output.
    crate::ui::mask::reveal(match &cli.command {
        Command::Render(args) => args.show_secrets,
        Command::Diff(args) => args.display.show_secrets,
        Command::Deploy(args) => args.display.show_secrets,
        Command::Rollback(args) => args.display.show_secrets,
        _ => false,
    });
    match &cli.command {
        Command::Render(args) => render::run(&ui, global, args),
        Command::Template(args) => template::run(&ui, global, args),
        Command::Lint(args) => lint::run(&ui, global, args),
        Command::Profiles => profiles::run(&ui, global),
        Command::Diff(args) => diff::run(&ui, global, args),
        Command::Deploy(args) => deploy::run(&ui, global, args),
        Command::History(args) => history::run(&ui, global, args),
        Command::Status(args) => status::run(&ui, global, args),
        Command::Rollback(args) => rollback::run(&ui, global, args),
        Command::Delete(args) => delete::run(&ui, global, args),
        Command::Secrets(cmd) => secrets::run(&ui, global, cmd),
        Command::Dependency(cmd) => dependency::run(&ui, global, cmd),
        Command::Sops { args } => Ok(Exit::Code(crate::sops::main(args))),
        Command::Completions(args) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(args.shell, &mut cmd, "berth", &mut std::io::stdout());
            Ok(Exit::Ok)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?;
            Ok(Exit::Ok)
        }
    }
}
