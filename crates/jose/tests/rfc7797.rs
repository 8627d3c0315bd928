//! RFC 7797 §4: unencoded payloads (`b64: false`), from the RFC 7520 cookbook's files.
#![allow(clippy::unwrap_used)]

mod common;

use common::{jwk, s, vector};
use tessera_jose::jws::{Header, JwsBuilder, JwsVerifier, Signer};
use tessera_jose::{Error, JwkSet, JwsAlg};

fn verifier(v: &serde_json::Value) -> JwsVerifier {
    JwsVerifier::builder(JwkSet::from(jwk(&v["input"]["key"])))
        .algorithms([JwsAlg::HS256])
        .build()
        .unwrap()
}

#[test]
fn compact_compatible_example_reproduced_and_verified() {
    let v = vector("rfc7520-cookbook/rfc7797/hmac-sha2_b64_false.json");
    let payload = s(&v["input"], "payload");
    let key = jwk(&v["input"]["key"]);
    let signer = Signer::new(&key, JwsAlg::HS256).unwrap();
    let builder = JwsBuilder::new(payload.as_bytes()).unencoded().signature(
        &signer,
        Header::new(JwsAlg::HS256),
        None,
    );
    let compact = builder.compact().unwrap();
    assert_eq!(compact, s(&v["output"], "compact"));
    let flat: serde_json::Value = serde_json::from_str(&builder.flattened().unwrap()).unwrap();
    assert_eq!(flat, v["output"]["json_flat"]);
    let general: serde_json::Value = serde_json::from_str(&builder.general().unwrap()).unwrap();
    assert_eq!(general, v["output"]["json"]);

    let verifier = verifier(&v);
    for input in [
        compact,
        v["output"]["json"].to_string(),
        v["output"]["json_flat"].to_string(),
    ] {
        assert_eq!(
            verifier.verify(&input).unwrap().payload(),
            payload.as_bytes()
        );
    }
    // RFC 7797 §4.2: "$.02" detached, with the published signature.
    let rfc = JwsBuilder::new(b"$.02")
        .unencoded()
        .detached()
        .signature(&signer, Header::new(JwsAlg::HS256), None)
        .compact()
        .unwrap();
    assert_eq!(
        rfc,
        "eyJhbGciOiJIUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il19..A5dxf2s96_n5FLueVuW1Z_vh161FwXZC4YLPff6dmDY"
    );
    // Detached compact form (RFC 7797 §5.2).
    let detached = JwsBuilder::new(b"$.02")
        .unencoded()
        .detached()
        .signature(&signer, Header::new(JwsAlg::HS256), None)
        .compact()
        .unwrap();
    assert!(detached.contains(".."));
    assert!(verifier.verify_detached(&detached, b"$.02").is_ok());
    assert_eq!(
        verifier.verify_detached(&detached, b"$.03").unwrap_err(),
        Error::SignatureInvalid
    );
    // An attached unencoded payload containing '.' cannot be compact.
    assert!(
        JwsBuilder::new(b"$.02")
            .unencoded()
            .signature(&signer, Header::new(JwsAlg::HS256), None)
            .compact()
            .is_err()
    );
}

#[test]
fn draft_example_without_crit_is_rejected() {
    // This file (the RFC 7797 §4.2 payload) predates the RFC: its header has "b64" but no
    // "crit", which §6 forbids.
    let v = vector("rfc7520-cookbook/rfc7797/4.2.hmac-sha2_b64_false.json");
    let verifier = verifier(&v);
    assert_eq!(
        verifier
            .verify(&v["output"]["json"].to_string())
            .unwrap_err(),
        Error::Crit
    );
}
