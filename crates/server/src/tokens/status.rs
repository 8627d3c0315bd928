//! Token Status Lists (draft-ietf-oauth-status-list): every access token gets an index in a
//! published list, and the list's bit for it is set once introspection would call the token
//! inactive.
//!
//! Indices: a list has room for [`CAPACITY`] tokens and a counter; a node takes blocks of
//! [`BLOCK`] counter values (one store write per block), and a token's index is its counter
//! value through the list's keyed permutation (a Feistel network under a random key per list),
//! so neither an index nor the set bits tell when a token was issued or how many a client got.
//! A list takes tokens for [`OPEN_FOR`] seconds or until full, then a new one starts; it is
//! published until its last token has expired.
//!
//! Each token's counter value is recorded with what introspection asks about it (client,
//! person, grant, `jti`, when issued), in a group commit of its own, before the token is
//! answered (records are appended in counter order; the index is computed again when a list is
//! built). A list is built from those records and the same tables introspection reads, so
//! every way of making a token inactive sets its bit, on every node, with nothing to keep in
//! step. A node keeps a built list for [`REBUILD_AFTER`] at most.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tessera_jose::status::{ListTimes, Status, StatusList};
use tessera_store::{StatusListInfo, TokenStatus};

use crate::error::OAuthError;
use crate::state::AppState;

/// Tokens per list (2^20: a 128 KiB bit array before compression).
pub const CAPACITY: i64 = 1 << 20;
const CAPACITY_BITS: u32 = 20;
/// Counter values a node takes at once.
pub const BLOCK: i64 = 1024;
/// How long a list takes new tokens, seconds.
pub const OPEN_FOR: i64 = 3600;
/// How long a node serves a list it built before building it again.
pub const REBUILD_AFTER: Duration = Duration::from_secs(1);
/// How long a list token may be used after it was made, beyond its `ttl`, when the service
/// cannot be reached (APIs cap their stale-if-error window with it).
pub const STALE_ALLOWANCE: i64 = 300;

/// A token's place: the list and the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assigned {
    /// The list.
    pub list_id: i64,
    /// The index.
    pub idx: u64,
}

/// The block a node is handing out.
struct Block {
    list_id: i64,
    key: Permutation,
    next: i64,
    end: i64,
    closes_at: i64,
}

/// A built list token.
struct Built {
    token: String,
    at: Instant,
    iat: i64,
}

/// The node's status-list state: the block it hands out indices from, and the lists it built.
#[derive(Default)]
pub struct StatusLists {
    /// Taken for a moment per token (never across an await).
    block: Mutex<Option<Block>>,
    /// One block taken from the store at a time.
    refill: tokio::sync::Mutex<()>,
    built: Mutex<HashMap<i64, Arc<Built>>>,
    building: tokio::sync::Mutex<()>,
}

/// The permutation of `0..2^CAPACITY_BITS` under a list's key: four rounds of a balanced
/// Feistel network whose round function is HMAC-SHA-256 (the key prepared once).
struct Permutation(tessera_jose::secret::HmacKey);

impl Permutation {
    fn new(key: &[u8; 32]) -> Self {
        Self(tessera_jose::secret::HmacKey::new(key))
    }

    fn apply(&self, counter: u64) -> u64 {
        let half = CAPACITY_BITS / 2;
        let mask = (1u64 << half) - 1;
        let (mut left, mut right) = ((counter >> half) & mask, counter & mask);
        for round in 0u8..4 {
            let mut msg = [0u8; 9];
            msg[0] = round;
            msg[1..].copy_from_slice(&right.to_be_bytes());
            let m = self.0.sign(&msg);
            let f = u64::from(u32::from_be_bytes([m[0], m[1], m[2], m[3]])) & mask;
            (left, right) = (right, left ^ f);
        }
        (left << half) | right
    }
}

/// A list's permutation key.
fn list_key(stored: &str) -> Result<[u8; 32], OAuthError> {
    tessera_jose::b64::decode(stored)
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| {
            tracing::error!("a status list's key is not 32 bytes");
            OAuthError::server_error()
        })
}

/// A token's status record on its way to the store: the token may be signed meanwhile, and
/// is answered only once [`Recording::done`] says it was written.
pub struct Recording(Option<tokio::task::JoinHandle<Result<(), tessera_store::StoreError>>>);

impl Recording {
    /// Nothing to wait for (the record was written with another write, or lists are off).
    #[must_use]
    pub fn written() -> Self {
        Self(None)
    }

    /// Waits for the record (nothing to wait for when status lists are off).
    ///
    /// # Errors
    /// `temporarily_unavailable` (or `server_error`) when it could not be written.
    pub async fn done(self) -> Result<(), OAuthError> {
        let Some(handle) = self.0 else {
            return Ok(());
        };
        match handle.await {
            Ok(written) => written.map_err(OAuthError::from),
            Err(_) => Err(OAuthError::server_error()),
        }
    }
}

impl StatusLists {
    /// An index for a token being issued (`jti`, to `client_id`, for a person's account and
    /// grant if any, at `issued_ms`), and its record (what introspection asks about the token)
    /// started on a task of its own, to be waited for with [`Recording::done`] before the token
    /// is answered. `None` when status lists are off.
    ///
    /// # Errors
    /// `temporarily_unavailable` when the store cannot give a block.
    pub async fn assign(
        &self,
        state: &AppState,
        jti: &str,
        client_id: &str,
        person: Option<(&str, Option<&str>)>,
        issued_ms: i64,
    ) -> Result<(Option<Assigned>, Recording), OAuthError> {
        let Some((assigned, record)) = self
            .reserve(state, jti, client_id, person, issued_ms)
            .await?
        else {
            return Ok((None, Recording::written()));
        };
        Ok((Some(assigned), Self::record(state, record)))
    }

    /// Writes a reserved record on a task of its own, to be waited for with
    /// [`Recording::done`] before the token is answered.
    #[must_use]
    pub fn record(state: &AppState, record: TokenStatus) -> Recording {
        let writer = state.clone();
        let handle = tokio::spawn(async move { writer.store().record_status(&record).await });
        Recording(Some(handle))
    }

    /// An index for a token being issued and its record, for the caller to write with
    /// another write of its own (a code's redemption, a rotation: one commit for both), or
    /// with [`Self::record`]. `None` when status lists are off.
    ///
    /// # Errors
    /// `temporarily_unavailable` when the store cannot give a block.
    pub async fn reserve(
        &self,
        state: &AppState,
        jti: &str,
        client_id: &str,
        person: Option<(&str, Option<&str>)>,
        issued_ms: i64,
    ) -> Result<Option<(Assigned, TokenStatus)>, OAuthError> {
        if !state.config().status_lists {
            return Ok(None);
        }
        let (assigned, seq) = self.next_index(state).await?;
        let record = TokenStatus {
            list_id: assigned.list_id,
            seq,
            jti: jti.to_owned(),
            client_id: client_id.to_owned(),
            user_id: person.map(|(user, _)| user.to_owned()),
            grant_id: person.and_then(|(_, grant)| grant.map(str::to_owned)),
            issued_ms,
        };
        Ok(Some((assigned, record)))
    }

    /// The next index of the block in hand, if it has one left and its list is open.
    fn take(&self, now: i64) -> Option<(Assigned, i64)> {
        let mut block = self.block.lock().ok()?;
        let b = block.as_mut()?;
        if b.next >= b.end || now >= b.closes_at {
            return None;
        }
        let seq = b.next;
        b.next += 1;
        let idx = b.key.apply(u64::try_from(seq).ok()?);
        Some((
            Assigned {
                list_id: b.list_id,
                idx,
            },
            seq,
        ))
    }

    /// The next index, and the counter value it comes from; a new block when the one in hand
    /// is used up or its list closed.
    async fn next_index(&self, state: &AppState) -> Result<(Assigned, i64), OAuthError> {
        let now = state.now();
        if let Some(taken) = self.take(now) {
            return Ok(taken);
        }
        let _one = self.refill.lock().await;
        // Another request may have brought a block meanwhile.
        if let Some(taken) = self.take(now) {
            return Ok(taken);
        }
        let key = tessera_jose::secret::random(32).map_err(|_| OAuthError::server_error())?;
        let new = StatusListInfo {
            id: 0,
            capacity: CAPACITY,
            perm_key: tessera_jose::b64::encode(&key),
            created_at: now,
            closes_at: now + OPEN_FOR,
            // Its last token expires at most max_token_ttl after it closes.
            expires_at: now + OPEN_FOR + state.policy().max_token_ttl + STALE_ALLOWANCE,
        };
        let taken = state
            .store()
            .take_status_block(now, BLOCK, &new)
            .await
            .map_err(OAuthError::from)?;
        let block = Block {
            list_id: taken.list.id,
            key: Permutation::new(&list_key(&taken.list.perm_key)?),
            next: taken.start,
            end: taken.end,
            closes_at: taken.list.closes_at,
        };
        if let Ok(mut b) = self.block.lock() {
            *b = Some(block);
        }
        self.take(now).ok_or_else(|| {
            tracing::error!("a status list block was taken but gives no index");
            OAuthError::server_error()
        })
    }

    /// The status list token of list `id` (built at most [`REBUILD_AFTER`] ago), with its
    /// age in seconds; `None` for a list that does not exist or has expired.
    ///
    /// # Errors
    /// When the store cannot be read or signing fails.
    pub async fn token(
        &self,
        state: &AppState,
        id: i64,
    ) -> Result<Option<(String, i64)>, OAuthError> {
        if let Some(b) = self.fresh(id) {
            return Ok(Some((b.token.clone(), state.now() - b.iat)));
        }
        // One build at a time on a node; whoever waited uses what the builder made.
        let _one = self.building.lock().await;
        if let Some(b) = self.fresh(id) {
            return Ok(Some((b.token.clone(), state.now() - b.iat)));
        }
        let store = state.store();
        let now = state.now();
        let Some(info) = store.status_list(id).await.map_err(OAuthError::from)? else {
            return Ok(None);
        };
        if info.expires_at <= now {
            return Ok(None);
        }
        let capacity = usize::try_from(info.capacity).map_err(|_| OAuthError::server_error())?;
        let mut list = StatusList::new(1, capacity).map_err(|_| OAuthError::server_error())?;
        let key = Permutation::new(&list_key(&info.perm_key)?);
        for seq in store.revoked_seqs(id).await.map_err(OAuthError::from)? {
            let seq = u64::try_from(seq).map_err(|_| OAuthError::server_error())?;
            list.set(key.apply(seq), Status::INVALID)
                .map_err(|_| OAuthError::server_error())?;
        }
        let keys = state.keys();
        let signer = keys.status.as_ref().ok_or_else(OAuthError::unavailable)?;
        let ttl = state.config().status_list_ttl.as_secs().max(1);
        let ttl_i = i64::try_from(ttl).unwrap_or(3600);
        let times = ListTimes {
            iat: now,
            exp: Some(now + ttl_i + STALE_ALLOWANCE),
            ttl: Some(ttl),
        };
        keys.signed_until(now + ttl_i + STALE_ALLOWANCE);
        let uri = state.urls().status_list(id);
        let token = tessera_jose::status::sign_list(
            signer,
            Some(&state.config().issuer),
            &uri,
            &list,
            &times,
        )
        .map_err(|e| {
            tracing::error!(error = %e, "signing a status list failed");
            OAuthError::server_error()
        })?;
        let built = Arc::new(Built {
            token: token.clone(),
            at: Instant::now(),
            iat: now,
        });
        if let Ok(mut map) = self.built.lock() {
            // Lists that expired are dropped with the next build.
            map.retain(|_, b| b.at.elapsed() < REBUILD_AFTER * 60);
            map.insert(id, built);
        }
        Ok(Some((token, 0)))
    }

    fn fresh(&self, id: i64) -> Option<Arc<Built>> {
        let map = self.built.lock().ok()?;
        map.get(&id)
            .filter(|b| b.at.elapsed() < REBUILD_AFTER)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::{CAPACITY, Permutation};

    #[test]
    fn the_permutation_is_one_to_one_and_keyed() {
        let key = Permutation::new(&[9u8; 32]);
        let other = Permutation::new(&[1u8; 32]);
        let n = usize::try_from(CAPACITY).unwrap();
        let mut seen = vec![false; n];
        for c in 0..CAPACITY as u64 {
            let i = usize::try_from(key.apply(c)).unwrap();
            assert!(!seen[i], "index {i} given twice");
            seen[i] = true;
        }
        // The first indices are spread over the list, and another key gives others.
        let first: Vec<u64> = (0..8).map(|c| key.apply(c)).collect();
        assert!(first.windows(2).any(|w| w[0].abs_diff(w[1]) > 1000));
        assert_ne!(first, (0..8).map(|c| other.apply(c)).collect::<Vec<_>>());
    }
}
