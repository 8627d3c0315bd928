//! `POST api/decrypt`: a JWE with a key or a password; a nested token's inner JWT shown and,
//! given its key, verified.

use serde::Deserialize;
use serde_json::{Value, json};
use tessera_jose::alg::KeyManagement;
use tessera_jose::jwe::Decrypter;
use tessera_jose::{Error, JweAlg, Jwk, b64};

use super::verify::verify_signed;
use super::{ClaimChecks, cleaned, failed, is_encrypted};
use crate::ApiError;
use crate::claims::{self, warning};
use crate::decode::{inspect_token, pretty};
use crate::input::{self, KeyInput, MAX_TOKEN};

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
