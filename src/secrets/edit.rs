//! The one place plaintext touches disk: the private temp file of
//! `secrets edit`, in a 0700 directory `$TMPDIR/berth-edit-<pid>-*`, 0600,
//! overwritten and removed when the guard drops (every exit path that
//! unwinds, Ctrl-C included, since the edit action turns SIGINT into a flag).
//! A session killed outright (SIGKILL) cannot clean up: the next edit removes
//! such directories ([`clean_stale`]) — only directories of processes that
//! are gone, owned by this user, mode 0700.

use std::io::Write;
use std::path::{Path, PathBuf};

const PREFIX: &str = "berth-edit-";

/// Remove the private directories that edit sessions killed outright left in
/// `tmp`: named `berth-edit-<pid>-…` for a process that no longer exists
/// (checked in `/proc`; nothing is removed where `/proc` is absent), a real
/// directory (not a symlink) of mode 0700 owned by the same user as `mine`
/// (a directory this process just created). Files are overwritten with zeros
/// before removal. Returns the directories removed.
pub fn clean_stale(tmp: &Path, mine: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        if !Path::new("/proc/self").exists() {
            return removed;
        }
        let Ok(me) = std::fs::metadata(mine) else {
            return removed;
        };
        let Ok(entries) = std::fs::read_dir(tmp) else {
            return removed;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
                continue;
            };
            let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
                continue;
            };
            if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
                continue;
            }
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if !meta.is_dir()
                || meta.uid() != me.uid()
                || meta.permissions().mode() & 0o777 != 0o700
            {
                continue;
            }
            if let Ok(files) = std::fs::read_dir(&path) {
                for f in files.flatten() {
                    wipe(&f.path());
                }
            }
            if std::fs::remove_dir_all(&path).is_ok() {
                removed.push(path);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (tmp, mine);
    removed
}

/// Overwrite a regular file (never through a symlink) with zeros.
fn wipe(path: &Path) {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.is_file() {
            if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(path) {
                let zeros = vec![0u8; meta.len() as usize];
                let _ = f.write_all(&zeros);
                let _ = f.sync_all();
            }
        }
    }
}

/// A private temp file holding plaintext; wiped and removed on drop.
pub struct PrivateFile {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl PrivateFile {
    /// Create `NAME` (e.g. `secrets.yaml`) in a fresh 0700 dir, 0600, with `contents`.
    pub fn create(name: &str, contents: &str) -> std::io::Result<PrivateFile> {
        let prefix = format!("{PREFIX}{}-", std::process::id());
        let dir = tempfile::Builder::new().prefix(&prefix).tempdir()?;
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

    /// The private directory holding the file.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_ref().map(|d| d.path())
    }

    /// Keep the file (and its directory) instead of removing it on drop: the
    /// last resort when the user's edit could be saved nowhere else.
    pub fn keep(mut self) -> PathBuf {
        if let Some(dir) = self.dir.take() {
            let _ = dir.keep();
        }
        self.path.clone()
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
        // Kept on purpose (`keep`): the user was told where it is.
        let Some(dir) = self.dir.take() else {
            return;
        };
        wipe(&self.path);
        let _ = dir.close();
    }
}
