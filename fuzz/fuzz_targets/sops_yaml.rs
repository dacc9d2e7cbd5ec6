//! The SOPS YAML store: any bytes parse or fail cleanly (no panic, no stack
//! overflow, bounded alias expansion), and what parses is written back in a
//! form that parses again.
#![no_main]

use berth::secrets::{fuzz_support, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = fuzz_support::store_round_trip(Format::Yaml, text) {
            panic!("{e}");
        }
    }
});
