//! `POST api/examples`: the example tokens and their keys.

use std::time::Duration;

use serde_json::{Value, json};
use tessera_jose::jwe::{Encrypter, JweBuilder};
use tessera_jose::jws::{Header, Signer};
use tessera_jose::jwt::{Claims, JwtSigner};
use tessera_jose::{Enc, Error, JweAlg, Jwk, JwsAlg};

use crate::ApiError;
use crate::decode::pretty;

/// One example token per algorithm family, with the key that checks it. Fresh keys, made once
/// per process.
pub fn examples() -> Result<Value, ApiError> {
    let fail = |e: Error| ApiError::bad("internal_error", format!("cannot make the examples: {e}"));
    let claims = |sub: &str| {
        Claims::new()
            .issuer("https://issuer.example")
            .subject(sub)
            .audience("https://api.example")
            .issued_now()
            .expires_in(Duration::from_secs(3600))
            .claim("scope", "orders:read")
    };
    let mut list = Vec::new();
    let mut signed = |label: &str, alg: JwsAlg, key: &Jwk, verify: Value| -> Result<(), ApiError> {
        let signer = JwtSigner::new(Signer::new(key, alg).map_err(fail)?);
        let token = claims("user-42")
            .map_err(fail)?
            .sign(&signer)
            .map_err(fail)?;
        list.push(json!({"label": label, "kind": "jws", "alg": alg.name(), "token": token, "key": verify}));
        Ok(())
    };
    let secret = Jwk::generate(JwsAlg::HS256).map_err(fail)?;
    let secret_b64 = secret.to_value().get("k").cloned().unwrap_or_default();
    signed(
        "HS256 (shared secret)",
        JwsAlg::HS256,
        &secret,
        json!({"text": secret_b64, "encoding": "base64url"}),
    )?;
    let rsa = Jwk::generate(JwsAlg::RS256).map_err(fail)?.without_alg();
    let rsa_pem = rsa
        .to_public()
        .map_err(fail)?
        .to_public_pem()
        .map_err(fail)?;
    for alg in [JwsAlg::RS256, JwsAlg::PS256] {
        signed(
            &format!("{} (RSA)", alg.name()),
            alg,
            &rsa,
            json!({"text": rsa_pem.as_str(), "encoding": "auto"}),
        )?;
    }
    let ec = Jwk::generate(JwsAlg::ES256).map_err(fail)?;
    let ec_public = pretty(&ec.to_public().map_err(fail)?.to_value());
    signed(
        "ES256 (ECDSA P-256)",
        JwsAlg::ES256,
        &ec,
        json!({"text": ec_public, "encoding": "auto"}),
    )?;
    let ed = Jwk::generate(JwsAlg::EdDSA).map_err(fail)?;
    let ed_set = json!({"keys": [ed.to_public().map_err(fail)?.to_value(), ec.to_public().map_err(fail)?.to_value()]});
    signed(
        "EdDSA (Ed25519), checked by a JWK Set",
        JwsAlg::EdDSA,
        &ed,
        json!({"text": pretty(&ed_set), "encoding": "auto"}),
    )?;

    if JwsAlg::MlDsa44.is_supported() {
        let pq = Jwk::generate(JwsAlg::MlDsa44).map_err(fail)?;
        let pq_public = pretty(&pq.to_public().map_err(fail)?.to_value());
        signed(
            "ML-DSA-44 (post-quantum)",
            JwsAlg::MlDsa44,
            &pq,
            json!({"text": pq_public, "encoding": "auto"}),
        )?;
    }

    // Encrypted: `dir` with a shared 256-bit key, and a nested JWT (ES256 inside RSA-OAEP-256).
    let dir_key = Jwk::generate_jwe(JweAlg::Dir).map_err(fail)?;
    let claims_json = serde_json::to_string(claims("user-42").map_err(fail)?.as_map())
        .map_err(|_| ApiError::bad("internal_error", "cannot make the examples"))?;
    let dir = Encrypter::new(&dir_key, JweAlg::Dir).map_err(fail)?;
    let jwe = JweBuilder::new(claims_json.as_bytes(), Enc::A256Gcm)
        .protected(Header::empty().typ("JWT"))
        .recipient(&dir)
        .compact()
        .map_err(fail)?;
    list.push(
        json!({"label": "JWE dir + A256GCM (shared key)", "kind": "jwe", "alg": "dir", "token": jwe,
        "key": {"text": pretty(&dir_key.to_value()), "encoding": "auto"}}),
    );
    let oaep_key = Jwk::generate_jwe(JweAlg::RsaOaep256).map_err(fail)?;
    let inner = claims("user-42")
        .map_err(fail)?
        .sign(&JwtSigner::new(
            Signer::new(&ec, JwsAlg::ES256).map_err(fail)?,
        ))
        .map_err(fail)?;
    let oaep =
        Encrypter::new(&oaep_key.to_public().map_err(fail)?, JweAlg::RsaOaep256).map_err(fail)?;
    let nested = JweBuilder::new(inner.as_bytes(), Enc::A256Gcm)
        .protected(Header::empty().cty("JWT"))
        .recipient(&oaep)
        .compact()
        .map_err(fail)?;
    list.push(json!({"label": "Nested: ES256 JWT inside RSA-OAEP-256", "kind": "jwe", "alg": "RSA-OAEP-256", "token": nested,
        "key": {"text": pretty(&oaep_key.to_value()), "encoding": "auto"},
        "verify_key": {"text": ec_public, "encoding": "auto"}}));
    Ok(json!({"examples": list}))
}
