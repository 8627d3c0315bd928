//! DPoP (RFC 9449): creating and checking proofs of possession.
//!
//! A proof is a JWS with `typ: dpop+jwt` signed by the key in its own `jwk` header; it names
//! the HTTP request (`htm`, `htu`), when it was made (`iat`), a unique `jti`, and for a
//! resource request the hash of the access token (`ath`). A checked proof gives the RFC 7638
//! thumbprint of its key (`jkt`), which a DPoP-bound access token carries in `cnf.jkt`.
//!
//! ```
//! use tessera_jose::{Jwk, JwsAlg, dpop::{Proof, ProofVerifier, Request}};
//! let key = Jwk::generate(JwsAlg::ES256)?;
//! let proof = Proof::new(&key, JwsAlg::ES256)?
//!     .issued_at(1_800_000_000)
//!     .sign("POST", "https://as.example.com/token")?;
//! let verifier = ProofVerifier::builder().clock(tessera_jose::jwt::FixedClock(1_800_000_001)).build()?;
//! let checked = verifier.verify(&proof, &Request::new("POST", "https://as.example.com/token"))?;
//! assert_eq!(checked.jkt(), key.thumbprint(tessera_jose::jwk::ThumbprintHash::Sha256));
//! # Ok::<(), tessera_jose::Error>(())
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::alg::{Family, JwsAlg};
use crate::error::{DpopProblem, Error};
use crate::jwk::{Jwk, JwkSet, ThumbprintHash};
use crate::jws::{Header, JwsBuilder, JwsVerifier, Signer};
use crate::jwt::{Clock, SystemClock};

/// The `ath` of an access token: base64url(SHA-256(token)) (RFC 9449 §4.2).
#[must_use]
pub fn access_token_hash(token: &str) -> String {
    crate::b64::encode(crate::crypto::sha2(256, token.as_bytes()))
}

/// A proof being made: the key, its algorithm, and the optional claims.
pub struct Proof {
    signer: Signer,
    alg: JwsAlg,
    public: Jwk,
    iat: Option<i64>,
    jti: Option<String>,
    ath: Option<String>,
    nonce: Option<String>,
}

impl Proof {
    /// A proof signed by `key` (a private asymmetric key) with `alg`.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for a key that cannot sign with `alg`, a secret key, or a
    /// symmetric algorithm.
    pub fn new(key: &Jwk, alg: JwsAlg) -> Result<Self, Error> {
        if alg.family() == Family::Hmac {
            return Err(Error::Dpop(DpopProblem::Algorithm));
        }
        let public = key.to_public()?;
        Ok(Self {
            signer: Signer::new(key, alg)?,
            alg,
            public,
            iat: None,
            jti: None,
            ath: None,
            nonce: None,
        })
    }

    /// Sets `iat` (default: now).
    #[must_use]
    pub fn issued_at(mut self, iat: i64) -> Self {
        self.iat = Some(iat);
        self
    }

    /// Sets `jti` (default: 128 random bits).
    #[must_use]
    pub fn jwt_id(mut self, jti: impl Into<String>) -> Self {
        self.jti = Some(jti.into());
        self
    }

    /// Binds the proof to an access token (`ath`).
    #[must_use]
    pub fn access_token(mut self, token: &str) -> Self {
        self.ath = Some(access_token_hash(token));
        self
    }

    /// Sets the server-provided `nonce`.
    #[must_use]
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// Signs the proof for a request.
    ///
    /// # Errors
    /// [`Error::Crypto`] if randomness or signing fails.
    pub fn sign(&self, htm: &str, htu: &str) -> Result<String, Error> {
        let mut claims = Map::new();
        let jti = match &self.jti {
            Some(j) => j.clone(),
            None => crate::b64::encode(crate::secret::random(16)?),
        };
        claims.insert("jti".into(), jti.into());
        claims.insert("htm".into(), htm.into());
        claims.insert("htu".into(), htu.into());
        let iat = self.iat.unwrap_or_else(|| SystemClock.now());
        claims.insert("iat".into(), iat.into());
        if let Some(a) = &self.ath {
            claims.insert("ath".into(), a.clone().into());
        }
        if let Some(n) = &self.nonce {
            claims.insert("nonce".into(), n.clone().into());
        }
        let mut jwk = self.public.to_value();
        if let Value::Object(m) = &mut jwk {
            // The key alone: no kid, alg, use or key_ops are needed in a proof.
            for member in ["kid", "alg", "use", "key_ops", "x5c"] {
                m.remove(member);
            }
        }
        let header = Header::new(self.alg).typ("dpop+jwt").param("jwk", jwk);
        let payload = Value::Object(claims).to_string();
        JwsBuilder::new(payload.as_bytes())
            .signature(&self.signer, header, None)
            .compact()
    }
}

/// Remembers proof `jti`s until they could no longer be accepted.
pub trait ReplayCache: Send + Sync {
    /// Records the `jti` of a proof signed by the key with thumbprint `key`, until `until`
    /// (inclusive), at `now`.
    fn insert(&self, key: &str, jti: &str, until: i64, now: i64) -> Recorded;
}

/// What a [`ReplayCache`] made of a proof's `jti`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recorded {
    /// Not seen before: recorded.
    New,
    /// Seen before, within its window: a replay.
    Replay,
    /// Not recorded because the cache holds as many live proofs of this key (or in all) as it
    /// may: the proof is refused, other keys' proofs are not.
    Busy,
}

/// An in-memory [`ReplayCache`] of bounded cost. An entry is a keyed 128-bit hash of the key's
/// thumbprint and the `jti` (not the strings), filed under the second it expires; expired
/// seconds are dropped as time passes, so the work of eviction is proportional to what expires.
/// One key may hold at most `per_key` live entries (a client signing more proofs than that
/// within the window has only its own proofs refused), and the cache at most `capacity` (a
/// bound on memory, reached only by many keys flooding at once).
pub struct MemoryReplayCache {
    state: Mutex<Seen>,
    capacity: usize,
    per_key: usize,
    hasher: std::collections::hash_map::RandomState,
}

#[derive(Default)]
struct Seen {
    /// Entry → (expiry, key).
    entries: HashMap<u128, (i64, u64)>,
    /// Expiry second → the entries that expire then.
    by_expiry: std::collections::BTreeMap<i64, Vec<u128>>,
    /// Key → its live entries.
    keys: HashMap<u64, usize>,
}

impl MemoryReplayCache {
    /// Default bounds: 500 000 live proofs in all (about 40 MB at most), 5 000 per key
    /// (over 70 proofs a second, sustained, for the default window).
    #[must_use]
    pub fn new() -> Self {
        Self::with_limits(500_000, 5_000)
    }

    /// A cache of at most `capacity` live entries, `per_key` of them for one key.
    #[must_use]
    pub fn with_limits(capacity: usize, per_key: usize) -> Self {
        Self {
            state: Mutex::new(Seen::default()),
            capacity,
            per_key,
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    /// Live entries (expired ones are dropped at the next insert).
    #[must_use]
    pub fn len(&self) -> usize {
        self.state.lock().map_or(0, |s| s.entries.len())
    }

    /// Whether it holds no entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn hash(&self, parts: &[&str]) -> u64 {
        use std::hash::{BuildHasher as _, Hasher as _};
        let mut h = self.hasher.build_hasher();
        for p in parts {
            h.write(p.as_bytes());
            h.write_u8(0xff);
        }
        h.finish()
    }
}

impl Default for MemoryReplayCache {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplayCache for MemoryReplayCache {
    fn insert(&self, key: &str, jti: &str, until: i64, now: i64) -> Recorded {
        let Ok(mut guard) = self.state.lock() else {
            return Recorded::Busy;
        };
        let seen = &mut *guard;
        // Drop every second that has passed: those proofs can no longer be accepted.
        while let Some(entry) = seen.by_expiry.first_entry() {
            if *entry.key() >= now {
                break;
            }
            for id in entry.remove() {
                if let Some((_, k)) = seen.entries.remove(&id)
                    && let Some(n) = seen.keys.get_mut(&k)
                {
                    *n -= 1;
                    if *n == 0 {
                        seen.keys.remove(&k);
                    }
                }
            }
        }
        let k = self.hash(&[key]);
        let id = (u128::from(self.hash(&["a", key, jti])) << 64)
            | u128::from(self.hash(&["b", key, jti]));
        if seen.entries.contains_key(&id) {
            return Recorded::Replay;
        }
        let mine = seen.keys.get(&k).copied().unwrap_or(0);
        if mine >= self.per_key || seen.entries.len() >= self.capacity {
            return Recorded::Busy;
        }
        seen.entries.insert(id, (until, k));
        seen.by_expiry.entry(until).or_default().push(id);
        seen.keys.insert(k, mine + 1);
        Recorded::New
    }
}

/// The request a proof must match.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    htm: &'a str,
    htu: &'a str,
    access_token: Option<&'a str>,
    jkt: Option<&'a str>,
    nonce: Option<&'a str>,
    nonces: &'a [&'a str],
}

impl<'a> Request<'a> {
    /// The request's method and URI.
    #[must_use]
    pub fn new(htm: &'a str, htu: &'a str) -> Self {
        Self {
            htm,
            htu,
            ..Self::default()
        }
    }

    /// The access token presented with the proof (`ath` must match it).
    #[must_use]
    pub fn access_token(mut self, token: &'a str) -> Self {
        self.access_token = Some(token);
        self
    }

    /// The thumbprint the access token is bound to (`cnf.jkt`).
    #[must_use]
    pub fn jkt(mut self, jkt: &'a str) -> Self {
        self.jkt = Some(jkt);
        self
    }

    /// The nonce the server requires.
    #[must_use]
    pub fn nonce(mut self, nonce: &'a str) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// The nonces the server accepts (the current one, and the previous one for a short while
    /// after a change); the proof must carry one of them.
    #[must_use]
    pub fn nonces(mut self, nonces: &'a [&'a str]) -> Self {
        self.nonces = nonces;
        self
    }
}

/// A proof that passed every check.
#[derive(Debug, Clone)]
pub struct CheckedProof {
    jkt: String,
    jwk: Jwk,
    alg: JwsAlg,
    claims: Map<String, Value>,
}

impl CheckedProof {
    /// The RFC 7638 SHA-256 thumbprint of the proof's key.
    #[must_use]
    pub fn jkt(&self) -> &str {
        &self.jkt
    }

    /// The proof's public key.
    #[must_use]
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// The algorithm.
    #[must_use]
    pub fn alg(&self) -> JwsAlg {
        self.alg
    }

    /// The proof's claims.
    #[must_use]
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }
}

/// Checks proofs (RFC 9449 §4.3).
pub struct ProofVerifier {
    algs: Vec<JwsAlg>,
    max_age: i64,
    leeway: i64,
    replay: Arc<dyn ReplayCache>,
    clock: Arc<dyn Clock>,
}

/// Builder of a [`ProofVerifier`].
pub struct ProofVerifierBuilder {
    algs: Vec<JwsAlg>,
    max_age: i64,
    leeway: i64,
    replay: Option<Arc<dyn ReplayCache>>,
    clock: Arc<dyn Clock>,
}

impl ProofVerifier {
    /// Defaults: ES256, ES384, ES512, EdDSA, Ed25519, PS256, RS256; proofs up to 60 s old, 5 s of
    /// clock skew; an in-memory replay cache ([`MemoryReplayCache::new`]); the system clock.
    #[must_use]
    pub fn builder() -> ProofVerifierBuilder {
        ProofVerifierBuilder {
            algs: vec![
                JwsAlg::ES256,
                JwsAlg::ES384,
                JwsAlg::ES512,
                JwsAlg::EdDSA,
                JwsAlg::Ed25519,
                JwsAlg::PS256,
                JwsAlg::RS256,
            ],
            max_age: 60,
            leeway: 5,
            replay: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// The accepted algorithms (for `WWW-Authenticate: DPoP algs="..."`).
    #[must_use]
    pub fn algorithms(&self) -> &[JwsAlg] {
        &self.algs
    }

    /// Checks a proof against the request. The `jti` is recorded only when every other check
    /// passed, so invalid proofs cannot fill the replay cache.
    ///
    /// # Errors
    /// [`Error::Dpop`] with the failed check, or [`Error::SignatureInvalid`].
    pub fn verify(&self, proof: &str, req: &Request<'_>) -> Result<CheckedProof, Error> {
        let p = |problem| Error::Dpop(problem);
        if proof.len() > 8 * 1024 || proof.bytes().filter(|b| *b == b'.').count() != 2 {
            return Err(p(DpopProblem::Malformed));
        }
        let header = crate::dangerous::peek_header_unverified(proof)
            .map_err(|_| p(DpopProblem::Malformed))?;
        if !header
            .typ_value()
            .is_some_and(|t| crate::jws::typ_matches(t, "dpop+jwt"))
        {
            return Err(p(DpopProblem::Type));
        }
        let alg = header
            .alg()
            .and_then(|a| JwsAlg::from_name(a).ok())
            .filter(|a| self.algs.contains(a))
            .ok_or(p(DpopProblem::Algorithm))?;
        let jwk_value = header.get("jwk").ok_or(p(DpopProblem::Key))?;
        let Value::Object(jwk_map) = jwk_value else {
            return Err(p(DpopProblem::Key));
        };
        // The header key must be public: no private or secret member at all.
        if ["d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"]
            .iter()
            .any(|m| jwk_map.contains_key(*m))
        {
            return Err(p(DpopProblem::Key));
        }
        let jwk = Jwk::from_json(&jwk_value.to_string()).map_err(|_| p(DpopProblem::Key))?;
        if jwk.is_private() {
            return Err(p(DpopProblem::Key));
        }
        let verifier = JwsVerifier::builder(JwkSet::from(jwk.clone().with_kid_removed()))
            .algorithms([alg])
            .max_size(8 * 1024)
            .build()
            .map_err(|_| p(DpopProblem::Key))?;
        let verified = verifier.verify(proof)?;
        let claims: Map<String, Value> =
            crate::json::parse_object(verified.payload(), crate::json::DEFAULT_MAX_DEPTH)
                .map_err(|_| p(DpopProblem::Malformed))?;
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        let jti = text("jti")
            .filter(|j| !j.is_empty() && j.len() <= 256)
            .ok_or(p(DpopProblem::Malformed))?;
        if text("htm") != Some(req.htm) {
            return Err(p(DpopProblem::Method));
        }
        let htu = text("htu").ok_or(p(DpopProblem::Uri))?;
        if normalize_uri(htu).is_none() || normalize_uri(htu) != normalize_uri(req.htu) {
            return Err(p(DpopProblem::Uri));
        }
        let iat = claims
            .get("iat")
            .and_then(Value::as_i64)
            .ok_or(p(DpopProblem::IssuedAt))?;
        let now = self.clock.now();
        if iat > now.saturating_add(self.leeway)
            || iat < now.saturating_sub(self.max_age + self.leeway)
        {
            return Err(p(DpopProblem::IssuedAt));
        }
        match (req.access_token, text("ath")) {
            (Some(token), Some(ath)) => {
                if !crate::secret::ct_eq(access_token_hash(token).as_bytes(), ath.as_bytes()) {
                    return Err(p(DpopProblem::AccessTokenHash));
                }
            }
            (Some(_), None) => return Err(p(DpopProblem::AccessTokenHash)),
            (None, _) => {}
        }
        let required = req.nonce.is_some() || !req.nonces.is_empty();
        let accepted = |n: &str| req.nonce == Some(n) || req.nonces.contains(&n);
        if required && !text("nonce").is_some_and(accepted) {
            return Err(p(DpopProblem::Nonce));
        }
        let jkt = jwk.thumbprint(ThumbprintHash::Sha256);
        if let Some(bound) = req.jkt
            && !crate::secret::ct_eq(bound.as_bytes(), jkt.as_bytes())
        {
            return Err(p(DpopProblem::Binding));
        }
        // The proof is accepted while iat >= now - max_age - leeway, that is until
        // iat + max_age + leeway inclusive: its jti is held exactly that long.
        match self
            .replay
            .insert(&jkt, jti, iat + self.max_age + self.leeway, now)
        {
            Recorded::New => {}
            Recorded::Busy => return Err(p(DpopProblem::Busy)),
            Recorded::Replay => return Err(p(DpopProblem::Replay)),
        }
        Ok(CheckedProof {
            jkt,
            jwk,
            alg,
            claims,
        })
    }
}

impl ProofVerifier {
    /// What a rejected proof had beside what the request expected, for the rejection `err` that
    /// [`ProofVerifier::verify`] returned: `htm`, `htu`, `iat`, `ath`, the key's thumbprint
    /// against the token's `cnf.jkt`, `typ` and `alg`. One line for a person (values from the
    /// proof escaped and bounded), or `None` when there is nothing to compare (a bad signature,
    /// a replay, an unreadable proof). The proof is read again without checks: for messages
    /// only. Nonces are never shown (the server sends the one to use in `DPoP-Nonce`).
    #[must_use]
    pub fn explain(&self, proof: &str, req: &Request<'_>, err: &Error) -> Option<String> {
        use crate::error::escaped;
        let Error::Dpop(problem) = err else {
            return None;
        };
        if proof.len() > 8 * 1024 {
            return None;
        }
        let header = crate::dangerous::peek_header_unverified(proof).ok()?;
        let payload = crate::b64::decode(proof.split('.').nth(1)?).ok();
        let claims = payload
            .and_then(|p| crate::json::parse_object(&p, crate::json::DEFAULT_MAX_DEPTH).ok())
            .unwrap_or_default();
        let shown = |v: Option<&Value>| match v {
            None => "absent".to_owned(),
            Some(Value::String(s)) => format!("`{}`", escaped(s)),
            Some(other) => escaped(&other.to_string()),
        };
        Some(match problem {
            DpopProblem::Method => format!(
                "the proof's htm is {}; this request is `{}`",
                shown(claims.get("htm")),
                escaped(req.htm)
            ),
            DpopProblem::Uri => format!(
                "the proof's htu is {}; this request is `{}`",
                shown(claims.get("htu")),
                escaped(req.htu)
            ),
            DpopProblem::IssuedAt => {
                let now = self.clock.now();
                match claims.get("iat").and_then(Value::as_i64) {
                    None => "the proof has no iat".to_owned(),
                    Some(iat) if iat > now => format!(
                        "the proof's iat is {iat}, {} s ahead of this server's clock ({now}); at most {} s are allowed",
                        iat - now,
                        self.leeway
                    ),
                    Some(iat) => format!(
                        "the proof's iat is {iat}, {} s old; proofs are accepted up to {} s old",
                        now.saturating_sub(iat),
                        self.max_age + self.leeway
                    ),
                }
            }
            DpopProblem::AccessTokenHash => match (claims.get("ath"), req.access_token) {
                (None, _) => {
                    "the proof has no ath (the access token's hash is required)".to_owned()
                }
                (ath, Some(token)) => format!(
                    "the proof's ath is {}; the presented access token's is `{}`",
                    shown(ath),
                    access_token_hash(token)
                ),
                (_, None) => return None,
            },
            DpopProblem::Binding => {
                let jwk = header.get("jwk")?;
                let jkt = Jwk::from_json(&jwk.to_string())
                    .ok()?
                    .thumbprint(ThumbprintHash::Sha256);
                format!(
                    "the proof's key has thumbprint `{jkt}`; the access token is bound to `{}` (cnf.jkt)",
                    escaped(req.jkt?)
                )
            }
            DpopProblem::Type => format!(
                "the proof's typ is {}; expected `dpop+jwt`",
                shown(header.get("typ"))
            ),
            DpopProblem::Algorithm => format!(
                "the proof's alg is {}; accepted: {}",
                shown(header.get("alg")),
                self.algs
                    .iter()
                    .map(|a| a.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            DpopProblem::Nonce => {
                if claims.contains_key("nonce") {
                    "the proof's nonce is not the current one (see the DPoP-Nonce header)"
                        .to_owned()
                } else {
                    "the proof has no nonce (use the one in the DPoP-Nonce header)".to_owned()
                }
            }
            _ => return None,
        })
    }
}

impl ProofVerifierBuilder {
    /// The accepted algorithms (asymmetric only).
    #[must_use]
    pub fn algorithms(mut self, algs: impl IntoIterator<Item = JwsAlg>) -> Self {
        self.algs = algs.into_iter().collect();
        self
    }

    /// How old a proof may be, seconds (default 60).
    #[must_use]
    pub fn max_age(mut self, secs: i64) -> Self {
        self.max_age = secs;
        self
    }

    /// Clock skew tolerated, seconds (default 5).
    #[must_use]
    pub fn leeway(mut self, secs: i64) -> Self {
        self.leeway = secs;
        self
    }

    /// The replay cache (shared between verifiers that must not accept one proof twice).
    #[must_use]
    pub fn replay_cache(mut self, cache: Arc<dyn ReplayCache>) -> Self {
        self.replay = Some(cache);
        self
    }

    /// The clock.
    #[must_use]
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::Config`] for an empty or symmetric algorithm list, or a negative window.
    pub fn build(self) -> Result<ProofVerifier, Error> {
        if self.algs.is_empty() {
            return Err(Error::Config("DPoP needs at least one algorithm"));
        }
        if self
            .algs
            .iter()
            .any(|a| a.family() == Family::Hmac || !a.is_supported())
        {
            return Err(Error::Config(
                "DPoP proofs use asymmetric, supported algorithms only",
            ));
        }
        if self.max_age <= 0 || self.leeway < 0 {
            return Err(Error::Config("the DPoP proof window must be positive"));
        }
        Ok(ProofVerifier {
            algs: self.algs,
            max_age: self.max_age,
            leeway: self.leeway,
            replay: self
                .replay
                .unwrap_or_else(|| Arc::new(MemoryReplayCache::new())),
            clock: self.clock,
        })
    }
}

/// `htu` normalisation for comparison (RFC 9449 §4.3, RFC 3986 §6.2.2 and §6.2.3): no query or
/// fragment, scheme and host in lower case, the default port removed, an empty path as `/`.
/// `None` for anything that is not an absolute http(s) URI.
#[must_use]
pub fn normalize_uri(uri: &str) -> Option<String> {
    let uri = uri.split(['?', '#']).next()?;
    let (scheme, rest) = uri.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let authority = authority.to_ascii_lowercase();
    let authority = match authority.rsplit_once(':') {
        Some((host, port)) if port == default_port && !host.is_empty() => host.to_owned(),
        _ => authority,
    };
    Some(format!("{scheme}://{authority}{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_normalized() {
        let n = |u| normalize_uri(u);
        assert_eq!(
            n("HTTPS://Server.Example.COM:443/token?x=1#f").as_deref(),
            Some("https://server.example.com/token")
        );
        assert_eq!(
            n("http://a.example:80").as_deref(),
            Some("http://a.example/")
        );
        assert_eq!(
            n("https://a.example:8443/x").as_deref(),
            Some("https://a.example:8443/x")
        );
        assert_eq!(n("https://[::1]:443/x").as_deref(), Some("https://[::1]/x"));
        assert_eq!(n("ftp://a/x"), None);
        assert_eq!(n("/relative"), None);
        assert_eq!(n("https://user@a/x"), None);
    }

    #[test]
    fn the_replay_cache_evicts_by_expiry_and_bounds_each_key() {
        let c = MemoryReplayCache::with_limits(4, 2);
        assert!(c.is_empty());
        assert_eq!(c.insert("k1", "a", 100, 0), Recorded::New);
        assert!(!c.is_empty());
        assert_eq!(
            c.insert("k1", "a", 100, 100),
            Recorded::Replay,
            "the last second"
        );
        assert_eq!(
            c.insert("k2", "a", 100, 50),
            Recorded::New,
            "another key's jti"
        );
        assert_eq!(c.insert("k1", "b", 100, 50), Recorded::New);
        // One key at its bound: only its own proofs are refused.
        assert_eq!(c.insert("k1", "c", 100, 50), Recorded::Busy);
        assert_eq!(c.insert("k3", "c", 100, 50), Recorded::New);
        // In all at its bound (4): refused until something expires.
        assert_eq!(c.insert("k4", "d", 100, 50), Recorded::Busy);
        assert_eq!(c.len(), 4);
        // Past 100 every entry has expired and is dropped: the jti may come back.
        assert_eq!(c.insert("k1", "a", 300, 101), Recorded::New);
        assert_eq!(c.len(), 1);
        assert_eq!(c.insert("k1", "c", 300, 101), Recorded::New);
        assert_eq!(c.insert("k4", "d", 300, 101), Recorded::New);
        // A key's count follows its entries as they expire one by one.
        let c = MemoryReplayCache::with_limits(10, 2);
        assert_eq!(c.insert("k1", "a", 100, 0), Recorded::New);
        assert_eq!(c.insert("k1", "b", 200, 0), Recorded::New);
        assert_eq!(c.insert("k1", "c", 300, 150), Recorded::New, "a expired");
        assert_eq!(
            c.insert("k1", "d", 300, 150),
            Recorded::Busy,
            "b and c are live"
        );
    }

    #[test]
    fn the_replay_cache_costs_little_per_entry() {
        // 200 000 live proofs of 2 000 keys: every one recorded once, then all expire at once.
        let c = MemoryReplayCache::with_limits(200_000, 100);
        for i in 0..200_000u32 {
            let key = format!("key-{}", i % 2_000);
            assert_eq!(
                c.insert(&key, &i.to_string(), 1_000 + i64::from(i % 60), 0),
                Recorded::New
            );
        }
        assert_eq!(c.insert("key-1", "new", 2_000, 0), Recorded::Busy);
        assert_eq!(c.insert("key-1", "new", 2_000, 1_060), Recorded::New);
        assert_eq!(c.len(), 1);
    }
}
