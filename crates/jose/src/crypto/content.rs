//! JWE content encryption (RFC 7518 §5): AES-GCM and AES-CBC with HMAC-SHA-2.

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{
    AES_128, AES_192, AES_256, DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey,
    PaddedBlockEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::hmac;
use aws_lc_rs::iv::FixedLength;
use zeroize::Zeroizing;

use crate::alg::Enc;
use crate::error::Error;

/// Encrypts `plaintext`, returning `(ciphertext, tag)`. The CEK and IV lengths must fit `enc`.
pub(crate) fn encrypt(
    enc: Enc,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), Error> {
    if cek.len() != enc.cek_len() || iv.len() != enc.iv_len() {
        return Err(Error::Crypto);
    }
    if enc.is_gcm() {
        gcm_seal(&PreparedGcm(gcm_key(cek)?), iv, aad, plaintext)
    } else {
        let (mac_key, enc_key) = cek.split_at(cek.len() / 2);
        let key =
            PaddedBlockEncryptingKey::cbc_pkcs7(cbc_key(enc_key)?).map_err(|_| Error::Crypto)?;
        let mut buf = plaintext.to_vec();
        key.less_safe_encrypt(&mut buf, EncryptionContext::Iv128(iv16(iv)?))
            .map_err(|_| Error::Crypto)?;
        let tag = cbc_tag(enc, mac_key, aad, iv, &buf);
        Ok((buf, tag))
    }
}

/// Decrypts and authenticates. Every failure is [`Error::DecryptionFailed`]; for CBC-HMAC the
/// tag is checked in constant time before any decryption.
pub(crate) fn decrypt(
    enc: Enc,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    if cek.len() != enc.cek_len() || iv.len() != enc.iv_len() || tag.len() != enc.tag_len() {
        return Err(Error::DecryptionFailed);
    }
    if enc.is_gcm() {
        gcm_open(
            &PreparedGcm(gcm_key(cek).map_err(fail)?),
            iv,
            aad,
            ciphertext,
            tag,
        )
    } else {
        let (mac_key, enc_key) = cek.split_at(cek.len() / 2);
        let expected = cbc_tag(enc, mac_key, aad, iv, ciphertext);
        if !super::ct_eq(&expected, tag) {
            return Err(Error::DecryptionFailed);
        }
        let key =
            PaddedBlockDecryptingKey::cbc_pkcs7(cbc_key(enc_key).map_err(fail)?).map_err(fail)?;
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        let len = key
            .decrypt(&mut buf, DecryptionContext::Iv128(iv16(iv).map_err(fail)?))
            .map_err(fail)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }
}

/// An AES-GCM key with its schedule computed once (for `dir` keys, reused across tokens).
pub(crate) struct PreparedGcm(LessSafeKey);

impl PreparedGcm {
    /// Prepares a 16, 24 or 32 byte key.
    pub(crate) fn new(key: &[u8]) -> Result<Self, Error> {
        Ok(Self(gcm_key(key)?))
    }
}

/// AES-GCM sealing with a 12-byte IV: `(ciphertext, tag)`.
pub(crate) fn gcm_seal(
    key: &PreparedGcm,
    iv: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| Error::Crypto)?;
    let mut buf = plaintext.to_vec();
    let tag = key
        .0
        .seal_in_place_separate_tag(nonce, Aad::from(aad), &mut buf)
        .map_err(|_| Error::Crypto)?;
    Ok((buf, tag.as_ref().to_vec()))
}

/// AES-GCM opening; every failure is [`Error::DecryptionFailed`].
pub(crate) fn gcm_open(
    key: &PreparedGcm,
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    if iv.len() != 12 || tag.len() != 16 {
        return Err(Error::DecryptionFailed);
    }
    let nonce = Nonce::try_assume_unique_for_key(iv).map_err(fail)?;
    let mut buf = Zeroizing::new(Vec::with_capacity(ciphertext.len() + tag.len()));
    buf.extend_from_slice(ciphertext);
    buf.extend_from_slice(tag);
    let len = key
        .0
        .open_in_place(nonce, Aad::from(aad), &mut buf)
        .map_err(fail)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

fn gcm_key(key: &[u8]) -> Result<LessSafeKey, Error> {
    let alg = match key.len() {
        16 => &aead::AES_128_GCM,
        24 => &aead::AES_192_GCM,
        32 => &aead::AES_256_GCM,
        _ => return Err(Error::Crypto),
    };
    Ok(LessSafeKey::new(
        UnboundKey::new(alg, key).map_err(|_| Error::Crypto)?,
    ))
}

fn cbc_key(key: &[u8]) -> Result<UnboundCipherKey, Error> {
    let alg = match key.len() {
        16 => &AES_128,
        24 => &AES_192,
        32 => &AES_256,
        _ => return Err(Error::Crypto),
    };
    UnboundCipherKey::new(alg, key).map_err(|_| Error::Crypto)
}

fn iv16(iv: &[u8]) -> Result<FixedLength<16>, Error> {
    let iv: [u8; 16] = iv.try_into().map_err(|_| Error::Crypto)?;
    Ok(FixedLength::from(iv))
}

/// RFC 7518 §5.2.2.1: HMAC over `AAD ‖ IV ‖ ciphertext ‖ AL`, truncated to half the hash.
fn cbc_tag(enc: Enc, mac_key: &[u8], aad: &[u8], iv: &[u8], ciphertext: &[u8]) -> Vec<u8> {
    let alg = match enc {
        Enc::A192CbcHs384 => hmac::HMAC_SHA384,
        Enc::A256CbcHs512 => hmac::HMAC_SHA512,
        _ => hmac::HMAC_SHA256,
    };
    let key = hmac::Key::new(alg, mac_key);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(aad);
    ctx.update(iv);
    ctx.update(ciphertext);
    let al = (aad.len() as u64).wrapping_mul(8).to_be_bytes();
    ctx.update(&al);
    let full = ctx.sign();
    full.as_ref()[..enc.tag_len()].to_vec()
}

/// AES-GCM encryption of a CEK with a key-wrapping key (RFC 7518 §4.7): `(encrypted, tag)`.
pub(crate) fn gcm_wrap(kek: &[u8], iv: &[u8], cek: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let key = gcm_key(kek)?;
    let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| Error::Crypto)?;
    let mut buf = cek.to_vec();
    let tag = key
        .seal_in_place_separate_tag(nonce, Aad::empty(), &mut buf)
        .map_err(|_| Error::Crypto)?;
    Ok((buf, tag.as_ref().to_vec()))
}

/// The inverse of [`gcm_wrap`]; every failure is [`Error::DecryptionFailed`].
pub(crate) fn gcm_unwrap(
    kek: &[u8],
    iv: &[u8],
    encrypted: &[u8],
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    if iv.len() != 12 || tag.len() != 16 {
        return Err(Error::DecryptionFailed);
    }
    let key = gcm_key(kek).map_err(fail)?;
    let nonce = Nonce::try_assume_unique_for_key(iv).map_err(fail)?;
    let mut buf = Zeroizing::new(Vec::with_capacity(encrypted.len() + 16));
    buf.extend_from_slice(encrypted);
    buf.extend_from_slice(tag);
    let len = key
        .open_in_place(nonce, Aad::empty(), &mut buf)
        .map_err(fail)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

/// Maps any backend error to the one opaque decryption error.
fn fail<E>(_: E) -> Error {
    Error::DecryptionFailed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_tampering() {
        for enc in Enc::ALL {
            let cek = vec![7u8; enc.cek_len()];
            let iv = vec![9u8; enc.iv_len()];
            let (ct, tag) = encrypt(enc, &cek, &iv, b"aad", b"hello world").unwrap();
            let pt = decrypt(enc, &cek, &iv, b"aad", &ct, &tag).unwrap();
            assert_eq!(&pt[..], b"hello world");
            assert_eq!(
                decrypt(enc, &cek, &iv, b"aae", &ct, &tag),
                Err(Error::DecryptionFailed)
            );
            let mut bad = tag.clone();
            bad[0] ^= 1;
            assert_eq!(
                decrypt(enc, &cek, &iv, b"aad", &ct, &bad),
                Err(Error::DecryptionFailed)
            );
            assert_eq!(
                decrypt(enc, &cek, &iv, b"aad", &ct, &tag[..tag.len() - 1]),
                Err(Error::DecryptionFailed)
            );
        }
    }
}
