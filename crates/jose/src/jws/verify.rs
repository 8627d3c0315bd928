//! Verifying JWS of any serialization under an explicit algorithm policy.

use serde_json::Value;

use super::format::{Jws, RawSignature};
use super::header::{Header, check_crit, join};
use super::keys::{AlgPolicy, KeyStore, NoAlgorithms, WithAlgorithms};
use crate::alg::JwsAlg;
use crate::b64;
use crate::error::{Error, Malformed};
use crate::jwk::JwkSet;

/// Default largest JWS accepted, in bytes.
pub const DEFAULT_MAX_SIZE: usize = 1024 * 1024;

/// Which signatures of a multi-signature JWS must verify (RFC 7515 §7.2 leaves the choice to
/// the application).
///
/// A policy names what must be present, never "every signature there is": an attacker can
/// strip signatures from a general JWS, and what remains would still all verify.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SignaturePolicy {
    /// At least one signature verifies (the default).
    #[default]
    Any,
    /// At least this many signatures verify, each under a different key.
    AtLeast(usize),
    /// For each of these `kid`s, a signature verifies under the key with that `kid`.
    Signers(Vec<String>),
}

/// Verifies raw JWS (any payload, any serialization). For JWTs use [`crate::jwt::Verifier`].
///
/// ```
/// use tessera_jose::{Jwk, JwkSet, JwsAlg, jws::{Header, JwsBuilder, JwsVerifier, Signer}};
/// let key = Jwk::generate(JwsAlg::ES384)?;
/// let jws = JwsBuilder::new(b"payload")
///     .signature(&Signer::new(&key, JwsAlg::ES384)?, Header::new(JwsAlg::ES384), None)
///     .flattened()?;
/// let verifier = JwsVerifier::builder(JwkSet::from(key.to_public()?))
///     .algorithms([JwsAlg::ES384])
///     .build()?;
/// assert_eq!(verifier.verify(&jws)?.payload(), b"payload");
/// # Ok::<(), tessera_jose::Error>(())
/// ```
pub struct JwsVerifier {
    keys: KeyStore,
    crit: Vec<String>,
    max_size: usize,
    policy: SignaturePolicy,
}

/// Builder of a [`JwsVerifier`]; it cannot build until an algorithm policy is chosen.
pub struct JwsVerifierBuilder<S> {
    keys: JwkSet,
    state: S,
    crit: Vec<String>,
    max_size: usize,
    policy: SignaturePolicy,
}

/// The result of verifying a JWS.
#[derive(Debug, Clone)]
pub struct VerifiedJws {
    payload: Vec<u8>,
    outcomes: Vec<SignatureOutcome>,
}

/// What happened to one signature.
#[derive(Debug, Clone)]
pub struct SignatureOutcome {
    /// Position in the JWS.
    pub index: usize,
    /// The verified signature, or the error that rejected it.
    pub result: Result<VerifiedSignature, Error>,
}

/// A signature that verified.
#[derive(Debug, Clone)]
pub struct VerifiedSignature {
    /// The algorithm.
    pub alg: JwsAlg,
    /// The `kid` of the key that verified it (not the token's claim about it).
    pub kid: Option<String>,
    /// The protected header: the only header the signature covers.
    pub protected: Header,
    /// The unprotected header, which anyone may have changed: never read security decisions
    /// from it.
    pub unprotected: Header,
}

impl JwsVerifier {
    /// Starts a builder over a key source.
    #[must_use]
    pub fn builder(keys: impl Into<JwkSet>) -> JwsVerifierBuilder<NoAlgorithms> {
        JwsVerifierBuilder {
            keys: keys.into(),
            state: NoAlgorithms,
            crit: Vec::new(),
            max_size: DEFAULT_MAX_SIZE,
            policy: SignaturePolicy::Any,
        }
    }

    /// Verifies a JWS with an attached payload.
    ///
    /// # Errors
    /// The error of the first signature when the policy is not met; [`Error::Malformed`] for a
    /// detached JWS.
    pub fn verify(&self, input: &str) -> Result<VerifiedJws, Error> {
        let jws = Jws::parse(input, self.max_size)?;
        self.verify_parsed(&jws, None)
    }

    /// Verifies a JWS whose payload is detached, with the payload bytes supplied.
    ///
    /// # Errors
    /// As [`JwsVerifier::verify`]; [`Error::Malformed`] if the JWS carries a payload.
    pub fn verify_detached(&self, input: &str, payload: &[u8]) -> Result<VerifiedJws, Error> {
        let jws = Jws::parse(input, self.max_size)?;
        self.verify_parsed(&jws, Some(payload))
    }

    /// Verifies an already parsed JWS.
    ///
    /// # Errors
    /// As [`JwsVerifier::verify`].
    pub fn verify_parsed(&self, jws: &Jws, detached: Option<&[u8]>) -> Result<VerifiedJws, Error> {
        // RFC 7797 §3: b64 must have the same value in every signature.
        let b64_values: Vec<bool> = jws
            .signatures
            .iter()
            .map(|s| {
                s.protected
                    .get("b64")
                    .and_then(Value::as_bool)
                    .unwrap_or(true)
            })
            .collect();
        let encoded = b64_values.first().copied().unwrap_or(true);
        if b64_values.iter().any(|&b| b != encoded) {
            return Err(Malformed::Payload.into());
        }
        let attached = match (jws.payload.as_deref(), detached) {
            // An empty segment with detached content supplied is a detached payload.
            (Some(""), Some(_)) => None,
            (p, _) => p,
        };
        let (payload, segment): (Vec<u8>, std::borrow::Cow<'_, [u8]>) = match (attached, detached) {
            (Some(p), None) => {
                let bytes = if encoded {
                    b64::decode(p)?
                } else {
                    p.as_bytes().to_vec()
                };
                (bytes, p.as_bytes().into())
            }
            (None, Some(d)) => {
                let segment = if encoded {
                    b64::encode(d).into_bytes().into()
                } else {
                    d.into()
                };
                (d.to_vec(), segment)
            }
            _ => return Err(Malformed::Payload.into()),
        };
        let outcomes: Vec<SignatureOutcome> = jws
            .signatures
            .iter()
            .enumerate()
            .map(|(index, sig)| SignatureOutcome {
                index,
                result: self.verify_one(sig, &segment),
            })
            .collect();
        let ok = self.policy_met(&outcomes);
        if !ok {
            let first_err = outcomes
                .iter()
                .find_map(|o| o.result.as_ref().err().cloned())
                .unwrap_or(Error::SignatureInvalid);
            return Err(first_err);
        }
        Ok(VerifiedJws { payload, outcomes })
    }

    fn policy_met(&self, outcomes: &[SignatureOutcome]) -> bool {
        let mut kids = outcomes
            .iter()
            .filter_map(|o| o.result.as_ref().ok())
            .map(|v| &v.kid);
        match &self.policy {
            SignaturePolicy::Any => kids.next().is_some(),
            SignaturePolicy::AtLeast(n) => {
                // Distinct keys: one key signing twice is one signer.
                let mut seen: Vec<&Option<String>> = Vec::new();
                for kid in kids {
                    if kid.is_none() || !seen.contains(&kid) {
                        seen.push(kid);
                    }
                }
                seen.len() >= *n
            }
            SignaturePolicy::Signers(required) => required
                .iter()
                .all(|r| kids.clone().any(|k| k.as_deref() == Some(r.as_str()))),
        }
    }

    fn verify_one(
        &self,
        sig: &RawSignature,
        payload_segment: &[u8],
    ) -> Result<VerifiedSignature, Error> {
        check_crit(&sig.protected, sig.unprotected.as_ref(), &self.crit)?;
        let header = join(&sig.protected, sig.unprotected.as_ref())?;
        let alg_name = header.alg().ok_or(Malformed::Header)?;
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(k)) => Some(k.as_str()),
            Some(_) => return Err(Malformed::Header.into()),
        };
        let entry = self.keys.resolve(alg_name, kid)?;
        let mut input = Vec::with_capacity(sig.protected_b64.len() + 1 + payload_segment.len());
        input.extend_from_slice(sig.protected_b64.as_bytes());
        input.push(b'.');
        input.extend_from_slice(payload_segment);
        entry.key.verify(&input, &sig.signature)?;
        Ok(VerifiedSignature {
            alg: entry.key.alg(),
            kid: entry.kid.clone(),
            protected: Header::from_map(sig.protected.clone()),
            unprotected: Header::from_map(sig.unprotected.clone().unwrap_or_default()),
        })
    }
}

impl<S> JwsVerifierBuilder<S> {
    /// Accepts exactly these algorithms.
    #[must_use]
    pub fn algorithms(
        self,
        algs: impl IntoIterator<Item = JwsAlg>,
    ) -> JwsVerifierBuilder<WithAlgorithms> {
        self.with_state(WithAlgorithms(AlgPolicy::Explicit(
            algs.into_iter().collect(),
        )))
    }

    /// Accepts, per key, its `alg` or else the algorithms of its type and curve.
    #[must_use]
    pub fn algorithms_from_keys(self) -> JwsVerifierBuilder<WithAlgorithms> {
        self.with_state(WithAlgorithms(AlgPolicy::FromKeys))
    }

    /// Header parameters the application understands and allows in `crit`.
    #[must_use]
    pub fn critical<T: Into<String>>(mut self, names: impl IntoIterator<Item = T>) -> Self {
        self.crit.extend(names.into_iter().map(Into::into));
        self
    }

    /// The largest input accepted, in bytes.
    #[must_use]
    pub fn max_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }

    /// How many signatures must verify.
    #[must_use]
    pub fn signature_policy(mut self, policy: SignaturePolicy) -> Self {
        self.policy = policy;
        self
    }

    fn with_state<T>(self, state: T) -> JwsVerifierBuilder<T> {
        JwsVerifierBuilder {
            keys: self.keys,
            state,
            crit: self.crit,
            max_size: self.max_size,
            policy: self.policy,
        }
    }
}

impl JwsVerifierBuilder<WithAlgorithms> {
    /// Parses every usable (key, algorithm) pair once.
    ///
    /// # Errors
    /// [`Error::Config`] when no key can verify with the allowed algorithms, when the key
    /// source mixes secrets with public keys, or when the signature policy asks for no
    /// signature or names a `kid` no key has; [`Error::DuplicateKid`] when two keys share a
    /// `kid`.
    pub fn build(self) -> Result<JwsVerifier, Error> {
        match &self.policy {
            SignaturePolicy::AtLeast(0) => {
                return Err(Error::Config("the signature policy requires no signature"));
            }
            SignaturePolicy::Signers(list) if list.is_empty() => {
                return Err(Error::Config("the signature policy names no signer"));
            }
            SignaturePolicy::Signers(list)
                if list
                    .iter()
                    .any(|r| !self.keys.keys().iter().any(|k| k.kid() == Some(r.as_str()))) =>
            {
                return Err(Error::Config(
                    "the signature policy names a kid that no key of the key source has",
                ));
            }
            _ => {}
        }
        Ok(JwsVerifier {
            keys: KeyStore::new(&self.keys, &self.state.0)?,
            crit: self.crit,
            max_size: self.max_size,
            policy: self.policy,
        })
    }
}

impl VerifiedJws {
    /// The verified payload.
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Takes the payload.
    #[must_use]
    pub fn into_payload(self) -> Vec<u8> {
        self.payload
    }

    /// Every signature's outcome, in order.
    #[must_use]
    pub fn outcomes(&self) -> &[SignatureOutcome] {
        &self.outcomes
    }

    /// The signatures that verified.
    pub fn verified(&self) -> impl Iterator<Item = &VerifiedSignature> {
        self.outcomes.iter().filter_map(|o| o.result.as_ref().ok())
    }
}

impl core::fmt::Debug for JwsVerifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("JwsVerifier")
            .field("algorithms", &self.keys.algorithms())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}
