//! Shared setup of the workload benchmarks: the WORKLOAD.md token, the bare aws-lc-rs floor and
//! the `jsonwebtoken` peer, all built before any timing.
#![allow(
    dead_code,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::large_enum_variant
)]

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, KeyPair as _};
use serde::{Deserialize, Serialize};
use tessera_jose::jws::Signer;
use tessera_jose::jwt::{JwtSigner, Verifier};
use tessera_jose::{Jwk, JwkSet, JwsAlg};

pub const ALGS: [JwsAlg; 7] = [
    JwsAlg::HS256,
    JwsAlg::RS256,
    JwsAlg::PS256,
    JwsAlg::ES256,
    JwsAlg::ES384,
    JwsAlg::ES512,
    JwsAlg::EdDSA,
];

pub const ISS: &str = "https://auth.example.com";
pub const AUD: &str = "api://orders";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkloadClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: String,
    pub scope: String,
    pub roles: Vec<String>,
}

pub fn claims() -> WorkloadClaims {
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
pub enum Floor {
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
    pub fn new(alg: JwsAlg, key: &Jwk) -> Self {
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

    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
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

    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match self {
            Self::Hmac(k) => aws_lc_rs::hmac::verify(k, msg, sig).is_ok(),
            Self::Rsa(_, _, p) | Self::Ecdsa(_, p) | Self::Ed25519(_, p) => {
                p.verify_sig(msg, sig).is_ok()
            }
        }
    }
}

/// The `jsonwebtoken` side, if it supports the algorithm.
pub struct Peer {
    pub alg: jsonwebtoken::Algorithm,
    pub encoding: jsonwebtoken::EncodingKey,
    pub decoding: jsonwebtoken::DecodingKey,
    pub validation: jsonwebtoken::Validation,
}

pub fn peer(alg: JwsAlg, key: &Jwk) -> Option<Peer> {
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

/// Everything one algorithm's benchmark needs, checked to agree before timing.
pub struct Case {
    pub alg: JwsAlg,
    pub claims: WorkloadClaims,
    pub signer: JwtSigner,
    pub verifier: Verifier,
    pub token: String,
    pub signing_input: String,
    pub signature: Vec<u8>,
    pub floor: Floor,
    pub peer: Option<Peer>,
    pub peer_header: Option<jsonwebtoken::Header>,
}

impl Case {
    pub fn new(alg: JwsAlg, key: &Jwk) -> Self {
        let key = key.clone().with_kid("k1");
        let claims = claims();
        let signer = JwtSigner::new(Signer::new(&key, alg).unwrap());
        let verifier = Verifier::builder(JwkSet::from(
            key.to_public().unwrap_or_else(|_| key.clone()),
        ))
        .algorithms([alg])
        .issuer(ISS)
        .audience(AUD)
        .build()
        .unwrap();
        let token = signer.sign(&claims).unwrap();
        let expected_header = format!(r#"{{"alg":"{}","typ":"JWT","kid":"k1"}}"#, alg.name());
        assert!(token.starts_with(&tessera_jose::b64::encode(expected_header)));
        let (signing_input, sig_b64) = token.rsplit_once('.').unwrap();
        let signature = tessera_jose::b64::decode(sig_b64).unwrap();
        let floor = Floor::new(alg, &key);
        assert!(floor.verify(signing_input.as_bytes(), &signature));
        let peer = peer(alg, &key);
        let peer_header = peer.as_ref().map(|p| {
            let mut h = jsonwebtoken::Header::new(p.alg);
            h.kid = Some("k1".into());
            h
        });
        if let Some(p) = &peer {
            // The peer verifies the very same token with the same checks.
            let decoded =
                jsonwebtoken::decode::<WorkloadClaims>(&token, &p.decoding, &p.validation).unwrap();
            assert_eq!(decoded.claims.sub, claims.sub);
        }
        let verified = verifier.verify::<WorkloadClaims>(&token).unwrap();
        assert_eq!(verified.claims().roles.len(), 2);
        Self {
            alg,
            claims,
            signer,
            verifier,
            signing_input: signing_input.to_owned(),
            signature,
            token,
            floor,
            peer,
            peer_header,
        }
    }

    pub fn tessera_sign(&self) -> String {
        self.signer.sign(&self.claims).unwrap()
    }

    pub fn floor_sign(&self) -> Vec<u8> {
        self.floor.sign(self.signing_input.as_bytes())
    }

    pub fn peer_sign(&self) -> Option<String> {
        let p = self.peer.as_ref()?;
        Some(jsonwebtoken::encode(self.peer_header.as_ref()?, &self.claims, &p.encoding).unwrap())
    }

    pub fn tessera_verify(&self) -> WorkloadClaims {
        self.verifier
            .verify::<WorkloadClaims>(&self.token)
            .unwrap()
            .into_claims()
    }

    pub fn floor_verify(&self) -> bool {
        let ok = self
            .floor
            .verify(self.signing_input.as_bytes(), &self.signature);
        assert!(ok);
        ok
    }

    pub fn peer_verify(&self) -> Option<WorkloadClaims> {
        let p = self.peer.as_ref()?;
        Some(
            jsonwebtoken::decode::<WorkloadClaims>(&self.token, &p.decoding, &p.validation)
                .unwrap()
                .claims,
        )
    }
}

/// One key per algorithm (RSA 2048 shared by RS256 and PS256), created before any timing.
pub fn cases() -> Vec<Case> {
    let rsa = Jwk::generate_rsa(2048).unwrap();
    ALGS.iter()
        .map(|&alg| {
            let key = match alg {
                JwsAlg::RS256 | JwsAlg::PS256 => rsa.clone(),
                _ => Jwk::generate(alg).unwrap().without_alg(),
            };
            Case::new(alg, &key)
        })
        .collect()
}
