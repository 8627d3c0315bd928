//! What the command line decides from raw input: any bytes as a key file (JWK Set detection,
//! then a JWK Set or one JWK, PEM or DER, as `tessera` reads `--key`), and any text as a pasted
//! token (trimming, `Bearer`/`DPoP` prefixes), then decoded. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/cli/src/detect.rs"]
mod detect;

fuzz_target!(|data: &[u8]| {
    if detect::is_key_set(data) {
        if let Ok(text) = std::str::from_utf8(data) {
            let _ = tessera_jose::JwkSet::from_json(text);
        }
    } else {
        let _ = tessera_jose::Jwk::import(data);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let pasted = tessera_jose::inspect::pasted_token(text);
        let _ = pasted.findings();
        let token = pasted.token;
        let _ = tessera_jose::dangerous::decode_unverified(&token);
        let _ = tessera_jose::dangerous::peek_header_unverified(&token);
    }
});
