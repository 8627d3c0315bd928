//! Bugs found during development, each pinned by the smallest input that showed it.
#![allow(clippy::unwrap_used)]

use tessera_jose::jws::{Header, JwsBuilder, JwsVerifier, Signer};
use tessera_jose::{Jwk, JwkSet, JwsAlg};

/// RSA PKCS#8 exports lacked the NULL parameters of `rsaEncryption` (RFC 8017 A.1), which strict
/// readers such as aws-lc reject. The AlgorithmIdentifier must be `30 0d 06 09 <oid> 05 00`.
#[test]
fn rsa_pkcs8_algorithm_identifier_has_null_parameters() {
    let key = Jwk::generate_rsa(2048).unwrap();
    let der = key.to_pkcs8_der().unwrap();
    let rsa_alg_id = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    assert!(der.windows(rsa_alg_id.len()).any(|w| w == rsa_alg_id));
    let spki = key.to_spki_der().unwrap();
    assert!(spki.windows(rsa_alg_id.len()).any(|w| w == rsa_alg_id));
}

/// An empty compact payload segment was taken for a detached payload, so a JWS over zero bytes
/// did not verify (found by the round-trip property with an empty unencoded payload).
#[test]
fn empty_compact_payload_is_an_empty_payload() {
    let key = Jwk::generate(JwsAlg::HS256).unwrap();
    let signer = Signer::new(&key, JwsAlg::HS256).unwrap();
    let verifier = JwsVerifier::builder(JwkSet::from(key))
        .algorithms([JwsAlg::HS256])
        .build()
        .unwrap();
    for unencoded in [false, true] {
        let mut b = JwsBuilder::new(b"");
        if unencoded {
            b = b.unencoded();
        }
        let jws = b
            .signature(&signer, Header::new(JwsAlg::HS256), None)
            .compact()
            .unwrap();
        assert!(jws.contains(".."));
        assert!(verifier.verify(&jws).unwrap().payload().is_empty());
    }
}

/// Found by the `key_import` fuzz target: an RSA modulus that is empty (or all zero bytes)
/// underflowed the bit-length computation (a panic in debug builds).
#[test]
fn rsa_modulus_of_zero_length() {
    use tessera_jose::Error;
    use tessera_jose::error::KeyProblem;
    for n in ["", "AA", "AAAA"] {
        let jwk = format!(r#"{{"kty":"RSA","n":"{n}","e":"AQAB"}}"#);
        assert_eq!(
            Jwk::from_json(&jwk).unwrap_err(),
            Error::InvalidKey(KeyProblem::RsaTooSmall),
            "{jwk}"
        );
    }
}
