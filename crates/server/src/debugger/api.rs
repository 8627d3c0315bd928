//! The debugger's JSON API: inspect, verify, decrypt here; encode, keys and examples in
//! `make.rs`; taking tokens apart in `decode.rs`. Each takes the request body and returns the
//! answer; failures of verification are answers
//! (`"verified": false` with the library's code, as `tessera verify --json` prints), bad input
//! is an [`ApiError`].

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use tessera_jose::alg::KeyManagement;
use tessera_jose::jwe::Decrypter;
use tessera_jose::jws::JwsVerifier;
use tessera_jose::jwt::Verifier;
use tessera_jose::{Error, JweAlg, Jwk, b64};

use super::ApiError;
use super::claims::{self, warning};
use super::decode::{inspect_token, pretty};
use super::input::{self, KeyInput, MAX_TOKEN};
use super::make;

/// `POST api/inspect`: `{"token"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectRequest {
    token: String,
}

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

/// `POST api/verify`: `{"token", "key": {"text", "encoding"}, "checks": {...}}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    token: String,
    key: KeyInput,
    #[serde(default)]
    checks: ClaimChecks,
}

/// `POST api/decrypt`: `{"token", "key" | "password", "verify_key", "checks"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecryptRequest {
    token: String,
    #[serde(default)]
    key: Option<KeyInput>,
    #[serde(default)]
    password: Option<String>,
    /// The signing key of a nested token's inner JWT.
    #[serde(default)]
    verify_key: Option<KeyInput>,
    #[serde(default)]
    checks: ClaimChecks,
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
        "encode" => make::encode(parse(body)?),
        "decrypt" => decrypt(parse(body)?),
        "keys" => make::keys(parse(body)?),
        "algorithms" => {
            parse::<serde::de::IgnoredAny>(body)?;
            Ok(make::algorithms())
        }
        _ => Err(ApiError::new(404, "not_found", "no such API call")),
    }
}

/// Decodes a token without verifying it: its parts, header, payload, claims and warnings.
pub fn inspect(r: InspectRequest) -> Result<Value, ApiError> {
    let (token, removed) = input::token(&r.token)?;
    let mut v = inspect_token(&token, 0)?;
    if !removed.is_empty() {
        if let Some(Value::Array(w)) = v.get_mut("warnings") {
            w.splice(0..0, removed.iter().cloned().map(claims::as_warning));
        }
        v = cleaned(v, removed);
    }
    Ok(v)
}

/// An answer about a cleaned paste says what was removed from it (`cleaned`: the findings).
fn cleaned(mut v: Value, removed: Vec<tessera_jose::inspect::Finding>) -> Value {
    if !removed.is_empty() && v.is_object() {
        v["cleaned"] = json!(removed);
    }
    v
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

/// Decrypts a JWE with a key or a password; a nested token's inner JWT is shown and, given
/// its key, verified.
pub fn decrypt(r: DecryptRequest) -> Result<Value, ApiError> {
    let (token, removed) = input::token(&r.token)?;
    decrypt_token(&token, r).map(|v| cleaned(v, removed))
}

fn decrypt_token(token: &str, r: DecryptRequest) -> Result<Value, ApiError> {
    let token = token.to_owned();
    if !is_encrypted(&token) {
        return Err(ApiError::bad(
            "token_kind",
            "this token is signed, not encrypted: verify it instead",
        ));
    }
    let password = r.password.filter(|p| !p.is_empty());
    let builder = match (&password, &r.key) {
        (Some(pw), _) => Decrypter::builder(Jwk::from_secret(pw.as_bytes()))
            .allow_pbes2()
            .algorithms(
                JweAlg::ALL
                    .into_iter()
                    .filter(|a| a.mode() == KeyManagement::Pbes2),
            ),
        (None, Some(k)) => Decrypter::builder(k.keys()?.set).algorithms_from_keys_and(
            JweAlg::ALL
                .into_iter()
                .filter(|a| !matches!(a.mode(), KeyManagement::Pbes2 | KeyManagement::RsaPkcs1)),
        ),
        (None, None) => {
            return Err(ApiError::bad(
                "key_missing",
                "no key given: paste the decryption key, or a password for PBES2",
            ));
        }
    };
    let decrypter = match builder.max_size(MAX_TOKEN).build() {
        Ok(d) => d,
        Err(e) => return Ok(failed("decrypted", "key", &e)),
    };
    let out = match decrypter.decrypt(&token) {
        Ok(out) => out,
        Err(e) => {
            let mut v = failed("decrypted", "decryption", &e);
            if e == Error::AlgorithmNotAllowed {
                v["message"] = json!(format!(
                    "{e}: RSA1_5 is refused as dangerous (RFC 8725 §3.2), and a key's own `alg` limits it to that algorithm"
                ));
            }
            return Ok(v);
        }
    };
    let header = out.protected().as_map().clone();
    let mut warnings = Vec::new();
    claims::header_warnings(&header, &mut warnings);
    let plaintext = out.plaintext();
    let mut answer = json!({
        "decrypted": true,
        "alg": out.alg().name(),
        "enc": out.enc().name(),
        "kid": out.kid(),
        "header": header,
        "bytes": plaintext.len(),
    });
    let text = std::str::from_utf8(plaintext).ok();
    if let Some(inner) = text.filter(|t| t.split('.').count() == 3 && !t.starts_with('{')) {
        if !header
            .get("cty")
            .and_then(Value::as_str)
            .is_some_and(|c| c.eq_ignore_ascii_case("JWT"))
        {
            warnings.push(warning(
                "cty_missing",
                "the plaintext is a signed JWT but the header has no `cty: JWT` (RFC 7519 §5.2): verifiers of nested tokens reject it",
            ));
        }
        answer["plaintext_kind"] = json!("jwt");
        answer["plaintext"] = json!(inner);
        answer["inner"] = inspect_token(inner, 1).unwrap_or_else(|e| json!({"error": e.body()}));
        if let Some(k) = r.verify_key.as_ref().filter(|k| !k.text.trim().is_empty()) {
            answer["inner_verification"] = verify_signed(inner, k, &r.checks)?;
        }
    } else if let Ok(Value::Object(c)) = serde_json::from_slice::<Value>(plaintext) {
        if out.alg().is_public_key() {
            warnings.push(warning(
                "unauthenticated",
                "encrypted to a public key and not signed: anyone with the public key can make such a token; sign it and nest it",
            ));
        }
        claims::claim_warnings(&c, claims::now(), &mut warnings);
        answer["plaintext_kind"] = json!("json");
        answer["plaintext"] = json!(pretty(&Value::Object(c.clone())));
        answer["claims"] = json!(claims::table(&c));
    } else if let Some(t) = text {
        answer["plaintext_kind"] = json!("text");
        answer["plaintext"] = json!(t);
    } else {
        answer["plaintext_kind"] = json!("binary");
        answer["plaintext"] = json!(b64::encode(plaintext));
    }
    answer["warnings"] = json!(warnings);
    Ok(answer)
}

/// A signed token checked with `key`: signature first (any serialization), then the claims of a
/// compact JWT.
fn verify_signed(token: &str, key: &KeyInput, checks: &ClaimChecks) -> Result<Value, ApiError> {
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

/// A failed step: `{field: false, "stage", "code", "message"}` with the library's code.
fn failed(field: &str, stage: &str, e: &Error) -> Value {
    json!({field: false, "stage": stage, "code": e.code(), "message": e.to_string()})
}

/// A verifier that cannot be built from the keys, explained.
fn key_failure(e: &Error, secret: Option<&input::SecretInfo>) -> Value {
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
fn is_encrypted(token: &str) -> bool {
    if token.starts_with('{') {
        serde_json::from_str::<Value>(token).is_ok_and(|v| v.get("ciphertext").is_some())
    } else {
        token.split('.').count() == 5
    }
}
