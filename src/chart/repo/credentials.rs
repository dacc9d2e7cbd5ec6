//! Credentials from Helm's usual places: `repositories.yaml`
//! (`HELM_REPOSITORY_CONFIG`, default `$HELM_CONFIG_HOME` or
//! `$XDG_CONFIG_HOME/helm` or `~/.config/helm`) for HTTP repositories, and the
//! registry `config.json` (`HELM_REGISTRY_CONFIG`, default
//! `…/helm/registry/config.json`, Docker's `auths` format) for OCI
//! registries. Passwords stay in [`SecretString`]s: no `Debug`, no
//! `Display`, never in an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;

use super::RepoError;

/// A user name and password for HTTP basic authentication.
#[derive(Clone)]
pub struct BasicAuth {
    /// The user name (not secret; may appear in messages).
    pub username: String,
    password: SecretString,
}

impl BasicAuth {
    /// A user name and password.
    pub fn new(username: String, password: String) -> BasicAuth {
        BasicAuth {
            username,
            password: SecretString::from(password),
        }
    }

    /// The password, for the one place that sends it.
    pub(crate) fn password(&self) -> &str {
        self.password.expose_secret()
    }
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BasicAuth({}, <redacted>)", self.username)
    }
}

/// One `repositories.yaml` entry.
#[derive(Debug, Clone)]
pub struct RepoEntry {
    /// The name `helm repo add` gave it (`@name` in `Chart.yaml`).
    pub name: String,
    /// The repository URL.
    pub url: String,
    /// Credentials, when the entry has a user name.
    pub auth: Option<BasicAuth>,
    /// `pass_credentials_all`: send the credentials to archive URLs on other hosts too.
    pub pass_credentials_all: bool,
}

/// Everything read from Helm's configuration files (missing files are empty).
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    repositories: Vec<RepoEntry>,
    registries: BTreeMap<String, BasicAuth>,
}

/// Helm's configuration home: `HELM_CONFIG_HOME`, `$XDG_CONFIG_HOME/helm`, `~/.config/helm`.
fn config_home() -> PathBuf {
    if let Some(p) = std::env::var_os("HELM_CONFIG_HOME").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("XDG_CONFIG_HOME").filter(|p| !p.is_empty()) {
        return PathBuf::from(p).join("helm");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".config").join("helm")
}

fn env_path(var: &str, default: impl FnOnce() -> PathBuf) -> PathBuf {
    std::env::var_os(var)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(default)
}

impl Credentials {
    /// Read the files Helm reads, as the environment names them.
    pub fn load() -> Result<Credentials, RepoError> {
        let repos = env_path("HELM_REPOSITORY_CONFIG", || {
            config_home().join("repositories.yaml")
        });
        let registry = env_path("HELM_REGISTRY_CONFIG", || {
            config_home().join("registry").join("config.json")
        });
        Credentials::from_files(&repos, &registry)
    }

    /// Read a `repositories.yaml` and a registry `config.json` (either may be missing).
    pub fn from_files(repositories: &Path, registry: &Path) -> Result<Credentials, RepoError> {
        Ok(Credentials {
            repositories: match read_optional(repositories)? {
                Some(text) => parse_repositories(&text, &repositories.display().to_string())?,
                None => Vec::new(),
            },
            registries: match read_optional(registry)? {
                Some(text) => parse_registry_config(&text, &registry.display().to_string())?,
                None => BTreeMap::new(),
            },
        })
    }

    /// The entry `helm repo add` named `name`.
    pub fn repo_by_name(&self, name: &str) -> Option<&RepoEntry> {
        self.repositories.iter().find(|r| r.name == name)
    }

    /// The entry whose URL equals `url` (Helm's `urlutil.Equal`: a trailing slash does not count).
    pub fn repo_for_url(&self, url: &str) -> Option<&RepoEntry> {
        self.repositories.iter().find(|r| urls_equal(&r.url, url))
    }

    /// The login stored for registry `host` (`host[:port]`).
    pub fn registry(&self, host: &str) -> Option<&BasicAuth> {
        self.registries.get(host).or_else(|| {
            self.registries
                .iter()
                .find(|(k, _)| registry_host(k) == host)
                .map(|(_, v)| v)
        })
    }
}

/// Helm's `urlutil.Equal`, as far as repository URLs go.
pub fn urls_equal(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// `https://host:port/x` → `host:port`; `host:port` stays.
fn registry_host(key: &str) -> &str {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    k.split('/').next().unwrap_or(k)
}

fn read_optional(path: &Path) -> Result<Option<String>, RepoError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(RepoError::Read {
            path: path.display().to_string(),
            source,
        }),
    }
}

fn parse_repositories(text: &str, shown: &str) -> Result<Vec<RepoEntry>, RepoError> {
    // The message of a parse error may quote the line: never pass it on.
    let doc = goenc::yaml::from_str(text).map_err(|_| RepoError::Invalid {
        path: shown.to_string(),
        message: "not a valid repositories file (YAML)".into(),
    })?;
    let mut out = Vec::new();
    if let Some(Value::Array(items)) = doc.get("repositories") {
        for item in items {
            let s = |k: &str| {
                item.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let username = s("username");
            let password = s("password");
            out.push(RepoEntry {
                name: s("name"),
                url: s("url"),
                auth: (!username.is_empty() || !password.is_empty())
                    .then(|| BasicAuth::new(username, password)),
                pass_credentials_all: item
                    .get("pass_credentials_all")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            });
        }
    }
    Ok(out)
}

fn parse_registry_config(
    text: &str,
    shown: &str,
) -> Result<BTreeMap<String, BasicAuth>, RepoError> {
    let invalid = |message: String| RepoError::Invalid {
        path: shown.to_string(),
        message,
    };
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        invalid(format!(
            "not a registry configuration (JSON) at line {}",
            e.line()
        ))
    })?;
    let mut out = BTreeMap::new();
    if let Some(Value::Object(auths)) = doc.get("auths") {
        for (host, entry) in auths {
            let s = |k: &str| {
                entry
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let (user, pass) = if !s("auth").is_empty() {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(s("auth").trim())
                    .map_err(|_| invalid(format!("auths.{host}.auth: not base64")))?;
                let pair = String::from_utf8(raw)
                    .map_err(|_| invalid(format!("auths.{host}.auth: not UTF-8")))?;
                let Some((u, p)) = pair.split_once(':') else {
                    return Err(invalid(format!("auths.{host}.auth: not user:password")));
                };
                (u.to_string(), p.to_string())
            } else {
                (s("username"), s("password"))
            };
            if !user.is_empty() || !pass.is_empty() {
                out.insert(host.clone(), BasicAuth::new(user, pass));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_logins_are_found_by_host_and_never_debug_printed() {
        let auth = base64::engine::general_purpose::STANDARD.encode("u:canary-pw");
        let text = format!(r#"{{"auths":{{"https://reg.test:5000":{{"auth":"{auth}"}}}}}}"#);
        let regs = parse_registry_config(&text, "config.json").unwrap();
        let creds = Credentials {
            repositories: Vec::new(),
            registries: regs,
        };
        let found = creds.registry("reg.test:5000").unwrap();
        assert_eq!(
            (found.username.as_str(), found.password()),
            ("u", "canary-pw")
        );
        assert!(!format!("{creds:?}").contains("canary-pw"));
    }

    #[test]
    fn a_broken_repositories_file_is_named_without_its_content() {
        let err = parse_repositories("repositories: [ {password: canary-pw", "repositories.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("repositories.yaml") && !err.contains("canary"),
            "{err}"
        );
    }
}
