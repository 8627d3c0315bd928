//! The debugger's JSON API, one file per call: each takes its typed request and returns its
//! typed answer (the page's contract, in Rust); failures of verification are answers
//! (`"verified": false` with the library's code, as `tessera verify --json` prints), bad input
//! is an [`ApiError`]. [`answer`] dispatches a call by name with its JSON body and gives the
//! answer as JSON (what the HTTP router and the fuzz target use).

mod algorithms;
mod decrypt;
mod encode;
mod examples;
mod inspect;
mod keys;
mod verify;

pub use algorithms::{Algorithms, algorithms};
pub use decrypt::{DecryptRequest, Decrypted, Decryption, decrypt};
pub use encode::{EncodeRequest, Encoded, encode};
pub use examples::{Example, ExampleKey, Examples, examples};
pub use inspect::{InspectRequest, Inspected, inspect};
pub use keys::{KeysRequest, NewKey, keys};
pub use verify::{Verification, VerifyRequest, verify};

pub use crate::claims::{ClaimRow, Warning};
pub use crate::decode::{
    Body, CompactSizes, Inner, JsonSizes, Part, PayloadView, SignatureHeaders, TokenView,
};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tessera_jose::inspect::Finding;
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
    fn json<T: Serialize>(answer: T) -> Result<Value, ApiError> {
        serde_json::to_value(answer)
            .map_err(|_| ApiError::new(500, "internal_error", "the answer could not be written"))
    }
    match endpoint {
        "inspect" => json(inspect(parse(body)?)?),
        "verify" => json(verify(parse(body)?)?),
        "encode" => json(encode(parse(body)?)?),
        "decrypt" => json(decrypt(parse(body)?)?),
        "keys" => json(keys(parse(body)?)?),
        "algorithms" => {
            parse::<serde::de::IgnoredAny>(body)?;
            json(algorithms())
        }
        _ => Err(ApiError::new(404, "not_found", "no such API call")),
    }
}

/// A step that failed, with the library's code: `stage` is `key`, `signature`, `claims` or
/// `decryption`.
#[derive(Debug, Serialize)]
pub struct Failure {
    /// Which step.
    pub stage: &'static str,
    /// The library's stable code.
    pub code: String,
    /// Its sentence.
    pub message: String,
}

/// What was removed from a pasted token (`cleaned` in an answer about it), if anything.
pub(super) fn cleaned(removed: Vec<Finding>) -> Option<Vec<Finding>> {
    (!removed.is_empty()).then_some(removed)
}

/// A step that failed with a library error.
pub(super) fn failed(stage: &'static str, e: &Error) -> Failure {
    Failure {
        stage,
        code: e.code().to_owned(),
        message: e.to_string(),
    }
}

/// A verifier that cannot be built from the keys, explained.
pub(super) fn key_failure(e: &Error, secret: Option<&input::SecretInfo>) -> Failure {
    let err = key_error(e, secret);
    Failure {
        stage: "key",
        code: err.code.to_owned(),
        message: err.message,
    }
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

pub(super) fn secret_warnings(s: &input::SecretInfo, out: &mut Vec<Warning>) {
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
