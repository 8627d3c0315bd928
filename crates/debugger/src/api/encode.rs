//! `POST api/encode`: a token signed from the page's header and payload.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_jose::JwsAlg;
use tessera_jose::jws::{Header, Signer};
use tessera_jose::jwt::JwtSigner;

use super::{key_error, object, secret_warnings};
use crate::ApiError;
use crate::claims::{Warning, warning};
use crate::input::KeyInput;

/// `POST api/encode`: `{"header", "payload", "key"}`, header and payload as JSON text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodeRequest {
    header: String,
    payload: String,
    key: KeyInput,
}

/// The answer: the token, its algorithm, and what to know about it.
#[derive(Debug, Serialize)]
pub struct Encoded {
    /// The signed token.
    pub token: String,
    /// Its algorithm.
    pub alg: &'static str,
    /// A weak secret, a `kid` added from the key.
    pub warnings: Vec<Warning>,
}

/// Signs `payload` under `header` (its `alg` chooses the algorithm) with the key.
///
/// # Errors
/// [`ApiError`] for a header or payload that is not a JSON object, `alg: none` or an unknown
/// algorithm, a key that cannot sign with it.
pub fn encode(r: EncodeRequest) -> Result<Encoded, ApiError> {
    let header = object("header", &r.header)?;
    let payload = object("payload", &r.payload)?;
    let alg_name = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad("header_invalid", "the header needs an `alg` (a string)"))?;
    if alg_name.eq_ignore_ascii_case("none") {
        return Err(ApiError::bad(
            "alg_none",
            "`alg: none` makes an unsecured token that no verifier should accept: choose a signing algorithm",
        ));
    }
    let alg = JwsAlg::from_name(alg_name).map_err(|_| {
        ApiError::bad(
            "alg_unknown",
            format!(
                "`{}` is not a JWS algorithm Tessera knows",
                tessera_jose::error::escaped(alg_name)
            ),
        )
    })?;
    let keys = r.key.keys()?;
    let kid = header.get("kid").and_then(Value::as_str);
    let key = match (keys.set.keys(), kid) {
        ([one], _) => one,
        (many, Some(kid)) => many.iter().find(|k| k.kid() == Some(kid)).ok_or_else(|| {
            ApiError::bad(
                "key_invalid",
                "no key of the JWK Set has the header's `kid`",
            )
        })?,
        (many, None) => {
            return Err(ApiError::bad(
                "key_invalid",
                format!(
                    "the JWK Set holds {} keys: set `kid` in the header to choose one",
                    many.len()
                ),
            ));
        }
    };
    if !key.is_private() && key.kty().name() != "oct" {
        return Err(ApiError::bad(
            "key_public",
            "this is a public key: signing needs the private key (or generate a key pair)",
        ));
    }
    let mut warnings = Vec::new();
    if let Some(s) = &keys.secret {
        secret_warnings(s, &mut warnings);
    }
    let signer = Signer::new(key, alg).map_err(|e| key_error(&e, keys.secret.as_ref()))?;
    if let (None, Some(k)) = (kid, signer.kid()) {
        warnings.push(warning(
            "kid_added",
            format!(
                "`kid` {} added from the key",
                tessera_jose::error::escaped(k)
            ),
        ));
    }
    let signer = JwtSigner::with_header(signer, Header::from_map(header))
        .map_err(|e| ApiError::bad("header_invalid", format!("the header: {e}")))?;
    let token = signer
        .sign(&Value::Object(payload))
        .map_err(|e| ApiError::bad("sign_failed", format!("cannot sign: {e}")))?;
    Ok(Encoded {
        token,
        alg: alg.name(),
        warnings,
    })
}
