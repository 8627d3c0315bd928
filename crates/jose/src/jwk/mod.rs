//! JSON Web Keys (RFC 7517) and JWK Sets: parsing with validation, serialization that keeps
//! unknown members, thumbprints (RFC 7638, RFC 9278), PEM/DER, generation and key selection.
//!
//! ```
//! use tessera_jose::{Jwk, JwsAlg};
//! let key = Jwk::generate(JwsAlg::ES256)?;
//! assert!(key.is_private());
//! let public = key.to_public()?;
//! assert_eq!(public.kid(), key.kid());
//! let json = public.to_json();
//! assert_eq!(Jwk::from_json(&json)?, public);
//! # Ok::<(), tessera_jose::Error>(())
//! ```

mod export;
mod generate;
mod oid;
mod parse;
mod pem;
mod set;
mod thumbprint;
mod usage;

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::alg::{Curve, JwsAlg, Kty};
use crate::error::Error;

pub(crate) use parse::Check;
pub use set::{JwkSet, KeyQuery, MAX_KEYS};
pub use thumbprint::ThumbprintHash;
pub(crate) use usage::check_fits;

/// Secret bytes, wiped from memory on drop.
type Secret = Zeroizing<Vec<u8>>;

/// A JSON Web Key: validated key material plus its metadata.
///
/// `Debug` never prints key material. Unknown members are kept and serialized back. Equality
/// compares secret members in constant time.
#[derive(Clone, PartialEq, Eq)]
pub struct Jwk {
    params: Params,
    kid: Option<String>,
    alg: Option<String>,
    key_use: Option<String>,
    key_ops: Option<Vec<String>>,
    x5c: Option<Vec<Vec<u8>>>,
    other: Map<String, Value>,
}

#[derive(Clone)]
pub(crate) enum Params {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
        private: Option<Box<RsaPrivate>>,
    },
    Ec {
        crv: Curve,
        x: Vec<u8>,
        y: Vec<u8>,
        d: Option<Secret>,
    },
    Okp {
        crv: Curve,
        x: Vec<u8>,
        d: Option<Secret>,
    },
    Oct {
        k: Secret,
    },
    Akp {
        alg: JwsAlg,
        public: Vec<u8>,
        seed: Option<Secret>,
    },
}

#[derive(Clone)]
pub(crate) struct RsaPrivate {
    d: Secret,
    p: Secret,
    q: Secret,
    dp: Secret,
    dq: Secret,
    qi: Secret,
}

/// Secret members compare in constant time (every one of them, without stopping at the first
/// difference); public members as usual.
impl PartialEq for Params {
    fn eq(&self, other: &Self) -> bool {
        fn secret(a: &Option<Secret>, b: &Option<Secret>) -> bool {
            match (a, b) {
                (Some(a), Some(b)) => crate::crypto::ct_eq(a, b),
                (None, None) => true,
                _ => false,
            }
        }
        match (self, other) {
            (
                Self::Rsa { n, e, private },
                Self::Rsa {
                    n: n2,
                    e: e2,
                    private: p2,
                },
            ) => {
                n == n2
                    && e == e2
                    && match (private, p2) {
                        (Some(a), Some(b)) => a.ct_eq(b),
                        (None, None) => true,
                        _ => false,
                    }
            }
            (
                Self::Ec { crv, x, y, d },
                Self::Ec {
                    crv: c2,
                    x: x2,
                    y: y2,
                    d: d2,
                },
            ) => crv == c2 && x == x2 && y == y2 && secret(d, d2),
            (
                Self::Okp { crv, x, d },
                Self::Okp {
                    crv: c2,
                    x: x2,
                    d: d2,
                },
            ) => crv == c2 && x == x2 && secret(d, d2),
            (Self::Oct { k }, Self::Oct { k: k2 }) => crate::crypto::ct_eq(k, k2),
            (
                Self::Akp { alg, public, seed },
                Self::Akp {
                    alg: a2,
                    public: p2,
                    seed: s2,
                },
            ) => alg == a2 && public == p2 && secret(seed, s2),
            _ => false,
        }
    }
}

impl Eq for Params {}

impl RsaPrivate {
    /// Constant-time equality over every member (no early exit between members).
    fn ct_eq(&self, o: &Self) -> bool {
        let eq = crate::crypto::ct_eq;
        eq(&self.d, &o.d)
            & eq(&self.p, &o.p)
            & eq(&self.q, &o.q)
            & eq(&self.dp, &o.dp)
            & eq(&self.dq, &o.dq)
            & eq(&self.qi, &o.qi)
    }
}

/// The intended use of a key (`use`, RFC 7517 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUse {
    /// Signatures and MACs.
    Sig,
    /// Encryption.
    Enc,
}

impl KeyUse {
    /// The `use` string.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sig => "sig",
            Self::Enc => "enc",
        }
    }
}

impl Jwk {
    /// Parses and validates a JWK from JSON text.
    ///
    /// # Errors
    /// [`Error::Malformed`] for invalid JSON or members, [`Error::InvalidKey`] for keys that fail
    /// the import policy (curve point, RSA size and exponent, HMAC length, `alg` consistency).
    pub fn from_json(json: &str) -> Result<Self, Error> {
        Self::from_slice(json.as_bytes())
    }

    /// Parses and validates a JWK from JSON bytes. See [`Jwk::from_json`].
    ///
    /// # Errors
    /// As [`Jwk::from_json`].
    pub fn from_slice(json: &[u8]) -> Result<Self, Error> {
        if json.len() > parse::MAX_JWK_BYTES {
            return Err(Error::LimitExceeded(crate::error::Limit::Size));
        }
        let map = crate::json::parse_object(json, crate::json::DEFAULT_MAX_DEPTH)?;
        parse::from_map(map)
    }

    /// Imports a key from a JWK (JSON), PEM or DER, detected from the content.
    ///
    /// ```
    /// use tessera_jose::{Jwk, JwsAlg};
    /// let key = Jwk::generate(JwsAlg::ES384)?;
    /// let from_pem = Jwk::import(key.to_public_pem()?.as_bytes())?;
    /// let from_der = Jwk::import(&key.to_spki_der()?)?;
    /// let from_jwk = Jwk::import(key.to_public()?.to_json().as_bytes())?;
    /// assert_eq!(from_pem.thumbprint_input(), from_der.thumbprint_input());
    /// assert_eq!(from_der.thumbprint_input(), from_jwk.thumbprint_input());
    /// # Ok::<(), tessera_jose::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Jwk::from_json`] and [`Jwk::from_pem`].
    pub fn import(bytes: &[u8]) -> Result<Self, Error> {
        Self::import_with(bytes, parse::Check::Full)
    }

    /// [`Jwk::import`], decrypting a password-protected PKCS#8 key (`ENCRYPTED PRIVATE KEY`, PEM
    /// or DER) with `password`; other keys are read as [`Jwk::import`] reads them.
    ///
    /// # Errors
    /// As [`Jwk::import`] and [`Jwk::from_pem_with_password`].
    pub fn import_with_password(bytes: &[u8], password: &[u8]) -> Result<Self, Error> {
        if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
            let text = core::str::from_utf8(bytes)
                .map_err(|_| Error::Malformed(crate::error::Malformed::Pem))?;
            return Self::from_pem_with_password(text, password);
        }
        if let Some(jwk) = pem::from_encrypted_der(bytes, password) {
            return jwk;
        }
        Self::import(bytes)
    }

    /// [`Jwk::import`], with the key-material checks optionally deferred to the caller.
    pub(crate) fn import_with(bytes: &[u8], check: parse::Check) -> Result<Self, Error> {
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        let is_pem = bytes.windows(11).any(|w| w == b"-----BEGIN ");
        match (first, is_pem) {
            (Some(b'{'), _) => {
                if bytes.len() > parse::MAX_JWK_BYTES {
                    return Err(Error::LimitExceeded(crate::error::Limit::Size));
                }
                let map = crate::json::parse_object(bytes, crate::json::DEFAULT_MAX_DEPTH)?;
                parse::from_map_with(map, check)
            }
            (_, true) => {
                let text = core::str::from_utf8(bytes)
                    .map_err(|_| Error::Malformed(crate::error::Malformed::Pem))?;
                Self::from_pem_with(text, check)
            }
            _ => Self::from_der_with(bytes, check),
        }
    }

    /// Serializes to a JSON object, members in a stable order, unknown members kept.
    #[must_use]
    pub fn to_value(&self) -> Value {
        Value::Object(parse::to_map(self))
    }

    /// Serializes to compact JSON text.
    #[must_use]
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// The key type.
    #[must_use]
    pub fn kty(&self) -> Kty {
        match &self.params {
            Params::Rsa { .. } => Kty::Rsa,
            Params::Ec { .. } => Kty::Ec,
            Params::Okp { .. } => Kty::Okp,
            Params::Oct { .. } => Kty::Oct,
            Params::Akp { .. } => Kty::Akp,
        }
    }

    /// The curve of an `EC` or `OKP` key.
    #[must_use]
    pub fn curve(&self) -> Option<Curve> {
        match &self.params {
            Params::Ec { crv, .. } | Params::Okp { crv, .. } => Some(*crv),
            _ => None,
        }
    }

    /// Whether the key holds private (or secret) material.
    #[must_use]
    pub fn is_private(&self) -> bool {
        self.params.is_private()
    }

    /// Whether the crypto backend supports this key (Ed448 and X448 keys are parsed only).
    #[must_use]
    pub fn is_supported(&self) -> bool {
        self.curve().is_none_or(Curve::is_supported)
    }

    /// The key ID.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Sets the key ID.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The key without its `kid`.
    #[must_use]
    pub fn with_kid_removed(mut self) -> Self {
        self.kid = None;
        self
    }

    /// The `alg` member, as written (it may name a JWE algorithm).
    #[must_use]
    pub fn alg(&self) -> Option<&str> {
        self.alg.as_deref()
    }

    /// The key without its `alg` member.
    #[must_use]
    pub fn without_alg(mut self) -> Self {
        if !matches!(self.params, Params::Akp { .. }) {
            self.alg = None;
        }
        self
    }

    /// The `alg` member resolved as a JWS algorithm, if it names one.
    #[must_use]
    pub fn jws_alg(&self) -> Option<JwsAlg> {
        self.alg.as_deref().and_then(|a| JwsAlg::from_name(a).ok())
    }

    /// Sets the `alg` member after checking that the key fits the algorithm.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] when the key cannot be used with `alg`.
    pub fn with_alg(mut self, alg: JwsAlg) -> Result<Self, Error> {
        check_fits(&self.params, alg)?;
        self.alg = Some(alg.name().to_owned());
        Ok(self)
    }

    /// Sets the `alg` member to a JWE key-management algorithm after checking that the key
    /// fits it.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] when the key cannot be used with `alg`.
    pub fn with_jwe_alg(mut self, alg: crate::alg::JweAlg) -> Result<Self, Error> {
        crate::jwe::keys::check_fits(&self, alg)?;
        self.alg = Some(alg.name().to_owned());
        Ok(self)
    }

    /// The `use` member.
    #[must_use]
    pub fn key_use(&self) -> Option<&str> {
        self.key_use.as_deref()
    }

    /// Sets the `use` member.
    #[must_use]
    pub fn with_use(mut self, key_use: KeyUse) -> Self {
        self.key_use = Some(key_use.name().to_owned());
        self
    }

    /// The `key_ops` member.
    #[must_use]
    pub fn key_ops(&self) -> Option<&[String]> {
        self.key_ops.as_deref()
    }

    /// Sets the `key_ops` member.
    ///
    /// # Errors
    /// [`Error::Malformed`] when an operation is listed twice (RFC 7517 §4.3).
    pub fn with_key_ops<S: Into<String>>(
        mut self,
        ops: impl IntoIterator<Item = S>,
    ) -> Result<Self, Error> {
        let ops: Vec<String> = ops.into_iter().map(Into::into).collect();
        parse::check_key_ops(&ops)?;
        self.key_ops = Some(ops);
        Ok(self)
    }

    /// The DER certificates of `x5c`, parsed and checked to carry this key, but never trusted:
    /// verification does not use them unless the caller validates the chain itself.
    #[must_use]
    pub fn x5c(&self) -> Option<&[Vec<u8>]> {
        self.x5c.as_deref()
    }

    /// Members this crate does not interpret (`x5u`, `x5t`, private extensions), kept verbatim.
    #[must_use]
    pub fn other_members(&self) -> &Map<String, Value> {
        &self.other
    }

    pub(crate) fn from_params(params: Params) -> Self {
        Self {
            params,
            kid: None,
            alg: None,
            key_use: None,
            key_ops: None,
            x5c: None,
            other: Map::new(),
        }
    }
}

impl core::fmt::Debug for Jwk {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Jwk")
            .field("kty", &self.kty().name())
            .field("crv", &self.curve().map(Curve::name))
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("private", &self.is_private())
            .finish_non_exhaustive()
    }
}

impl serde::Serialize for Jwk {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        parse::to_map(self).serialize(s)
    }
}

/// With the checks of [`Jwk::from_json`]: duplicate member names, nesting deeper than
/// [`crate::json::DEFAULT_MAX_DEPTH`] and every key-import rule.
impl<'de> serde::Deserialize<'de> for Jwk {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::DeserializeSeed as _;
        let strict = crate::json::Strict {
            depth_left: crate::json::DEFAULT_MAX_DEPTH,
        };
        match strict.deserialize(d)? {
            Value::Object(map) => parse::from_map(map).map_err(serde::de::Error::custom),
            _ => Err(serde::de::Error::custom(Error::Malformed(
                crate::error::Malformed::Jwk,
            ))),
        }
    }
}
