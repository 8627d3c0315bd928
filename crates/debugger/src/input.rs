//! What the page sends: a pasted token, and key text in any of the forms people paste (a
//! secret as text or base64url, a PEM key or certificate, a JWK, a JWK Set).

use serde::Deserialize;
use tessera_jose::{Jwk, JwkSet, inspect};

use crate::ApiError;

/// Largest token the API looks at.
pub const MAX_TOKEN: usize = 512 * 1024;

/// Key text from the page and how to read it.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct KeyInput {
    /// The pasted text.
    #[serde(default)]
    pub text: String,
    /// `auto` (default: PEM, JWK, JWK Set by their shape, else a text secret), `text` (a
    /// secret as typed) or `base64url` (a secret's bytes, base64url-encoded).
    #[serde(default)]
    pub encoding: Encoding,
}

/// How key text is read.
#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// By its shape.
    #[default]
    Auto,
    /// A secret, its UTF-8 bytes as typed.
    Text,
    /// A secret, base64url (padding tolerated).
    Base64url,
}

/// Keys read from [`KeyInput`], and whether they came from a secret (its bytes, for the weak
/// secret checks).
pub struct Keys {
    /// The keys.
    pub set: JwkSet,
    /// The shared secret's length and whether it is a published example secret.
    pub secret: Option<SecretInfo>,
    /// Keys of a JWK Set that were skipped, and why.
    pub skipped: Vec<String>,
}

/// What the checks need to know of a shared secret (never the secret itself).
pub struct SecretInfo {
    /// Length in bytes.
    pub len: usize,
    /// What the library finds wrong with it (a published or repetitive secret).
    pub findings: Vec<inspect::Finding>,
}

impl KeyInput {
    /// The keys the text holds.
    ///
    /// # Errors
    /// `key_missing` when empty, `key_invalid` with the library's reason otherwise.
    pub fn keys(&self) -> Result<Keys, ApiError> {
        if self.text.trim().is_empty() {
            return Err(ApiError::bad(
                "key_missing",
                "no key given: paste a secret, a PEM key or certificate, a JWK or a JWK Set",
            ));
        }
        let secret = |bytes: Vec<u8>| Keys {
            secret: Some(SecretInfo {
                len: bytes.len(),
                findings: inspect::secret_findings(&bytes),
            }),
            set: JwkSet::from(Jwk::from_secret(&bytes)),
            skipped: Vec::new(),
        };
        let trimmed = self.text.trim();
        match self.encoding {
            Encoding::Text => Ok(secret(self.text.as_bytes().to_vec())),
            Encoding::Base64url => {
                let unpadded = trimmed.trim_end_matches('=');
                let bytes = tessera_jose::b64::decode(unpadded).map_err(|_| {
                    ApiError::bad(
                        "key_invalid",
                        "the secret is not base64url (A-Z a-z 0-9 - _; `+` and `/` are base64, not base64url)",
                    )
                })?;
                Ok(secret(bytes))
            }
            Encoding::Auto if trimmed.starts_with("-----BEGIN") => {
                let key = Jwk::import(trimmed.as_bytes()).map_err(|e| match e {
                    tessera_jose::Error::InvalidKey(
                        tessera_jose::error::KeyProblem::Encrypted,
                    ) => ApiError::bad(
                        "key_invalid",
                        "the PEM key is encrypted: paste the public key to verify, or decrypt it first (`tessera jwk convert --to pem --private --password-file PW KEY`)",
                    ),
                    other => ApiError::bad("key_invalid", format!("the PEM key: {other}")),
                })?;
                Ok(Keys {
                    set: JwkSet::from(key),
                    secret: None,
                    skipped: Vec::new(),
                })
            }
            Encoding::Auto if trimmed.starts_with('{') => {
                let value: serde_json::Value = serde_json::from_str(trimmed).map_err(|e| {
                    ApiError::bad("key_invalid", format!("the key is not valid JSON: {e}"))
                })?;
                if value.get("keys").is_some() {
                    let set = JwkSet::from_json(trimmed)
                        .map_err(|e| ApiError::bad("key_invalid", format!("the JWK Set: {e}")))?;
                    let skipped = set
                        .skipped()
                        .iter()
                        .map(|(i, why)| format!("key {i} of the JWK Set skipped: {why}"))
                        .collect();
                    if set.keys().is_empty() {
                        return Err(ApiError::bad(
                            "key_invalid",
                            "the JWK Set has no usable key",
                        ));
                    }
                    Ok(Keys {
                        set,
                        secret: None,
                        skipped,
                    })
                } else {
                    let key = Jwk::from_json(trimmed)
                        .map_err(|e| ApiError::bad("key_invalid", format!("the JWK: {e}")))?;
                    Ok(Keys {
                        set: JwkSet::from(key),
                        secret: None,
                        skipped: Vec::new(),
                    })
                }
            }
            Encoding::Auto => Ok(secret(self.text.as_bytes().to_vec())),
        }
    }
}

/// The token in a pasted text, cleaned as `tessera decode` cleans it
/// ([`inspect::pasted_token`]: whitespace, a `Bearer ` or `DPoP ` scheme, line breaks inside a
/// compact token), and what was removed (findings the page shows: verification elsewhere
/// refuses the text as pasted).
///
/// # Errors
/// `token_missing` for nothing, `limit_exceeded` past [`MAX_TOKEN`].
pub fn token(text: &str) -> Result<(String, Vec<inspect::Finding>), ApiError> {
    if text.len() > MAX_TOKEN {
        return Err(ApiError::bad(
            "limit_exceeded",
            format!("the token is larger than {MAX_TOKEN} bytes"),
        ));
    }
    let pasted = inspect::pasted_token(text);
    if pasted.token.is_empty() {
        return Err(ApiError::bad("token_missing", "no token given: paste one"));
    }
    let removed = pasted.findings();
    Ok((pasted.token.into_owned(), removed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_tokens_are_cleaned() {
        let t = |s: &str| token(s).ok().map(|(t, _)| t);
        assert_eq!(t("  Bearer a.b.c\n").as_deref(), Some("a.b.c"));
        assert_eq!(t("a.b\n.c").as_deref(), Some("a.b.c"));
        assert!(token("  \n").is_err());
        assert!(token("Bearer ").is_err());
        assert_eq!(t("DPoP\ta.b.c").as_deref(), Some("a.b.c"));
        // What was removed is said.
        let codes = |s: &str| -> Vec<&str> {
            token(s)
                .map(|(_, r)| r.into_iter().map(|f| f.code).collect())
                .unwrap_or_default()
        };
        assert_eq!(
            codes("Bearer a.b\n.c"),
            ["scheme_removed", "whitespace_removed"]
        );
        assert!(codes(" a.b.c\n").is_empty());
    }
}
