//! Any input to the JWT verifier: an error or a verified token, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tessera_jose::jwt::Verifier;
use tessera_jose::{Jwk, JwkSet, JwsAlg};

/// Two verifiers: a key source never mixes a shared secret with public keys.
fn verifiers() -> &'static [Verifier; 2] {
    static V: OnceLock<[Verifier; 2]> = OnceLock::new();
    V.get_or_init(|| {
        let build = |algs: &[JwsAlg]| {
            let keys: JwkSet = algs
                .iter()
                .map(|a| Jwk::generate(*a).expect("key generation"))
                .collect();
            Verifier::builder(keys)
                .algorithms_from_keys()
                .skip_audience_check()
                .build()
                .expect("verifier")
        };
        [build(&[JwsAlg::HS256]), build(&[JwsAlg::ES256, JwsAlg::EdDSA])]
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for v in verifiers() {
            let _ = v.verify::<serde_json::Value>(text);
        }
        let _ = tessera_jose::dangerous::decode_unverified(text);
    }
});
