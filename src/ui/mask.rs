//! The one output filter for taint-tracked masking: every exact occurrence of
//! a string that came from a SOPS file (see [`crate::secrets::taint`]) in
//! text going to the user — rendered manifests, diffs, JSON results, log
//! lines, warnings and error messages — is replaced by [`MASK`], unless the
//! command was given `--show-secrets` ([`reveal`]). Objects sent to the
//! cluster never pass through here. Owns no other policy.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::secrets::taint;

/// What a masked secret looks like in output.
pub const MASK: &str = "<masked>";

static REVEAL: AtomicBool = AtomicBool::new(false);

/// `--show-secrets`: print values from SOPS files as they are.
pub fn reveal(on: bool) {
    REVEAL.store(on, Ordering::SeqCst);
}

/// Whether `--show-secrets` is in effect.
pub fn revealed() -> bool {
    REVEAL.load(Ordering::SeqCst)
}

/// `text` with every known secret replaced by [`MASK`] (unless revealed).
pub fn mask(text: &str) -> Cow<'_, str> {
    if revealed() {
        return Cow::Borrowed(text);
    }
    mask_always(text)
}

/// `text` with every known secret replaced, whatever `--show-secrets` says
/// (for error messages, which never show secrets).
pub fn mask_always(text: &str) -> Cow<'_, str> {
    taint::redact(text, MASK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_secrets_are_masked_everywhere_and_short_ones_are_not() {
        taint::remember_str("canary-7Qx\"9");
        taint::remember_str("abc");
        let text = "a: canary-7Qx\"9\nb: \"canary-7Qx\\\"9\"\nc: abc\nd: Y2FuYXJ5LTdReCI5\n";
        let out = mask_always(text);
        assert_eq!(out, "a: <masked>\nb: \"<masked>\"\nc: abc\nd: <masked>\n");
    }
}
