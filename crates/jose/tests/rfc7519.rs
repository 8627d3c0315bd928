//! RFC 7519 §3.1 (a signed JWT) and §6.1 (an unsecured JWT), through the JWT verifier.
#![allow(clippy::unwrap_used)]

mod common;

use common::{jwk, s, vector};
use serde::Deserialize;
use tessera_jose::jwt::{FixedClock, Verifier};
use tessera_jose::{Error, JwkSet, JwsAlg};

#[derive(Debug, Deserialize, PartialEq)]
struct JoeClaims {
    iss: String,
    exp: i64,
    #[serde(rename = "http://example.com/is_root")]
    is_root: bool,
}

fn verifier(now: i64) -> Verifier {
    let v = vector("rfc7519/sections.json");
    Verifier::builder(JwkSet::from(jwk(&v["3.1"]["key"])))
        .algorithms([JwsAlg::HS256])
        .issuer("joe")
        .clock(FixedClock(now))
        .build()
        .unwrap()
}

#[test]
fn section_3_1_verifies_before_exp() {
    let v = vector("rfc7519/sections.json");
    let token = s(&v["3.1"], "token");
    let verified = verifier(1_300_819_379).verify::<JoeClaims>(token).unwrap();
    assert_eq!(
        verified.claims(),
        &JoeClaims {
            iss: "joe".into(),
            exp: 1_300_819_380,
            is_root: true
        }
    );
    assert_eq!(verified.header().map(|h| h.alg), Some(JwsAlg::HS256));
    assert_eq!(
        verified.header().and_then(|h| h.typ.as_deref()),
        Some("JWT")
    );
    // The same claims as a JSON map.
    let map = verifier(1_300_819_379)
        .verify::<serde_json::Value>(token)
        .unwrap()
        .into_claims();
    assert_eq!(map, v["3.1"]["claims"]);
}

#[test]
fn section_3_1_is_expired_at_exp() {
    let v = vector("rfc7519/sections.json");
    let token = s(&v["3.1"], "token");
    assert_eq!(
        verifier(1_300_819_380)
            .verify::<JoeClaims>(token)
            .unwrap_err(),
        Error::Expired
    );
}

#[test]
fn section_6_1_unsecured_is_rejected() {
    let v = vector("rfc7519/sections.json");
    let token = s(&v["6.1"], "token");
    assert_eq!(
        verifier(1_300_819_379)
            .verify::<JoeClaims>(token)
            .unwrap_err(),
        Error::AlgorithmNotAllowed
    );
    let u = tessera_jose::dangerous::decode_unverified(token).unwrap();
    assert_eq!(
        serde_json::Value::Object(u.claims.unwrap()),
        v["6.1"]["claims"]
    );
}
