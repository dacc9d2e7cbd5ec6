//! Which kubeconfig and context to use, resolved as kubectl resolves them:
//! `--kubeconfig FILE`, else `KUBECONFIG` (a path list, merged), else
//! `~/.kube/config`; `--context NAME`, else the file's current context.

use std::path::{Path, PathBuf};

use kube::config::Kubeconfig;

use super::ClusterError;

/// Where to find the cluster, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `--kubeconfig`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`.
    pub context: Option<String>,
}

/// The kubeconfig berth will use, and the context it selects.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The merged kubeconfig.
    pub config: Kubeconfig,
    /// The selected context name.
    pub context: String,
    /// Where it was read from (for messages).
    pub source: String,
}

/// The default kubeconfig path: `$HOME/.kube/config`.
fn default_path() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| Path::new(&h).join(".kube").join("config"))
}

/// Read the kubeconfig and select the context.
pub fn resolve(opts: &ConnectOptions) -> Result<Resolved, ClusterError> {
    let (config, source) = if let Some(path) = &opts.kubeconfig {
        if !path.is_file() {
            return Err(ClusterError::NoCluster {
                looked: format!("--kubeconfig {} (no such file)", path.display()),
            });
        }
        let config = Kubeconfig::read_from(path).map_err(|source| ClusterError::Kubeconfig {
            path: path.display().to_string(),
            source,
        })?;
        (config, path.display().to_string())
    } else if let Some(list) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        let paths: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| p.is_file())
            .collect();
        if paths.is_empty() {
            return Err(ClusterError::NoCluster {
                looked: format!("KUBECONFIG={} (no such file)", list.to_string_lossy()),
            });
        }
        let mut merged: Option<Kubeconfig> = None;
        for p in &paths {
            let c = Kubeconfig::read_from(p).map_err(|source| ClusterError::Kubeconfig {
                path: p.display().to_string(),
                source,
            })?;
            merged = Some(match merged {
                None => c,
                Some(m) => m.merge(c).map_err(|source| ClusterError::Kubeconfig {
                    path: p.display().to_string(),
                    source,
                })?,
            });
        }
        let config = merged.ok_or_else(|| ClusterError::NoCluster {
            looked: "KUBECONFIG".into(),
        })?;
        (config, format!("KUBECONFIG={}", list.to_string_lossy()))
    } else {
        let Some(path) = default_path().filter(|p| p.is_file()) else {
            return Err(ClusterError::NoCluster {
                looked: "--kubeconfig (not given), KUBECONFIG (not set), ~/.kube/config (missing)"
                    .into(),
            });
        };
        let config = Kubeconfig::read_from(&path).map_err(|source| ClusterError::Kubeconfig {
            path: path.display().to_string(),
            source,
        })?;
        (config, path.display().to_string())
    };
    let context = match opts
        .context
        .clone()
        .or_else(|| config.current_context.clone())
    {
        Some(c) if !c.is_empty() => c,
        _ => {
            return Err(ClusterError::NoContext { source_: source });
        }
    };
    if !config.contexts.iter().any(|c| c.name == context) {
        return Err(ClusterError::UnknownContext {
            context,
            source_: source,
        });
    }
    Ok(Resolved {
        config,
        context,
        source,
    })
}
