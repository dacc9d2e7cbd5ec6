//! The one place plaintext touches disk: the private temp file of
//! `secrets edit`, in a 0700 directory, 0600, overwritten and removed when
//! the guard drops (every exit path that unwinds, Ctrl-C included, since the
//! edit action turns SIGINT into a flag).

use std::io::Write;
use std::path::{Path, PathBuf};

/// A private temp file holding plaintext; wiped and removed on drop.
pub struct PrivateFile {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl PrivateFile {
    /// Create `NAME` (e.g. `secrets.yaml`) in a fresh 0700 dir, 0600, with `contents`.
    pub fn create(name: &str, contents: &str) -> std::io::Result<PrivateFile> {
        let dir = tempfile::Builder::new().prefix("berth-edit-").tempdir()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))?;
        }
        let path = dir.path().join(name);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&path)?;
        f.write_all(contents.as_bytes())?;
        f.sync_all()?;
        Ok(PrivateFile {
            dir: Some(dir),
            path,
        })
    }

    /// The file's path (to hand to the editor).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read the edited text.
    pub fn read(&self) -> std::io::Result<zeroize::Zeroizing<String>> {
        std::fs::read_to_string(&self.path).map(zeroize::Zeroizing::new)
    }

    /// Replace the contents (to reopen the editor with the user's text).
    pub fn write(&self, contents: &str) -> std::io::Result<()> {
        std::fs::write(&self.path, contents)
    }
}

impl Drop for PrivateFile {
    fn drop(&mut self) {
        if let Ok(meta) = std::fs::metadata(&self.path) {
            if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&self.path) {
                let zeros = vec![0u8; meta.len() as usize];
                let _ = f.write_all(&zeros);
                let _ = f.sync_all();
            }
        }
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}
