//! RSA key encryption for JWE: RSAES-OAEP (SHA-1, SHA-256/384/512) and RSAES-PKCS1-v1_5.
//!
//! PKCS#1 v1.5 decryption is not constant-time end to end on this backend: aws-lc's
//! `RSA_decrypt` with PKCS#1 v1.5 padding returns early on a padding failure (its own source
//! says the API cannot avoid Bleichenbacher's attack). The branch-free choice of a random CEK
//! below removes the *error* oracle, not the *timing* one (the Marvin attack, 2023). `RSA1_5`
//! is therefore only reachable behind `DecrypterBuilder::dangerous_allow_rsa1_5`.

use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512,
    OaepAlgorithm, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, Pkcs1PrivateDecryptingKey,
    Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use zeroize::Zeroizing;

use crate::error::{Error, KeyProblem};

/// An RSA public key for one key-encryption scheme.
pub(crate) enum RsaEncryptor {
    Oaep(OaepPublicEncryptingKey, &'static OaepAlgorithm),
    Pkcs1(Pkcs1PublicEncryptingKey),
}

/// An RSA private key for one key-encryption scheme.
pub(crate) enum RsaDecryptor {
    Oaep(OaepPrivateDecryptingKey, &'static OaepAlgorithm),
    Pkcs1(Pkcs1PrivateDecryptingKey),
}

fn oaep(hash_bits: usize) -> &'static OaepAlgorithm {
    match hash_bits {
        256 => &OAEP_SHA256_MGF1SHA256,
        384 => &OAEP_SHA384_MGF1SHA384,
        512 => &OAEP_SHA512_MGF1SHA512,
        _ => &OAEP_SHA1_MGF1SHA1,
    }
}

impl RsaEncryptor {
    /// From SPKI DER; `hash_bits` 0 selects PKCS#1 v1.5, else the OAEP hash (160 = SHA-1).
    pub(crate) fn new(spki: &[u8], hash_bits: usize) -> Result<Self, Error> {
        let key = PublicEncryptingKey::from_der(spki).map_err(|_| KeyProblem::Inconsistent)?;
        Ok(if hash_bits == 0 {
            Self::Pkcs1(Pkcs1PublicEncryptingKey::new(key).map_err(|_| KeyProblem::Inconsistent)?)
        } else {
            Self::Oaep(
                OaepPublicEncryptingKey::new(key).map_err(|_| KeyProblem::Inconsistent)?,
                oaep(hash_bits),
            )
        })
    }

    /// Encrypts a CEK.
    pub(crate) fn encrypt(&self, cek: &[u8]) -> Result<Vec<u8>, Error> {
        let (size, res) = match self {
            Self::Oaep(k, alg) => {
                let mut out = vec![0u8; k.ciphertext_size()];
                let n = k
                    .encrypt(alg, cek, &mut out, None)
                    .map_err(|_| Error::Crypto)?
                    .len();
                (n, out)
            }
            Self::Pkcs1(k) => {
                let mut out = vec![0u8; k.ciphertext_size()];
                let n = k.encrypt(cek, &mut out).map_err(|_| Error::Crypto)?.len();
                (n, out)
            }
        };
        let mut out = res;
        out.truncate(size);
        Ok(out)
    }
}

impl RsaDecryptor {
    /// From PKCS#8 DER; `hash_bits` as for [`RsaEncryptor::new`].
    pub(crate) fn new(pkcs8: &[u8], hash_bits: usize) -> Result<Self, Error> {
        let key = PrivateDecryptingKey::from_pkcs8(pkcs8).map_err(|_| KeyProblem::Inconsistent)?;
        Ok(if hash_bits == 0 {
            Self::Pkcs1(Pkcs1PrivateDecryptingKey::new(key).map_err(|_| KeyProblem::Inconsistent)?)
        } else {
            Self::Oaep(
                OaepPrivateDecryptingKey::new(key).map_err(|_| KeyProblem::Inconsistent)?,
                oaep(hash_bits),
            )
        })
    }

    /// Decrypts an encrypted CEK of `cek_len` bytes.
    ///
    /// OAEP failures are [`Error::DecryptionFailed`]. PKCS#1 v1.5 never fails (RFC 7516 §11.5,
    /// RFC 3218 §2.3.2): a random CEK of `cek_len` bytes is drawn first and chosen, without a
    /// branch on the outcome, whenever the padding or the length is wrong, so the content
    /// decryption fails later with the same error as for a wrong key. The time the backend's
    /// unpadding takes still depends on the padding (see the module documentation).
    pub(crate) fn decrypt(
        &self,
        encrypted: &[u8],
        cek_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        match self {
            Self::Oaep(k, alg) => {
                let mut out = Zeroizing::new(vec![0u8; k.min_output_size()]);
                let n = k
                    .decrypt(alg, encrypted, &mut out, None)
                    .map_err(|_| Error::DecryptionFailed)?
                    .len();
                out.truncate(n);
                Ok(out)
            }
            Self::Pkcs1(k) => {
                let mut fallback = Zeroizing::new(vec![0u8; cek_len]);
                super::random(&mut fallback)?;
                let mut out = Zeroizing::new(vec![0u8; k.min_output_size().max(cek_len)]);
                let (ok, n) = match k.decrypt(encrypted, &mut out) {
                    Ok(pt) => (1u8, pt.len()),
                    Err(_) => (0u8, 0),
                };
                // `good` is 0xFF when the decryption succeeded with the right length, else 0.
                let good = (ok & u8::from(n == cek_len)).wrapping_neg();
                let mut cek = Zeroizing::new(vec![0u8; cek_len]);
                for (i, c) in cek.iter_mut().enumerate() {
                    *c = (out[i] & good) | (fallback[i] & !good);
                }
                Ok(cek)
            }
        }
    }
}
