//! The endpoints, one module each, and what they share: strict form parsing and client
//! authentication.

pub mod discovery;
pub mod health;
pub mod introspect;
pub mod parse;
pub mod revoke;
pub mod token;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use axum::http::{HeaderMap, header};

use crate::error::OAuthError;
use crate::state::AppState;
use crate::store::Client;

/// An access token of this issuer whose signature, `typ`, issuer and lifetime verified, with
/// the claims introspection and revocation need.
#[derive(Debug)]
pub struct IssuedToken {
    /// Every claim.
    pub claims: serde_json::Value,
    /// `jti`.
    pub jti: String,
    /// `client_id`.
    pub client_id: String,
    /// `iat`.
    pub iat: i64,
    /// `exp`.
    pub exp: i64,
}

/// How many verified tokens a key ring remembers: two generations of half as many each.
const VERIFIED_CAPACITY: usize = 4096;

/// Access tokens that verified with one key ring, by an HMAC of their text under a random key
/// of the ring. A token seen again skips its signature check only: expiry is checked on every
/// use, and revocation is asked of the store by the callers. Two generations: when the newer
/// holds half of its capacity (4096 tokens), it becomes the older and the older one is dropped,
/// outside the lock, so no request waits for thousands of entries to be freed.
pub struct VerifiedTokens {
    key: [u8; 32],
    maps: RwLock<Generations>,
}

#[derive(Default)]
struct Generations {
    newer: HashMap<[u8; 32], Arc<IssuedToken>>,
    older: HashMap<[u8; 32], Arc<IssuedToken>>,
}

impl VerifiedTokens {
    /// An empty cache under `key`.
    #[must_use]
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            key,
            maps: RwLock::new(Generations::default()),
        }
    }

    fn id(&self, token: &str) -> [u8; 32] {
        tessera_jose::secret::hmac_sha256(&self.key, token.as_bytes())
    }

    fn get(&self, id: &[u8; 32]) -> Option<Arc<IssuedToken>> {
        let maps = self.maps.read().ok()?;
        maps.newer.get(id).or_else(|| maps.older.get(id)).cloned()
    }

    fn insert(&self, id: [u8; 32], token: Arc<IssuedToken>) {
        let dropped = {
            let Ok(mut maps) = self.maps.write() else {
                return;
            };
            let dropped = if maps.newer.len() >= VERIFIED_CAPACITY / 2 {
                let newer = std::mem::take(&mut maps.newer);
                Some(std::mem::replace(&mut maps.older, newer))
            } else {
                None
            };
            maps.newer.insert(id, token);
            dropped
        };
        drop(dropped);
    }

    /// How many tokens it holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.maps
            .read()
            .map_or(0, |m| m.newer.len() + m.older.len())
    }

    /// Whether it holds none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Verifies one of this issuer's access tokens with the published keys; `None` for anything
/// else (foreign, expired, tampered, or without the claims this issuer always sets). A token
/// that verified before with the same keys is taken from the ring's [`VerifiedTokens`], its
/// expiry checked again.
#[must_use]
pub fn issued_token(state: &AppState, token: &str) -> Option<Arc<IssuedToken>> {
    use serde_json::Value;
    let keys = state.keys();
    let id = keys.verified.id(token);
    if let Some(t) = keys.verified.get(&id) {
        // As the verifier: expired at `exp` (RFC 7519 §4.1.4), no leeway.
        return (state.now() < t.exp).then_some(t);
    }
    let claims = keys
        .verifier
        .as_ref()?
        .verify::<Value>(token)
        .ok()?
        .into_claims();
    let text = |n: &str| claims.get(n).and_then(Value::as_str).map(str::to_owned);
    let number = |n: &str| claims.get(n).and_then(Value::as_i64);
    let t = Arc::new(IssuedToken {
        jti: text("jti")?,
        client_id: text("client_id")?,
        iat: number("iat")?,
        exp: number("exp")?,
        claims,
    });
    keys.verified.insert(id, Arc::clone(&t));
    Some(t)
}

/// A form body: `application/x-www-form-urlencoded`, each parameter at most once (RFC 6749
/// §3.1), except those allowed to repeat (`resource`, RFC 8707).
pub struct Form {
    single: HashMap<String, String>,
    resources: Vec<String>,
}

impl Form {
    /// Parses the body after checking the content type.
    ///
    /// # Errors
    /// `invalid_request` for another content type, invalid encoding or a repeated parameter.
    pub fn parse(headers: &HeaderMap, body: &Bytes) -> Result<Self, OAuthError> {
        let form_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !form_type {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let (single, resources) = parse::form_pairs(body).map_err(OAuthError::invalid_request)?;
        Ok(Self { single, resources })
    }

    /// A parameter (an empty value counts as absent, RFC 6749 §3.1).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.single
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The `resource` parameters.
    #[must_use]
    pub fn resources(&self) -> &[String] {
        &self.resources
    }
}

/// Authenticates the calling client: `client_secret_basic` or `client_secret_post`, exactly
/// one of them (RFC 6749 §2.3.1). Failures are `invalid_client`, with a `WWW-Authenticate`
/// challenge when the `Authorization` header was used or nothing was given.
///
/// A client unknown to this node's cache, or whose secret does not match, is looked up once more
/// after a check of the store's change generation: a client created, re-keyed or enabled a
/// moment ago (by `tessera client` or on another node) works at once, not at the next poll. A
/// failure costs that one small query, and reloads are one at a time.
///
/// # Errors
/// `invalid_request` for two methods at once or a malformed header, `invalid_client` else.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    form: &Form,
) -> Result<Arc<Client>, OAuthError> {
    let basic = headers.get(header::AUTHORIZATION);
    let post = form.get("client_secret");
    let (id, secret, via_header) = match (basic, post) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not two",
            ));
        }
        (Some(h), None) => {
            let (id, secret) = parse::basic_credentials(h.to_str().ok())
                .ok_or_else(|| OAuthError::invalid_request("malformed Authorization header"))?;
            if form.get("client_id").is_some_and(|c| c != id) {
                return Err(OAuthError::invalid_request(
                    "client_id does not match the credentials",
                ));
            }
            (id, secret, true)
        }
        (None, Some(secret)) => {
            let id = form
                .get("client_id")
                .ok_or_else(|| OAuthError::invalid_request("client_id is missing"))?;
            (id.to_owned(), secret.to_owned(), false)
        }
        (None, None) => return Err(OAuthError::invalid_client(true)),
    };
    let presented = state.secrets().hash_secret(&secret);
    let mut found = cached_client(state, &id, &presented);
    if found.is_err() {
        // A store read that starts after this moment sees every change this request could
        // depend on (the clock is read only on failure: a successful grant never pays for it).
        let arrived = std::time::Instant::now();
        if let Err(e) = state.refresh_for(arrived).await {
            tracing::error!(error = %e, "cannot read the store to authenticate a client");
        }
        found = cached_client(state, &id, &presented);
    }
    found.map_err(|known| {
        state.auth_failed(if known { &id } else { "unknown" });
        OAuthError::invalid_client(via_header)
    })
}

/// The cached client with this id and secret hash, if enabled; else whether the id is known.
fn cached_client(state: &AppState, id: &str, presented: &[u8]) -> Result<Arc<Client>, bool> {
    let client = state.client(id).ok_or(false)?;
    let now = state.now();
    let current = tessera_jose::secret::ct_eq(presented, &client.secret_hash);
    let old = client.old_secret_hash.as_deref().is_some_and(|h| {
        client.old_secret_until.is_some_and(|t| t > now)
            && tessera_jose::secret::ct_eq(presented, h)
    });
    if (current | old) && client.enabled {
        Ok(client)
    } else {
        Err(true)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::parse::basic_credentials;
    use super::{IssuedToken, VERIFIED_CAPACITY, VerifiedTokens};

    #[test]
    fn verified_tokens_keep_two_generations() {
        let cache = VerifiedTokens::new([7; 32]);
        let token = |i: usize| {
            Arc::new(IssuedToken {
                claims: serde_json::Value::Null,
                jti: i.to_string(),
                client_id: "c".into(),
                iat: 0,
                exp: 1,
            })
        };
        let half = VERIFIED_CAPACITY / 2;
        for i in 0..=half {
            cache.insert(cache.id(&i.to_string()), token(i));
        }
        // The first half moved to the older generation and is still found.
        assert_eq!(cache.len(), half + 1);
        assert_eq!(
            cache.get(&cache.id("0")).map(|t| t.jti.clone()),
            Some("0".into())
        );
        for i in half + 1..=2 * half {
            cache.insert(cache.id(&i.to_string()), token(i));
        }
        // A second roll-over dropped the first half; the size stays bounded.
        assert!(cache.len() <= VERIFIED_CAPACITY);
        assert!(cache.get(&cache.id("0")).is_none());
        assert!(cache.get(&cache.id(&(2 * half).to_string())).is_some());
        assert!(cache.get(&cache.id("not seen")).is_none());
    }

    #[test]
    fn basic_credentials_are_decoded_strictly() {
        // "a%3Ab:s+c%25" -> id "a:b", secret "s c%"
        let h = format!("Basic {}", "YSUzQWI6cytjJTI1");
        assert_eq!(
            basic_credentials(Some(&h)),
            Some(("a:b".into(), "s c%".into()))
        );
        assert_eq!(basic_credentials(Some("Bearer x")), None);
        assert_eq!(basic_credentials(Some("Basic !!!")), None);
        assert_eq!(basic_credentials(Some("Basic YWJj")), None, "no colon");
    }
}
