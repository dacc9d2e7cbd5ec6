//! `exec-env` and `exec-file`: run a command with the decrypted values in its
//! environment, or in a file that only it can read. The plaintext file lives
//! in a fresh 0700 directory as a 0600 FIFO (default) or file, and the
//! directory is removed on every exit path (drop guard, also on error).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use zeroize::Zeroizing;

/// Why the command could not be run.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("cannot create the private directory: {0}")]
    Dir(#[source] std::io::Error),
    #[error("cannot create the plaintext file: {0}")]
    File(#[source] std::io::Error),
    #[error("cannot start /bin/sh: {0}")]
    Spawn(#[source] std::io::Error),
}

fn shell(command: &str) -> Command {
    let mut c = Command::new("/bin/sh");
    c.arg("-c").arg(command);
    c
}

/// Run `command` (through `/bin/sh -c`) with `env` added to the environment
/// (or alone with `pristine`).
pub fn with_env(
    command: &str,
    env: &[(String, Zeroizing<String>)],
    pristine: bool,
) -> Result<ExitStatus, ExecError> {
    let mut c = shell(command);
    if pristine {
        c.env_clear();
    }
    for (k, v) in env {
        c.env(k, v.as_str());
    }
    c.status().map_err(ExecError::Spawn)
}

/// The private 0700 directory; removed when dropped.
struct PrivateDir(tempfile::TempDir);

impl PrivateDir {
    fn new() -> Result<PrivateDir, ExecError> {
        let dir = tempfile::Builder::new()
            .prefix(".sops")
            .tempdir()
            .map_err(ExecError::Dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
                .map_err(ExecError::Dir)?;
        }
        Ok(PrivateDir(dir))
    }
    fn path(&self) -> &Path {
        self.0.path()
    }
}

/// Run `command` with `{}` replaced by the path of a file holding
/// `plaintext`: a FIFO written once by a helper thread, or (`no_fifo`) a
/// regular 0600 file. `filename` names the file (default `tmp-file`).
pub fn with_file(
    command: &str,
    plaintext: Zeroizing<Vec<u8>>,
    no_fifo: bool,
    filename: Option<&str>,
) -> Result<ExitStatus, ExecError> {
    let dir = PrivateDir::new()?;
    let name = filename.filter(|f| !f.is_empty()).unwrap_or("tmp-file");
    let path: PathBuf = dir.path().join(name);
    let writer = if no_fifo {
        write_private(&path, &plaintext).map_err(ExecError::File)?;
        None
    } else {
        make_fifo(&path).map_err(ExecError::File)?;
        let p = path.clone();
        Some(std::thread::spawn(move || {
            // Blocks until the command opens the FIFO for reading.
            if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&p) {
                let _ = f.write_all(&plaintext);
            }
        }))
    };
    let placeholdered = command.replace("{}", &path.to_string_lossy());
    let status = shell(&placeholdered).status().map_err(ExecError::Spawn);
    if let Some(w) = writer {
        if !w.is_finished() {
            // The command never read the FIFO: open it ourselves so the
            // writer thread ends, then let the directory go.
            let _ = std::fs::File::open(&path);
        }
        let _ = w.join();
    }
    drop(dir);
    status
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

#[cfg(unix)]
fn make_fifo(path: &Path) -> std::io::Result<()> {
    let status = Command::new("mkfifo")
        .arg("-m")
        .arg("600")
        .arg(path)
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other("mkfifo failed"))
    }
}

#[cfg(not(unix))]
fn make_fifo(_path: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "no FIFOs on this platform; use --no-fifo",
    ))
}
