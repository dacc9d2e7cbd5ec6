//! Retry policy for API requests: which failures are worth another attempt
//! (429, 5xx, connection errors), only for idempotent requests (GET, LIST,
//! server-side apply PATCH, DELETE; never POST), how long to wait between
//! attempts (exponential backoff, or the server's `Retry-After`). Pure: the
//! sending loop lives in [`super::Cluster`].

use std::time::Duration;

use http::{Method, StatusCode};

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, the first one included (1 = no retry).
    pub attempts: u32,
    /// Delay before the second attempt; doubled for each further one.
    pub base_delay: Duration,
    /// Upper bound of any one delay, `Retry-After` included.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// Whether a request may be sent again without changing its effect.
pub fn is_idempotent(method: &Method) -> bool {
    // Server-side apply (PATCH with apply-patch+yaml) converges to the same
    // state however often it is sent; DELETE of a gone object is a 404 we
    // treat as done. POST creates and is never retried.
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PATCH | Method::PUT | Method::DELETE
    )
}

/// Whether a response status is transient (worth retrying).
pub fn is_retryable_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::INTERNAL_SERVER_ERROR
        || status == StatusCode::BAD_GATEWAY
        || status == StatusCode::SERVICE_UNAVAILABLE
        || status == StatusCode::GATEWAY_TIMEOUT
}

/// Parse a `Retry-After` header value given in seconds (the form the
/// Kubernetes API server sends). HTTP dates are not used by it and yield `None`.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

impl RetryPolicy {
    /// Delay before attempt number `attempt + 1`, where `attempt` counts the
    /// attempts made so far (1 after the first failure). `retry_after` wins
    /// over the backoff when the server sent one; both are capped.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
        retry_after.unwrap_or(backoff).min(self.max_delay)
    }

    /// Whether another attempt is allowed after `attempt` attempts.
    pub fn may_retry(&self, method: &Method, attempt: u32) -> bool {
        is_idempotent(method) && attempt < self.attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_idempotent_methods_are_retried() {
        let p = RetryPolicy::default();
        assert!(p.may_retry(&Method::GET, 1));
        assert!(p.may_retry(&Method::PATCH, 1));
        assert!(p.may_retry(&Method::DELETE, 1));
        assert!(!p.may_retry(&Method::POST, 1));
        assert!(!p.may_retry(&Method::GET, p.attempts));
    }

    #[test]
    fn transient_statuses() {
        for s in [429, 500, 502, 503, 504] {
            assert!(is_retryable_status(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 409, 422] {
            assert!(
                !is_retryable_status(StatusCode::from_u16(s).unwrap()),
                "{s}"
            );
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy {
            attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        };
        assert_eq!(p.delay(1, None), Duration::from_millis(100));
        assert_eq!(p.delay(2, None), Duration::from_millis(200));
        assert_eq!(p.delay(3, None), Duration::from_millis(400));
        assert_eq!(p.delay(4, None), Duration::from_millis(500));
        assert_eq!(p.delay(40, None), Duration::from_millis(500));
    }

    #[test]
    fn retry_after_is_honoured_within_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(p.delay(1, Some(Duration::from_secs(600))), p.max_delay);
    }
}
