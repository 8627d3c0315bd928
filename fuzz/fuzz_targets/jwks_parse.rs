//! Any text as a JWK Set, leniently and strictly, then as a verifier's key source: errors or
//! values, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = tessera_jose::JwkSet::from_json_strict(text);
    if let Ok(set) = tessera_jose::JwkSet::from_json(text) {
        let _ = set.to_public().to_json();
        let _ = tessera_jose::jwt::Verifier::builder(set).algorithms_from_keys().build();
    }
});
