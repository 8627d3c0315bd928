//! `POST api/verify`: a signed token's signature with the given keys, then its claims.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_jose::inspect::Finding;
use tessera_jose::jws::JwsVerifier;
use tessera_jose::jwt::Verifier;

use super::{ClaimChecks, Failure, cleaned, failed, is_encrypted, key_failure, secret_warnings};
use crate::ApiError;
use crate::claims::{Warning, warning};
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

/// The answer: whether the token verified, how far it got, and what to know about it.
#[derive(Debug, Serialize)]
pub struct Verification {
    /// The signature verified and, for a compact JWT, so did the claims.
    pub verified: bool,
    /// The signature's outcome, or the step that failed before it.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Skipped keys, weak secrets.
    pub warnings: Vec<Warning>,
    /// What was removed from the pasted text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleaned: Option<Vec<Finding>>,
}

/// How far a verification got.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Outcome {
    /// The signature verified; the claims were checked (compact JWTs) and may have failed.
    Signed {
        /// Always true here.
        signature: bool,
        /// The algorithm of the signature that verified.
        alg: Option<&'static str>,
        /// Its key's `kid`.
        kid: Option<String>,
        /// Whether the claims were checked (a JSON serialization is not a JWT).
        claims_checked: bool,
        /// The claim check that failed.
        #[serde(flatten)]
        failure: Option<Failure>,
    },
    /// The keys or the signature failed.
    Failed(Failure),
}

impl Verification {
    fn failed(failure: Failure, warnings: Vec<Warning>) -> Self {
        Self {
            verified: false,
            outcome: Outcome::Failed(failure),
            warnings,
            cleaned: None,
        }
    }
}

/// Verifies a signed token's signature with the given keys, then (for a compact JWT) the
/// claims.
///
/// # Errors
/// [`ApiError`] for text that holds no token, an encrypted token, or keys that cannot be read.
pub fn verify(r: VerifyRequest) -> Result<Verification, ApiError> {
    let (token, removed) = input::token(&r.token)?;
    if is_encrypted(&token) {
        return Err(ApiError::bad(
            "token_kind",
            "this token is encrypted (a JWE): decrypt it with its key first",
        ));
    }
    let mut v = verify_signed(&token, &r.key, &r.checks)?;
    v.cleaned = cleaned(removed);
    Ok(v)
}

/// A signed token checked with `key`: signature first (any serialization), then the claims of a
/// compact JWT.
pub(super) fn verify_signed(
    token: &str,
    key: &KeyInput,
    checks: &ClaimChecks,
) -> Result<Verification, ApiError> {
    let keys = key.keys()?;
    let mut warnings: Vec<Warning> = keys
        .skipped
        .iter()
        .map(|s| warning("key_skipped", s.clone()))
        .collect();
    if let Some(s) = &keys.secret {
        secret_warnings(s, &mut warnings);
    }
    let jws = JwsVerifier::builder(keys.set.clone())
        .algorithms_from_keys()
        .max_size(MAX_TOKEN)
        .build();
    let jws = match jws {
        Ok(v) => v,
        Err(e) => {
            return Ok(Verification::failed(
                key_failure(&e, keys.secret.as_ref()),
                warnings,
            ));
        }
    };
    let signature = match jws.verify(token) {
        Ok(v) => v,
        Err(e) => return Ok(Verification::failed(failed("signature", &e), warnings)),
    };
    let (alg, kid) = signature
        .verified()
        .next()
        .map(|s| (Some(s.alg.name()), s.kid.clone()))
        .unwrap_or_default();
    let signed =
        |claims_checked: bool, failure: Option<Failure>, warnings: Vec<Warning>| Verification {
            verified: failure.is_none(),
            outcome: Outcome::Signed {
                signature: true,
                alg,
                kid: kid.clone(),
                claims_checked,
                failure,
            },
            warnings,
            cleaned: None,
        };
    if token.starts_with('{') {
        // JWTs are compact only (RFC 7519 §7.2): a JSON serialization has its signature checked.
        return Ok(signed(false, None, warnings));
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
        Err(e) => return Ok(Verification::failed(key_failure(&e, None), warnings)),
    };
    let failure = verifier
        .verify::<Value>(token)
        .err()
        .map(|e| failed("claims", &e));
    Ok(signed(true, failure, warnings))
}
