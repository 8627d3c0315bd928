//! Any payload bytes, correctly signed, through the JWT verifier: the claims path (duplicate and
//! depth scan, registered claims, checks, deserialization) must error or verify, never panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tessera_jose::jws::Signer;
use tessera_jose::jwt::{FixedClock, Verifier};
use tessera_jose::{Jwk, JwkSet, JwsAlg, b64};

fn setup() -> &'static (Signer, Verifier) {
    static S: OnceLock<(Signer, Verifier)> = OnceLock::new();
    S.get_or_init(|| {
        let key = Jwk::generate(JwsAlg::HS256).expect("key generation");
        let signer = Signer::new(&key, JwsAlg::HS256).expect("signer");
        let verifier = Verifier::builder(JwkSet::from(key))
            .algorithms([JwsAlg::HS256])
            .issuer("i")
            .audience("a")
            .require("jti")
            .max_age(std::time::Duration::from_secs(60))
            .clock(FixedClock(1_000_000))
            .build()
            .expect("verifier");
        (signer, verifier)
    })
}

fuzz_target!(|data: &[u8]| {
    let (signer, verifier) = setup();
    let mut token = b64::encode(r#"{"alg":"HS256"}"#);
    token.push('.');
    token.push_str(&b64::encode(data));
    let sig = signer.sign(token.as_bytes()).expect("sign");
    token.push('.');
    token.push_str(&b64::encode(sig));
    let _ = verifier.verify::<serde_json::Value>(&token);
});
