//! Small keyed primitives for applications built on this crate (the token service stores client
//! secrets as HMACs under a pepper): random bytes, HMAC-SHA-256 and constant-time comparison,
//! from the same crypto backend as everything else.

use crate::error::Error;

/// `n` bytes from the operating system's generator (through aws-lc).
///
/// # Errors
/// [`Error::Crypto`] if the generator fails.
pub fn random(n: usize) -> Result<Vec<u8>, Error> {
    let mut out = vec![0u8; n];
    crate::crypto::random(&mut out)?;
    Ok(out)
}

/// HMAC-SHA-256 of `data` under `key`.
///
/// ```
/// let tag = tessera_jose::secret::hmac_sha256(b"key", b"data");
/// assert_eq!(tag.len(), 32);
/// assert!(tessera_jose::secret::ct_eq(&tag, &tessera_jose::secret::hmac_sha256(b"key", b"data")));
/// ```
#[must_use]
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    crate::crypto::hmac_sha256(key, data)
}

/// The hash of a one-time-code HMAC (RFC 4226, RFC 6238).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpHash {
    /// HMAC-SHA-1: what authenticator apps use. HMAC-SHA-1 stays a sound PRF; SHA-1's
    /// collisions do not touch it.
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

/// The HMAC of a one-time code's counter (RFC 4226 §5.3, RFC 6238 §4).
///
/// ```
/// use tessera_jose::secret::{OtpHash, otp_hmac};
/// // RFC 4226 Appendix D: the HMAC of counter 0 under "12345678901234567890".
/// let tag = otp_hmac(OtpHash::Sha1, b"12345678901234567890", &0u64.to_be_bytes());
/// assert_eq!(tag[..4], [0xcc, 0x93, 0xcf, 0x18]);
/// ```
#[must_use]
pub fn otp_hmac(hash: OtpHash, key: &[u8], counter: &[u8]) -> Vec<u8> {
    crate::crypto::otp_hmac(hash, key, counter)
}

/// An HMAC-SHA-256 key prepared once, for many tags under the same key (a keyed PRF on a hot
/// path). Its `Debug` shows nothing of the key.
///
/// ```
/// let key = tessera_jose::secret::HmacKey::new(b"key");
/// assert_eq!(key.sign(b"data"), tessera_jose::secret::hmac_sha256(b"key", b"data"));
/// ```
pub struct HmacKey(crate::crypto::HmacKey);

impl HmacKey {
    /// Prepares `key`.
    #[must_use]
    pub fn new(key: &[u8]) -> Self {
        Self(crate::crypto::HmacKey::new(key))
    }

    /// HMAC-SHA-256 of `data`.
    #[must_use]
    pub fn sign(&self, data: &[u8]) -> [u8; 32] {
        self.0.sign(data)
    }
}

impl std::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacKey(..)")
    }
}

/// SHA-256, SHA-384 or SHA-512 (`bits` 256, 384, 512; any other value gives SHA-256) of
/// `data`: for PKCE challenges (RFC 7636 §4.2) and ID tokens' `at_hash`.
///
/// ```
/// // RFC 7636 Appendix B: the S256 challenge of its verifier.
/// let c = tessera_jose::secret::sha2(256, b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
/// assert_eq!(tessera_jose::b64::encode(c), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// ```
#[must_use]
pub fn sha2(bits: usize, data: &[u8]) -> Vec<u8> {
    crate::crypto::sha2(bits, data)
}

/// Whether PBKDF2-HMAC-SHA-256 (or SHA-512 with `sha512`) of `password` over `salt` with
/// `iterations` gives `expected`: for password hashes imported from other systems. Constant
/// time in the comparison; `false` for zero iterations or an empty `expected`.
///
/// ```
/// // RFC 7914 §11's PBKDF2-HMAC-SHA-256 vector: P = "passwd", S = "salt", c = 1.
/// let dk = [0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f, 0xec, 0x16, 0x91, 0xc2, 0x25, 0x44,
///     0xb6, 0x05, 0xf9, 0x41, 0x85, 0x21, 0x6d, 0xde, 0x04, 0x65, 0xe6, 0x8b, 0x9d, 0x57, 0xc2,
///     0x0d, 0xac, 0xbc];
/// assert!(tessera_jose::secret::pbkdf2_verify(false, 1, b"salt", b"passwd", &dk));
/// assert!(!tessera_jose::secret::pbkdf2_verify(false, 1, b"salt", b"passwe", &dk));
/// ```
#[must_use]
pub fn pbkdf2_verify(
    sha512: bool,
    iterations: u32,
    salt: &[u8],
    password: &[u8],
    expected: &[u8],
) -> bool {
    !expected.is_empty()
        && crate::crypto::pbkdf2_verify(sha512, iterations, salt, password, expected)
}

/// Compares two byte strings in constant time (the lengths are not secret).
#[must_use]
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    crate::crypto::ct_eq(a, b)
}
