//! The master key and what is derived from it, and the signing keys' life cycle.
//!
//! A signing key is *next* (published in the JWKS, not signing), then *current* (signing), then
//! *previous* (published, not signing), then removed. A next key signs only after it has been
//! published for the JWKS `max-age` plus a margin, so a verifier that caches the JWKS for as long
//! as it is told already has it; a previous key stays published until the last token it signed
//! has expired (plus the margin), so no verifier loses a key it still needs. With several nodes
//! on one database, a lease makes exactly one node perform each step; every node reloads the
//! keys when the store's change generation moves.

use std::path::Path;

use serde_json::Value;
use tessera_jose::jwe::{Decrypter, Encrypter, JweBuilder};
use tessera_jose::jws::{Header, Signer};
use tessera_jose::jwt::{Clock, JwtSigner, Verifier};
use tessera_jose::{Enc, JweAlg, Jwk, JwkSet, JwsAlg};
use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::store::{Event, KeyState, Store, StoredKey};

/// Default seconds added to every life-cycle wait, for clock skew and the nodes' polling delay.
pub const MARGIN: i64 = 60;

/// The master key's derived secrets: the pepper of client secret hashes and the key that
/// encrypts signing keys at rest. The master key itself is not kept.
pub struct Secrets {
    pepper: Zeroizing<[u8; 32]>,
    kek: Jwk,
}

impl core::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secrets(<redacted>)")
    }
}

impl Secrets {
    /// Derives the secrets from the 32-byte master key (HMAC-SHA-256 with distinct labels).
    #[must_use]
    pub fn from_master(master: &[u8]) -> Self {
        let pepper = Zeroizing::new(tessera_jose::secret::hmac_sha256(
            master,
            b"tessera/v1/client-secret-pepper",
        ));
        let kek = Zeroizing::new(tessera_jose::secret::hmac_sha256(
            master,
            b"tessera/v1/signing-key-encryption",
        ));
        Self {
            pepper,
            kek: Jwk::from_secret(kek.as_slice()),
        }
    }

    /// The stored form of a client secret: HMAC-SHA-256 under the pepper. Secrets are 256
    /// random bits, so a slow hash would buy nothing.
    #[must_use]
    pub fn hash_secret(&self, secret: &str) -> Vec<u8> {
        tessera_jose::secret::hmac_sha256(self.pepper.as_slice(), secret.as_bytes()).to_vec()
    }

    /// Encrypts a private JWK for storage (compact JWE, `dir` + `A256GCM`).
    ///
    /// # Errors
    /// [`StoreError::Crypto`] if encryption fails.
    pub fn seal(&self, jwk: &Jwk) -> Result<String, StoreError> {
        let e = Encrypter::new(&self.kek, JweAlg::Dir)?;
        let json = Zeroizing::new(jwk.to_json());
        Ok(JweBuilder::new(json.as_bytes(), Enc::A256Gcm)
            .protected(Header::empty().cty("jwk+json"))
            .recipient(&e)
            .compact()?)
    }

    /// Decrypts a stored private JWK.
    ///
    /// # Errors
    /// [`StoreError::Crypto`] for a wrong master key or altered data.
    pub fn open(&self, jwe: &str) -> Result<Jwk, StoreError> {
        let d = Decrypter::builder(self.kek.clone())
            .algorithms([JweAlg::Dir])
            .encryptions([Enc::A256Gcm])
            .build()?;
        let plain = d.decrypt(jwe)?;
        Ok(Jwk::from_slice(plain.plaintext())?)
    }
}

/// Reads the master key: the configured one, else `master.key` in the data folder, created
/// (32 random bytes, base64url, mode 0600) on first start.
///
/// # Errors
/// [`StoreError::Io`] when the file cannot be read or created, or holds something else.
pub fn master_key(
    configured: Option<&Zeroizing<Vec<u8>>>,
    data_dir: &Path,
) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    if let Some(k) = configured {
        return Ok(k.clone());
    }
    let path = data_dir.join("master.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let text = Zeroizing::new(text);
            check_private_file(&path)?;
            let key = tessera_jose::b64::decode(text.trim())
                .map_err(|_| StoreError::Io(format!("{} is not base64url", path.display())))?;
            if key.len() != 32 {
                return Err(StoreError::Io(format!(
                    "{} does not hold 32 bytes",
                    path.display()
                )));
            }
            Ok(Zeroizing::new(key))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            create_private_dir(data_dir)?;
            let key = Zeroizing::new(tessera_jose::secret::random(32)?);
            write_private(
                &path,
                format!("{}\n", tessera_jose::b64::encode(&key)).as_bytes(),
            )?;
            Ok(key)
        }
        Err(e) => Err(StoreError::Io(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// Refuses a secret file that its group or others may read or write (as ssh refuses a loose
/// private key), naming the command that fixes it.
///
/// # Errors
/// [`StoreError::Io`] for a loose mode or an unreadable file.
pub fn check_private_file(path: &Path) -> Result<(), StoreError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| StoreError::Io(format!("cannot read {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(StoreError::Io(format!(
                "{} holds a secret but others may read it (mode {mode:o}): run `chmod 600 {}`",
                path.display(),
                path.display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// Creates a folder (and its parents) that only its owner may enter (0700); an existing one is
/// left as it is, with a warning when others may enter it.
///
/// # Errors
/// [`StoreError::Io`] when it cannot be created.
pub fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
        .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", dir.display())))?;
    // A folder that existed before is not changed (it may be the operator's own), but a loose
    // one is worth a warning: the database in it is private, other files may not be.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir)
            .map_err(|e| StoreError::Io(format!("cannot read {}: {e}", dir.display())))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                folder = %dir.display(),
                mode = format!("{:o}", mode & 0o777),
                "the data folder may be entered by others: `chmod 700` it"
            );
        }
    }
    Ok(())
}

/// Makes a file readable by its owner only (0600), creating it empty if it does not exist.
///
/// # Errors
/// [`StoreError::Io`] when it cannot be created or changed.
pub fn ensure_private_file(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let perms = std::fs::Permissions::from_mode(0o600);
        std::fs::set_permissions(path, perms)
            .map_err(|e| StoreError::Io(format!("cannot change {}: {e}", path.display())))?;
    }
    Ok(())
}

/// Creates a file readable by its owner only, failing if it exists.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(path)
        .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", path.display())))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| StoreError::Io(format!("cannot write {}: {e}", path.display())))
}

/// The keys in memory: the signer of the current key, the published JWKS and the verifier of
/// this issuer's tokens. Rebuilt whenever the stored keys change.
pub struct KeyRing {
    /// The current key's `kid` and signer.
    pub current: Option<(String, JwtSigner)>,
    /// The published JWK Set (JSON) and its `ETag`.
    pub jwks: String,
    /// The JWKS entity tag (a hash of its bytes).
    pub etag: String,
    /// Verifies this issuer's access tokens (every published key).
    pub verifier: Option<Verifier>,
    /// Every key's `kid`, algorithm and state (for `/metrics` and `keys list`).
    pub states: Vec<(String, String, KeyState)>,
    /// Tokens that verified with these keys (introspecting one again skips its signature
    /// check); a new ring starts empty.
    pub verified: crate::routes::VerifiedTokens,
    /// The latest `exp` this node signed with the current key, and the latest it recorded in
    /// the store (see [`KeyRing::unrecorded`]).
    signed: std::sync::atomic::AtomicI64,
    recorded: std::sync::atomic::AtomicI64,
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
}

impl KeyRing {
    /// An empty ring (no key loaded yet).
    #[must_use]
    pub fn empty() -> Self {
        Self {
            current: None,
            jwks: r#"{"keys":[]}"#.into(),
            etag: "\"empty\"".into(),
            verifier: None,
            states: Vec::new(),
            verified: crate::routes::VerifiedTokens::new([0; 32]),
            signed: std::sync::atomic::AtomicI64::new(0),
            recorded: std::sync::atomic::AtomicI64::new(0),
        }
    }

    /// Notes that the current key signed a token expiring at `exp` (the hot path: one atomic
    /// maximum).
    pub fn signed_until(&self, exp: i64) {
        self.signed
            .fetch_max(exp, std::sync::atomic::Ordering::Relaxed);
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
    /// [`StoreError`] when a key cannot be decrypted or used.
    pub fn build(
        keys: &[StoredKey],
        secrets: &Secrets,
        issuer: &str,
        clock: &SharedClock,
    ) -> Result<Self, StoreError> {
        let mut published = Vec::new();
        let mut current = None;
        let mut recorded = 0;
        for k in keys {
            let public = Jwk::from_json(&k.public_jwk)?;
            if k.state == KeyState::Current {
                let alg = JwsAlg::from_name(&k.alg)?;
                let private = secrets.open(&k.private_jwe)?;
                let header = Header::new(alg).typ("at+jwt").kid(&k.kid);
                let signer = JwtSigner::with_header(Signer::new(&private, alg)?, header)?;
                current = Some((k.kid.clone(), signer));
                recorded = k.signed_until.unwrap_or(0);
            }
            published.push(public);
        }
        let set = JwkSet::from(published);
        let jwks = set.to_json();
        let etag = format!(
            "\"{}\"",
            tessera_jose::b64::encode(
                &tessera_jose::secret::hmac_sha256(b"etag", jwks.as_bytes())[..12]
            )
        );
        let verifier = if set.keys().is_empty() {
            None
        } else {
            Some(
                Verifier::builder(set)
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
            jwks,
            etag,
            verifier,
            states: keys
                .iter()
                .map(|k| (k.kid.clone(), k.alg.clone(), k.state))
                .collect(),
            verified: crate::routes::VerifiedTokens::new(
                tessera_jose::secret::random(32)?
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("random bytes of the wrong length"))?,
            ),
            signed: std::sync::atomic::AtomicI64::new(0),
            recorded: std::sync::atomic::AtomicI64::new(recorded),
        })
    }
}

/// The timing of the life cycle.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// How long a key signs, seconds.
    pub rotation_period: i64,
    /// The JWKS max-age, seconds.
    pub jwks_max_age: i64,
    /// The longest token lifetime, seconds.
    pub max_token_ttl: i64,
    /// Algorithm of new keys.
    pub alg: JwsAlg,
    /// Seconds added to every wait (clock skew, polling delay).
    pub margin: i64,
}

/// One step of the life cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Create a key in this state (current only when there is none at all).
    Create(KeyState),
    /// The next key starts signing; the current one retires.
    Promote {
        /// The next key.
        next: String,
        /// The current key, if any.
        current: Option<String>,
    },
    /// A previous key leaves the JWKS.
    Remove(String),
}

/// What the life cycle asks for at `now` (pure, so it can be tested with any clock).
#[must_use]
pub fn plan(keys: &[StoredKey], now: i64, p: &Policy) -> Vec<Step> {
    let mut steps = Vec::new();
    let current = keys.iter().find(|k| k.state == KeyState::Current);
    let next = keys.iter().find(|k| k.state == KeyState::Next);
    match (current, next) {
        (None, None) => {
            // First start: nothing has been published, so nothing can be cached.
            steps.push(Step::Create(KeyState::Current));
            steps.push(Step::Create(KeyState::Next));
        }
        (None, Some(n)) => steps.push(Step::Promote {
            next: n.kid.clone(),
            current: None,
        }),
        (Some(_), None) => steps.push(Step::Create(KeyState::Next)),
        (Some(c), Some(n)) => {
            let due = c.activated_at.unwrap_or(c.created_at) + p.rotation_period <= now;
            let published_long_enough = n.created_at + p.jwks_max_age + p.margin <= now;
            if due && published_long_enough {
                steps.push(Step::Promote {
                    next: n.kid.clone(),
                    current: Some(c.kid.clone()),
                });
                steps.push(Step::Create(KeyState::Next));
            }
        }
    }
    for k in keys.iter().filter(|k| k.state == KeyState::Previous) {
        if k.remove_after.is_some_and(|t| t <= now) {
            steps.push(Step::Remove(k.kid.clone()));
        }
    }
    steps
}

/// Applies the steps to the store and returns the audit events.
///
/// # Errors
/// [`StoreError`] from the store or key generation.
pub async fn apply(
    store: &dyn Store,
    secrets: &Secrets,
    steps: &[Step],
    now: i64,
    p: &Policy,
) -> Result<Vec<Event>, StoreError> {
    let mut events = Vec::new();
    let event = |kind: &str, kid: &str| Event {
        at: now,
        kind: kind.into(),
        client_id: None,
        detail: serde_json::json!({ "kid": kid }),
    };
    for step in steps {
        match step {
            Step::Create(state) => {
                let key = new_key(secrets, p.alg, *state, now)?;
                store.insert_key(&key).await?;
                events.push(event("key.created", &key.kid));
                if *state == KeyState::Current {
                    events.push(event("key.activated", &key.kid));
                }
            }
            Step::Promote { next, current } => {
                let keys = store.keys().await?;
                if let Some(c) = current
                    .as_ref()
                    .and_then(|c| keys.iter().find(|k| &k.kid == c))
                {
                    let mut c = c.clone();
                    c.state = KeyState::Previous;
                    c.retired_at = Some(now);
                    c.remove_after = Some(retire_until(&c, now, p));
                    store.update_key(&c).await?;
                    events.push(event("key.retired", &c.kid));
                }
                if let Some(n) = keys.iter().find(|k| &k.kid == next) {
                    let mut n = n.clone();
                    n.state = KeyState::Current;
                    n.activated_at = Some(now);
                    store.update_key(&n).await?;
                    events.push(event("key.activated", &n.kid));
                }
            }
            Step::Remove(kid) => {
                store.delete_key(kid).await?;
                events.push(event("key.removed", kid));
            }
        }
    }
    for e in &events {
        store.record(e).await?;
    }
    Ok(events)
}

/// One life-cycle tick: under the rotation lease, plan and apply. Returns the events (none
/// when another node holds the lease or nothing was due).
///
/// # Errors
/// [`StoreError`] from the store.
pub async fn tick(
    store: &dyn Store,
    secrets: &Secrets,
    p: &Policy,
    now: i64,
    holder: &str,
) -> Result<Vec<Event>, StoreError> {
    let keys = store.keys().await?;
    let steps = plan(&keys, now, p);
    if steps.is_empty() {
        return Ok(Vec::new());
    }
    if !store.lease("key-rotation", holder, now, now + 30).await? {
        return Ok(Vec::new());
    }
    // Plan again under the lease: another node may have acted in between.
    let keys = store.keys().await?;
    let steps = plan(&keys, now, p);
    apply(store, secrets, &steps, now, p).await
}

/// When a key retired at `now` may leave the JWKS: after the last token it can have signed
/// has expired (this node's lifetimes are capped at `max_token_ttl`; every node records the
/// latest `exp` it signed, which covers nodes configured otherwise), plus the margin.
#[must_use]
pub fn retire_until(k: &StoredKey, now: i64, p: &Policy) -> i64 {
    now.saturating_add(p.max_token_ttl)
        .max(k.signed_until.unwrap_or(0))
        .saturating_add(p.margin)
}

fn new_key(
    secrets: &Secrets,
    alg: JwsAlg,
    state: KeyState,
    now: i64,
) -> Result<StoredKey, StoreError> {
    let jwk = Jwk::generate(alg)?.with_use(tessera_jose::jwk::KeyUse::Sig);
    let public = jwk.to_public()?;
    let kid = jwk
        .kid()
        .map(str::to_owned)
        .ok_or(StoreError::Corrupt("generated key without kid"))?;
    let mut public_value = public.to_value();
    if let Value::Object(m) = &mut public_value {
        m.insert("alg".into(), alg.name().into());
    }
    Ok(StoredKey {
        kid,
        alg: alg.name().into(),
        state,
        private_jwe: secrets.seal(&jwk)?,
        public_jwk: public_value.to_string(),
        created_at: now,
        activated_at: (state == KeyState::Current).then_some(now),
        retired_at: None,
        remove_after: None,
        signed_until: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, state: KeyState, created: i64, activated: Option<i64>) -> StoredKey {
        StoredKey {
            kid: kid.into(),
            alg: "ES256".into(),
            state,
            private_jwe: String::new(),
            public_jwk: String::new(),
            created_at: created,
            activated_at: activated,
            retired_at: None,
            remove_after: None,
            signed_until: None,
        }
    }

    const P: Policy = Policy {
        rotation_period: 1000,
        jwks_max_age: 100,
        max_token_ttl: 300,
        alg: JwsAlg::ES256,
        margin: MARGIN,
    };

    #[test]
    fn the_plan_follows_the_life_cycle() {
        assert_eq!(
            plan(&[], 0, &P),
            [
                Step::Create(KeyState::Current),
                Step::Create(KeyState::Next)
            ]
        );
        let c = key("c", KeyState::Current, 0, Some(0));
        let n = key("n", KeyState::Next, 950, None);
        // Due, but the next key has not been published for max-age + margin yet.
        assert!(plan(&[c.clone(), n.clone()], 1000, &P).is_empty());
        assert_eq!(
            plan(&[c.clone(), n.clone()], 950 + 100 + MARGIN, &P),
            [
                Step::Promote {
                    next: "n".into(),
                    current: Some("c".into())
                },
                Step::Create(KeyState::Next)
            ]
        );
        let mut old = key("o", KeyState::Previous, 0, Some(0));
        old.remove_after = Some(500);
        assert_eq!(plan(&[c.clone(), n.clone(), old.clone()], 499, &P), []);
        assert_eq!(plan(&[c, n, old], 500, &P), [Step::Remove("o".into())]);
    }

    #[test]
    fn a_retired_key_outlives_the_last_token_it_signed() {
        let mut c = key("c", KeyState::Current, 0, Some(0));
        // Nothing recorded: the longest lifetime this node allows.
        assert_eq!(retire_until(&c, 1000, &P), 1000 + 300 + MARGIN);
        // A node with a longer lifetime signed a token expiring later: that counts.
        c.signed_until = Some(5000);
        assert_eq!(retire_until(&c, 1000, &P), 5000 + MARGIN);
        c.signed_until = Some(1100);
        assert_eq!(retire_until(&c, 1000, &P), 1000 + 300 + MARGIN);
        // The ring reports what it signed beyond what the store holds, once.
        let ring = KeyRing::empty();
        ring.signed_until(2000);
        assert!(ring.unrecorded().is_none(), "no current key");
    }

    #[test]
    fn secrets_seal_and_hash() {
        let s = Secrets::from_master(&[1u8; 32]);
        let jwk = Jwk::generate(JwsAlg::ES256).unwrap();
        let sealed = s.seal(&jwk).unwrap();
        assert!(!sealed.contains(jwk.to_json().as_str()));
        assert_eq!(s.open(&sealed).unwrap(), jwk);
        assert!(Secrets::from_master(&[2u8; 32]).open(&sealed).is_err());
        assert_eq!(s.hash_secret("x"), s.hash_secret("x"));
        assert_ne!(
            s.hash_secret("x"),
            Secrets::from_master(&[2u8; 32]).hash_secret("x")
        );
        assert_eq!(format!("{s:?}"), "Secrets(<redacted>)");
    }
}
