//! This issuer's access tokens as introspection and revocation see them: verified with the
//! published keys, and remembered per key ring so a token seen again skips its signature check.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::state::AppState;

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
    /// When it was issued, Unix milliseconds (from its `jti`, else the start of its `iat`
    /// second: see [`super::access::issued_millis`]).
    pub issued_ms: i64,
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
    let jti = text("jti")?;
    let t = Arc::new(IssuedToken {
        issued_ms: super::access::issued_millis(&jti, number("iat")?),
        jti,
        client_id: text("client_id")?,
        exp: number("exp")?,
        claims,
    });
    keys.verified.insert(id, Arc::clone(&t));
    Some(t)
}

/// An active access token, and for a person's token the person's account id (its `sub` is
/// that id, or a pairwise subject standing for it).
pub struct ActiveToken {
    /// The token.
    pub token: Arc<IssuedToken>,
    /// The person's account id (a person's token only).
    pub user_id: Option<String>,
}

/// One of this issuer's access tokens that is active now: it verifies ([`issued_token`]), it
/// is not revoked (its `jti`, its client's cut-off, its client gone or disabled), and, for a
/// person's token (one with `auth_time`), the person is known and their access has not ended
/// (account disabled or deleted, a forced logout or a consent removal after it). What
/// introspection and userinfo both ask.
///
/// # Errors
/// When the store cannot say.
pub async fn active_token(
    state: &AppState,
    token: &str,
) -> Result<Option<ActiveToken>, tessera_store::StoreError> {
    let Some(t) = issued_token(state, token) else {
        return Ok(None);
    };
    let store = state.store();
    if store.is_revoked(&t.jti, &t.client_id, t.issued_ms).await? {
        return Ok(None);
    }
    if t.claims.get("auth_time").is_none() {
        return Ok(Some(ActiveToken {
            token: t,
            user_id: None,
        }));
    }
    let sub = t
        .claims
        .get("sub")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    let Some(client) = state.client(&t.client_id) else {
        return Ok(None);
    };
    let Some(user_id) = crate::users::subjects::user_of(store, &client, sub).await? else {
        return Ok(None);
    };
    let grant = t.claims.get("grant_id").and_then(serde_json::Value::as_str);
    if store
        .user_token_revoked(&user_id, &t.client_id, t.issued_ms, grant)
        .await?
    {
        return Ok(None);
    }
    Ok(Some(ActiveToken {
        token: t,
        user_id: Some(user_id),
    }))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{IssuedToken, VERIFIED_CAPACITY, VerifiedTokens};

    #[test]
    fn verified_tokens_keep_two_generations() {
        let cache = VerifiedTokens::new([7; 32]);
        let token = |i: usize| {
            Arc::new(IssuedToken {
                claims: serde_json::Value::Null,
                jti: i.to_string(),
                client_id: "c".into(),
                issued_ms: 0,
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
}
