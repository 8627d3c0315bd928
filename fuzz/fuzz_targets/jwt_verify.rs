//! Any input to the JWT verifier: an error or a verified token, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tessera_jose::jwt::Verifier;
use tessera_jose::{Jwk, JwkSet, JwsAlg};

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        let keys: JwkSet = [JwsAlg::HS256, JwsAlg::ES256, JwsAlg::EdDSA]
            .into_iter()
            .map(|a| Jwk::generate(a).expect("key generation"))
            .collect();
        Verifier::builder(keys)
            .algorithms_from_keys()
            .skip_audience_check()
            .build()
            .expect("verifier")
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = verifier().verify::<serde_json::Value>(text);
        let _ = tessera_jose::dangerous::decode_unverified(text);
    }
});
