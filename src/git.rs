//! The git facts of the workspace repository (via `git2`): sha, short sha, exact
//! tag at HEAD, branch and dirty state. Templates see them as `git.*`; revision
//! records store them. No repository is not an error: every field is empty.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Git facts of a workspace. Empty strings and `dirty: false` when there is no repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GitInfo {
    pub sha: String,
    pub short_sha: String,
    pub tag: String,
    pub branch: String,
    pub dirty: bool,
    /// Paths with uncommitted changes (not shown to templates).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dirty_paths: Vec<PathBuf>,
}

/// Errors reading the repository (a repository that exists but cannot be read).
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot read git repository at {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: git2::Error,
    },
}

impl GitInfo {
    /// Read the facts of the repository containing `dir`. No repository → empty facts.
    pub fn discover(dir: &Path) -> Result<GitInfo, GitError> {
        let repo = match git2::Repository::discover(dir) {
            Ok(repo) => repo,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(GitInfo::default()),
            Err(source) => {
                return Err(GitError::Read {
                    path: dir.to_path_buf(),
                    source,
                })
            }
        };
        let read = |source| GitError::Read {
            path: dir.to_path_buf(),
            source,
        };
        let head = match repo.head() {
            Ok(head) => head,
            // A repository with no commit yet: nothing to report but dirtiness.
            Err(e)
                if e.code() == git2::ErrorCode::UnbornBranch
                    || e.code() == git2::ErrorCode::NotFound =>
            {
                return Ok(GitInfo::default())
            }
            Err(e) => return Err(read(e)),
        };
        let commit = head.peel_to_commit().map_err(read)?;
        let sha = commit.id().to_string();
        let short_sha = sha.chars().take(7).collect();
        let branch = if head.is_branch() {
            head.shorthand().unwrap_or_default().to_string()
        } else {
            String::new()
        };
        let tag = exact_tag(&repo, commit.id()).map_err(read)?;
        let dirty_paths = dirty_paths(&repo).map_err(read)?;
        Ok(GitInfo {
            sha,
            short_sha,
            tag,
            branch,
            dirty: !dirty_paths.is_empty(),
            dirty_paths,
        })
    }
}

/// The tag pointing exactly at `commit` (lightweight or annotated); the
/// alphabetically last one when several do, empty when none.
fn exact_tag(repo: &git2::Repository, commit: git2::Oid) -> Result<String, git2::Error> {
    let mut found = Vec::new();
    repo.tag_foreach(|oid, name| {
        let points_here = repo
            .find_object(oid, None)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id() == commit)
            .unwrap_or(false);
        if points_here {
            let name = String::from_utf8_lossy(name);
            found.push(name.trim_start_matches("refs/tags/").to_string());
        }
        true
    })?;
    found.sort();
    Ok(found.pop().unwrap_or_default())
}

/// Paths that differ from HEAD (modified, added, deleted, untracked; ignored excluded).
fn dirty_paths(repo: &git2::Repository) -> Result<Vec<PathBuf>, git2::Error> {
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let statuses = repo.statuses(Some(&mut opts))?;
    Ok(statuses
        .iter()
        .filter(|s| s.status() != git2::Status::CURRENT)
        .filter_map(|s| s.path().ok().map(PathBuf::from))
        .collect())
}
