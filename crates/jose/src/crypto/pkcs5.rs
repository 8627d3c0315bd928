//! Password-based encryption of PKCS#8 private keys (PBES2, RFC 8018 §6.2): PBKDF2 with
//! HMAC-SHA-1/256/384/512 and AES-CBC with PKCS#7 padding, as OpenSSL writes `ENCRYPTED PRIVATE
//! KEY` files. Only the primitives live here; the ASN.1 is in `jwk/pem.rs`.

use core::num::NonZeroU32;

use aws_lc_rs::cipher::{
    AES_128, AES_192, AES_256, DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey,
    PaddedBlockEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::pbkdf2;
use zeroize::Zeroizing;

use crate::error::Error;

/// The PBKDF2 pseudo-random function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prf {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

/// Derives a `key_len`-byte AES key from a password and decrypts `data` (AES-CBC, PKCS#7).
/// Any failure (wrong password, bad padding) is [`Error::DecryptionFailed`].
pub(crate) fn decrypt(
    password: &[u8],
    prf: Prf,
    salt: &[u8],
    iterations: u32,
    key_len: usize,
    iv: &[u8; 16],
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let key = derive(password, prf, salt, iterations, key_len)?;
    let key = PaddedBlockDecryptingKey::cbc_pkcs7(cipher_key(&key)?)
        .map_err(|_| Error::DecryptionFailed)?;
    let mut buf = Zeroizing::new(data.to_vec());
    let len = key
        .decrypt(&mut buf, DecryptionContext::Iv128(FixedLength::from(*iv)))
        .map_err(|_| Error::DecryptionFailed)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

/// Encrypts `data` under a key derived from `password` (PBKDF2-HMAC-SHA-256, AES-256-CBC).
pub(crate) fn encrypt(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    iv: &[u8; 16],
    data: &[u8],
) -> Result<Vec<u8>, Error> {
    let key = derive(password, Prf::Sha256, salt, iterations, 32)?;
    let key = PaddedBlockEncryptingKey::cbc_pkcs7(cipher_key(&key)?).map_err(|_| Error::Crypto)?;
    let mut buf = data.to_vec();
    key.less_safe_encrypt(&mut buf, EncryptionContext::Iv128(FixedLength::from(*iv)))
        .map_err(|_| Error::Crypto)?;
    Ok(buf)
}

fn derive(
    password: &[u8],
    prf: Prf,
    salt: &[u8],
    iterations: u32,
    key_len: usize,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let iterations = NonZeroU32::new(iterations).ok_or(Error::DecryptionFailed)?;
    let alg = match prf {
        Prf::Sha1 => pbkdf2::PBKDF2_HMAC_SHA1,
        Prf::Sha256 => pbkdf2::PBKDF2_HMAC_SHA256,
        Prf::Sha384 => pbkdf2::PBKDF2_HMAC_SHA384,
        Prf::Sha512 => pbkdf2::PBKDF2_HMAC_SHA512,
    };
    let mut out = Zeroizing::new(vec![0u8; key_len]);
    pbkdf2::derive(alg, iterations, salt, password, &mut out);
    Ok(out)
}

fn cipher_key(key: &[u8]) -> Result<UnboundCipherKey, Error> {
    let alg = match key.len() {
        16 => &AES_128,
        24 => &AES_192,
        32 => &AES_256,
        _ => return Err(Error::DecryptionFailed),
    };
    UnboundCipherKey::new(alg, key).map_err(|_| Error::DecryptionFailed)
}
