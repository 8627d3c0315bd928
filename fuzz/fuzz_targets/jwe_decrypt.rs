//! Any text as a JWE in any serialization, against a decrypter holding keys for every family
//! (with RSA1_5 and PBES2 enabled, PBES2 capped low): an error or a plaintext, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tessera_jose::jwe::Decrypter;
use tessera_jose::{Jwk, JweAlg, JwkSet, JwsAlg};

fn decrypter() -> &'static Decrypter {
    static D: OnceLock<Decrypter> = OnceLock::new();
    D.get_or_init(|| {
        let keys: JwkSet = vec![
            Jwk::generate_jwe(JweAlg::A128KW).unwrap().with_kid("kw"),
            Jwk::generate_jwe(JweAlg::A256GCMKW).unwrap().with_kid("gcmkw"),
            Jwk::generate_jwe(JweAlg::Dir).unwrap().with_kid("dir"),
            Jwk::generate(JwsAlg::ES256).unwrap().without_alg().with_kid("ec"),
            Jwk::generate_x25519().unwrap().with_kid("x"),
            Jwk::generate_rsa(2048).unwrap().with_kid("rsa"),
            Jwk::from_secret(b"password").with_kid("pw"),
        ]
        .into_iter()
        .collect();
        Decrypter::builder(keys)
            .algorithms(JweAlg::ALL)
            .dangerous_allow_rsa1_5()
            .allow_pbes2()
            .max_pbes2_count(1000)
            .build()
            .unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = tessera_jose::jwe::Jwe::parse(text, 1 << 20);
        let _ = decrypter().decrypt(text);
    }
});
