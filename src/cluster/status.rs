//! How the API server's failures read: a `metav1.Status` body worded as
//! `kubectl` prints it (`Error from server (Conflict): …`), a connection
//! error as `unable to connect to the server …: cause` — never a Rust debug
//! dump of the client's error types. Pure and unit-tested here.

use serde_json::Value;

/// A `metav1.Status` error body as (reason, message), tolerating other bodies
/// (the first 200 characters of a non-JSON body are its message).
pub fn status_of(body: &[u8]) -> (String, String) {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => {
            let field = |k: &str| {
                v.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            (field("reason"), field("message"))
        }
        Err(_) => (
            String::new(),
            String::from_utf8_lossy(body).chars().take(200).collect(),
        ),
    }
}

/// The reason the API server gives a status code when its body names none
/// (as apimachinery's `StatusReason` values spell them).
pub fn reason_of_code(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        409 => "Conflict",
        410 => "Gone",
        413 => "RequestEntityTooLarge",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "",
    }
}

/// A server failure as kubectl prints it: `Error from server (REASON): MESSAGE`
/// (the reason derived from the code when the body gave none).
pub fn server_says(code: u16, reason: &str, message: &str) -> String {
    let reason = if reason.is_empty() {
        reason_of_code(code)
    } else {
        reason
    };
    match (reason.is_empty(), message.is_empty()) {
        (true, true) => format!("Error from server: HTTP {code}"),
        (true, false) => format!("Error from server: {message}"),
        (false, true) => format!("Error from server ({reason})"),
        (false, false) => format!("Error from server ({reason}): {message}"),
    }
}

/// The causes of a connection error, outermost first, joined with `: `,
/// leaving out the client library's own wrapper (`ServiceError: …`) and any
/// cause its outer one already spelled out.
pub fn connection_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = err.source();
    if next.is_none() {
        parts.push(err.to_string());
    }
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// A connection failure as kubectl words it, naming the server when known.
pub fn unable_to_connect(server: Option<&str>, cause: &str) -> String {
    match server {
        Some(url) => format!("unable to connect to the server at {url}: {cause}"),
        None => format!("unable to connect to the server: {cause}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_bodies_are_read_for_messages() {
        let (reason, message) = status_of(
            br#"{"kind":"Status","reason":"Conflict","message":"conflict with \"kubectl-scale\""}"#,
        );
        assert_eq!(reason, "Conflict");
        assert!(message.contains("kubectl-scale"));
        let (reason, message) = status_of(b"upstream connect error");
        assert_eq!(reason, "");
        assert_eq!(message, "upstream connect error");
    }

    #[test]
    fn server_failures_read_as_kubectl_prints_them() {
        assert_eq!(
            server_says(404, "NotFound", "secrets \"x\" not found"),
            "Error from server (NotFound): secrets \"x\" not found"
        );
        assert_eq!(
            server_says(500, "", "boom"),
            "Error from server (InternalError): boom"
        );
        assert_eq!(server_says(599, "", ""), "Error from server: HTTP 599");
    }

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);
    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as _)
        }
    }

    #[test]
    fn connection_causes_skip_the_wrapper() {
        let e = Layer(
            "ServiceError: client error (Connect)",
            Some(Box::new(Layer(
                "client error (Connect)",
                Some(Box::new(Layer("Connection refused (os error 111)", None))),
            ))),
        );
        assert_eq!(
            connection_cause(&e),
            "client error (Connect): Connection refused (os error 111)"
        );
        assert_eq!(connection_cause(&Layer("closed", None)), "closed");
        assert_eq!(
            unable_to_connect(Some("http://127.0.0.1:1"), "refused"),
            "unable to connect to the server at http://127.0.0.1:1: refused"
        );
    }
}
