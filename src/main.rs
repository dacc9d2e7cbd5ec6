//! The `berth` binary: parse, run, map the outcome to an exit code. Nothing else.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: berth's diff and render allocate many small JSON nodes; glibc
/// malloc/free were ~35% of a 1,000-object diff's CPU (perf).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Run as `sops` (a link or copy named so), or `berth sops …`: sops'
    // command line, parsed before clap so berth's global flags (`--output`,
    // `-v`) keep sops' meaning.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let as_sops = args
        .first()
        .and_then(|p| std::path::Path::new(p).file_stem())
        .is_some_and(|n| n == "sops");
    if as_sops {
        return ExitCode::from(berth::sops::main(&args[1..]));
    }
    if args.get(1).is_some_and(|a| a == "sops") {
        return ExitCode::from(berth::sops::main(&args[2..]));
    }
    let cli = berth::cli::Cli::parse();
    let quiet = cli.global.quiet;
    match berth::run(cli) {
        Ok(exit) => exit.into(),
        // A closed pipe (`berth render | head`) is the reader's choice, not an error.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            berth::ui::report_error(&err, quiet);
            ExitCode::from(1)
        }
    }
}

/// Whether the error comes from writing to a pipe whose reader has gone.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
