//! Chart dependencies fetched from where `Chart.yaml` says they live: Helm
//! HTTP chart repositories (`index.yaml`), OCI registries (`oci://`) and
//! local directories (`file://`). Owns `berth dependency list|update|build`:
//! resolving version ranges as Helm does (Masterminds/semver), `Chart.lock`
//! written byte for byte as Helm writes it, archives vendored into `charts/`
//! all-or-nothing, and the credentials of Helm's usual configuration files.
//!
//! It reads chart directories and archives only as far as dependencies need
//! (`Chart.yaml` name, version and `dependencies`); rendering subcharts is
//! `chart::helm`'s, which this module must not touch. No credential leaves
//! this module in an error or a message.

mod archive;
mod chartfile;
pub mod credentials;
mod http;
pub mod index;
mod list;
pub mod lock;
pub mod manager;
mod oci;

pub use chartfile::{ChartFile, Dependency};
pub use list::{format_table, list, ListRow};
pub use lock::Lock;
pub use manager::{build, update, Options, Report};

/// Errors of resolving, fetching and vendoring dependencies. Each names the
/// file, repository URL or dependency it is about, never a credential.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A file or directory could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// `Chart.yaml`, `Chart.lock` or a configuration file is not what Helm reads.
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    /// A dependency's `version` is not a Masterminds constraint.
    #[error("dependency {name:?} has an invalid version/constraint format: {message}")]
    Constraint { name: String, message: String },
    /// A `file://` (or `charts/`) dependency's directory does not exist.
    #[error("directory {path} not found")]
    LocalPath { path: String },
    /// No version satisfies a constraint (Helm's text, every dependency listed).
    #[error("can't get a valid version for {count} subchart(s): {list}. Make sure a matching chart version exists in the repo, or change the version constraint in Chart.yaml")]
    NoMatch { count: usize, list: String },
    /// No tag of an OCI repository satisfies the constraint (Helm's text:
    /// Helm finds this out when it downloads, not when it resolves).
    #[error("could not download {reference}: could not locate a version matching provided version string {version}")]
    OciNoMatch { reference: String, version: String },
    /// The repository index has no entry of that name.
    #[error("{name} chart not found in repo {url}")]
    NotInIndex { name: String, url: String },
    /// The locked version is not (or no longer) in the index.
    #[error("chart {name} version {version} not found in {url}: no matching version")]
    VersionGone {
        name: String,
        version: String,
        url: String,
    },
    /// `Chart.lock` does not belong to `Chart.yaml`'s dependencies.
    #[error("the lock file (Chart.lock) is out of sync with the dependencies file (Chart.yaml). Please update the dependencies with 'helm dependency update'")]
    OutOfSync,
    /// `@name` / `alias:name` names no repository of `repositories.yaml`.
    #[error("no repository definition for {names}. Please add them via 'helm repo add'")]
    NoRepository { names: String },
    /// A repository or registry could not be reached or answered an error.
    #[error("cannot fetch {url}: {reason}")]
    Fetch { url: String, reason: String },
    /// A repository index is not a Helm index.
    #[error("{url}: not a chart repository index: {message}")]
    Index { url: String, message: String },
    /// A downloaded archive is not the one the index describes.
    #[error(
        "{url}: digest mismatch: the repository index says {expected}, the archive is {actual}"
    )]
    Digest {
        url: String,
        expected: String,
        actual: String,
    },
    /// An OCI registry refused or did not understand a request.
    #[error("{reference}: {message}")]
    Oci { reference: String, message: String },
    /// A file is not a chart archive, or not the chart it should be.
    #[error("{path}: {message}")]
    Archive { path: String, message: String },
    /// A vendored chart is not the version the lock or the constraint says.
    #[error("dependency {name} at version {version} does not satisfy the constraint {constraint}")]
    Unsatisfied {
        name: String,
        version: String,
        constraint: String,
    },
}

/// `u` without any `user:password@` part, for messages.
pub(crate) fn display_url(u: &str) -> String {
    match reqwest::Url::parse(u) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        _ => u.to_string(),
    }
}
