//! `POST api/decrypt`: a JWE with a key or a password; a nested token's inner JWT shown and,
//! given its key, verified.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tessera_jose::alg::KeyManagement;
use tessera_jose::inspect::Finding;
use tessera_jose::jwe::Decrypter;
use tessera_jose::{Error, JweAlg, Jwk, b64};

use super::verify::{Verification, verify_signed};
use super::{ClaimChecks, Failure, cleaned, failed, is_encrypted};
use crate::ApiError;
use crate::claims::{self, ClaimRow, Warning, warning};
use crate::decode::{Inner, pretty};
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

/// The answer: whether the token decrypted, and what it held.
#[derive(Debug, Serialize)]
pub struct Decryption {
    /// Whether it decrypted.
    pub decrypted: bool,
    /// What it held, or the step that failed.
    #[serde(flatten)]
    pub outcome: DecryptOutcome,
    /// What was removed from the pasted text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleaned: Option<Vec<Finding>>,
}

/// A decryption's outcome.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum DecryptOutcome {
    /// The plaintext and what it is.
    Decrypted(Box<Decrypted>),
    /// The keys or the decryption failed.
    Failed(Failure),
}

/// A decrypted token.
#[derive(Debug, Serialize)]
pub struct Decrypted {
    /// The key management algorithm.
    pub alg: &'static str,
    /// The content encryption.
    pub enc: &'static str,
    /// The recipient's `kid`.
    pub kid: Option<String>,
    /// The protected header.
    pub header: Map<String, Value>,
    /// The plaintext's length in bytes.
    pub bytes: usize,
    /// `jwt` (a nested signed token), `json`, `text` or `binary`.
    pub plaintext_kind: &'static str,
    /// The plaintext as shown (pretty JSON, text, the inner token, or base64url).
    pub plaintext: String,
    /// The claims table of a JSON plaintext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimRow>>,
    /// The inner token of a nested one, taken apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner: Option<Inner>,
    /// The inner token verified with `verify_key`, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner_verification: Option<Verification>,
    /// What to know about the header and the claims.
    pub warnings: Vec<Warning>,
}

impl Decryption {
    fn failed(failure: Failure) -> Self {
        Self {
            decrypted: false,
            outcome: DecryptOutcome::Failed(failure),
            cleaned: None,
        }
    }
}

/// Decrypts a JWE with a key or a password; a nested token's inner JWT is shown and, given
/// its key, verified.
///
/// # Errors
/// [`ApiError`] for text that holds no token, a signed token, or no or unreadable keys.
pub fn decrypt(r: DecryptRequest) -> Result<Decryption, ApiError> {
    let (token, removed) = input::token(&r.token)?;
    let mut d = decrypt_token(&token, r)?;
    d.cleaned = cleaned(removed);
    Ok(d)
}

fn decrypt_token(token: &str, r: DecryptRequest) -> Result<Decryption, ApiError> {
    if !is_encrypted(token) {
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
        Err(e) => return Ok(Decryption::failed(failed("key", &e))),
    };
    let out = match decrypter.decrypt(token) {
        Ok(out) => out,
        Err(e) => {
            let mut f = failed("decryption", &e);
            if e == Error::AlgorithmNotAllowed {
                f.message = format!(
                    "{e}: RSA1_5 is refused as dangerous (RFC 8725 §3.2), and a key's own `alg` limits it to that algorithm"
                );
            }
            return Ok(Decryption::failed(f));
        }
    };
    let header = out.protected().as_map().clone();
    let mut warnings = Vec::new();
    claims::header_warnings(&header, &mut warnings);
    let plaintext = out.plaintext();
    let text = std::str::from_utf8(plaintext).ok();
    let mut d = Decrypted {
        alg: out.alg().name(),
        enc: out.enc().name(),
        kid: out.kid().map(str::to_owned),
        bytes: plaintext.len(),
        plaintext_kind: "binary",
        plaintext: String::new(),
        claims: None,
        inner: None,
        inner_verification: None,
        warnings: Vec::new(),
        header,
    };
    if let Some(inner) = text.filter(|t| t.split('.').count() == 3 && !t.starts_with('{')) {
        if !d
            .header
            .get("cty")
            .and_then(Value::as_str)
            .is_some_and(|c| c.eq_ignore_ascii_case("JWT"))
        {
            warnings.push(warning(
                "cty_missing",
                "the plaintext is a signed JWT but the header has no `cty: JWT` (RFC 7519 §5.2): verifiers of nested tokens reject it",
            ));
        }
        d.plaintext_kind = "jwt";
        d.plaintext = inner.to_owned();
        d.inner = Some(Inner::of(inner));
        if let Some(k) = r.verify_key.as_ref().filter(|k| !k.text.trim().is_empty()) {
            d.inner_verification = Some(verify_signed(inner, k, &r.checks)?);
        }
    } else if let Ok(Value::Object(c)) = serde_json::from_slice::<Value>(plaintext) {
        if out.alg().is_public_key() {
            warnings.push(warning(
                "unauthenticated",
                "encrypted to a public key and not signed: anyone with the public key can make such a token; sign it and nest it",
            ));
        }
        claims::claim_warnings(&c, claims::now(), &mut warnings);
        d.plaintext_kind = "json";
        d.plaintext = pretty(&Value::Object(c.clone()));
        d.claims = Some(claims::table(&c));
    } else if let Some(t) = text {
        d.plaintext_kind = "text";
        d.plaintext = t.to_owned();
    } else {
        d.plaintext = b64::encode(plaintext);
    }
    d.warnings = warnings;
    Ok(Decryption {
        decrypted: true,
        outcome: DecryptOutcome::Decrypted(Box::new(d)),
        cleaned: None,
    })
}
