//! The [`Verifier`] builder: type-state over the algorithm policy, and configuration checks.

use std::sync::Arc;
use std::time::Duration;

use super::time::{Clock, duration_secs};
use super::verifier::{AudienceCheck, Checks, Layers, Verifier};
use crate::alg::JwsAlg;
use crate::error::Error;
use crate::jwe::Decrypter;
use crate::jwk::JwkSet;
use crate::jws::keys::{AlgPolicy, KeyStore, WithAlgorithms};

/// Builder of a [`Verifier`]. It has a key source from the start and cannot build until an
/// algorithm policy is chosen.
pub struct VerifierBuilder<S> {
    pub(super) keys: JwkSet,
    pub(super) state: S,
    pub(super) checks: Checks,
    pub(super) audience_skipped: bool,
    pub(super) layers: Layers,
    pub(super) accept_unauthenticated: bool,
}

/// Type-state marker: a verifier of encrypted (unsigned) JWTs, which needs no signature keys.
#[derive(Debug)]
pub struct EncryptedOnly;

impl<S> VerifierBuilder<S> {
    /// Accepts exactly these algorithms.
    #[must_use]
    pub fn algorithms(
        self,
        algs: impl IntoIterator<Item = JwsAlg>,
    ) -> VerifierBuilder<WithAlgorithms> {
        self.with_state(WithAlgorithms(AlgPolicy::Explicit(
            algs.into_iter().collect(),
        )))
    }

    /// Accepts, per key, its `alg` or else the algorithms of its type and curve.
    #[must_use]
    pub fn algorithms_from_keys(self) -> VerifierBuilder<WithAlgorithms> {
        self.with_state(WithAlgorithms(AlgPolicy::FromKeys))
    }

    /// Requires `iss` to equal this issuer (call again, or use [`Self::issuers`], for several).
    #[must_use]
    pub fn issuer(mut self, iss: impl Into<String>) -> Self {
        self.checks.issuers.push(iss.into());
        self
    }

    /// Requires `iss` to be one of these.
    #[must_use]
    pub fn issuers<I: Into<String>>(mut self, iss: impl IntoIterator<Item = I>) -> Self {
        self.checks.issuers.extend(iss.into_iter().map(Into::into));
        self
    }

    /// Requires `aud` to contain this audience (or another one added the same way).
    #[must_use]
    pub fn audience(self, aud: impl Into<String>) -> Self {
        self.audiences([aud])
    }

    /// Requires `aud` to contain one of these.
    #[must_use]
    pub fn audiences<A: Into<String>>(mut self, aud: impl IntoIterator<Item = A>) -> Self {
        let mut list = match core::mem::replace(&mut self.checks.audiences, AudienceCheck::Skip) {
            AudienceCheck::AnyOf(l) => l,
            _ => Vec::new(),
        };
        list.extend(aud.into_iter().map(Into::into));
        self.checks.audiences = AudienceCheck::AnyOf(list);
        self
    }

    /// Does not check `aud` at all. Only for services that check it themselves.
    #[must_use]
    pub fn skip_audience_check(mut self) -> Self {
        self.audience_skipped = true;
        self
    }

    /// Requires `sub` to equal this subject.
    #[must_use]
    pub fn subject(mut self, sub: impl Into<String>) -> Self {
        self.checks.subject = Some(sub.into());
        self
    }

    /// Requires the `typ` header to be this media type (case-insensitive, `application/`
    /// optional), e.g. `"JWT"` or `"at+jwt"`.
    #[must_use]
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.checks.typ = Some(typ.into());
        self
    }

    /// Clock skew tolerated for `exp`, `nbf` and `iat` (default zero; `iat` in the future has
    /// its own default tolerance, see [`Self::future_iat_tolerance`]).
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.checks.leeway = duration_secs(leeway);
        self
    }

    /// How far in the future `iat` may lie (default [`super::DEFAULT_IAT_SKEW`], one minute;
    /// the larger of this and [`Self::leeway`] applies). Zero makes the check strict.
    #[must_use]
    pub fn future_iat_tolerance(mut self, tolerance: Duration) -> Self {
        self.checks.iat_skew = duration_secs(tolerance);
        self
    }

    /// Rejects tokens whose `iat` is older than this (and tokens without `iat`).
    #[must_use]
    pub fn max_age(mut self, age: Duration) -> Self {
        self.checks.max_age = Some(duration_secs(age));
        self
    }

    /// Requires a claim to be present.
    #[must_use]
    pub fn require(mut self, claim: impl Into<String>) -> Self {
        self.checks.required.push(claim.into());
        self
    }

    /// Accepts tokens without `exp` (required by default).
    #[must_use]
    pub fn allow_missing_exp(mut self) -> Self {
        self.checks.require_exp = false;
        self
    }

    /// The clock to validate against (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.checks.clock = Arc::new(clock);
        self
    }

    /// Header parameters the application understands and allows in `crit`.
    #[must_use]
    pub fn critical<T: Into<String>>(mut self, names: impl IntoIterator<Item = T>) -> Self {
        self.checks.crit.extend(names.into_iter().map(Into::into));
        self
    }

    /// The largest token accepted, in bytes (default 64 KiB).
    #[must_use]
    pub fn max_token_size(mut self, bytes: usize) -> Self {
        self.checks.max_size = bytes;
        self
    }

    /// The deepest JSON nesting accepted in header and claims (default 32).
    #[must_use]
    pub fn max_json_depth(mut self, depth: usize) -> Self {
        self.checks.max_depth = depth;
        self
    }

    fn with_state<T>(self, state: T) -> VerifierBuilder<T> {
        VerifierBuilder {
            keys: self.keys,
            state,
            checks: self.checks,
            audience_skipped: self.audience_skipped,
            layers: self.layers,
            accept_unauthenticated: self.accept_unauthenticated,
        }
    }

    pub(super) fn with_encrypted_state(self) -> VerifierBuilder<EncryptedOnly> {
        self.with_state(EncryptedOnly)
    }

    fn check(&mut self) -> Result<(), Error> {
        let c = &mut self.checks;
        if self.audience_skipped {
            if matches!(c.audiences, AudienceCheck::AnyOf(_)) {
                return Err(Error::Config("an audience is both required and skipped"));
            }
            c.audiences = AudienceCheck::Skip;
        }
        if c.issuers.iter().any(String::is_empty) {
            return Err(Error::Config("an accepted issuer is empty"));
        }
        if let AudienceCheck::AnyOf(list) = &c.audiences
            && (list.is_empty() || list.iter().any(String::is_empty))
        {
            return Err(Error::Config(
                "the accepted audience list is empty or has an empty entry",
            ));
        }
        if c.typ.as_deref() == Some("") {
            return Err(Error::Config("the expected typ is empty"));
        }
        if c.max_depth < 2 {
            return Err(Error::Config("the JSON depth limit must be at least 2"));
        }
        Ok(())
    }
}

impl VerifierBuilder<WithAlgorithms> {
    /// Expects nested JWTs: a JWS (checked with this builder's keys and algorithms) encrypted
    /// in a JWE with `cty: "JWT"` (decrypted with `decrypter`). Tokens that are only signed or
    /// only encrypted are rejected with [`Error::TokenKind`].
    #[must_use]
    pub fn decrypt_with(mut self, decrypter: Decrypter) -> Self {
        self.layers = Layers::Nested(decrypter);
        self
    }
}

impl VerifierBuilder<WithAlgorithms> {
    /// Parses every usable (key, algorithm) pair once and checks the configuration.
    ///
    /// # Errors
    /// [`Error::Config`] when no key can verify with the allowed algorithms, when an audience
    /// is both required and skipped, or when an issuer, audience or `typ` is empty.
    pub fn build(mut self) -> Result<Verifier, Error> {
        self.check()?;
        let keys = KeyStore::new(&self.keys, &self.state.0)?;
        Ok(Verifier {
            keys,
            checks: self.checks,
            header_cache: Default::default(),
            layers: self.layers,
            accept_unauthenticated: self.accept_unauthenticated,
        })
    }
}

impl VerifierBuilder<EncryptedOnly> {
    /// Also accepts encrypted JWTs whose key management is public-key (RSA-OAEP, ECDH-ES and
    /// their key-wrapping forms).
    ///
    /// **What this gives up:** such a token proves nothing about who made it. Anyone holding
    /// the recipient's *public* key can encrypt any claims to it, so the claims are
    /// confidential but not authenticated. Use it only when the claims need no sender
    /// authentication, or when the transport authenticates the sender; otherwise sign the
    /// claims and verify nested JWTs ([`VerifierBuilder::decrypt_with`]). Without this, only
    /// `dir`, AES key wrap, AES-GCM key wrap and PBES2 are accepted: their keys are shared
    /// secrets, so only a holder of the secret can make a token.
    #[must_use]
    pub fn accept_unauthenticated_senders(mut self) -> Self {
        self.accept_unauthenticated = true;
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// As [`VerifierBuilder::build`] for signed tokens, without the key checks; [`Error::Config`]
    /// when the decrypter accepts public-key key management and
    /// [`Self::accept_unauthenticated_senders`] was not called.
    pub fn build(mut self) -> Result<Verifier, Error> {
        self.check()?;
        if let Layers::Encrypted(d) = &self.layers
            && !self.accept_unauthenticated
            && d.algorithms().iter().any(|a| a.is_public_key())
        {
            return Err(Error::Config(
                "encrypted JWTs under RSA-OAEP or ECDH-ES authenticate no sender (anyone with the public key can make one): sign them and expect nested JWTs, or opt in with accept_unauthenticated_senders",
            ));
        }
        Ok(Verifier {
            keys: KeyStore::empty(),
            checks: self.checks,
            header_cache: Default::default(),
            layers: self.layers,
            accept_unauthenticated: self.accept_unauthenticated,
        })
    }
}
