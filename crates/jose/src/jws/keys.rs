//! The verification key store: every (key, algorithm) pair the policy allows, parsed once.

use crate::alg::JwsAlg;
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
    /// The accepted algorithms: the explicit list, or the union of what the keys allow.
    algs: Vec<JwsAlg>,
}

impl KeyStore {
    pub(crate) fn new(set: &JwkSet, policy: &AlgPolicy) -> Result<Self, Error> {
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
        Ok(Self { entries, algs })
    }

    /// A store without keys (for verifiers of encrypted, unsigned JWTs): every token's `alg`
    /// is not allowed.
    pub(crate) fn empty() -> Self {
        Self {
            entries: Vec::new(),
            algs: Vec::new(),
        }
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
        select_by_kid(candidates, kid)
    }
}

/// The one candidate key a token's `kid` selects: those whose `kid` equals it, or, when none
/// does, those without a `kid` (no token can name such a key, so its `kid` cannot contradict
/// it); every candidate when the token has no `kid`. None is [`Error::NoMatchingKey`], several
/// [`Error::AmbiguousKey`]: nothing is guessed. Shared by JWS, JWT and JWE key selection.
pub(crate) fn select_by_kid<'k, T>(
    candidates: impl Iterator<Item = (T, Option<&'k str>)> + Clone,
    kid: Option<&str>,
) -> Result<T, Error> {
    fn one<T>(mut it: impl Iterator<Item = T>) -> Option<Result<T, Error>> {
        let first = it.next()?;
        Some(match it.next() {
            Some(_) => Err(Error::AmbiguousKey),
            None => Ok(first),
        })
    }
    let chosen = match kid {
        None => one(candidates.map(|(t, _)| t)),
        Some(k) => one(candidates
            .clone()
            .filter(|(_, c)| *c == Some(k))
            .map(|(t, _)| t))
        .or_else(|| one(candidates.filter(|(_, c)| c.is_none()).map(|(t, _)| t))),
    };
    chosen.unwrap_or(Err(Error::NoMatchingKey))
}

fn entry(jwk: &Jwk, alg: JwsAlg) -> Result<Entry, Error> {
    Ok(Entry {
        kid: jwk.kid().map(str::to_owned),
        key: VerifyingKey::new(alg, &jwk.material())?,
    })
}
