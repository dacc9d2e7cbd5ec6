//! HTTP GETs of repository indexes and chart archives (reqwest over rustls
//! with the `ring` provider the rest of berth uses). Errors name the URL
//! without its user-info and never carry a credential.

use std::time::Duration;

use super::credentials::BasicAuth;
use super::{display_url, RepoError};

/// A client for chart repositories.
pub(crate) struct Http {
    client: reqwest::Client,
}

/// The process's rustls provider: `ring`, as for the cluster client.
pub(crate) fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The reason of a reqwest error, its URL left out, with its causes.
pub(crate) fn reason(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut out = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

impl Http {
    /// A client with Helm-like timeouts.
    pub(crate) fn new() -> Result<Http, RepoError> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            .timeout(Duration::from_secs(300))
            .user_agent(concat!("berth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RepoError::Fetch {
                url: "(client)".into(),
                reason: reason(e),
            })?;
        Ok(Http { client })
    }

    /// The body of `url`, sending `auth` as basic authentication.
    pub(crate) async fn get(
        &self,
        url: &str,
        auth: Option<&BasicAuth>,
    ) -> Result<Vec<u8>, RepoError> {
        let shown = display_url(url);
        let fail = |reason: String| RepoError::Fetch {
            url: shown.clone(),
            reason,
        };
        let mut req = self.client.get(url);
        if let Some(a) = auth {
            req = req.basic_auth(&a.username, Some(a.password()));
        }
        let resp = req.send().await.map_err(|e| fail(reason(e)))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(fail(format!("{status}")));
        }
        let body = resp.bytes().await.map_err(|e| fail(reason(e)))?;
        Ok(body.to_vec())
    }
}
