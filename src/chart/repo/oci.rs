//! Charts in OCI registries (`oci://host[:port]/path`), as Helm's registry
//! client reads them: the semver tags of `path/NAME` (`_` read as `+`),
//! and a chart pulled as the `application/vnd.cncf.helm.chart.content.v1.tar+gzip`
//! layer of the tag's manifest, its digest checked. Logins come from the
//! registry `config.json` ([`super::credentials`]); plain HTTP only when asked.

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use super::credentials::Credentials;
use super::RepoError;

/// The media type of a Helm chart layer.
pub(crate) const CHART_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

/// Largest chart layer pulled (Helm refuses charts over 100 MiB unpacked).
const MAX_LAYER_BYTES: u64 = 100 << 20;

/// A registry client for one command.
pub(crate) struct Registry {
    client: Client,
}

/// `oci://host/path` + chart name → `host/path/name` (no scheme).
pub(crate) fn repository_ref(repository: &str, name: &str) -> String {
    format!(
        "{}/{}",
        repository
            .trim_start_matches("oci://")
            .trim_end_matches('/'),
        name
    )
}

/// Masterminds' `StrictNewVersion`: `MAJOR.MINOR.PATCH[-pre][+meta]`, nothing coerced.
pub(crate) fn is_strict_semver(v: &str) -> bool {
    let core_end = v.find(['-', '+']).unwrap_or(v.len());
    let parts: Vec<&str> = v[..core_end].split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
        })
        && gotemplate::semver::Version::parse(v).is_ok()
}

impl Registry {
    /// A client; `plain_http` talks HTTP instead of HTTPS (Helm's `--plain-http`).
    pub(crate) fn new(plain_http: bool) -> Result<Registry, RepoError> {
        super::http::install_crypto_provider();
        let config = ClientConfig {
            protocol: if plain_http {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            ..ClientConfig::default()
        };
        let client = Client::try_from(config).map_err(|e| RepoError::Oci {
            reference: "(registry client)".into(),
            message: e.to_string(),
        })?;
        Ok(Registry { client })
    }

    fn parse(reference: &str) -> Result<Reference, RepoError> {
        reference.parse::<Reference>().map_err(|e| RepoError::Oci {
            reference: format!("oci://{reference}"),
            message: format!("invalid OCI reference: {e}"),
        })
    }

    fn auth(reference: &Reference, creds: &Credentials) -> RegistryAuth {
        match creds.registry(reference.registry()) {
            Some(a) => RegistryAuth::Basic(a.username.clone(), a.password().to_string()),
            None => RegistryAuth::Anonymous,
        }
    }

    fn error(reference: &str, e: oci_client::errors::OciDistributionError) -> RepoError {
        RepoError::Oci {
            reference: format!("oci://{reference}"),
            message: e.to_string(),
        }
    }

    /// The chart versions tagged in `host/path/name`, highest first.
    pub(crate) async fn tags(
        &self,
        repo_ref: &str,
        creds: &Credentials,
    ) -> Result<Vec<String>, RepoError> {
        let reference = Registry::parse(repo_ref)?;
        let auth = Registry::auth(&reference, creds);
        let resp = self
            .client
            .list_tags(&reference, &auth, None, None)
            .await
            .map_err(|e| Registry::error(repo_ref, e))?;
        let mut versions: Vec<(gotemplate::semver::Version, String)> = resp
            .tags
            .iter()
            .map(|t| t.replace('_', "+"))
            .filter(|t| is_strict_semver(t))
            .filter_map(|t| gotemplate::semver::Version::parse(&t).ok().map(|v| (v, t)))
            .collect();
        versions.sort_by(|a, b| b.0.compare(&a.0));
        Ok(versions.into_iter().map(|(_, t)| t).collect())
    }

    /// The chart archive tagged `version` in `host/path/name`.
    pub(crate) async fn pull(
        &self,
        repo_ref: &str,
        version: &str,
        creds: &Credentials,
    ) -> Result<Vec<u8>, RepoError> {
        let tagged = format!("{repo_ref}:{}", version.replace('+', "_"));
        let reference = Registry::parse(&tagged)?;
        let auth = Registry::auth(&reference, creds);
        let (manifest, _) = self
            .client
            .pull_image_manifest(&reference, &auth)
            .await
            .map_err(|e| Registry::error(&tagged, e))?;
        let layer = manifest
            .layers
            .iter()
            .find(|l| l.media_type == CHART_LAYER)
            .ok_or_else(|| RepoError::Oci {
                reference: format!("oci://{tagged}"),
                message: format!("the manifest has no {CHART_LAYER} layer: not a Helm chart"),
            })?;
        if layer.size < 0 || layer.size as u64 > MAX_LAYER_BYTES {
            return Err(RepoError::Oci {
                reference: format!("oci://{tagged}"),
                message: format!(
                    "the chart layer is {} bytes, more than {MAX_LAYER_BYTES}",
                    layer.size
                ),
            });
        }
        let mut out: Vec<u8> = Vec::new();
        self.client
            .pull_blob(&reference, layer, &mut out)
            .await
            .map_err(|e| Registry::error(&tagged, e))?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_strict_semver_tags_are_chart_versions() {
        assert!(is_strict_semver("1.2.3"));
        assert!(is_strict_semver("1.2.3-rc.1+b"));
        assert!(!is_strict_semver("v1.2.3"));
        assert!(!is_strict_semver("1.2"));
        assert!(!is_strict_semver("latest"));
        assert!(!is_strict_semver("01.2.3"));
    }
}
