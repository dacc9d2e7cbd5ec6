//! Decrypt and MAC check: a document encrypted with a fixed data key, with
//! the fuzzer's bytes spliced in, either decrypts to the original (every
//! value at its key path, in order, and every comment; a plain comment may
//! be added) or is refused; arbitrary bytes as an encrypted file never panic.
#![no_main]

use berth::secrets::{fuzz_support, Format};
use libfuzzer_sys::fuzz_target;

const KEY: [u8; 32] = [7; 32];
const DOC: &str = "# top\ndb:\n    password: hunter2\n    port: 5432\nlist:\n    - a\n    - true\nmulti: |\n    two\n    lines\n";

fuzz_target!(|data: &[u8]| {
    // Arbitrary input as an encrypted file.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = fuzz_support::decrypt_with_key(Format::Yaml, text, KEY);
        let _ = fuzz_support::decrypt_with_key(Format::Json, text, KEY);
    }
    // A real encrypted file with bytes overwritten at a fuzzer-chosen place.
    if data.len() < 3 {
        return;
    }
    let Some(enc) = fuzz_support::encrypt_with_key(Format::Yaml, DOC, KEY) else {
        panic!("the fixed document must encrypt");
    };
    let Ok(original) = fuzz_support::decrypt_with_key(Format::Yaml, &enc, KEY) else {
        panic!("the fixed document must decrypt");
    };
    let mut bytes = enc.into_bytes();
    let at = (usize::from(data[0]) << 8 | usize::from(data[1])) % bytes.len();
    for (i, b) in data[2..].iter().take(4).enumerate() {
        if let Some(slot) = bytes.get_mut(at + i) {
            *slot = *b;
        }
    }
    if let Ok(text) = String::from_utf8(bytes) {
        if let Ok(plain) = fuzz_support::decrypt_with_key(Format::Yaml, &text, KEY) {
            // Same bytes, or (sops' format cannot tell list nesting apart) the
            // same values and comments at the same key paths in the same order.
            // A plain comment may appear (kept, as sops keeps them).
            if plain != original {
                assert!(
                    fuzz_support::same_values(Format::Yaml, &plain, &original),
                    "a modified file decrypted to something else:\n{plain}"
                );
            }
        }
    }
});
