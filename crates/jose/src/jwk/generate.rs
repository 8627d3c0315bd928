//! Key generation for every algorithm; `kid` defaults to the RFC 7638 SHA-256 thumbprint for
//! public-key pairs and to a random identifier for secrets.

use zeroize::Zeroizing;

use super::{Jwk, Params, ThumbprintHash};
use crate::alg::{Family, JwsAlg};
use crate::crypto;
use crate::error::Error;

impl Jwk {
    /// Generates a private key for `alg`, with `alg` set and `kid` the key's thumbprint (a
    /// random identifier for an HMAC secret).
    ///
    /// RSA keys are 2048 bits (see [`Jwk::generate_rsa`] for larger ones); HMAC secrets are as
    /// long as the hash output.
    ///
    /// # Errors
    /// [`Error::UnsupportedAlgorithm`] when this build lacks the algorithm, [`Error::Crypto`]
    /// if the generator fails.
    pub fn generate(alg: JwsAlg) -> Result<Self, Error> {
        if !alg.is_supported() {
            return Err(Error::UnsupportedAlgorithm(alg.name().into()));
        }
        let params = match alg.family() {
            Family::Hmac => {
                let mut k = Zeroizing::new(vec![0u8; alg.info().hash_len]);
                crypto::random(&mut k)?;
                Params::Oct { k }
            }
            Family::RsaPkcs1 | Family::RsaPss => return Self::generate_rsa(2048)?.with_alg(alg),
            Family::Ecdsa => {
                let (d, x, y) = crypto::generate_ec(alg)?;
                Params::Ec {
                    crv: alg.info().curve.ok_or(Error::Crypto)?,
                    x,
                    y,
                    d: Some(Zeroizing::new(d)),
                }
            }
            Family::EdDsa => {
                let (d, x) = crypto::generate_ed25519()?;
                Params::Okp {
                    crv: crate::alg::Curve::Ed25519,
                    x,
                    d: Some(Zeroizing::new(d)),
                }
            }
            Family::MlDsa => ml_dsa(alg)?,
        };
        Self::finish(params)?.with_alg(alg)
    }

    /// Generates an RSA private key of `bits` (2048, 3072, 4096 or 8192), without `alg`.
    ///
    /// # Errors
    /// [`Error::Config`] for other sizes, [`Error::Crypto`] if the generator fails.
    pub fn generate_rsa(bits: usize) -> Result<Self, Error> {
        let pkcs8 = Zeroizing::new(crypto::generate_rsa(bits)?);
        let jwk = Self::from_der(&pkcs8)?;
        Self::finish(jwk.params)
    }

    /// Generates an X25519 key-agreement key (for JWE `ECDH-ES`), without `alg`.
    ///
    /// # Errors
    /// [`Error::Crypto`] if the generator fails.
    pub fn generate_x25519() -> Result<Self, Error> {
        let (d, x) = crypto::generate_x25519()?;
        Self::finish(Params::Okp {
            crv: crate::alg::Curve::X25519,
            x,
            d: Some(Zeroizing::new(d)),
        })
    }

    /// Generates a random symmetric key of `len` bytes, without `alg`, with a random `kid`.
    ///
    /// # Errors
    /// [`Error::Config`] for a key shorter than 16 bytes (128 bits), [`Error::Crypto`] if the
    /// generator fails.
    pub fn generate_oct(len: usize) -> Result<Self, Error> {
        if len < 16 {
            return Err(Error::Config(
                "a generated symmetric key needs at least 128 bits",
            ));
        }
        let mut k = Zeroizing::new(vec![0u8; len]);
        crypto::random(&mut k)?;
        Self::finish(Params::Oct { k })
    }

    /// Sets the default `kid`: the RFC 7638 thumbprint of a public key, but a random identifier
    /// for a secret key, whose thumbprint is a hash of the secret (publishing it in tokens would
    /// give anyone an offline test of guessed secrets).
    fn finish(params: Params) -> Result<Self, Error> {
        let jwk = Self::from_params(params);
        let kid = if matches!(jwk.params, Params::Oct { .. }) {
            let mut id = [0u8; 16];
            crypto::random(&mut id)?;
            crate::b64::encode(id)
        } else {
            jwk.thumbprint(ThumbprintHash::Sha256)
        };
        Ok(jwk.with_kid(kid))
    }
}

#[cfg(feature = "ml-dsa")]
fn ml_dsa(alg: JwsAlg) -> Result<Params, Error> {
    let (seed, public) = crypto::generate_ml_dsa(alg)?;
    Ok(Params::Akp {
        alg,
        public,
        seed: Some(Zeroizing::new(seed)),
    })
}

#[cfg(not(feature = "ml-dsa"))]
fn ml_dsa(alg: JwsAlg) -> Result<Params, Error> {
    Err(Error::UnsupportedAlgorithm(alg.name().into()))
}

impl Jwk {
    /// Generates a private key for a JWE key-management algorithm, with `alg`, `use: enc` and
    /// `kid` the key's thumbprint: a 256-bit key for `dir` (fit for `A256GCM`), an AES key of
    /// the wrapping size, RSA 2048, P-256 for ECDH-ES, 32 random bytes for PBES2.
    ///
    /// # Errors
    /// [`Error::Crypto`] if the generator fails.
    pub fn generate_jwe(alg: crate::alg::JweAlg) -> Result<Self, Error> {
        use crate::alg::KeyManagement as M;
        let info = alg.info();
        let key = match info.mode {
            M::Direct | M::Pbes2 => Self::generate_oct(32)?,
            M::AesKw | M::AesGcmKw => Self::generate_oct(info.kw_len)?,
            M::RsaOaep | M::RsaPkcs1 => Self::generate_rsa(2048)?,
            M::EcdhEs | M::EcdhEsKw => {
                let (d, x, y) = crypto::generate_ec(JwsAlg::ES256)?;
                Self::finish(Params::Ec {
                    crv: crate::alg::Curve::P256,
                    x,
                    y,
                    d: Some(Zeroizing::new(d)),
                })?
            }
        };
        key.with_jwe_alg(alg)
            .map(|k| k.with_use(super::KeyUse::Enc))
    }

    /// A symmetric (`oct`) key holding `secret` as is (a shared key or a PBES2 password),
    /// without `kid` or `alg`.
    #[must_use]
    pub fn from_secret(secret: &[u8]) -> Self {
        Self::from_params(Params::Oct {
            k: Zeroizing::new(secret.to_vec()),
        })
    }
}
