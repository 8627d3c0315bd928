//! `POST api/keys`: a new key for any JWS or JWE algorithm.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_jose::jwk::ThumbprintHash;
use tessera_jose::{JweAlg, Jwk, JwsAlg};

use crate::ApiError;
use crate::decode::pretty;

/// `POST api/keys`: `{"alg"}`, any JWS or JWE algorithm.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysRequest {
    alg: String,
}

/// The answer: a new key in every form the page shows.
#[derive(Debug, Serialize)]
pub struct NewKey {
    /// The algorithm asked for.
    pub alg: String,
    /// The key type (`EC`, `RSA`, `OKP`, `oct`, `AKP`).
    pub kty: &'static str,
    /// Its `kid`.
    pub kid: Option<String>,
    /// The private (or secret) JWK, pretty.
    pub jwk: String,
    /// The public JWK (none for a secret).
    pub public_jwk: Option<String>,
    /// The private key as PKCS#8 PEM (none for a secret).
    pub pem: Option<String>,
    /// The public key as SPKI PEM.
    pub public_pem: Option<String>,
    /// A secret's bytes, base64url.
    pub secret_base64url: Option<Value>,
    /// The RFC 7638 SHA-256 thumbprint.
    pub thumbprint: String,
    /// The same as an RFC 9278 URI.
    pub thumbprint_uri: String,
}

/// A new key for an algorithm, as JWK and PEM, with its RFC 7638 thumbprint.
///
/// # Errors
/// [`ApiError`] for an unknown algorithm or one this build cannot make keys for.
pub fn keys(r: KeysRequest) -> Result<NewKey, ApiError> {
    let name = r.alg.trim();
    let made = if let Ok(alg) = JwsAlg::from_name(name) {
        Jwk::generate(alg)
    } else if let Ok(alg) = JweAlg::from_name(name) {
        Jwk::generate_jwe(alg)
    } else {
        return Err(ApiError::bad(
            "alg_unknown",
            format!(
                "`{}` is not a JWS or JWE algorithm Tessera knows",
                tessera_jose::error::escaped(name)
            ),
        ));
    };
    let jwk = made.map_err(|e| ApiError::bad("alg_unsupported", format!("{e}")))?;
    let public = jwk.to_public().ok();
    let pem = if jwk.kty().name() == "oct" {
        None
    } else {
        jwk.to_pem().ok().map(|p| p.to_string())
    };
    let public_pem = public
        .as_ref()
        .and_then(|p| p.to_public_pem().ok())
        .map(|p| p.to_string());
    let secret = jwk.to_value().get("k").cloned();
    Ok(NewKey {
        alg: name.to_owned(),
        kty: jwk.kty().name(),
        kid: jwk.kid().map(str::to_owned),
        jwk: pretty(&jwk.to_value()),
        public_jwk: public.as_ref().map(|p| pretty(&p.to_value())),
        pem,
        public_pem,
        secret_base64url: secret,
        thumbprint: jwk.thumbprint(ThumbprintHash::Sha256),
        thumbprint_uri: jwk.thumbprint_uri(ThumbprintHash::Sha256),
    })
}
