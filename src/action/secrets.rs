//! `berth secrets …`: encrypt, decrypt, edit, rotate, updatekeys, set. Turns
//! the clap arguments into calls on `crate::secrets`, writes results (stdout
//! or an atomic in-place replace) and runs the edit workflow (editor, invalid
//! YAML handling, Ctrl-C). Owns no crypto.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context};

use crate::action::Exit;
use crate::cli::{GlobalArgs, SecretsCommand};
use crate::secrets::{self, edit::PrivateFile, EditSession, EncryptOptions};
use crate::ui::Ui;

/// Run one `berth secrets` subcommand.
pub fn run(ui: &Ui, _global: &GlobalArgs, cmd: &SecretsCommand) -> anyhow::Result<Exit> {
    match cmd {
        SecretsCommand::Encrypt(a) => {
            let opts = EncryptOptions {
                age: a.age.clone(),
                kms: a.kms.clone(),
                encryption_context: a.encryption_context.clone(),
                aws_profile: a.aws_profile.clone(),
                encrypted_regex: a.encrypted_regex.clone(),
                unencrypted_regex: a.unencrypted_regex.clone(),
                encrypted_suffix: a.encrypted_suffix.clone(),
                unencrypted_suffix: a.unencrypted_suffix.clone(),
                mac_only_encrypted: a.mac_only_encrypted,
                shamir_threshold: a.shamir_threshold,
            };
            let out = secrets::encrypt_file(&a.file.file, a.file.input_type.as_deref(), &opts)?;
            output(
                ui,
                &a.file.file,
                a.file.in_place,
                out.as_bytes(),
                "encrypted",
            )
        }
        SecretsCommand::Decrypt(a) => {
            let out = secrets::decrypt_file(&a.file, a.input_type.as_deref())?;
            output(ui, &a.file, a.in_place, out.as_bytes(), "decrypted")
        }
        SecretsCommand::Rotate(a) => {
            let out = secrets::rotate_file(&a.file, a.input_type.as_deref())?;
            output(
                ui,
                &a.file,
                a.in_place,
                out.as_bytes(),
                "rotated the data key of",
            )
        }
        SecretsCommand::Updatekeys(a) => {
            let update = secrets::update_keys(&a.file, None)?;
            if update.added.is_empty() && update.removed.is_empty() {
                ui.info(format!(
                    "{}: keys already match .sops.yaml",
                    a.file.display()
                ));
                return Ok(Exit::Ok);
            }
            for k in &update.added {
                ui.info(format!("+ {k}"));
            }
            for k in &update.removed {
                ui.info(format!("- {k}"));
            }
            if !a.yes
                && !ui.confirm(
                    "secrets updatekeys",
                    &format!("Update the keys of {}?", a.file.display()),
                )?
            {
                ui.info("no changes made");
                return Ok(Exit::Ok);
            }
            secrets::write_atomic(&a.file, update.output.as_bytes())?;
            ui.info(format!("{}: keys updated", a.file.display()));
            Ok(Exit::Ok)
        }
        SecretsCommand::Set(a) => {
            let out = secrets::set_value(&a.file, None, &a.path, &a.value)?;
            secrets::write_atomic(&a.file, out.as_bytes())?;
            ui.info(format!("{}: set {}", a.file.display(), a.path));
            Ok(Exit::Ok)
        }
        SecretsCommand::Edit(a) => edit(ui, &a.file),
    }
}

fn output(ui: &Ui, file: &Path, in_place: bool, bytes: &[u8], what: &str) -> anyhow::Result<Exit> {
    if in_place {
        secrets::write_atomic(file, bytes)?;
        ui.info(format!("{what} {}", file.display()));
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes).context("writing to stdout")?;
        out.flush().context("writing to stdout")?;
    }
    Ok(Exit::Ok)
}

/// Keep an edit that could not be written to `file`: the encrypted result in
/// a new 0600 file in the temp directory (safe to keep: it is encrypted), or,
/// when even that fails, the private plaintext file itself. Returns where, as
/// words for the message ("saved, encrypted, in …").
fn save_aside(file: &Path, ext: &str, encrypted: &str, temp: PrivateFile) -> String {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "secrets".into());
    let saved = tempfile::Builder::new()
        .prefix(&format!("berth-saved-{stem}-"))
        .suffix(&format!(".{ext}"))
        .tempfile()
        .and_then(|mut f| {
            f.write_all(encrypted.as_bytes())?;
            f.as_file().sync_all()?;
            f.keep().map_err(|e| e.error)
        });
    match saved {
        Ok((_, path)) => format!(
            "saved, encrypted with the file's own keys, in {} (move it over {} once the problem is fixed)",
            path.display(),
            file.display()
        ),
        Err(_) => format!(
            "kept in plaintext in the private file {} (0600; delete it when done)",
            temp.keep().display()
        ),
    }
}

fn editor_command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string())
}

/// Run the editor on `file`; `$EDITOR` may carry arguments (run through sh).
fn run_editor(file: &Path) -> anyhow::Result<std::process::ExitStatus> {
    let editor = editor_command();
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("berth-editor")
        .arg(file)
        .status()
        .with_context(|| format!("cannot start the editor `{editor}`"))?;
    Ok(status)
}

/// `berth sops edit FILE` / `sops FILE`: the same edit workflow, quiet on
/// success as sops is.
pub(crate) fn edit_file(file: &Path) -> anyhow::Result<Exit> {
    let ui = Ui::new(&GlobalArgs {
        quiet: true,
        ..GlobalArgs::default()
    });
    edit(&ui, file)
}

fn edit(ui: &Ui, file: &Path) -> anyhow::Result<Exit> {
    // SIGINT/SIGTERM/SIGHUP become a flag so the temp file is always removed.
    let interrupted = Arc::new(AtomicBool::new(false));
    let mut registered = Vec::new();
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        registered.push(
            signal_hook::flag::register(sig, Arc::clone(&interrupted))
                .context("cannot install the signal handler")?,
        );
    }
    let result = edit_inner(ui, file, &interrupted);
    for id in registered {
        signal_hook::low_level::unregister(id);
    }
    result
}

fn edit_inner(ui: &Ui, file: &Path, interrupted: &AtomicBool) -> anyhow::Result<Exit> {
    let check_interrupt = || -> anyhow::Result<()> {
        if interrupted.load(Ordering::SeqCst) {
            bail!("interrupted; {} was not changed", file.display());
        }
        Ok(())
    };
    let session = EditSession::open(file, None)?;
    let ext = session.format().extension();
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "secrets".into());
    let temp = PrivateFile::create(&format!("{stem}.{ext}"), session.plaintext())
        .context("cannot create the private temp file")?;
    if let Some(mine) = temp.dir() {
        let removed = secrets::edit::clean_stale(&std::env::temp_dir(), mine);
        if !removed.is_empty() {
            ui.info(format!(
                "removed {} private edit director{} left by an edit session that was killed",
                removed.len(),
                if removed.len() == 1 { "y" } else { "ies" }
            ));
        }
    }
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    loop {
        check_interrupt()?;
        let status = run_editor(temp.path())?;
        check_interrupt()?;
        if !status.success() {
            bail!(
                "the editor `{}` failed ({status}); {} was not changed",
                editor_command(),
                file.display()
            );
        }
        let text = temp.read().context("cannot read the edited file")?;
        if text.as_str() == session.plaintext() {
            ui.info(format!("{}: no changes", file.display()));
            return Ok(Exit::Ok);
        }
        match session.check(&text) {
            Ok(()) => {
                let out = session.encrypt(&text)?;
                check_interrupt()?;
                if session.changed_on_disk() {
                    let saved = save_aside(file, ext, &out, temp);
                    bail!(
                        "{} changed on disk while the editor was open (a `berth secrets set` or another edit?); your edit was not written over it. It is {saved}; compare the two (`berth secrets decrypt`), then run `berth secrets edit` again",
                        file.display()
                    );
                }
                loop {
                    match secrets::write_atomic(file, out.as_bytes()) {
                        Ok(()) => break,
                        Err(e) if terminal => {
                            eprintln!("{e}");
                            eprint!(
                                "Your edit is kept. Fix the problem, then retry the write? [Y/n] "
                            );
                            let _ = std::io::stderr().flush();
                            let mut answer = String::new();
                            let read = std::io::stdin().read_line(&mut answer);
                            if read.is_err()
                                || interrupted.load(Ordering::SeqCst)
                                || matches!(answer.trim(), "n" | "N" | "no" | "No")
                            {
                                let saved = save_aside(file, ext, &out, temp);
                                bail!("{} was not changed; your edit is {saved}", file.display());
                            }
                        }
                        Err(e) => {
                            let saved = save_aside(file, ext, &out, temp);
                            return Err(anyhow::Error::new(e).context(format!(
                                "{} was not changed; your edit is {saved}",
                                file.display()
                            )));
                        }
                    }
                }
                ui.info(format!(
                    "{} {}",
                    if session.is_new() { "created" } else { "saved" },
                    file.display()
                ));
                return Ok(Exit::Ok);
            }
            Err(e) => {
                if !terminal {
                    bail!(
                        "{}: the edited document is invalid ({e}); the file was not changed",
                        file.display()
                    );
                }
                eprintln!("{}: the edited document is invalid: {e}", file.display());
                eprint!("Reopen the editor with your text? [Y/n] ");
                let _ = std::io::stderr().flush();
                let mut answer = String::new();
                std::io::stdin()
                    .read_line(&mut answer)
                    .context("cannot read the answer")?;
                check_interrupt()?;
                if matches!(answer.trim(), "n" | "N" | "no" | "No") {
                    bail!("edit abandoned; {} was not changed", file.display());
                }
            }
        }
    }
}
