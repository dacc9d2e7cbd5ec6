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
    crate::ui::one_line(&err.without_url())
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

    /// The body of `url` (at most `limit` bytes), sending `auth` as basic authentication.
    pub(crate) async fn get(
        &self,
        url: &str,
        auth: Option<&BasicAuth>,
        limit: usize,
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
        let mut resp = req.send().await.map_err(|e| fail(reason(e)))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(fail(format!("{status}")));
        }
        let too_large = || fail(format!("the response is larger than {limit} bytes"));
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| fail(reason(e)))? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read as _, Write as _};

    /// A one-shot HTTP server answering `body` with an honest or a missing Content-Length.
    fn serve_once(body: Vec<u8>, with_length: bool) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut conn, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf);
                let head = if with_length {
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                } else {
                    "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_string()
                };
                let _ = conn.write_all(head.as_bytes());
                let _ = conn.write_all(&body);
            }
        });
        format!("http://127.0.0.1:{port}/index.yaml")
    }

    #[test]
    fn a_response_over_the_limit_is_refused_with_or_without_content_length() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for with_length in [true, false] {
            let url = serve_once(vec![b'x'; 2048], with_length);
            let err = rt
                .block_on(async { Http::new().unwrap().get(&url, None, 1024).await })
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("larger than 1024 bytes") && err.contains(&url),
                "{err}"
            );
        }
        let url = serve_once(b"apiVersion: v1\n".to_vec(), true);
        let body = rt
            .block_on(async { Http::new().unwrap().get(&url, None, 1024).await })
            .unwrap();
        assert_eq!(body, b"apiVersion: v1\n");
    }
}
