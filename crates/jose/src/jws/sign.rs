//! Signers: a key parsed once for one algorithm, with the header parameters it implies.

use crate::alg::JwsAlg;
use crate::crypto::SigningKey;
use crate::error::{Error, KeyProblem};
use crate::jwk::Jwk;

/// A private key (or HMAC secret) ready to sign with one algorithm. `Send + Sync`; build it once
/// and reuse it: the key is parsed here, never per token.
///
/// ```
/// use tessera_jose::{Jwk, JwsAlg, jws::Signer};
/// let key = Jwk::generate(JwsAlg::EdDSA)?;
/// let signer = Signer::new(&key, JwsAlg::EdDSA)?;
/// assert_eq!(signer.kid(), key.kid());
/// # Ok::<(), tessera_jose::Error>(())
/// ```
#[derive(Debug)]
pub struct Signer {
    key: SigningKey,
    kid: Option<String>,
}

impl Signer {
    /// A signer for `alg` from a private JWK. The key's `alg`, `use` and `key_ops` must allow
    /// signing with `alg`; its `kid` becomes the default `kid` header.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] when the key does not fit or forbids the operation,
    /// [`Error::UnsupportedAlgorithm`] for algorithms this build lacks.
    pub fn new(jwk: &Jwk, alg: JwsAlg) -> Result<Self, Error> {
        if !alg.is_supported() {
            return Err(Error::UnsupportedAlgorithm(alg.name().into()));
        }
        if let Some(crv) = jwk.curve().filter(|c| !c.is_supported()) {
            return Err(Error::UnsupportedAlgorithm(crv.name().into()));
        }
        crate::jwk::check_fits(jwk.params(), alg)?;
        if !jwk.permits("sign", alg) {
            return Err(KeyProblem::UsageNotAllowed.into());
        }
        if !jwk.is_private() {
            return Err(KeyProblem::NotPrivate.into());
        }
        Ok(Self {
            key: SigningKey::new(alg, &jwk.material())?,
            kid: jwk.kid().map(str::to_owned),
        })
    }

    /// A signer straight from key bytes (a JWK, PEM or DER private key, detected from the
    /// content), for one-shot use such as a command-line signature.
    ///
    /// Equivalent to [`Jwk::import`] then [`Signer::new`], without checking the key material
    /// twice: building the backend signing key checks it (the RSA policy and CRT parameters,
    /// `d·G = (x, y)` for EC keys, the Ed25519 and ML-DSA public keys, HMAC length).
    ///
    /// ```
    /// use tessera_jose::{Jwk, JwsAlg, jws::Signer};
    /// let pem = Jwk::generate(JwsAlg::ES256)?.to_pem()?;
    /// let signer = Signer::from_key_bytes(pem.as_bytes(), JwsAlg::ES256)?;
    /// assert_eq!(signer.alg(), JwsAlg::ES256);
    /// # Ok::<(), tessera_jose::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Jwk::import`] and [`Signer::new`].
    pub fn from_key_bytes(bytes: &[u8], alg: JwsAlg) -> Result<Self, Error> {
        let jwk = Jwk::import_with(bytes, crate::jwk::Check::Deferred)?;
        Self::new(&jwk, alg)
    }

    /// An HMAC signer from raw secret bytes (at least as long as the hash output).
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for non-HMAC algorithms or short secrets.
    pub fn hmac(secret: &[u8], alg: JwsAlg) -> Result<Self, Error> {
        if alg.family() != crate::alg::Family::Hmac {
            return Err(KeyProblem::WrongKeyType.into());
        }
        Ok(Self {
            key: SigningKey::new(alg, &crate::crypto::Material::Oct(secret))?,
            kid: None,
        })
    }

    /// Sets the `kid` this signer puts in headers.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The algorithm.
    #[must_use]
    pub fn alg(&self) -> JwsAlg {
        self.key.alg()
    }

    /// The `kid` this signer puts in headers.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Signs raw bytes, returning the JOSE signature (fixed-size `r‖s` for ECDSA).
    ///
    /// # Errors
    /// [`Error::Crypto`] if the backend fails.
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, Error> {
        self.key.sign(msg)
    }

    pub(crate) fn sign_append(&self, token: &mut String) -> Result<(), Error> {
        self.key.sign_append(token)
    }
}
