//! Any text as a JWS in any serialization: an error or a parsed JWS, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = tessera_jose::jws::Jws::parse(text, 1 << 20);
        let _ = tessera_jose::json::check(data, 32);
    }
});
