//! The debugger's JSON API, one file per call: each takes its typed request and returns the
//! answer; failures of verification are answers (`"verified": false` with the library's code,
//! as `tessera verify --json` prints), bad input is an [`ApiError`]. [`answer`] dispatches a
//! call by name with its JSON body (what the HTTP router and the fuzz target use).

mod algorithms;
mod decrypt;
mod encode;
mod examples;
mod inspect;
mod keys;
mod verify;

pub use algorithms::algorithms;
pub use decrypt::{DecryptRequest, decrypt};
pub use encode::{EncodeRequest, encode};
pub use examples::examples;
pub use inspect::{InspectRequest, inspect};
pub use keys::{KeysRequest, keys};
pub use verify::{VerifyRequest, verify};

use serde::Deserialize;
use serde_json::{Map, Value, json};
use tessera_jose::{Error, json as strict};

use crate::ApiError;
use crate::claims::{self};
use crate::input::{self};

/// The claim checks of `verify` and `decrypt`, all optional.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ClaimChecks {
    /// Expected `iss`.
    #[serde(default)]
    iss: Option<String>,
    /// An audience `aud` must contain.
    #[serde(default)]
    aud: Option<String>,
    /// Leeway for `exp`, `nbf` and `iat`, in seconds.
    #[serde(default)]
    leeway: Option<u64>,
    /// Reject a token without `exp` (default: yes, as `tessera verify`).
    #[serde(default)]
    require_exp: Option<bool>,
}

/// One call of the API: `endpoint` (`inspect`, `verify`, `encode`, `decrypt`, `keys`,
/// `algorithms`) with the
/// request's JSON body.
///
/// # Errors
/// [`ApiError`] for a body that is not the endpoint's request, or bad input in it.
pub fn answer(endpoint: &str, body: &[u8]) -> Result<Value, ApiError> {
    fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
        // serde_json's messages name the field and position, never the value.
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad("invalid_request", format!("the request body: {e}")))
    }
    match endpoint {
        "inspect" => inspect(parse(body)?),
        "verify" => verify(parse(body)?),
        "encode" => encode(parse(body)?),
        "decrypt" => decrypt(parse(body)?),
        "keys" => keys(parse(body)?),
        "algorithms" => {
            parse::<serde::de::IgnoredAny>(body)?;
            Ok(algorithms())
        }
        _ => Err(ApiError::new(404, "not_found", "no such API call")),
    }
}

/// An answer about a cleaned paste says what was removed from it (`cleaned`: the findings).
pub(super) fn cleaned(mut v: Value, removed: Vec<tessera_jose::inspect::Finding>) -> Value {
    if !removed.is_empty() && v.is_object() {
        v["cleaned"] = json!(removed);
    }
    v
}

/// A failed step: `{field: false, "stage", "code", "message"}` with the library's code.
pub(super) fn failed(field: &str, stage: &str, e: &Error) -> Value {
    json!({field: false, "stage": stage, "code": e.code(), "message": e.to_string()})
}

/// A verifier that cannot be built from the keys, explained.
pub(super) fn key_failure(e: &Error, secret: Option<&input::SecretInfo>) -> Value {
    let err = key_error(e, secret);
    json!({"verified": false, "stage": "key", "code": err.code, "message": err.message})
}

pub(super) fn key_error(e: &Error, secret: Option<&input::SecretInfo>) -> ApiError {
    use tessera_jose::error::KeyProblem;
    match (e, secret) {
        (Error::InvalidKey(KeyProblem::HmacTooShort), _) | (Error::Config(_), Some(_))
            if secret.is_some_and(|s| s.len < 32) =>
        {
            ApiError::bad(
                "weak_secret",
                format!(
                    "the secret is {} bytes: HMAC needs at least as many bytes as its hash (HS256: 32, HS384: 48, HS512: 64; RFC 7518 §3.2); a shorter one can be brute-forced",
                    secret.map_or(0, |s| s.len)
                ),
            )
        }
        (Error::Config(m), _) if m.starts_with("no key") => ApiError::bad(
            "no_matching_key",
            format!("{e}: the key's type and `alg` allow no algorithm here"),
        ),
        _ => ApiError::bad(e.code(), e.to_string()),
    }
}

pub(super) fn secret_warnings(s: &input::SecretInfo, out: &mut Vec<Value>) {
    out.extend(s.findings.iter().cloned().map(claims::as_warning));
}

/// Whether a token is a JWE (five compact parts, or JSON with `ciphertext`).
pub(super) fn is_encrypted(token: &str) -> bool {
    if token.starts_with('{') {
        serde_json::from_str::<Value>(token).is_ok_and(|v| v.get("ciphertext").is_some())
    } else {
        token.split('.').count() == 5
    }
}

/// A JSON object from the page's editor: duplicate member names are an error (every verifier
/// rejects them), and a syntax error says where.
pub(super) fn object(name: &str, text: &str) -> Result<Map<String, Value>, ApiError> {
    let code = if name == "header" {
        "header_invalid"
    } else {
        "payload_invalid"
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(_)) => {}
        Ok(_) => {
            return Err(ApiError::bad(
                code,
                format!("the {name} must be a JSON object"),
            ));
        }
        Err(e) => {
            return Err(ApiError::bad(
                code,
                format!("the {name} is not valid JSON: {e}"),
            ));
        }
    }
    strict::parse_object(text.as_bytes(), strict::DEFAULT_MAX_DEPTH)
        .map_err(|e| ApiError::bad(code, format!("the {name}: {e}")))
}
