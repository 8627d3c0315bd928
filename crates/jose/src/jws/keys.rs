//! The verification key store: every (key, algorithm) pair the policy allows, parsed once.

use crate::alg::{JwsAlg, Kty};
use crate::crypto::VerifyingKey;
use crate::error::Error;
use crate::jwk::{Jwk, JwkSet};

/// Which algorithms a verifier accepts. Never taken from the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AlgPolicy {
    /// Exactly these.
    Explicit(Vec<JwsAlg>),
    /// Each key's `alg`, or the algorithms of its type and curve.
    FromKeys,
}

/// Type-state marker: the builder has no algorithm policy yet and cannot build.
#[derive(Debug)]
pub struct NoAlgorithms;

/// Type-state marker: the builder has an algorithm policy.
#[derive(Debug)]
pub struct WithAlgorithms(pub(crate) AlgPolicy);

pub(crate) struct Entry {
    pub kid: Option<String>,
    pub key: VerifyingKey,
}

/// Verification keys, pre-parsed per allowed algorithm.
pub(crate) struct KeyStore {
    entries: Vec<Entry>,
    /// The `kid` of every key of the source, usable or not: a token naming one of them is only
    /// ever verified by that key, never by a key without `kid`.
    kids: Vec<String>,
    /// The accepted algorithms: the explicit list, or the union of what the keys allow.
    algs: Vec<JwsAlg>,
}

impl KeyStore {
    pub(crate) fn new(set: &JwkSet, policy: &AlgPolicy) -> Result<Self, Error> {
        let kids = check_coherent(set)?;
        if let AlgPolicy::Explicit(algs) = policy {
            if algs.is_empty() {
                return Err(Error::Config("the allowed algorithm list is empty"));
            }
            if let Some(a) = algs.iter().find(|a| !a.is_supported()) {
                return Err(Error::UnsupportedAlgorithm(a.name().into()));
            }
        }
        let mut entries = Vec::new();
        let mut algs: Vec<JwsAlg> = match policy {
            AlgPolicy::Explicit(list) => list.clone(),
            AlgPolicy::FromKeys => Vec::new(),
        };
        let mut unsupported = None;
        for jwk in set.keys() {
            if let Some(crv) = jwk.curve().filter(|c| !c.is_supported()) {
                unsupported = Some(crv);
                continue;
            }
            let candidates = match policy {
                AlgPolicy::Explicit(list) => list.clone(),
                AlgPolicy::FromKeys => jwk.allowed_algorithms(),
            };
            for alg in candidates {
                if jwk.permits("verify", alg) {
                    entries.push(entry(jwk, alg)?);
                    if !algs.contains(&alg) {
                        algs.push(alg);
                    }
                }
            }
        }
        if let (true, Some(crv)) = (entries.is_empty(), unsupported) {
            return Err(Error::UnsupportedAlgorithm(crv.name().into()));
        }
        if entries.is_empty() {
            return Err(Error::Config(
                "no key of the key source can verify with the allowed algorithms",
            ));
        }
        Ok(Self {
            entries,
            kids,
            algs,
        })
    }

    /// A store without keys (for verifiers of encrypted, unsigned JWTs): every token's `alg`
    /// is not allowed.
    pub(crate) fn empty() -> Self {
        Self {
            entries: Vec::new(),
            kids: Vec::new(),
            algs: Vec::new(),
        }
    }

    /// Every usable (algorithm, `kid`) pair, for explaining a rejection.
    pub(crate) fn offered(&self) -> impl Iterator<Item = (JwsAlg, Option<&str>)> {
        self.entries.iter().map(|e| (e.key.alg(), e.kid.as_deref()))
    }

    /// The accepted algorithms.
    pub(crate) fn algorithms(&self) -> &[JwsAlg] {
        &self.algs
    }

    /// The one key for a token's `alg` and `kid`.
    pub(crate) fn resolve(&self, alg_name: &str, kid: Option<&str>) -> Result<&Entry, Error> {
        self.resolve_index(alg_name, kid).map(|i| &self.entries[i])
    }

    /// The entry at an index returned by [`KeyStore::resolve_index`].
    pub(crate) fn entry(&self, index: usize) -> Option<&Entry> {
        self.entries.get(index)
    }

    /// The index of the one key for a token's `alg` and `kid`.
    pub(crate) fn resolve_index(&self, alg_name: &str, kid: Option<&str>) -> Result<usize, Error> {
        let alg = *self
            .algs
            .iter()
            .find(|a| a.name() == alg_name)
            .ok_or(Error::AlgorithmNotAllowed)?;
        let candidates = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.key.alg() == alg)
            .map(|(i, e)| (i, e.kid.as_deref()));
        select_by_kid(candidates, kid, |k| self.kids.iter().any(|s| s == k))
    }
}

/// The one candidate key a token's `kid` selects. When some key of the whole source carries
/// that `kid` (`known`), only candidates with it qualify: a key is never verified in the name of
/// another key. When no key of the source carries it, the candidates without a `kid` qualify (no
/// token can name such a key, so its `kid` cannot contradict it). A token without `kid` may use
/// every candidate. None is [`Error::NoMatchingKey`], several [`Error::AmbiguousKey`]: nothing
/// is guessed. Shared by JWS, JWT and JWE key selection.
pub(crate) fn select_by_kid<'k, T>(
    candidates: impl Iterator<Item = (T, Option<&'k str>)>,
    kid: Option<&str>,
    known: impl Fn(&str) -> bool,
) -> Result<T, Error> {
    let mut chosen = candidates.filter(|(_, c)| match kid {
        None => true,
        Some(k) if known(k) => *c == Some(k),
        Some(_) => c.is_none(),
    });
    let (first, _) = chosen.next().ok_or(Error::NoMatchingKey)?;
    match chosen.next() {
        Some(_) => Err(Error::AmbiguousKey),
        None => Ok(first),
    }
}

/// Checks that a verification key source is coherent and returns its `kid`s: shared secrets
/// never sit beside public keys (a secret leaked into a published set must not make HMAC
/// tokens forgeable), and no two keys share a `kid` (a token's `kid` names one key), counting
/// the entries that were skipped as malformed: a duplicate is a sign of a broken or tampered set
/// even when one of its entries could not be read.
pub(crate) fn check_coherent(set: &JwkSet) -> Result<Vec<String>, Error> {
    let keys = set.keys();
    if keys.iter().any(|k| k.kty() == Kty::Oct) && keys.iter().any(|k| k.kty() != Kty::Oct) {
        return Err(Error::Config(
            "the key source mixes shared secrets (oct) with public keys; verify HMAC tokens with a separate verifier",
        ));
    }
    let mut kids: Vec<String> = Vec::new();
    for kid in keys.iter().filter_map(Jwk::kid) {
        if kids.iter().any(|k| k == kid) {
            return Err(Error::DuplicateKid(kid.to_owned()));
        }
        kids.push(kid.to_owned());
    }
    let mut seen_skipped: Vec<&str> = Vec::new();
    for kid in set.skipped_kids() {
        if kids.contains(kid) || seen_skipped.contains(&kid.as_str()) {
            return Err(Error::DuplicateKid(kid.clone()));
        }
        seen_skipped.push(kid);
    }
    Ok(kids)
}

fn entry(jwk: &Jwk, alg: JwsAlg) -> Result<Entry, Error> {
    Ok(Entry {
        kid: jwk.kid().map(str::to_owned),
        key: VerifyingKey::new(alg, &jwk.material())?,
    })
}
