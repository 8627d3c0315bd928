//! The keys in memory: the signer of the current key, the published JWKS and the verifier of
//! this issuer's tokens, rebuilt whenever the stored keys change.

use tessera_jose::jws::{Header, Signer};
use tessera_jose::jwt::{Clock, JwtSigner, Verifier};
use tessera_jose::{Jwk, JwkSet, JwsAlg};

use super::Secrets;
use crate::error::Error;
use tessera_store::{KeyPurpose, KeyState, StoredKey};

/// The signers of one ID-token key: ID tokens (`typ: JWT`) and logout tokens (`typ:
/// logout+jwt`, Back-Channel Logout §2.4), which the client verifies alike.
pub struct IdSigner {
    /// The algorithm.
    pub alg: JwsAlg,
    /// Signs ID tokens.
    pub id: JwtSigner,
    /// Signs logout tokens.
    pub logout: JwtSigner,
}

/// The keys in memory: the signer of the current key, the published JWKS and the verifier of
/// this issuer's tokens. Rebuilt whenever the stored keys change.
pub struct KeyRing {
    /// The current key's `kid` and signer.
    pub current: Option<(String, JwtSigner)>,
    /// The current access key's signer of status list tokens (`typ: statuslist+jwt`).
    pub status: Option<JwtSigner>,
    /// The current ID-token key of each algorithm.
    pub id_signers: Vec<IdSigner>,
    /// The current access key's ID-token signers: for clients that registered no algorithm
    /// while the store has no current RS256 ID-token key yet (a store made before ID tokens had
    /// keys of their own, for the minutes its first one is being published).
    access_id_signer: Option<IdSigner>,
    /// The published JWK Set (JSON) and its `ETag`.
    pub jwks: String,
    /// The JWKS entity tag (a hash of its bytes).
    pub etag: String,
    /// Verifies this issuer's access tokens (every published key).
    pub verifier: Option<Verifier>,
    /// The algorithms of the published access-token keys (discovery's
    /// `access_token_signing_alg_values_supported`).
    pub access_algs: Vec<String>,
    /// Every key's `kid`, algorithm, state and purpose (for `/metrics`).
    pub states: Vec<(String, String, KeyState, KeyPurpose)>,
    /// Tokens that verified with these keys (introspecting one again skips its signature
    /// check); a new ring starts empty.
    pub verified: crate::tokens::VerifiedTokens,
    /// The latest `exp` this node signed with the current key, and the latest it recorded in
    /// the store (see [`KeyRing::unrecorded`]).
    signed: std::sync::atomic::AtomicI64,
    recorded: std::sync::atomic::AtomicI64,
    /// How many tokens the current key signed, by the minute they expire, not yet recorded.
    counts: SignedCounts,
}

/// Counts of signed tokens by the minute they expire: 64 slots (one cache line each) tagged
/// with their minute. A token whose minute is its slot's costs one atomic add; a slot moves to
/// a new minute (lifetimes over an hour apart, or time passing) under a lock, keeping what it
/// held for the next record.
struct SignedCounts {
    slots: Box<[MinuteSlot]>,
    moved: std::sync::Mutex<Vec<(i64, u64)>>,
}

#[repr(align(64))]
#[derive(Default)]
struct MinuteSlot {
    minute: std::sync::atomic::AtomicI64,
    count: std::sync::atomic::AtomicU64,
}

impl SignedCounts {
    fn new() -> Self {
        Self {
            slots: (0..64).map(|_| MinuteSlot::default()).collect(),
            moved: std::sync::Mutex::new(Vec::new()),
        }
    }

    fn add(&self, exp: i64) {
        use std::sync::atomic::Ordering::Relaxed;
        let minute = exp.div_euclid(60);
        let Some(slot) = usize::try_from(minute.rem_euclid(64))
            .ok()
            .and_then(|i| self.slots.get(i))
        else {
            return;
        };
        // Checked again under the lock: another thread may have moved the slot meanwhile.
        if slot.minute.load(Relaxed) != minute
            && let Ok(mut moved) = self.moved.lock()
            && slot.minute.load(Relaxed) != minute
        {
            let old = slot.minute.swap(minute, Relaxed);
            let n = slot.count.swap(0, Relaxed);
            if n > 0 {
                moved.push((old, n));
            }
        }
        slot.count.fetch_add(1, Relaxed);
    }

    /// Everything counted since the last call, by minute.
    fn take(&self) -> Vec<(i64, u64)> {
        use std::sync::atomic::Ordering::Relaxed;
        let mut all = self
            .moved
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default();
        for slot in &*self.slots {
            let n = slot.count.swap(0, Relaxed);
            if n > 0 {
                all.push((slot.minute.load(Relaxed), n));
            }
        }
        all.sort_unstable();
        let mut merged: Vec<(i64, u64)> = Vec::with_capacity(all.len());
        for (minute, n) in all {
            match merged.last_mut() {
                Some((m, total)) if *m == minute => *total += n,
                _ => merged.push((minute, n)),
            }
        }
        merged
    }
}

/// How far ahead of a signed `exp` a node records it: one store write a minute per node at
/// most, for a key published at most a minute longer.
const RECORD_AHEAD: i64 = 60;

/// A [`Clock`] shared by the state and the verifiers it builds.
#[derive(Clone)]
pub struct SharedClock(pub std::sync::Arc<dyn Clock>);

impl Clock for SharedClock {
    fn now(&self) -> i64 {
        self.0.now()
    }

    fn now_millis(&self) -> i64 {
        self.0.now_millis()
    }
}

impl KeyRing {
    /// An empty ring (no key loaded yet).
    #[must_use]
    pub fn empty() -> Self {
        Self {
            current: None,
            status: None,
            id_signers: Vec::new(),
            access_id_signer: None,
            jwks: r#"{"keys":[]}"#.into(),
            access_algs: Vec::new(),
            etag: "\"empty\"".into(),
            verifier: None,
            states: Vec::new(),
            verified: crate::tokens::VerifiedTokens::new([0; 32]),
            signed: std::sync::atomic::AtomicI64::new(0),
            recorded: std::sync::atomic::AtomicI64::new(0),
            counts: SignedCounts::new(),
        }
    }

    /// The signers of ID and logout tokens for a client that registered `alg` (`None`: the
    /// default, RS256); `None` when no key of that algorithm signs yet.
    #[must_use]
    pub fn id_signer(&self, alg: Option<JwsAlg>) -> Option<&IdSigner> {
        let wanted = alg.unwrap_or(super::DEFAULT_ID_ALG);
        self.id_signers
            .iter()
            .find(|s| s.alg == wanted)
            .or_else(|| alg.is_none().then_some(self.access_id_signer.as_ref())?)
    }

    /// The algorithms ID tokens can be signed with now (discovery's
    /// `id_token_signing_alg_values_supported`), the default first.
    #[must_use]
    pub fn id_algs(&self) -> Vec<JwsAlg> {
        let mut algs: Vec<JwsAlg> = self.id_signer(None).map(|s| s.alg).into_iter().collect();
        for s in &self.id_signers {
            if !algs.contains(&s.alg) {
                algs.push(s.alg);
            }
        }
        algs
    }

    /// Notes that the current key signed a token expiring at `exp`. On the hot path: a read
    /// of a shared value, and a write only when `exp` moved past it (about once a second, as
    /// lifetimes are whole seconds), and one atomic add to the count of `exp`'s minute.
    pub fn signed_until(&self, exp: i64) {
        if exp > self.signed.load(std::sync::atomic::Ordering::Relaxed) {
            self.signed
                .fetch_max(exp, std::sync::atomic::Ordering::Relaxed);
        }
        self.counts.add(exp);
    }

    /// The current key's `kid` and what it signed since the last call, by expiry minute
    /// (`None` without a current key).
    #[must_use]
    pub fn take_counts(&self) -> Option<(&str, Vec<(i64, u64)>)> {
        let (kid, _) = self.current.as_ref()?;
        Some((kid.as_str(), self.counts.take()))
    }

    /// The current key's `kid` and the time to record for it, when this node signed past what
    /// the store holds (a minute ahead, so a node writes about once a minute); `None` when
    /// nothing is new.
    #[must_use]
    pub fn unrecorded(&self) -> Option<(&str, i64)> {
        let (kid, _) = self.current.as_ref()?;
        let signed = self.signed.load(std::sync::atomic::Ordering::Relaxed);
        (signed > self.recorded.load(std::sync::atomic::Ordering::Relaxed))
            .then(|| (kid.as_str(), signed.saturating_add(RECORD_AHEAD)))
    }

    /// Remembers that `until` was recorded for the current key.
    pub fn recorded(&self, until: i64) {
        self.recorded
            .fetch_max(until, std::sync::atomic::Ordering::Relaxed);
    }

    /// Builds the ring from the stored keys.
    ///
    /// # Errors
    /// [`Error`] when a key cannot be decrypted or used.
    pub fn build(
        keys: &[StoredKey],
        secrets: &Secrets,
        issuer: &str,
        clock: &SharedClock,
    ) -> Result<Self, Error> {
        let mut published = Vec::new();
        let mut access_keys = Vec::new();
        let mut current = None;
        let mut status = None;
        let mut id_signers = Vec::new();
        let mut access_id_signer = None;
        let mut recorded = 0;
        for k in keys {
            let public = Jwk::from_json(&k.public_jwk)?;
            if k.state == KeyState::Current {
                let alg = JwsAlg::from_name(&k.alg)?;
                let private = secrets.open(&k.private_jwe).map_err(|_| {
                    Error::MasterKey(format!(
                        "the current signing key {} does not open with this node's master key (check value {}): it was stored under another key",
                        k.kid,
                        secrets.check_value()
                    ))
                })?;
                let signer = |typ: &str| {
                    JwtSigner::with_header(
                        Signer::new(&private, alg)?,
                        Header::new(alg).typ(typ).kid(&k.kid),
                    )
                };
                let ids = IdSigner {
                    alg,
                    id: signer("JWT")?,
                    logout: signer("logout+jwt")?,
                };
                match k.purpose {
                    KeyPurpose::Access => {
                        current = Some((k.kid.clone(), signer("at+jwt")?));
                        status = Some(signer(tessera_jose::status::TYP)?);
                        access_id_signer = Some(ids);
                        recorded = k.signed_until.unwrap_or(0);
                    }
                    KeyPurpose::IdToken => id_signers.push(ids),
                }
            }
            if k.purpose == KeyPurpose::Access {
                access_keys.push(public.clone());
            }
            published.push(public);
        }
        // Access tokens verify with access keys only: an ID-token key never signs one.
        let access_set = JwkSet::from(access_keys);
        let set = JwkSet::from(published);
        let jwks = set.to_json();
        let etag = format!(
            "\"{}\"",
            tessera_jose::b64::encode(
                &tessera_jose::secret::hmac_sha256(b"etag", jwks.as_bytes())[..12]
            )
        );
        let verifier = if access_set.keys().is_empty() {
            None
        } else {
            Some(
                Verifier::builder(access_set)
                    .algorithms_from_keys()
                    .issuer(issuer)
                    .typ("at+jwt")
                    .skip_audience_check()
                    .clock(clock.clone())
                    .build()?,
            )
        };
        Ok(Self {
            current,
            status,
            id_signers,
            access_id_signer,
            jwks,
            etag,
            verifier,
            access_algs: {
                let mut algs: Vec<String> = keys
                    .iter()
                    .filter(|k| k.purpose == KeyPurpose::Access)
                    .map(|k| k.alg.clone())
                    .collect();
                algs.sort();
                algs.dedup();
                algs
            },
            states: keys
                .iter()
                .map(|k| (k.kid.clone(), k.alg.clone(), k.state, k.purpose))
                .collect(),
            verified: crate::tokens::VerifiedTokens::new(
                tessera_jose::secret::random(32)?.try_into().map_err(|_| {
                    Error::Store(tessera_store::StoreError::Corrupt(
                        "random bytes of the wrong length",
                    ))
                })?,
            ),
            signed: std::sync::atomic::AtomicI64::new(0),
            recorded: std::sync::atomic::AtomicI64::new(recorded),
            counts: SignedCounts::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::SignedCounts;

    #[test]
    fn signed_tokens_are_counted_by_expiry_minute() {
        let c = SignedCounts::new();
        for exp in [600, 610, 659, 660, 600 + 64 * 60] {
            c.add(exp);
        }
        // Minute 10 and minute 74 share a slot: the slot moved, and nothing was lost.
        assert_eq!(c.take(), [(10, 3), (11, 1), (74, 1)]);
        assert!(c.take().is_empty(), "taken once");
        c.add(660);
        assert_eq!(c.take(), [(11, 1)]);
    }
}
