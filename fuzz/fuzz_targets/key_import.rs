//! Any bytes as a key (JWK, JWK Set, PEM or DER): an error or a key, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tessera_jose::Jwk::import(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = tessera_jose::JwkSet::from_json(text);
    }
});
