//! `POST api/examples`: the example tokens and their keys.

use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use tessera_jose::jwe::{Encrypter, JweBuilder};
use tessera_jose::jws::{Header, Signer};
use tessera_jose::jwt::{Claims, JwtSigner};
use tessera_jose::{Enc, Error, JweAlg, Jwk, JwsAlg};

use crate::ApiError;
use crate::decode::pretty;

/// The answer: the example tokens.
#[derive(Debug, Clone, Serialize)]
pub struct Examples {
    /// One per algorithm family.
    pub examples: Vec<Example>,
}

/// An example token and the key that checks it.
#[derive(Debug, Clone, Serialize)]
pub struct Example {
    /// What the page's menu says.
    pub label: String,
    /// `jws` or `jwe`.
    pub kind: &'static str,
    /// Its algorithm (`alg`).
    pub alg: &'static str,
    /// The token.
    pub token: String,
    /// The key that verifies or decrypts it.
    pub key: ExampleKey,
    /// For a nested token, the key that verifies the inner one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_key: Option<ExampleKey>,
}

/// A key as the page's key field takes it.
#[derive(Debug, Clone, Serialize)]
pub struct ExampleKey {
    /// The key's text (PEM, JWK, JWK Set, or base64url).
    pub text: String,
    /// `auto` or `base64url`.
    pub encoding: &'static str,
}

fn key(text: impl Into<String>, encoding: &'static str) -> ExampleKey {
    ExampleKey {
        text: text.into(),
        encoding,
    }
}

/// One example token per algorithm family, with the key that checks it. Fresh keys, made once
/// per process.
///
/// # Errors
/// [`ApiError`] when a key cannot be made or a token signed (a broken build).
pub fn examples() -> Result<Examples, ApiError> {
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
    let mut signed =
        |label: &str, alg: JwsAlg, signing: &Jwk, verify: ExampleKey| -> Result<(), ApiError> {
            let signer = JwtSigner::new(Signer::new(signing, alg).map_err(fail)?);
            let token = claims("user-42")
                .map_err(fail)?
                .sign(&signer)
                .map_err(fail)?;
            list.push(Example {
                label: label.to_owned(),
                kind: "jws",
                alg: alg.name(),
                token,
                key: verify,
                verify_key: None,
            });
            Ok(())
        };
    let secret = Jwk::generate(JwsAlg::HS256).map_err(fail)?;
    let secret_b64 = secret
        .to_value()
        .get("k")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned();
    signed(
        "HS256 (shared secret)",
        JwsAlg::HS256,
        &secret,
        key(secret_b64, "base64url"),
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
            key(rsa_pem.as_str(), "auto"),
        )?;
    }
    let ec = Jwk::generate(JwsAlg::ES256).map_err(fail)?;
    let ec_public = pretty(&ec.to_public().map_err(fail)?.to_value());
    signed(
        "ES256 (ECDSA P-256)",
        JwsAlg::ES256,
        &ec,
        key(ec_public.as_str(), "auto"),
    )?;
    let ed = Jwk::generate(JwsAlg::EdDSA).map_err(fail)?;
    let ed_set = json!({"keys": [ed.to_public().map_err(fail)?.to_value(), ec.to_public().map_err(fail)?.to_value()]});
    signed(
        "EdDSA (Ed25519), checked by a JWK Set",
        JwsAlg::EdDSA,
        &ed,
        key(pretty(&ed_set), "auto"),
    )?;

    if JwsAlg::MlDsa44.is_supported() {
        let pq = Jwk::generate(JwsAlg::MlDsa44).map_err(fail)?;
        let pq_public = pretty(&pq.to_public().map_err(fail)?.to_value());
        signed(
            "ML-DSA-44 (post-quantum)",
            JwsAlg::MlDsa44,
            &pq,
            key(pq_public, "auto"),
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
    list.push(Example {
        label: "JWE dir + A256GCM (shared key)".into(),
        kind: "jwe",
        alg: "dir",
        token: jwe,
        key: key(pretty(&dir_key.to_value()), "auto"),
        verify_key: None,
    });
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
    list.push(Example {
        label: "Nested: ES256 JWT inside RSA-OAEP-256".into(),
        kind: "jwe",
        alg: "RSA-OAEP-256",
        token: nested,
        key: key(pretty(&oaep_key.to_value()), "auto"),
        verify_key: Some(key(ec_public, "auto")),
    });
    Ok(Examples { examples: list })
}
