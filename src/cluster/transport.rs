//! Sending one request to the API server with the [`RetryPolicy`]: transient
//! failures (429, 5xx, a lost connection or answer) are sent again after the
//! backoff or the server's `Retry-After`. Which requests may be replayed is
//! the caller's to say ([`Replay`]): by method for objects, every write for
//! the release records, whose compare-and-swap makes a replayed write safe.
//! Failures come back worded as kubectl prints them ([`super::status`]).

use http::StatusCode;

use super::request::clone_request;
use super::retry::{self, RetryPolicy};
use super::status::{connection_cause, status_of};
use super::ClusterError;

/// Which requests are sent again after a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Idempotent methods only (GET, PATCH, PUT, DELETE; never POST).
    ByMethod,
    /// Every request, POST included: the caller reads a 409 answering a
    /// replay (`attempts > 1`) as "maybe my own earlier attempt" and checks.
    Writes,
}

/// A server answer: status, body bytes, and how many attempts it took.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
    pub attempts: u32,
}

/// `METHOD /path` of a request, without query (never a body).
pub fn describe(req: &http::Request<Vec<u8>>) -> String {
    format!("{} {}", req.method(), req.uri().path())
}

/// Send `req` through `client`, retrying transient failures as `replay` and
/// `policy` allow. `server` (the API server URL, when known) names the server
/// in connection errors. Non-transient answers (any status) are returned as
/// they are; a transient one still failing at the last attempt is
/// [`ClusterError::Exhausted`] (or returned as is when it was never retried).
pub async fn send(
    client: &kube::Client,
    server: Option<&str>,
    policy: &RetryPolicy,
    replay: Replay,
    req: http::Request<Vec<u8>>,
) -> Result<Answer, ClusterError> {
    let what = describe(&req);
    let may_retry = |attempt: u32| match replay {
        Replay::ByMethod => policy.may_retry(req.method(), attempt),
        Replay::Writes => attempt < policy.attempts,
    };
    let connection = |attempt: u32, cause: String| {
        if attempt > 1 {
            ClusterError::Exhausted {
                what: what.clone(),
                attempts: attempt,
                last: super::status::unable_to_connect(server, &cause),
            }
        } else {
            ClusterError::Connection {
                what: what.clone(),
                server: server.map(str::to_string),
                cause,
            }
        }
    };
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let sent = client
            .send(clone_request(&req).map(kube::client::Body::from))
            .await;
        let resp = match sent {
            Ok(resp) => resp,
            Err(source) => {
                if may_retry(attempt) {
                    tokio::time::sleep(policy.delay(attempt, None)).await;
                    continue;
                }
                return Err(connection(attempt, connection_cause(&source)));
            }
        };
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(retry::parse_retry_after);
        let body = match resp.into_body().collect_bytes().await {
            Ok(b) => b.to_vec(),
            Err(source) => {
                if may_retry(attempt) {
                    tokio::time::sleep(policy.delay(attempt, None)).await;
                    continue;
                }
                return Err(connection(attempt, connection_cause(&source)));
            }
        };
        if retry::is_retryable_status(status) {
            if may_retry(attempt) {
                tokio::time::sleep(policy.delay(attempt, retry_after)).await;
                continue;
            }
            if attempt > 1 {
                let (reason, message) = status_of(&body);
                return Err(ClusterError::Exhausted {
                    what,
                    attempts: attempt,
                    last: format!(
                        "{} (HTTP {})",
                        super::status::server_says(status.as_u16(), &reason, &message),
                        status.as_u16()
                    ),
                });
            }
        }
        return Ok(Answer {
            status,
            body,
            attempts: attempt,
        });
    }
}
