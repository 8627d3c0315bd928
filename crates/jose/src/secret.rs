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

/// Compares two byte strings in constant time (the lengths are not secret).
#[must_use]
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    crate::crypto::ct_eq(a, b)
}
