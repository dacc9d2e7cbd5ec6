//! The SOPS JSON store: any bytes parse or fail cleanly, and what parses is
//! written back in a form that parses again.
#![no_main]

use berth::secrets::{fuzz_support, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = fuzz_support::store_round_trip(Format::Json, text) {
            panic!("{e}");
        }
    }
});
