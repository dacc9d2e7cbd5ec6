//! `--set` parsing (Helm's strvals syntax): any input parses or fails cleanly
//! (no panic, no stack overflow on long paths).
#![no_main]

use berth::values::{parse_set, SetKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in [SetKind::Typed, SetKind::String] {
        let _ = parse_set(text, kind);
    }
    let _ = berth::values::parse_set_path(text);
});
