//! RFC 7517 Appendices A–C: key sets, private keys, symmetric keys, `x5c`, and PEM agreement.
#![allow(clippy::unwrap_used)]

mod common;

use common::{jwk, vector};
use tessera_jose::alg::{Curve, Kty};
use tessera_jose::error::KeyProblem;
use tessera_jose::jwk::{JwkSet, KeyQuery, KeyUse};
use tessera_jose::{Error, Jwk, JwsAlg};

fn appendices() -> serde_json::Value {
    vector("rfc7517/appendices.json")
}

#[test]
fn a1_public_keys() {
    let v = &appendices()["A.1"];
    let set = JwkSet::from_json_strict(&v["jwks"].to_string()).unwrap();
    assert_eq!(set.keys().len(), 2);
    let ec = &set.keys()[0];
    assert_eq!((ec.kty(), ec.curve()), (Kty::Ec, Some(Curve::P256)));
    assert_eq!((ec.kid(), ec.key_use()), (Some("1"), Some("enc")));
    let rsa = &set.keys()[1];
    assert_eq!(
        (rsa.kty(), rsa.alg(), rsa.kid()),
        (Kty::Rsa, Some("RS256"), Some("2011-04-29"))
    );
    assert!(!ec.is_private() && !rsa.is_private());

    // The SPKI PEM of each key, exported byte for byte, and imported back to the same key.
    for (key, pem) in set.keys().iter().zip(v["spki_pem"].as_array().unwrap()) {
        let pem = pem.as_str().unwrap();
        assert_eq!(key.to_public_pem().unwrap().as_str(), pem);
        let imported = Jwk::from_pem(pem).unwrap();
        assert_eq!(imported.thumbprint_input(), key.thumbprint_input());
    }
    // Round trip through JSON keeps every member.
    let again = JwkSet::from_json_strict(&set.to_json()).unwrap();
    assert_eq!(again, set);
}

#[test]
fn a2_private_keys() {
    let a = appendices();
    let private = JwkSet::from_json_strict(&a["A.2"]["jwks"].to_string()).unwrap();
    let public = JwkSet::from_json_strict(&a["A.1"]["jwks"].to_string()).unwrap();
    assert!(private.keys().iter().all(Jwk::is_private));
    assert_eq!(private.to_public(), public);
    // Private keys round-trip through PKCS#8 PEM.
    for key in private.keys() {
        let pem = key.to_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let back = Jwk::from_pem(&pem).unwrap();
        assert!(back.is_private());
        assert_eq!(back.thumbprint_input(), key.thumbprint_input());
        assert_eq!(
            back.to_pem().unwrap(),
            pem,
            "PKCS#8 export is deterministic"
        );
    }
}

#[test]
fn a3_symmetric_keys() {
    let v = &appendices()["A.3"];
    let set = JwkSet::from_json_strict(&v["jwks"].to_string()).unwrap();
    assert_eq!(set.keys()[0].alg(), Some("A128KW"));
    assert_eq!(
        set.keys()[1].kid(),
        Some("HMAC key used in JWS spec Appendix A.1 example")
    );
    // The A128KW key is never offered for JWS; the HMAC key is.
    let q = KeyQuery {
        alg: Some(JwsAlg::HS256),
        ..KeyQuery::default()
    };
    assert_eq!(set.select(&q).unwrap().kid(), set.keys()[1].kid());
    assert!(set.keys()[0].allowed_algorithms().is_empty());
    // Symmetric keys have no PEM form.
    assert_eq!(
        set.keys()[1].to_pem().unwrap_err(),
        Error::InvalidKey(KeyProblem::WrongKeyType)
    );
}

#[test]
fn b_x5c_is_parsed_and_checked_but_not_trusted() {
    let v = &appendices()["B"];
    let key = jwk(&v["jwk"]);
    let chain = key.x5c().unwrap();
    assert_eq!(chain.len(), 1);
    // The certificate's public key is the JWK's key.
    let from_cert = Jwk::from_der(&chain[0]).unwrap();
    assert_eq!(from_cert.thumbprint_input(), key.thumbprint_input());
    assert_eq!(
        key.to_public_pem().unwrap().as_str(),
        v["spki_pem"].as_str().unwrap()
    );
    // A JWK whose x5c carries another key is rejected.
    let mut other = v["jwk"].clone();
    other["n"] = appendices()["A.1"]["jwks"]["keys"][1]["n"].clone();
    assert_eq!(
        Jwk::from_json(&other.to_string()).unwrap_err(),
        Error::InvalidKey(KeyProblem::Inconsistent)
    );
    // The chain survives serialization.
    assert_eq!(Jwk::from_json(&key.to_json()).unwrap(), key);
}

#[test]
fn c1_rsa_private_key() {
    let v = &appendices()["C.1"];
    let key = jwk(&v["jwk"]);
    assert!(key.is_private());
    assert_eq!(
        (key.kid(), key.key_use()),
        (Some("juliet@capulet.lit"), Some("enc"))
    );
    // An `enc` key is never selected for signatures.
    let set = JwkSet::from(key.clone());
    let q = KeyQuery {
        key_use: Some(KeyUse::Sig),
        ..KeyQuery::default()
    };
    assert_eq!(set.select(&q).unwrap_err(), Error::NoMatchingKey);
    assert!(tessera_jose::jws::Signer::new(&key, JwsAlg::RS256).is_err());
}
