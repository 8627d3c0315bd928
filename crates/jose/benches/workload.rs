//! The standard workload (`shared/bench/WORKLOAD.md`): sign and verify one JWT per algorithm with
//! Tessera, the bare aws-lc-rs primitive (the floor) and the `jsonwebtoken` crate (aws-lc-rs
//! backend), in the same criterion group so the ratios come from one run.
//!
//! Run: `cargo bench -p tessera-jose --bench workload` then `python3 scripts/bench_report.py`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::large_enum_variant
)]

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, KeyPair as _};
use criterion::{Criterion, criterion_group, criterion_main};
use serde::{Deserialize, Serialize};
use tessera_jose::jws::Signer;
use tessera_jose::jwt::{JwtSigner, Verifier};
use tessera_jose::{Jwk, JwkSet, JwsAlg};

const ISS: &str = "https://auth.example.com";
const AUD: &str = "api://orders";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct WorkloadClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    nbf: i64,
    iat: i64,
    jti: String,
    scope: String,
    roles: Vec<String>,
}

fn claims() -> WorkloadClaims {
    let t = i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    WorkloadClaims {
        iss: ISS.into(),
        sub: "user-8f14e45f".into(),
        aud: AUD.into(),
        exp: t + 3600,
        nbf: t - 10,
        iat: t - 10,
        jti: "4b1f0c2e-9c3a-4d7e-8a51-1f2b3c4d5e6f".into(),
        scope: "orders:read orders:write profile".into(),
        roles: vec!["admin".into(), "billing".into()],
    }
}

/// The bare primitive with a pre-parsed key.
enum Floor {
    Hmac(aws_lc_rs::hmac::Key),
    Rsa(
        signature::RsaKeyPair,
        &'static dyn signature::RsaEncoding,
        signature::ParsedPublicKey,
    ),
    Ecdsa(signature::EcdsaKeyPair, signature::ParsedPublicKey),
    Ed25519(signature::Ed25519KeyPair, signature::ParsedPublicKey),
}

impl Floor {
    fn new(alg: JwsAlg, key: &Jwk) -> Self {
        let json: serde_json::Value = key.to_value();
        match alg {
            JwsAlg::HS256 => {
                let k = tessera_jose::b64::decode(json["k"].as_str().unwrap()).unwrap();
                Self::Hmac(aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &k))
            }
            JwsAlg::RS256 | JwsAlg::PS256 => {
                let pair = signature::RsaKeyPair::from_pkcs8(&key.to_pkcs8_der().unwrap()).unwrap();
                let (enc, params): (
                    &'static dyn signature::RsaEncoding,
                    &'static signature::RsaParameters,
                ) = if alg == JwsAlg::RS256 {
                    (
                        &signature::RSA_PKCS1_SHA256,
                        &signature::RSA_PKCS1_2048_8192_SHA256,
                    )
                } else {
                    (
                        &signature::RSA_PSS_SHA256,
                        &signature::RSA_PSS_2048_8192_SHA256,
                    )
                };
                let public =
                    signature::ParsedPublicKey::new(params, key.to_spki_der().unwrap()).unwrap();
                Self::Rsa(pair, enc, public)
            }
            JwsAlg::EdDSA => {
                let pair =
                    signature::Ed25519KeyPair::from_pkcs8(&key.to_pkcs8_der().unwrap()).unwrap();
                let public = signature::ParsedPublicKey::new(
                    &signature::ED25519,
                    pair.public_key().as_ref(),
                )
                .unwrap();
                Self::Ed25519(pair, public)
            }
            _ => {
                let (signing, verifying): (
                    &'static signature::EcdsaSigningAlgorithm,
                    &'static signature::EcdsaVerificationAlgorithm,
                ) = match alg {
                    JwsAlg::ES256 => (
                        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                        &signature::ECDSA_P256_SHA256_FIXED,
                    ),
                    JwsAlg::ES384 => (
                        &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                        &signature::ECDSA_P384_SHA384_FIXED,
                    ),
                    _ => (
                        &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
                        &signature::ECDSA_P521_SHA512_FIXED,
                    ),
                };
                let pair =
                    signature::EcdsaKeyPair::from_pkcs8(signing, &key.to_pkcs8_der().unwrap())
                        .unwrap();
                let public =
                    signature::ParsedPublicKey::new(verifying, pair.public_key().as_ref()).unwrap();
                Self::Ecdsa(pair, public)
            }
        }
    }

    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        match self {
            Self::Hmac(k) => aws_lc_rs::hmac::sign(k, msg).as_ref().to_vec(),
            Self::Rsa(pair, enc, _) => {
                let mut sig = vec![0; pair.public_modulus_len()];
                pair.sign(*enc, &SystemRandom::new(), msg, &mut sig)
                    .unwrap();
                sig
            }
            Self::Ecdsa(pair, _) => pair
                .sign(&SystemRandom::new(), msg)
                .unwrap()
                .as_ref()
                .to_vec(),
            Self::Ed25519(pair, _) => pair.sign(msg).as_ref().to_vec(),
        }
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match self {
            Self::Hmac(k) => aws_lc_rs::hmac::verify(k, msg, sig).is_ok(),
            Self::Rsa(_, _, p) | Self::Ecdsa(_, p) | Self::Ed25519(_, p) => {
                p.verify_sig(msg, sig).is_ok()
            }
        }
    }
}

/// The `jsonwebtoken` side, if it supports the algorithm.
struct Peer {
    alg: jsonwebtoken::Algorithm,
    encoding: jsonwebtoken::EncodingKey,
    decoding: jsonwebtoken::DecodingKey,
    validation: jsonwebtoken::Validation,
}

fn peer(alg: JwsAlg, key: &Jwk) -> Option<Peer> {
    use jsonwebtoken::{Algorithm as A, DecodingKey as D, EncodingKey as E};
    let json = key.to_value();
    let private_pem = || key.to_pem().unwrap().as_bytes().to_vec();
    let public_pem = || key.to_public_pem().unwrap().as_bytes().to_vec();
    let (a, encoding, decoding) = match alg {
        JwsAlg::HS256 => {
            let k = tessera_jose::b64::decode(json["k"].as_str().unwrap()).unwrap();
            (
                A::HS256,
                E::from_secret(&k).unwrap(),
                D::from_secret(&k).unwrap(),
            )
        }
        JwsAlg::RS256 | JwsAlg::PS256 => (
            if alg == JwsAlg::RS256 {
                A::RS256
            } else {
                A::PS256
            },
            E::from_rsa_pem(&private_pem()).unwrap(),
            D::from_rsa_pem(&public_pem()).unwrap(),
        ),
        JwsAlg::ES256 | JwsAlg::ES384 => (
            if alg == JwsAlg::ES256 {
                A::ES256
            } else {
                A::ES384
            },
            E::from_ec_pem(&private_pem()).unwrap(),
            D::from_ec_pem(&public_pem()).unwrap(),
        ),
        JwsAlg::EdDSA => (
            A::EdDSA,
            E::from_ed_pem(&private_pem()).unwrap(),
            D::from_ed_pem(&public_pem()).unwrap(),
        ),
        _ => return None, // jsonwebtoken has no ES512.
    };
    let mut validation = jsonwebtoken::Validation::new(a);
    validation.set_issuer(&[ISS]);
    validation.set_audience(&[AUD]);
    validation.validate_nbf = true;
    validation.leeway = 0;
    Some(Peer {
        alg: a,
        encoding,
        decoding,
        validation,
    })
}

fn bench_alg(c: &mut Criterion, alg: JwsAlg, key: &Jwk) {
    let key = key.clone().with_kid("k1");
    let claims = claims();
    // Tessera: header {"alg":…,"typ":"JWT","kid":"k1"}, keys parsed once.
    let signer = JwtSigner::new(Signer::new(&key, alg).unwrap());
    let verifier = Verifier::builder(JwkSet::from(key.to_public()))
        .algorithms([alg])
        .issuer(ISS)
        .audience(AUD)
        .build()
        .unwrap();
    let token = signer.sign(&claims).unwrap();
    assert!(token.starts_with(&tessera_jose::b64::encode(format!(
        r#"{{"alg":"{}","typ":"JWT","kid":"k1"}}"#,
        alg.name()
    ))));
    let (signing_input, sig_b64) = token.rsplit_once('.').unwrap();
    let sig = tessera_jose::b64::decode(sig_b64).unwrap();
    let floor = Floor::new(alg, &key);
    assert!(floor.verify(signing_input.as_bytes(), &sig));
    let peer = peer(alg, &key);
    if let Some(p) = &peer {
        // The peer verifies the very same token with the same checks.
        let decoded =
            jsonwebtoken::decode::<WorkloadClaims>(&token, &p.decoding, &p.validation).unwrap();
        assert_eq!(decoded.claims.sub, claims.sub);
    }
    assert_eq!(
        verifier
            .verify::<WorkloadClaims>(&token)
            .unwrap()
            .claims()
            .roles
            .len(),
        2
    );

    let mut g = c.benchmark_group(format!("{}/sign", alg.name()));
    g.bench_function("tessera", |b| {
        b.iter(|| signer.sign(black_box(&claims)).unwrap())
    });
    g.bench_function("floor", |b| {
        b.iter(|| floor.sign(black_box(signing_input.as_bytes())))
    });
    if let Some(p) = &peer {
        let mut header = jsonwebtoken::Header::new(p.alg);
        header.kid = Some("k1".into());
        g.bench_function("jsonwebtoken", |b| {
            b.iter(|| jsonwebtoken::encode(&header, black_box(&claims), &p.encoding).unwrap())
        });
    }
    g.finish();

    let mut g = c.benchmark_group(format!("{}/verify", alg.name()));
    g.bench_function("tessera", |b| {
        b.iter(|| {
            verifier
                .verify::<WorkloadClaims>(black_box(&token))
                .unwrap()
                .into_claims()
        })
    });
    g.bench_function("floor", |b| {
        b.iter(|| assert!(floor.verify(black_box(signing_input.as_bytes()), black_box(&sig))))
    });
    if let Some(p) = &peer {
        g.bench_function("jsonwebtoken", |b| {
            b.iter(|| {
                jsonwebtoken::decode::<WorkloadClaims>(
                    black_box(&token),
                    &p.decoding,
                    &p.validation,
                )
                .unwrap()
            })
        });
    }
    g.finish();
}

fn workload(c: &mut Criterion) {
    let rsa = Jwk::generate_rsa(2048).unwrap();
    for alg in [
        JwsAlg::HS256,
        JwsAlg::RS256,
        JwsAlg::PS256,
        JwsAlg::ES256,
        JwsAlg::ES384,
        JwsAlg::ES512,
        JwsAlg::EdDSA,
    ] {
        let key = match alg {
            JwsAlg::RS256 | JwsAlg::PS256 => rsa.clone(),
            _ => Jwk::generate(alg).unwrap().without_alg(),
        };
        bench_alg(c, alg, &key);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(2))
        .sample_size(60);
    targets = workload
}
criterion_main!(benches);
