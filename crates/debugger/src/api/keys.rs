//! `POST api/keys`: a new key for any JWS or JWE algorithm.

use serde::Deserialize;
use serde_json::{Value, json};
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

/// A new key for an algorithm, as JWK and PEM, with its RFC 7638 thumbprint.
pub fn keys(r: KeysRequest) -> Result<Value, ApiError> {
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
    Ok(json!({
        "alg": name,
        "kty": jwk.kty().name(),
        "kid": jwk.kid(),
        "jwk": pretty(&jwk.to_value()),
        "public_jwk": public.as_ref().map(|p| pretty(&p.to_value())),
        "pem": pem,
        "public_pem": public_pem,
        "secret_base64url": secret,
        "thumbprint": jwk.thumbprint(ThumbprintHash::Sha256),
        "thumbprint_uri": jwk.thumbprint_uri(ThumbprintHash::Sha256),
    }))
}
