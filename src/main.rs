//! The `berth` binary: parse, run, map the outcome to an exit code. Nothing else.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = berth::cli::Cli::parse();
    let quiet = cli.global.quiet;
    match berth::run(cli) {
        Ok(exit) => exit.into(),
        Err(err) => {
            berth::ui::report_error(&err, quiet);
            ExitCode::from(1)
        }
    }
}
