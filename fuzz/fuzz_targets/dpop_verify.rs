//! Any text as a DPoP proof for a fixed request: an error or a checked proof, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_jose::dpop::{ProofVerifier, Request};
use tessera_jose::jwt::FixedClock;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let verifier = ProofVerifier::builder()
        .clock(FixedClock(1_562_262_616))
        .build()
        .expect("the default DPoP configuration is valid");
    let req = Request::new("POST", "https://server.example.com/token").access_token("t");
    let _ = verifier.verify(text, &req);
    let _ = tessera_jose::dpop::normalize_uri(text);
});
