//! AES Key Wrap (RFC 3394, RFC 7518 §4.4) and the PBES2 key derivation (RFC 7518 §4.8).

use core::num::NonZeroU32;

use aws_lc_rs::cipher::{AES_192, DecryptingKey, EncryptingKey, UnboundCipherKey};
use aws_lc_rs::key_wrap::{AES_128, AES_256, AesKek, KeyWrap};
use aws_lc_rs::pbkdf2;
use zeroize::Zeroizing;

use crate::error::Error;

const IV: [u8; 8] = [0xA6; 8];

/// Wraps `cek` (a multiple of 8 bytes, at least 16) under a 16, 24 or 32 byte `kek`.
pub(crate) fn wrap(kek: &[u8], cek: &[u8]) -> Result<Vec<u8>, Error> {
    if cek.len() < 16 || !cek.len().is_multiple_of(8) {
        return Err(Error::Crypto);
    }
    let mut out = vec![0u8; cek.len() + 8];
    let len = match kek.len() {
        16 | 32 => {
            let cipher = if kek.len() == 16 { &AES_128 } else { &AES_256 };
            let kek = AesKek::new(cipher, kek).map_err(|_| Error::Crypto)?;
            kek.wrap(cek, &mut out).map_err(|_| Error::Crypto)?.len()
        }
        24 => {
            wrap_192(kek, cek, &mut out)?;
            out.len()
        }
        _ => return Err(Error::Crypto),
    };
    out.truncate(len);
    Ok(out)
}

/// Unwraps; every failure (including the integrity check) is [`Error::DecryptionFailed`].
pub(crate) fn unwrap(kek: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    if wrapped.len() < 24 || !wrapped.len().is_multiple_of(8) {
        return Err(Error::DecryptionFailed);
    }
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let len = match kek.len() {
        16 | 32 => {
            let cipher = if kek.len() == 16 { &AES_128 } else { &AES_256 };
            let kek = AesKek::new(cipher, kek).map_err(|_| Error::DecryptionFailed)?;
            kek.unwrap(wrapped, &mut out)
                .map_err(|_| Error::DecryptionFailed)?
                .len()
        }
        24 => unwrap_192(kek, wrapped, &mut out)?,
        _ => return Err(Error::DecryptionFailed),
    };
    out.truncate(len);
    Ok(out)
}

/// RFC 3394 §2.2.1 over single-block AES-192 encryptions (aws-lc-rs has no AES-192 key wrap).
fn wrap_192(kek: &[u8], cek: &[u8], out: &mut [u8]) -> Result<(), Error> {
    let key = UnboundCipherKey::new(&AES_192, kek).map_err(|_| Error::Crypto)?;
    let ecb = EncryptingKey::ecb(key).map_err(|_| Error::Crypto)?;
    let n = cek.len() / 8;
    let mut a = IV;
    out[8..].copy_from_slice(cek);
    let mut block = Zeroizing::new([0u8; 16]);
    for j in 0..6u64 {
        for i in 1..=n {
            block[..8].copy_from_slice(&a);
            block[8..].copy_from_slice(&out[8 * i..8 * i + 8]);
            ecb.encrypt(&mut block[..]).map_err(|_| Error::Crypto)?;
            let t = (n as u64) * j + i as u64;
            a.copy_from_slice(&block[..8]);
            for (x, y) in a.iter_mut().zip(t.to_be_bytes()) {
                *x ^= y;
            }
            out[8 * i..8 * i + 8].copy_from_slice(&block[8..]);
        }
    }
    out[..8].copy_from_slice(&a);
    Ok(())
}

/// RFC 3394 §2.2.2 with the §2.2.3 integrity check (constant time).
fn unwrap_192(kek: &[u8], wrapped: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let key = UnboundCipherKey::new(&AES_192, kek).map_err(fail)?;
    let ecb = DecryptingKey::ecb(key).map_err(fail)?;
    let n = wrapped.len() / 8 - 1;
    let mut a = [0u8; 8];
    a.copy_from_slice(&wrapped[..8]);
    out[..n * 8].copy_from_slice(&wrapped[8..]);
    let mut block = Zeroizing::new([0u8; 16]);
    for j in (0..6u64).rev() {
        for i in (1..=n).rev() {
            let t = (n as u64) * j + i as u64;
            for (x, y) in a.iter_mut().zip(t.to_be_bytes()) {
                *x ^= y;
            }
            block[..8].copy_from_slice(&a);
            block[8..].copy_from_slice(&out[8 * (i - 1)..8 * i]);
            ecb.decrypt(&mut block[..], aws_lc_rs::cipher::DecryptionContext::None)
                .map_err(fail)?;
            a.copy_from_slice(&block[..8]);
            out[8 * (i - 1)..8 * i].copy_from_slice(&block[8..]);
        }
    }
    if super::ct_eq(&a, &IV) {
        Ok(n * 8)
    } else {
        Err(Error::DecryptionFailed)
    }
}

/// PBKDF2 for PBES2: `salt = UTF8(alg) ‖ 0x00 ‖ p2s`, output `len` bytes.
pub(crate) fn pbes2_derive(
    hash_bits: usize,
    password: &[u8],
    alg_name: &str,
    p2s: &[u8],
    p2c: u32,
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let alg = match hash_bits {
        256 => pbkdf2::PBKDF2_HMAC_SHA256,
        384 => pbkdf2::PBKDF2_HMAC_SHA384,
        _ => pbkdf2::PBKDF2_HMAC_SHA512,
    };
    let iterations = NonZeroU32::new(p2c).ok_or(Error::Crypto)?;
    let mut salt = Vec::with_capacity(alg_name.len() + 1 + p2s.len());
    salt.extend_from_slice(alg_name.as_bytes());
    salt.push(0);
    salt.extend_from_slice(p2s);
    let mut out = Zeroizing::new(vec![0u8; len]);
    pbkdf2::derive(alg, iterations, &salt, password, &mut out);
    Ok(out)
}

/// Maps any backend error to the one opaque decryption error.
fn fail<E>(_: E) -> Error {
    Error::DecryptionFailed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::hex;

    /// RFC 3394 §4.2: wrap 128 bits of key data with a 192-bit KEK.
    #[test]
    fn rfc3394_4_2() {
        let kek = hex("000102030405060708090A0B0C0D0E0F1011121314151617");
        let data = hex("00112233445566778899AABBCCDDEEFF");
        let wrapped = wrap(&kek, &data).unwrap();
        assert_eq!(
            wrapped,
            hex("96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D")
        );
        assert_eq!(&unwrap(&kek, &wrapped).unwrap()[..], &data[..]);
        let mut bad = wrapped.clone();
        bad[5] ^= 1;
        assert_eq!(unwrap(&kek, &bad), Err(Error::DecryptionFailed));
    }

    /// RFC 3394 §4.1 and §4.6 through aws-lc-rs, and our AES-192 path on longer data.
    #[test]
    fn rfc3394_other_sizes() {
        let kek = hex("000102030405060708090A0B0C0D0E0F");
        let data = hex("00112233445566778899AABBCCDDEEFF");
        assert_eq!(
            wrap(&kek, &data).unwrap(),
            hex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5")
        );
        let kek = hex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
        let data = hex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
        assert_eq!(
            wrap(&kek, &data).unwrap(),
            hex("28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21")
        );
        let kek = hex("000102030405060708090A0B0C0D0E0F1011121314151617");
        let data = hex("00112233445566778899AABBCCDDEEFF0001020304050607");
        assert_eq!(
            wrap(&kek, &data).unwrap(),
            hex("031D33264E15D33268F24EC260743EDCE1C6C7DDEE725A936BA814915C6762D2")
        );
        let round = unwrap(&kek, &wrap(&kek, &[3u8; 64]).unwrap()).unwrap();
        assert_eq!(&round[..], &[3u8; 64][..]);
    }
}
