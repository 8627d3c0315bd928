//! The only module that touches `aws-lc-rs`. Keys are parsed here once into backend objects and
//! reused for every token; nothing above this module sees a backend type.

pub(crate) mod content;
pub(crate) mod ecdh;
mod ecdsa;
mod keys;
pub(crate) mod kw;
pub(crate) mod pkcs5;
pub(crate) mod rsa_enc;

use aws_lc_rs::signature;
use aws_lc_rs::{hmac, rand as lc_rand};

use crate::alg::{Curve, Family, JwsAlg};
use crate::error::Error;

pub(crate) use keys::{
    check_rsa_public, ec_public_from_sec1, ed25519_public, generate_ec, generate_ed25519,
    generate_rsa, generate_x25519, x25519_public,
};
#[cfg(feature = "ml-dsa")]
pub(crate) use keys::{generate_ml_dsa, ml_dsa_public};

/// Fills `out` with cryptographically secure random bytes.
pub(crate) fn random(out: &mut [u8]) -> Result<(), Error> {
    lc_rand::fill(out).map_err(|_| Error::Crypto)
}

/// SHA-2 digest of `data` with a 256, 384 or 512 bit output.
pub(crate) fn sha2(bits: usize, data: &[u8]) -> Vec<u8> {
    let alg = match bits {
        384 => &aws_lc_rs::digest::SHA384,
        512 => &aws_lc_rs::digest::SHA512,
        _ => &aws_lc_rs::digest::SHA256,
    };
    aws_lc_rs::digest::digest(alg, data).as_ref().to_vec()
}

/// HMAC-SHA-256.
/// A prepared HMAC-SHA-256 key.
pub(crate) struct HmacKey(aws_lc_rs::hmac::Key);

impl HmacKey {
    pub(crate) fn new(key: &[u8]) -> Self {
        Self(aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key))
    }

    pub(crate) fn sign(&self, data: &[u8]) -> [u8; 32] {
        let tag = aws_lc_rs::hmac::sign(&self.0, data);
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }
}

pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    let tag = aws_lc_rs::hmac::sign(&key, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// HMAC for one-time codes (SHA-1 only here: RFC 4226 and authenticator apps).
pub(crate) fn otp_hmac(hash: crate::secret::OtpHash, key: &[u8], data: &[u8]) -> Vec<u8> {
    use crate::secret::OtpHash;
    let alg = match hash {
        OtpHash::Sha1 => aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        OtpHash::Sha256 => aws_lc_rs::hmac::HMAC_SHA256,
        OtpHash::Sha512 => aws_lc_rs::hmac::HMAC_SHA512,
    };
    let key = aws_lc_rs::hmac::Key::new(alg, key);
    aws_lc_rs::hmac::sign(&key, data).as_ref().to_vec()
}

/// Whether PBKDF2 of `password` (HMAC-SHA-256, or -512 with `sha512`) gives `expected`, in
/// constant time; `false` for zero iterations.
pub(crate) fn pbkdf2_verify(
    sha512: bool,
    iterations: u32,
    salt: &[u8],
    password: &[u8],
    expected: &[u8],
) -> bool {
    use aws_lc_rs::pbkdf2;
    let Some(iterations) = core::num::NonZeroU32::new(iterations) else {
        return false;
    };
    let alg = if sha512 {
        pbkdf2::PBKDF2_HMAC_SHA512
    } else {
        pbkdf2::PBKDF2_HMAC_SHA256
    };
    pbkdf2::verify(alg, iterations, salt, password, expected).is_ok()
}

/// Compares two byte strings in constant time (for equal lengths).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// A private key (or HMAC secret) parsed for one algorithm.
pub(crate) struct SigningKey {
    alg: JwsAlg,
    inner: SigningInner,
}

// Each key is parsed once and lives as long as its signer; keeping the backend object inline
// avoids a pointer chase per signature, so the size difference between variants is accepted.
#[allow(clippy::large_enum_variant)]
enum SigningInner {
    Hmac(hmac::Key),
    Rsa(signature::RsaKeyPair, &'static dyn signature::RsaEncoding),
    Ecdsa(signature::EcdsaKeyPair),
    Ed25519(signature::Ed25519KeyPair),
    #[cfg(feature = "ml-dsa")]
    MlDsa(signature::PqdsaKeyPair),
}

/// A public key (or HMAC secret) parsed for one algorithm.
pub(crate) struct VerifyingKey {
    alg: JwsAlg,
    inner: VerifyingInner,
}

#[allow(clippy::large_enum_variant)]
enum VerifyingInner {
    Hmac(hmac::Key),
    Public(signature::ParsedPublicKey),
}

/// The raw material of a key, borrowed from a JWK, for parsing into backend objects.
#[cfg_attr(not(feature = "ml-dsa"), allow(dead_code))]
pub(crate) enum Material<'a> {
    Oct(&'a [u8]),
    RsaPublic {
        n: &'a [u8],
        e: &'a [u8],
    },
    RsaPrivate {
        n: &'a [u8],
        e: &'a [u8],
        d: &'a [u8],
        p: &'a [u8],
        q: &'a [u8],
        dp: &'a [u8],
        dq: &'a [u8],
        qi: &'a [u8],
    },
    EcPublic {
        crv: Curve,
        x: &'a [u8],
        y: &'a [u8],
    },
    EcPrivate {
        crv: Curve,
        x: &'a [u8],
        y: &'a [u8],
        d: &'a [u8],
    },
    OkpPublic {
        crv: Curve,
        x: &'a [u8],
    },
    OkpPrivate {
        crv: Curve,
        x: &'a [u8],
        d: &'a [u8],
    },
    AkpPublic {
        public: &'a [u8],
    },
    AkpPrivate {
        public: &'a [u8],
        seed: &'a [u8],
    },
}

impl SigningKey {
    /// Parses private material for `alg`. Type/curve compatibility is checked by the caller.
    pub(crate) fn new(alg: JwsAlg, material: &Material<'_>) -> Result<Self, Error> {
        let inner = keys::signing(alg, material)?;
        Ok(Self { alg, inner })
    }

    /// The algorithm this key signs with.
    pub(crate) fn alg(&self) -> JwsAlg {
        self.alg
    }

    /// Signs `msg`, returning the JOSE form of the signature.
    pub(crate) fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, Error> {
        match &self.inner {
            SigningInner::Hmac(key) => Ok(hmac::sign(key, msg).as_ref().to_vec()),
            SigningInner::Rsa(pair, encoding) => {
                let mut sig = vec![0; pair.public_modulus_len()];
                pair.sign(*encoding, &lc_rand::SystemRandom::new(), msg, &mut sig)
                    .map_err(|_| Error::Crypto)?;
                Ok(sig)
            }
            SigningInner::Ecdsa(pair) => pair
                .sign(&lc_rand::SystemRandom::new(), msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| Error::Crypto),
            SigningInner::Ed25519(pair) => Ok(pair.sign(msg).as_ref().to_vec()),
            #[cfg(feature = "ml-dsa")]
            SigningInner::MlDsa(pair) => {
                let mut sig = vec![0; pair.algorithm().signature_len()];
                let n = pair.sign(msg, &mut sig).map_err(|_| Error::Crypto)?;
                sig.truncate(n);
                Ok(sig)
            }
        }
    }

    /// Signs all of `token` (the signing input) and appends `.` and the base64url signature,
    /// without an intermediate buffer for the fixed-size signatures.
    pub(crate) fn sign_append(&self, token: &mut String) -> Result<(), Error> {
        match &self.inner {
            SigningInner::Hmac(key) => {
                let tag = hmac::sign(key, token.as_bytes());
                token.push('.');
                crate::b64::encode_into(tag, token);
            }
            SigningInner::Ed25519(pair) => {
                let sig = pair.sign(token.as_bytes());
                token.push('.');
                crate::b64::encode_into(sig, token);
            }
            _ => {
                let sig = self.sign(token.as_bytes())?;
                token.push('.');
                crate::b64::encode_into(sig, token);
            }
        }
        Ok(())
    }
}

impl VerifyingKey {
    /// Parses public material (or an HMAC secret) for `alg`.
    pub(crate) fn new(alg: JwsAlg, material: &Material<'_>) -> Result<Self, Error> {
        let inner = keys::verifying(alg, material)?;
        Ok(Self { alg, inner })
    }

    /// The algorithm this key verifies.
    pub(crate) fn alg(&self) -> JwsAlg {
        self.alg
    }

    /// Verifies a JOSE-form signature over `msg`. Every failure is [`Error::SignatureInvalid`].
    pub(crate) fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), Error> {
        match &self.inner {
            VerifyingInner::Hmac(key) => {
                hmac::verify(key, msg, sig).map_err(|_| Error::SignatureInvalid)
            }
            VerifyingInner::Public(key) => {
                if self.alg.family() == Family::Ecdsa {
                    ecdsa::check_fixed_signature(self.alg, sig)?;
                }
                key.verify_sig(msg, sig)
                    .map_err(|_| Error::SignatureInvalid)
            }
        }
    }
}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// Hex text to bytes, for the unit tests' published vectors.
#[cfg(test)]
pub(crate) fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or_default())
        .collect()
}
