//! Interoperability with an independent implementation, the `jsonwebtoken` crate: it verifies
//! what Tessera signs, and Tessera verifies what it signs, for every algorithm both support.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use serde::{Deserialize, Serialize};
use tessera_jose::jws::Signer;
use tessera_jose::jwt::{Claims, JwtSigner, Verifier};
use tessera_jose::{Jwk, JwkSet, JwsAlg};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Token {
    iss: String,
    aud: String,
    sub: String,
    exp: i64,
}

fn pair(alg: JwsAlg) -> (Jwk, Algorithm, EncodingKey, DecodingKey) {
    let key = Jwk::generate(alg).unwrap();
    let pem = key.to_pem();
    let public_pem = key.to_public_pem();
    let (a, enc, dec) = match alg {
        JwsAlg::HS256 | JwsAlg::HS384 | JwsAlg::HS512 => {
            let k = tessera_jose::b64::decode(key.to_value()["k"].as_str().unwrap()).unwrap();
            let a = match alg {
                JwsAlg::HS256 => Algorithm::HS256,
                JwsAlg::HS384 => Algorithm::HS384,
                _ => Algorithm::HS512,
            };
            (
                a,
                EncodingKey::from_secret(&k).unwrap(),
                DecodingKey::from_secret(&k).unwrap(),
            )
        }
        JwsAlg::ES256 | JwsAlg::ES384 => (
            if alg == JwsAlg::ES256 {
                Algorithm::ES256
            } else {
                Algorithm::ES384
            },
            EncodingKey::from_ec_pem(pem.unwrap().as_bytes()).unwrap(),
            DecodingKey::from_ec_pem(public_pem.unwrap().as_bytes()).unwrap(),
        ),
        JwsAlg::EdDSA => (
            Algorithm::EdDSA,
            EncodingKey::from_ed_pem(pem.unwrap().as_bytes()).unwrap(),
            DecodingKey::from_ed_pem(public_pem.unwrap().as_bytes()).unwrap(),
        ),
        _ => {
            let a = match alg {
                JwsAlg::RS256 => Algorithm::RS256,
                JwsAlg::RS384 => Algorithm::RS384,
                JwsAlg::RS512 => Algorithm::RS512,
                JwsAlg::PS256 => Algorithm::PS256,
                JwsAlg::PS384 => Algorithm::PS384,
                _ => Algorithm::PS512,
            };
            (
                a,
                EncodingKey::from_rsa_pem(key.to_pkcs1_pem().unwrap().as_bytes()).unwrap(),
                DecodingKey::from_rsa_pem(public_pem.unwrap().as_bytes()).unwrap(),
            )
        }
    };
    (key, a, enc, dec)
}

#[test]
fn both_directions_for_every_shared_algorithm() {
    for alg in [
        JwsAlg::HS256,
        JwsAlg::HS384,
        JwsAlg::HS512,
        JwsAlg::RS256,
        JwsAlg::PS384,
        JwsAlg::ES256,
        JwsAlg::ES384,
        JwsAlg::EdDSA,
    ] {
        let (key, a, enc, dec) = pair(alg);
        let mut validation = Validation::new(a);
        validation.set_issuer(&["https://issuer"]);
        validation.set_audience(&["api"]);

        // Tessera signs, jsonwebtoken verifies.
        let ours = Claims::new()
            .issuer("https://issuer")
            .audience("api")
            .subject("u1")
            .expires_in(Duration::from_secs(300))
            .sign(&JwtSigner::new(Signer::new(&key, alg).unwrap()))
            .unwrap();
        let theirs_view = jsonwebtoken::decode::<Token>(&ours, &dec, &validation)
            .unwrap_or_else(|e| panic!("{alg}: jsonwebtoken rejected our token: {e}"));
        assert_eq!(theirs_view.claims.sub, "u1");

        // jsonwebtoken signs, Tessera verifies.
        let claims = Token {
            iss: "https://issuer".into(),
            aud: "api".into(),
            sub: "u2".into(),
            exp: tessera_jose::jwt::NumericDate::now().secs() + 300,
        };
        let theirs = jsonwebtoken::encode(&jsonwebtoken::Header::new(a), &claims, &enc).unwrap();
        let verifier = Verifier::builder(JwkSet::from(
            key.to_public().unwrap_or_else(|_| key.clone()),
        ))
        .algorithms([alg])
        .issuer("https://issuer")
        .audience("api")
        .build()
        .unwrap();
        let verified = verifier
            .verify::<Token>(&theirs)
            .unwrap_or_else(|e| panic!("{alg}: we rejected jsonwebtoken's token: {e}"));
        assert_eq!(verified.claims(), &claims);
    }
}
