//! The JWT verifier: key source and algorithm policy first, then every claim check.

use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;

use super::builder::VerifierBuilder;
use super::registered::RegisteredRef;
use super::time::{Clock, SystemClock};
use crate::alg::{Enc, JweAlg, JwsAlg};
use crate::b64;
use crate::error::{Error, Limit, Malformed};
use crate::jwe::Decrypter;
use crate::jwk::JwkSet;
use crate::jws::header::{HeaderRef, check_crit_ref};
use crate::jws::keys::{KeyStore, NoAlgorithms};
use crate::jws::{Header, typ_matches};

/// Default tolerance, in seconds, for an `iat` in the future: an issuer whose clock runs a little
/// ahead is not rejected for it (`exp` and `nbf` use only the explicit leeway).
pub const DEFAULT_IAT_SKEW: i64 = 60;

/// Default largest token accepted, in bytes.
pub const DEFAULT_MAX_TOKEN: usize = 64 * 1024;

/// Verifies compact JWTs: signature under an explicit algorithm policy, then `exp`, `nbf`,
/// `iat`, `iss`, `aud`, `sub`, `typ`, required claims, and finally deserializes the claims.
///
/// Secure defaults: `exp` is required; a token with `aud` is rejected unless the verifier names
/// an accepted audience (or explicitly skips the check, RFC 7519 §4.1.3); leeway is zero.
///
/// ```
/// use std::time::Duration;
/// use tessera_jose::{Jwk, JwkSet, JwsAlg, jws::Signer, jwt::{Claims, JwtSigner, Verifier}};
/// let key = Jwk::generate(JwsAlg::ES256)?;
/// let token = Claims::new()
///     .issuer("https://auth.example.com")
///     .audience("api://orders")
///     .expires_in(Duration::from_secs(300))
///     .sign(&JwtSigner::new(Signer::new(&key, JwsAlg::ES256)?))?;
///
/// let verifier = Verifier::builder(JwkSet::from(key.to_public()?))
///     .algorithms([JwsAlg::ES256])
///     .issuer("https://auth.example.com")
///     .audience("api://orders")
///     .build()?;
/// let verified = verifier.verify::<serde_json::Value>(&token)?;
/// assert_eq!(verified.claims()["aud"], "api://orders");
/// # Ok::<(), tessera_jose::Error>(())
/// ```
pub struct Verifier {
    pub(super) keys: KeyStore,
    pub(super) checks: Checks,
    /// Protected headers that already led to a verified signature, with what they resolved to.
    /// Header handling is a pure function of the header bytes and this verifier's (immutable)
    /// configuration, so a byte-identical header may skip it; only headers of tokens whose
    /// signature verified are stored, so an attacker cannot fill the slots.
    pub(super) header_cache: [OnceLock<CachedHeader>; 4],
    /// Which kind of token is expected: signed, encrypted, or signed then encrypted.
    pub(super) layers: Layers,
    /// Whether encrypted (unsigned) JWTs under public-key key management are accepted.
    pub(super) accept_unauthenticated: bool,
}

/// Whether a token is made only of base64url parts and dots (the compact serialization).
fn is_compact(token: &str) -> bool {
    token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// What the caller expects a token to be.
pub(super) enum Layers {
    /// A JWS.
    Signed,
    /// A JWS inside a JWE with `cty: "JWT"`; both layers are checked.
    Nested(Decrypter),
    /// A JWE whose plaintext is the claims.
    Encrypted(Decrypter),
}

pub(super) struct CachedHeader {
    b64: String,
    entry: usize,
    header: Arc<VerifiedHeader>,
}

pub(super) struct Checks {
    pub(super) issuers: Vec<String>,
    pub(super) audiences: AudienceCheck,
    pub(super) subject: Option<String>,
    pub(super) typ: Option<String>,
    pub(super) leeway: i64,
    /// How far in the future `iat` may be (at least `leeway`).
    pub(super) iat_skew: i64,
    pub(super) max_age: Option<i64>,
    pub(super) required: Vec<String>,
    pub(super) require_exp: bool,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) crit: Vec<String>,
    pub(super) max_size: usize,
    pub(super) max_depth: usize,
}

pub(super) enum AudienceCheck {
    /// No audience configured: tokens carrying `aud` are rejected.
    RejectAny,
    /// `aud` must contain one of these.
    AnyOf(Vec<String>),
    /// Explicitly not checked.
    Skip,
}

/// A verified token. Only [`Verifier::verify`] makes one.
#[derive(Debug, Clone)]
pub struct Verified<T> {
    claims: T,
    header: Option<Arc<VerifiedHeader>>,
    encryption: Option<EncryptionHeader>,
}

/// The JWE layer of a verified encrypted or nested token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptionHeader {
    /// The key-management algorithm.
    pub alg: JweAlg,
    /// The content encryption.
    pub enc: Enc,
    /// The `kid` of the key that decrypted.
    pub kid: Option<String>,
    /// The JWE's `typ`.
    pub typ: Option<String>,
    /// The JWE's `cty` (`JWT` for a nested token).
    pub cty: Option<String>,
}

/// The protected header of a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedHeader {
    /// The algorithm the signature was verified with.
    pub alg: JwsAlg,
    /// The `kid` of the key that verified the signature (a key without `kid` may verify a token
    /// whose `kid` no key of the source carries; this is then `None`).
    pub kid: Option<String>,
    /// The token's `typ`.
    pub typ: Option<String>,
    /// The token's `cty`.
    pub cty: Option<String>,
    /// The whole protected header, for parameters the verifier was told it understands
    /// ([`super::VerifierBuilder::critical`]) and any other authenticated parameter.
    pub protected: Header,
}

impl Verifier {
    /// Starts a builder over a key source.
    #[must_use]
    pub fn builder(keys: impl Into<JwkSet>) -> VerifierBuilder<NoAlgorithms> {
        VerifierBuilder {
            keys: keys.into(),
            state: NoAlgorithms,
            checks: Checks {
                issuers: Vec::new(),
                audiences: AudienceCheck::RejectAny,
                subject: None,
                typ: None,
                leeway: 0,
                iat_skew: DEFAULT_IAT_SKEW,
                max_age: None,
                required: Vec::new(),
                require_exp: true,
                clock: Arc::new(SystemClock),
                crit: Vec::new(),
                max_size: DEFAULT_MAX_TOKEN,
                max_depth: crate::json::DEFAULT_MAX_DEPTH,
            },
            audience_skipped: false,
            layers: Layers::Signed,
            accept_unauthenticated: false,
        }
    }

    /// Starts a builder for encrypted (unsigned) JWTs: JWEs whose plaintext is the claims.
    /// Nested JWTs and signed JWTs are rejected with [`Error::TokenKind`]; for nested JWTs use
    /// [`Verifier::builder`] with [`VerifierBuilder::decrypt_with`].
    #[must_use]
    pub fn encrypted(decrypter: Decrypter) -> VerifierBuilder<super::builder::EncryptedOnly> {
        let mut b = Self::builder(JwkSet::new()).with_encrypted_state();
        b.layers = Layers::Encrypted(decrypter);
        b
    }

    /// Verifies a compact JWT and deserializes its claims into `T`.
    ///
    /// # Errors
    /// The first failed check, in this order: size and form ([`Error::Malformed`],
    /// [`Error::LimitExceeded`]), header (`crit`, `typ`), key and algorithm
    /// ([`Error::AlgorithmNotAllowed`], [`Error::NoMatchingKey`], [`Error::AmbiguousKey`]),
    /// [`Error::SignatureInvalid`], then the claims.
    pub fn verify<T: DeserializeOwned>(&self, token: &str) -> Result<Verified<T>, Error> {
        let dots = || token.bytes().filter(|&b| b == b'.').count();
        let decrypter = match &self.layers {
            Layers::Signed => {
                return self.verify_signed(token).map_err(|e| match e {
                    Error::Malformed(_) if dots() == 4 => Error::TokenKind("a signed JWT"),
                    other => other,
                });
            }
            Layers::Nested(d) | Layers::Encrypted(d) => d,
        };
        let nested = matches!(self.layers, Layers::Nested(_));
        let expected = if nested {
            "a nested JWT (signed, then encrypted)"
        } else {
            "an encrypted JWT"
        };
        if token.len() > self.checks.max_size {
            return Err(Error::LimitExceeded(Limit::Size));
        }
        if dots() != 4 {
            return Err(Error::TokenKind(expected));
        }
        // A JWT is compact (RFC 7519 §7.2): no JSON serialization, whatever it holds.
        if !is_compact(token) {
            return Err(Malformed::Compact.into());
        }
        let jwe = crate::jwe::Jwe::parse(token, self.checks.max_size)?;
        let decrypted = decrypter.decrypt_owned(jwe)?;
        if !nested && !self.accept_unauthenticated && decrypted.alg().is_public_key() {
            return Err(Error::Unauthenticated);
        }
        // Only the protected header is authenticated: `typ` and `cty` come from it alone.
        let header = decrypted.protected();
        let cty = header.get_str("cty");
        let is_nested = cty.is_some_and(|c| typ_matches(c, "JWT"));
        if is_nested != nested {
            return Err(Error::TokenKind(expected));
        }
        let encryption = EncryptionHeader {
            alg: decrypted.alg(),
            enc: decrypted.enc(),
            kid: decrypted.kid().map(str::to_owned),
            typ: header.typ_value().map(str::to_owned),
            cty: cty.map(str::to_owned),
        };
        let plaintext =
            core::str::from_utf8(decrypted.plaintext()).map_err(|_| Malformed::Payload)?;
        if nested {
            let mut verified = self.verify_signed(plaintext)?;
            verified.encryption = Some(encryption);
            return Ok(verified);
        }
        if let Some(expected) = &self.checks.typ
            && !encryption
                .typ
                .as_deref()
                .is_some_and(|t| typ_matches(t, expected))
        {
            return Err(Error::Type);
        }
        let claims = self.claims(plaintext)?;
        Ok(Verified {
            claims,
            header: None,
            encryption: Some(encryption),
        })
    }

    /// The signed-token path.
    fn verify_signed<T: DeserializeOwned>(&self, token: &str) -> Result<Verified<T>, Error> {
        let c = &self.checks;
        if token.len() > c.max_size {
            return Err(Error::LimitExceeded(Limit::Size));
        }
        // Both short ends are found without walking the payload; a '.' inside the payload
        // fails its strict base64url decoding below.
        let (header_b64, rest) = token.split_once('.').ok_or(Malformed::Compact)?;
        let (payload_b64, sig_b64) = rest.rsplit_once('.').ok_or(Malformed::Compact)?;
        let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
        // Every part must be strict base64url before any cryptography runs; the payload is
        // only parsed after the signature verifies.
        let payload = b64::decode(payload_b64)?;
        let cached = self
            .header_cache
            .iter()
            .find_map(|slot| slot.get().filter(|c| c.b64 == header_b64));
        let (entry, header) = match cached {
            Some(c) => {
                let entry = self.keys.entry(c.entry).ok_or(Error::NoMatchingKey)?;
                let sig = b64::decode(sig_b64)?;
                entry.key.verify(signing_input.as_bytes(), &sig)?;
                (entry, Arc::clone(&c.header))
            }
            None => self.verify_header(header_b64, signing_input, sig_b64)?,
        };
        // JSON is UTF-8 (RFC 8259 §8.1): validate once, so serde need not per string.
        let payload = core::str::from_utf8(&payload).map_err(|_| Malformed::Payload)?;
        let claims = self.claims(payload)?;
        debug_assert_eq!(entry.key.alg(), header.alg);
        Ok(Verified {
            claims,
            header: Some(header),
            encryption: None,
        })
    }

    /// Checks the registered claims of a verified (or decrypted) payload and deserializes it.
    fn claims<T: DeserializeOwned>(&self, payload: &str) -> Result<T, Error> {
        let registered = RegisteredRef::scan(payload, self.checks.max_depth)?;
        self.check_claims(&registered, payload.as_bytes())?;
        serde_json::from_str(payload).map_err(|e| {
            if e.is_data() {
                Error::Claims(redacted(&e))
            } else {
                Error::Malformed(Malformed::Payload)
            }
        })
    }

    /// The full header path: decode, parse, `crit`, key resolution, signature, `typ`. On
    /// success the header is remembered (see `header_cache`).
    fn verify_header(
        &self,
        header_b64: &str,
        signing_input: &str,
        sig_b64: &str,
    ) -> Result<(&crate::jws::keys::Entry, Arc<VerifiedHeader>), Error> {
        let c = &self.checks;
        let header_json = b64::decode(header_b64)?;
        let header = HeaderRef::parse(&header_json, c.max_depth)?;
        check_crit_ref(&header, &header_json, &c.crit)?;
        if header.b64.is_some() {
            // b64 is understood, but a JWT payload is always base64url-encoded.
            return Err(Malformed::Payload.into());
        }
        let alg = header.alg.as_deref().ok_or(Malformed::Header)?;
        let index = self.keys.resolve_index(alg, header.kid.as_deref())?;
        let entry = self.keys.entry(index).ok_or(Error::NoMatchingKey)?;
        let sig = b64::decode(sig_b64)?;
        entry.key.verify(signing_input.as_bytes(), &sig)?;
        if let Some(expected) = &c.typ
            && !header
                .typ
                .as_deref()
                .is_some_and(|t| typ_matches(t, expected))
        {
            return Err(Error::Type);
        }
        let protected = Header::from_map(crate::json::parse_object(&header_json, c.max_depth)?);
        let verified = Arc::new(VerifiedHeader {
            alg: entry.key.alg(),
            kid: entry.kid.clone(),
            typ: header.typ.map(Into::into),
            cty: header.cty.map(Into::into),
            protected,
        });
        if let Some(slot) = self.header_cache.iter().find(|s| s.get().is_none()) {
            let _ = slot.set(CachedHeader {
                b64: header_b64.to_owned(),
                entry: index,
                header: Arc::clone(&verified),
            });
        }
        Ok((entry, verified))
    }

    fn check_claims(&self, r: &RegisteredRef<'_>, payload: &[u8]) -> Result<(), Error> {
        let c = &self.checks;
        let now = c.clock.now();
        match r.exp {
            Some(exp) if now.saturating_sub(c.leeway) >= exp.secs() => return Err(Error::Expired),
            None if c.require_exp => return Err(Error::MissingClaim("exp".into())),
            _ => {}
        }
        if let Some(nbf) = r.nbf
            && now.saturating_add(c.leeway) < nbf.secs()
        {
            return Err(Error::NotYetValid);
        }
        if let Some(iat) = r.iat
            && iat.secs() > now.saturating_add(c.leeway.max(c.iat_skew))
        {
            return Err(Error::IssuedAt);
        }
        if let Some(max_age) = c.max_age {
            let iat = r.iat.ok_or_else(|| Error::MissingClaim("iat".into()))?;
            if now.saturating_sub(iat.secs()) > max_age.saturating_add(c.leeway) {
                return Err(Error::IssuedAt);
            }
        }
        if !c.issuers.is_empty() {
            let iss = r
                .iss
                .as_deref()
                .ok_or_else(|| Error::MissingClaim("iss".into()))?;
            if !c.issuers.iter().any(|i| i == iss) {
                return Err(Error::Issuer);
            }
        }
        match (&c.audiences, &r.aud) {
            (AudienceCheck::Skip, _) | (AudienceCheck::RejectAny, None) => {}
            (AudienceCheck::RejectAny, Some(_)) => return Err(Error::Audience),
            (AudienceCheck::AnyOf(_), None) => return Err(Error::MissingClaim("aud".into())),
            (AudienceCheck::AnyOf(accepted), Some(aud)) => {
                if !aud.any_of(accepted) {
                    return Err(Error::Audience);
                }
            }
        }
        if let Some(expected) = &c.subject {
            match r.sub.as_deref() {
                None => return Err(Error::MissingClaim("sub".into())),
                Some(sub) if sub != expected => return Err(Error::Subject),
                Some(_) => {}
            }
        }
        if !c.required.is_empty() {
            let mut custom: Option<serde_json::Map<String, serde_json::Value>> = None;
            for name in &c.required {
                let present = match r.has(name) {
                    Some(p) => p,
                    None => {
                        let map = match &custom {
                            Some(m) => m,
                            None => custom.insert(
                                serde_json::from_slice(payload)
                                    .map_err(|_| Error::Malformed(Malformed::Payload))?,
                            ),
                        };
                        map.contains_key(name)
                    }
                };
                if !present {
                    return Err(Error::MissingClaim(name.clone()));
                }
            }
        }
        Ok(())
    }
}

/// A deserialization error without the token's values: serde quotes the offending value
/// ("invalid type: string \"…\", expected …"), and claims may carry personal data.
fn redacted(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    for kind in [
        "invalid type: ",
        "invalid value: ",
        "invalid length ",
        "unknown variant ",
        "unknown field ",
    ] {
        if let Some(rest) = msg.strip_prefix(kind) {
            let tail = rest.find(", expected").map_or("", |i| &rest[i..]);
            return format!("{}{tail}", kind.trim_end_matches([':', ' ']));
        }
    }
    msg
}

impl<T> Verified<T> {
    /// The verified claims.
    #[must_use]
    pub fn claims(&self) -> &T {
        &self.claims
    }

    /// Takes the verified claims.
    #[must_use]
    pub fn into_claims(self) -> T {
        self.claims
    }

    /// The verified JWS header; `None` for an encrypted (unsigned) JWT.
    #[must_use]
    pub fn header(&self) -> Option<&VerifiedHeader> {
        self.header.as_deref()
    }

    /// The JWE layer of an encrypted or nested JWT.
    #[must_use]
    pub fn encryption(&self) -> Option<&EncryptionHeader> {
        self.encryption.as_ref()
    }
}

impl core::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Verifier")
            .field("algorithms", &self.keys.algorithms())
            .field("issuers", &self.checks.issuers)
            .field("leeway", &self.checks.leeway)
            .finish_non_exhaustive()
    }
}
