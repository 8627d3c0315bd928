//! Decrypting JWEs of any serialization under an explicit algorithm policy.

use std::borrow::Cow;

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::format::Jwe;
use super::header::{Params, join, to_header};
use super::keys::{self, Direction, UnwrapLimits, Unwrapper};
use crate::alg::{Enc, JweAlg};
use crate::error::{Error, Malformed};
use crate::jwk::JwkSet;
use crate::jws::{Format, Header, NoAlgorithms};

/// Default largest JWE accepted, in bytes.
pub const DEFAULT_MAX_SIZE: usize = 1024 * 1024;

/// Default largest PBES2 iteration count (`p2c`) accepted.
pub const DEFAULT_MAX_PBES2_COUNT: u32 = 10_000;

/// Which key-management algorithms a decrypter accepts. Never taken from the token.
#[derive(Debug, Clone)]
enum Policy {
    Explicit(Vec<JweAlg>),
    /// Each key's own algorithms, plus these for any key they fit.
    FromKeys(Vec<JweAlg>),
}

/// Type-state marker: the decrypter builder has a key-management policy and can build.
#[derive(Debug)]
pub struct WithKeyManagement(Policy);

/// Decrypts JWEs (any serialization, one or several recipients).
///
/// Secure defaults: algorithms come from the caller or the keys, never the token; `RSA1_5` and
/// PBES2 are refused unless enabled; `p2c` is capped (10 000) before any work; `zip` is only
/// honoured from the protected header and capped (250 kB); `crit` is enforced; every failure of
/// the cryptography itself is the one opaque [`Error::DecryptionFailed`], and an unwrapping
/// failure continues with a random CEK so that it costs the same work as a bad tag.
///
/// ```
/// use tessera_jose::{Jwk, alg::{Enc, JweAlg}, jwe::{Decrypter, Encrypter, JweBuilder}};
/// let key = Jwk::generate_jwe(JweAlg::EcdhEsA256KW)?;
/// let jwe = JweBuilder::new(b"hello", Enc::A256Gcm)
///     .recipient(&Encrypter::new(&key.to_public()?, JweAlg::EcdhEsA256KW)?)
///     .general()?;
/// let decrypter = Decrypter::builder(key).algorithms([JweAlg::EcdhEsA256KW]).build()?;
/// let out = decrypter.decrypt(&jwe)?;
/// assert_eq!(out.plaintext(), b"hello");
/// assert_eq!(out.enc(), Enc::A256Gcm);
/// # Ok::<(), tessera_jose::Error>(())
/// ```
pub struct Decrypter {
    entries: Vec<Entry>,
    /// The `kid` of every key of the source: a JWE naming one is only decrypted by that key.
    kids: Vec<String>,
    algs: Vec<JweAlg>,
    encs: Vec<Enc>,
    crit: Vec<String>,
    max_size: usize,
    max_p2c: u32,
    max_decompressed: usize,
}

struct Entry {
    kid: Option<String>,
    alg: JweAlg,
    enc: Option<Enc>,
    key: Unwrapper,
}

/// Builder of a [`Decrypter`]; it cannot build until an algorithm policy is chosen.
pub struct DecrypterBuilder<S> {
    keys: JwkSet,
    state: S,
    encs: Option<Vec<Enc>>,
    crit: Vec<String>,
    max_size: usize,
    rsa1_5: bool,
    pbes2: bool,
    max_p2c: u32,
    max_decompressed: usize,
}

/// A decrypted JWE. Its `Debug` output shows the plaintext's length, never its bytes.
pub struct Decrypted {
    plaintext: Zeroizing<Vec<u8>>,
    protected: Header,
    unprotected: Header,
    alg: JweAlg,
    enc: Enc,
    kid: Option<String>,
    recipient: usize,
    format: Format,
}

impl Decrypter {
    /// Starts a builder over a key source (private keys, or `oct` secrets and passwords).
    #[must_use]
    pub fn builder(keys: impl Into<JwkSet>) -> DecrypterBuilder<NoAlgorithms> {
        DecrypterBuilder {
            keys: keys.into(),
            state: NoAlgorithms,
            encs: None,
            crit: Vec::new(),
            max_size: DEFAULT_MAX_SIZE,
            rsa1_5: false,
            pbes2: false,
            max_p2c: DEFAULT_MAX_PBES2_COUNT,
            max_decompressed: super::zip::DEFAULT_MAX_DECOMPRESSED,
        }
    }

    /// Parses and decrypts a JWE of any serialization.
    ///
    /// # Errors
    /// [`Error::Malformed`], [`Error::LimitExceeded`], [`Error::Crit`],
    /// [`Error::AlgorithmNotAllowed`], [`Error::NoMatchingKey`], [`Error::AmbiguousKey`], or
    /// [`Error::DecryptionFailed`].
    pub fn decrypt(&self, input: &str) -> Result<Decrypted, Error> {
        let jwe = Jwe::parse(input, self.max_size)?;
        self.decrypt_owned(jwe)
    }

    /// Decrypts an already parsed JWE. With several recipients, each one a key of this
    /// decrypter matches is tried in order; the first that decrypts wins.
    ///
    /// # Errors
    /// As [`Decrypter::decrypt`]. When no recipient has a usable key, the first recipient's
    /// key-selection error.
    pub fn decrypt_parsed(&self, jwe: &Jwe) -> Result<Decrypted, Error> {
        let mut d = self.decrypt_ref(jwe)?;
        d.protected = to_header(jwe.protected.clone());
        Ok(d)
    }

    /// [`Decrypter::decrypt_parsed`] taking the JWE, so its protected header can become the
    /// result's header without a copy.
    pub(crate) fn decrypt_owned(&self, mut jwe: Jwe) -> Result<Decrypted, Error> {
        let mut d = self.decrypt_ref(&jwe)?;
        d.protected = to_header(core::mem::take(&mut jwe.protected));
        Ok(d)
    }

    /// Decrypts; the protected header is left for the caller to fill in (it is empty in the
    /// result), so it can be moved rather than copied.
    fn decrypt_ref(&self, jwe: &Jwe) -> Result<Decrypted, Error> {
        let aad = jwe.aad();
        let several = jwe.recipients.len() > 1;
        // Every recipient's header is checked before any key is used.
        let joined: Vec<Cow<'_, Map<String, Value>>> = jwe
            .recipients
            .iter()
            .map(|r| join(&jwe.protected, jwe.unprotected.as_ref(), r.header.as_ref()))
            .collect::<Result<_, _>>()?;
        let mut params = Vec::with_capacity(joined.len());
        for (r, j) in jwe.recipients.iter().zip(&joined) {
            let unprotected: Vec<&Map<String, Value>> =
                [jwe.unprotected.as_ref(), r.header.as_ref()]
                    .into_iter()
                    .flatten()
                    .collect();
            let p = Params::read(j, &jwe.protected, &unprotected, &self.crit)?;
            // RFC 7516 §7.2.1: every recipient uses the same content encryption; dir and
            // ECDH-ES fix the CEK and so cannot share it.
            let first: Option<&Params<'_>> = params.first();
            if first.is_some_and(|f| f.enc != p.enc) {
                return Err(Malformed::Header.into());
            }
            if several && p.alg.is_single_recipient() {
                return Err(Malformed::JweJson.into());
            }
            params.push(p);
        }
        let mut first_err = None;
        for (index, (r, p)) in jwe.recipients.iter().zip(&params).enumerate() {
            let entry = match self.resolve(p) {
                Ok(e) => e,
                Err(e) => {
                    first_err.get_or_insert(e);
                    continue;
                }
            };
            let limits = UnwrapLimits {
                max_p2c: self.max_p2c,
            };
            let cek = match keys::unwrap_cek(
                &entry.key,
                p.alg,
                p.enc,
                &joined[index],
                &r.encrypted_key,
                &limits,
            ) {
                Ok(cek) if cek.len() == p.enc.cek_len() => cek,
                // Malformed parameters and limits are public facts about the token.
                Err(e @ (Error::Malformed(_) | Error::LimitExceeded(_))) => return Err(e),
                // Any other failure continues with a random CEK: same work, same error.
                _ => {
                    let mut k = Zeroizing::new(vec![0u8; p.enc.cek_len()]);
                    crate::crypto::random(&mut k)?;
                    k
                }
            };
            let decrypted = match entry.key.direct_gcm(p.enc) {
                Some(key) => {
                    crate::crypto::content::gcm_open(key, &jwe.iv, &aad, &jwe.ciphertext, &jwe.tag)
                }
                None => crate::crypto::content::decrypt(
                    p.enc,
                    &cek,
                    &jwe.iv,
                    &aad,
                    &jwe.ciphertext,
                    &jwe.tag,
                ),
            };
            let Ok(plaintext) = decrypted else {
                first_err = Some(Error::DecryptionFailed);
                continue;
            };
            let plaintext = if p.zip {
                super::zip::decompress(&plaintext, self.max_decompressed)?
            } else {
                plaintext
            };
            // The shared and per-recipient unprotected headers never collide (checked when
            // joining), so together they are one unauthenticated header, kept apart from the
            // protected one.
            let mut unprotected = jwe.unprotected.clone().unwrap_or_default();
            if let Some(h) = &r.header {
                unprotected.extend(h.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            let decrypted = Decrypted {
                plaintext,
                protected: Header::empty(),
                unprotected: to_header(unprotected),
                alg: p.alg,
                enc: p.enc,
                kid: entry.kid.clone(),
                recipient: index,
                format: jwe.format,
            };
            return Ok(decrypted);
        }
        Err(first_err.unwrap_or(Error::DecryptionFailed))
    }

    /// The key-management algorithms this decrypter accepts.
    #[must_use]
    pub fn algorithms(&self) -> &[JweAlg] {
        &self.algs
    }

    fn resolve(&self, p: &Params<'_>) -> Result<&Entry, Error> {
        if !self.algs.contains(&p.alg) || !self.encs.contains(&p.enc) {
            return Err(Error::AlgorithmNotAllowed);
        }
        let candidates = self
            .entries
            .iter()
            .filter(|e| {
                e.alg == p.alg
                    && e.enc.is_none_or(|enc| enc == p.enc)
                    && e.key.direct_len().is_none_or(|len| len == p.enc.cek_len())
            })
            .map(|e| (e, e.kid.as_deref()));
        crate::jws::keys::select_by_kid(candidates, p.kid, |k| self.kids.iter().any(|s| s == k))
    }
}

impl<S> DecrypterBuilder<S> {
    /// Accepts exactly these key-management algorithms (`RSA1_5` and PBES2 additionally need
    /// [`Self::dangerous_allow_rsa1_5`] and [`Self::allow_pbes2`]).
    #[must_use]
    pub fn algorithms(
        self,
        algs: impl IntoIterator<Item = JweAlg>,
    ) -> DecrypterBuilder<WithKeyManagement> {
        let policy = Policy::Explicit(algs.into_iter().collect());
        self.with_policy(policy)
    }

    /// Accepts, per key, its `alg` (a `dir` key may name its `enc` there), else the algorithms
    /// of its type: RSA-OAEP* for RSA, ECDH-ES* for EC and X25519 keys. `oct` keys need `alg`.
    #[must_use]
    pub fn algorithms_from_keys(self) -> DecrypterBuilder<WithKeyManagement> {
        self.with_policy(Policy::FromKeys(Vec::new()))
    }

    /// Accepts, per key, what [`Self::algorithms_from_keys`] accepts, and also these algorithms
    /// for every key they fit (an `oct` key without `alg` for `dir` or AES key wrap, say).
    /// `RSA1_5` and PBES2 still need their opt-ins.
    #[must_use]
    pub fn algorithms_from_keys_and(
        self,
        extra: impl IntoIterator<Item = JweAlg>,
    ) -> DecrypterBuilder<WithKeyManagement> {
        self.with_policy(Policy::FromKeys(extra.into_iter().collect()))
    }

    /// Accepts only these content encryptions (default: all six).
    #[must_use]
    pub fn encryptions(mut self, encs: impl IntoIterator<Item = Enc>) -> Self {
        self.encs = Some(encs.into_iter().collect());
        self
    }

    /// Enables `RSA1_5` (RSAES-PKCS1-v1_5), a legacy algorithm. **Dangerous.**
    ///
    /// A padding or length failure yields a random CEK, so every failure is the same opaque
    /// error ([`Error::DecryptionFailed`]): there is no *error* oracle. There is still a
    /// *timing* oracle: the backend (aws-lc) checks PKCS#1 v1.5 padding with early returns, so
    /// how long a decryption takes depends on the padding, and an attacker who can submit many
    /// JWEs and time the answers can decrypt a captured CEK, or forge, with the private key's
    /// help (Bleichenbacher 1998; the Marvin attack, 2023). Enable it only for a peer that
    /// cannot use RSA-OAEP, never on an endpoint where an attacker can measure response times,
    /// and plan to retire it. Encrypting with `RSA1_5` has no such problem.
    #[must_use]
    pub fn dangerous_allow_rsa1_5(mut self) -> Self {
        self.rsa1_5 = true;
        self
    }

    /// Enables the PBES2 password-based algorithms.
    #[must_use]
    pub fn allow_pbes2(mut self) -> Self {
        self.pbes2 = true;
        self
    }

    /// The largest `p2c` accepted (default 10 000); larger counts are rejected before any work.
    #[must_use]
    pub fn max_pbes2_count(mut self, count: u32) -> Self {
        self.max_p2c = count;
        self
    }

    /// The largest plaintext `zip: DEF` may decompress to (default 250 kB).
    #[must_use]
    pub fn max_decompressed_size(mut self, bytes: usize) -> Self {
        self.max_decompressed = bytes;
        self
    }

    /// Header parameters the application understands and allows in `crit`.
    #[must_use]
    pub fn critical<T: Into<String>>(mut self, names: impl IntoIterator<Item = T>) -> Self {
        self.crit.extend(names.into_iter().map(Into::into));
        self
    }

    /// The largest input accepted, in bytes (default 1 MiB).
    #[must_use]
    pub fn max_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }

    fn with_policy(self, policy: Policy) -> DecrypterBuilder<WithKeyManagement> {
        DecrypterBuilder {
            keys: self.keys,
            state: WithKeyManagement(policy),
            encs: self.encs,
            crit: self.crit,
            max_size: self.max_size,
            rsa1_5: self.rsa1_5,
            pbes2: self.pbes2,
            max_p2c: self.max_p2c,
            max_decompressed: self.max_decompressed,
        }
    }
}

impl DecrypterBuilder<WithKeyManagement> {
    /// Parses every usable (key, algorithm) pair once.
    ///
    /// # Errors
    /// [`Error::Config`] for an empty algorithm or encryption list, `RSA1_5` or PBES2 listed
    /// without being enabled, a zero `p2c` cap, or when no key can decrypt with the allowed
    /// algorithms.
    pub fn build(self) -> Result<Decrypter, Error> {
        let encs = self.encs.unwrap_or_else(|| Enc::ALL.to_vec());
        if encs.is_empty() {
            return Err(Error::Config(
                "the allowed content encryption list is empty",
            ));
        }
        if self.max_p2c == 0 || self.max_decompressed == 0 {
            return Err(Error::Config("a decryption limit is zero"));
        }
        let enabled = |a: &JweAlg| match a.mode() {
            crate::alg::KeyManagement::RsaPkcs1 => self.rsa1_5,
            crate::alg::KeyManagement::Pbes2 => self.pbes2,
            _ => true,
        };
        let not_enabled = || {
            Error::Config(
                "RSA1_5 and PBES2 must be enabled with dangerous_allow_rsa1_5 / allow_pbes2",
            )
        };
        let (explicit, extra) = match &self.state.0 {
            Policy::Explicit(list) => {
                if list.is_empty() {
                    return Err(Error::Config("the allowed algorithm list is empty"));
                }
                if list.iter().any(|a| !enabled(a)) {
                    return Err(not_enabled());
                }
                (Some(list.clone()), Vec::new())
            }
            Policy::FromKeys(extra) => {
                if extra.iter().any(|a| !enabled(a)) {
                    return Err(not_enabled());
                }
                (None, extra.clone())
            }
        };
        let mut entries = Vec::new();
        let mut algs: Vec<JweAlg> = explicit.clone().unwrap_or_default();
        for jwk in self.keys.keys() {
            let candidates: Vec<(JweAlg, Option<Enc>)> = match &explicit {
                Some(list) => list.iter().map(|a| (*a, None)).collect(),
                None => {
                    let mut own: Vec<(JweAlg, Option<Enc>)> = keys::algorithms_of(jwk)
                        .into_iter()
                        .filter(|(a, _)| enabled(a))
                        .collect();
                    for a in &extra {
                        if !own.iter().any(|(o, _)| o == a) {
                            own.push((*a, None));
                        }
                    }
                    own
                }
            };
            for (alg, enc) in candidates {
                if !jwk.is_private() || !keys::permits(jwk, alg, enc, Direction::Decrypt) {
                    continue;
                }
                // A dir key whose `alg` names a content encryption is bound to it.
                let bound = enc.or_else(|| jwk.alg().and_then(|a| Enc::from_name(a).ok()));
                entries.push(Entry {
                    kid: jwk.kid().map(str::to_owned),
                    alg,
                    enc: bound,
                    key: Unwrapper::new(jwk, alg)?,
                });
                if !algs.contains(&alg) {
                    algs.push(alg);
                }
            }
        }
        if entries.is_empty() {
            return Err(Error::Config(
                "no key of the key source can decrypt with the allowed algorithms",
            ));
        }
        let kids = self
            .keys
            .keys()
            .iter()
            .filter_map(|k| k.kid().map(str::to_owned))
            .collect();
        Ok(Decrypter {
            entries,
            kids,
            algs,
            encs,
            crit: self.crit,
            max_size: self.max_size,
            max_p2c: self.max_p2c,
            max_decompressed: self.max_decompressed,
        })
    }
}

impl Decrypted {
    /// The plaintext.
    #[must_use]
    pub fn plaintext(&self) -> &[u8] {
        &self.plaintext
    }

    /// Takes the plaintext (wiped from memory when dropped).
    #[must_use]
    pub fn into_plaintext(self) -> Zeroizing<Vec<u8>> {
        self.plaintext
    }

    /// The protected header: the only header the content encryption authenticates.
    #[must_use]
    pub fn protected(&self) -> &Header {
        &self.protected
    }

    /// The unprotected headers of the recipient that decrypted (the shared `unprotected` and
    /// the per-recipient `header`), which anyone may have changed in transit: never read
    /// security decisions from them.
    #[must_use]
    pub fn unprotected(&self) -> &Header {
        &self.unprotected
    }

    /// The key-management algorithm used.
    #[must_use]
    pub fn alg(&self) -> JweAlg {
        self.alg
    }

    /// The content encryption.
    #[must_use]
    pub fn enc(&self) -> Enc {
        self.enc
    }

    /// The `kid` of the key that decrypted.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The index of the recipient that decrypted.
    #[must_use]
    pub fn recipient(&self) -> usize {
        self.recipient
    }

    /// The serialization of the input.
    #[must_use]
    pub fn format(&self) -> Format {
        self.format
    }
}

impl core::fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Decrypted")
            .field("plaintext_len", &self.plaintext.len())
            .field("alg", &self.alg)
            .field("enc", &self.enc)
            .field("kid", &self.kid)
            .field("recipient", &self.recipient)
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for Decrypter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Decrypter")
            .field("algorithms", &self.algs)
            .field("encryptions", &self.encs)
            .field("max_pbes2_count", &self.max_p2c)
            .finish_non_exhaustive()
    }
}
