//! `POST api/verify`: a signed token's signature with the given keys, then its claims.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use tessera_jose::jws::JwsVerifier;
use tessera_jose::jwt::Verifier;

use super::{ClaimChecks, cleaned, failed, is_encrypted, key_failure, secret_warnings};
use crate::ApiError;
use crate::claims::warning;
use crate::input::{self, KeyInput, MAX_TOKEN};

/// `POST api/verify`: `{"token", "key": {"text", "encoding"}, "checks": {...}}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    token: String,
    key: KeyInput,
    #[serde(default)]
    checks: ClaimChecks,
}

/// Verifies a signed token's signature with the given keys, then (for a compact JWT) the
/// claims.
pub fn verify(r: VerifyRequest) -> Result<Value, ApiError> {
    let (token, removed) = input::token(&r.token)?;
    if is_encrypted(&token) {
        return Err(ApiError::bad(
            "token_kind",
            "this token is encrypted (a JWE): decrypt it with its key first",
        ));
    }
    Ok(cleaned(verify_signed(&token, &r.key, &r.checks)?, removed))
}

/// A signed token checked with `key`: signature first (any serialization), then the claims of a
/// compact JWT.
pub(super) fn verify_signed(
    token: &str,
    key: &KeyInput,
    checks: &ClaimChecks,
) -> Result<Value, ApiError> {
    let keys = key.keys()?;
    let mut warnings: Vec<Value> = keys
        .skipped
        .iter()
        .map(|s| warning("key_skipped", s.clone()))
        .collect();
    if let Some(s) = &keys.secret {
        secret_warnings(s, &mut warnings);
    }
    let with_warnings = |mut v: Value, warnings: Vec<Value>| {
        v["warnings"] = json!(warnings);
        v
    };
    let jws = JwsVerifier::builder(keys.set.clone())
        .algorithms_from_keys()
        .max_size(MAX_TOKEN)
        .build();
    let jws = match jws {
        Ok(v) => v,
        Err(e) => {
            return Ok(with_warnings(
                key_failure(&e, keys.secret.as_ref()),
                warnings,
            ));
        }
    };
    let signature = match jws.verify(token) {
        Ok(v) => v,
        Err(e) => return Ok(with_warnings(failed("verified", "signature", &e), warnings)),
    };
    let (alg, kid) = signature
        .verified()
        .next()
        .map(|s| (Some(s.alg.name()), s.kid.clone()))
        .unwrap_or_default();
    let mut answer = json!({
        "verified": true,
        "signature": true,
        "alg": alg,
        "kid": kid,
        "claims_checked": false,
    });
    if token.starts_with('{') {
        // JWTs are compact only (RFC 7519 §7.2): a JSON serialization has its signature checked.
        return Ok(with_warnings(answer, warnings));
    }
    let mut b = Verifier::builder(keys.set)
        .algorithms_from_keys()
        .max_token_size(MAX_TOKEN);
    if let Some(iss) = checks
        .iss
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        b = b.issuer(iss);
    }
    b = match checks
        .aud
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(aud) => b.audience(aud),
        None => b.skip_audience_check(),
    };
    if let Some(l) = checks.leeway {
        b = b.leeway(Duration::from_secs(l.min(86_400)));
    }
    if checks.require_exp == Some(false) {
        b = b.allow_missing_exp();
    }
    let verifier = match b.build() {
        Ok(v) => v,
        Err(e) => return Ok(with_warnings(key_failure(&e, None), warnings)),
    };
    answer["claims_checked"] = json!(true);
    if let Err(e) = verifier.verify::<Value>(token) {
        answer["verified"] = json!(false);
        answer["stage"] = json!("claims");
        answer["code"] = json!(e.code());
        answer["message"] = json!(e.to_string());
    }
    Ok(with_warnings(answer, warnings))
}
