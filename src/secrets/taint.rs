//! Taint tracking for masking: the set of plaintext strings that left this
//! module as values for rendering ([`super::decrypt_values`]). Whatever a
//! template does with them (a ConfigMap, an env value, a label, an error
//! message), `ui::mask` finds them again in output by exact match. Owns only
//! that set; never prints, never changes values.
//!
//! What is remembered for each decrypted string of at least
//! [`MIN_MASKED_LEN`] characters: the string, its JSON-escaped form (when
//! different), its standard base64 form, and each line of a multi-line value
//! (of at least [`MIN_MASKED_LEN`] characters once trimmed). Shorter strings,
//! numbers and booleans are not masked outside Secrets, nor the strings
//! `true`, `false`, `null`, `none`, `yes`, `no`, `on`, `off`: masking those
//! everywhere would garble output without hiding anything.

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use aho_corasick::{AhoCorasick, MatchKind};

use base64::Engine as _;
use zeroize::Zeroizing;

use super::tree::{Item, Value};

/// Shortest decrypted string (in characters) that is masked wherever it appears.
pub const MIN_MASKED_LEN: usize = 4;

static KNOWN: Mutex<Vec<Zeroizing<String>>> = Mutex::new(Vec::new());
static GENERATION: AtomicUsize = AtomicUsize::new(0);
static MATCHER: Mutex<Option<(usize, AhoCorasick)>> = Mutex::new(None);

fn long_enough(s: &str) -> bool {
    s.chars().count() >= MIN_MASKED_LEN
}

/// Words that are everywhere in manifests and hide nothing when masked.
fn is_common_word(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "true" | "false" | "null" | "none" | "yes" | "no" | "on" | "off"
    )
}

/// Remember one decrypted scalar as secret.
pub(crate) fn remember(v: &Value) {
    let text = match v {
        Value::Str(s) => s.as_str(),
        Value::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) => s,
            Err(_) => return,
        },
        Value::Map(items) => {
            for i in items {
                if let Item::Entry(_, v) = i {
                    remember(v);
                }
            }
            return;
        }
        Value::Seq(vals) => {
            vals.iter().for_each(remember);
            return;
        }
        _ => return,
    };
    remember_str(text);
}

/// Remember one string (and the forms it is printed in) as secret.
pub fn remember_str(text: &str) {
    if !long_enough(text) || is_common_word(text) {
        return;
    }
    let mut forms: Vec<Zeroizing<String>> = vec![Zeroizing::new(text.to_string())];
    let json = Zeroizing::new(serde_json::to_string(text).unwrap_or_default());
    if json.len() >= 2 {
        let inner = &json[1..json.len() - 1];
        if inner != text {
            forms.push(Zeroizing::new(inner.to_string()));
        }
    }
    forms.push(Zeroizing::new(
        base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
    ));
    if text.contains('\n') {
        for line in text.lines().map(str::trim) {
            if long_enough(line) && !is_common_word(line) {
                forms.push(Zeroizing::new(line.to_string()));
            }
        }
    }
    let Ok(mut known) = KNOWN.lock() else {
        return;
    };
    for f in forms {
        if !known.iter().any(|k| **k == *f) {
            known.push(f);
        }
    }
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// A number that changes whenever the set grows (to rebuild matchers lazily).
pub fn generation() -> usize {
    GENERATION.load(Ordering::SeqCst)
}

/// The strings to mask, longest first.
pub fn known() -> Vec<Zeroizing<String>> {
    let mut out: Vec<Zeroizing<String>> = KNOWN.lock().map(|k| k.clone()).unwrap_or_default();
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

/// `text` with every exact occurrence of a remembered secret replaced by
/// `mask` (one pass, leftmost-longest). Text is returned as is when nothing
/// is remembered; when the matcher cannot be built, all of it is masked.
pub fn redact<'t>(text: &'t str, mask: &str) -> Cow<'t, str> {
    let generation = generation();
    if generation == 0 {
        return Cow::Borrowed(text);
    }
    let Ok(mut guard) = MATCHER.lock() else {
        return Cow::Owned(mask.to_string());
    };
    if guard.as_ref().is_none_or(|(g, _)| *g != generation) {
        let known = known();
        let built = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(known.iter().map(|s| s.as_bytes()));
        match built {
            Ok(ac) => *guard = Some((generation, ac)),
            // Never print what could not be checked.
            Err(_) => return Cow::Owned(mask.to_string()),
        }
    }
    let Some((_, ac)) = guard.as_ref() else {
        return Cow::Owned(mask.to_string());
    };
    if !ac.is_match(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    ac.replace_all_with(text, &mut out, |_, _, dst| {
        dst.push_str(mask);
        true
    });
    Cow::Owned(out)
}
