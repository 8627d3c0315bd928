//! JWE key-management (`alg`, RFC 7518 §4, RFC 8037 §3.2) and content-encryption (`enc`,
//! RFC 7518 §5) identifiers, with their properties in one table each.

use super::{Kty, printable};
use crate::error::Error;

/// A JWE key-management algorithm (`alg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum JweAlg {
    /// Direct use of a shared symmetric key as the CEK.
    Dir,
    /// RSAES-OAEP with SHA-1 and MGF1 with SHA-1.
    RsaOaep,
    /// RSAES-OAEP with SHA-256 and MGF1 with SHA-256.
    RsaOaep256,
    /// RSAES-OAEP with SHA-384 and MGF1 with SHA-384.
    RsaOaep384,
    /// RSAES-OAEP with SHA-512 and MGF1 with SHA-512.
    RsaOaep512,
    /// RSAES-PKCS1-v1_5: legacy, only when enabled explicitly.
    Rsa1_5,
    /// AES Key Wrap with a 128-bit key.
    A128KW,
    /// AES Key Wrap with a 192-bit key.
    A192KW,
    /// AES Key Wrap with a 256-bit key.
    A256KW,
    /// AES-GCM key wrapping with a 128-bit key.
    A128GCMKW,
    /// AES-GCM key wrapping with a 192-bit key.
    A192GCMKW,
    /// AES-GCM key wrapping with a 256-bit key.
    A256GCMKW,
    /// ECDH-ES key agreement; the derived key is the CEK.
    EcdhEs,
    /// ECDH-ES key agreement, then AES Key Wrap with a 128-bit key.
    EcdhEsA128KW,
    /// ECDH-ES key agreement, then AES Key Wrap with a 192-bit key.
    EcdhEsA192KW,
    /// ECDH-ES key agreement, then AES Key Wrap with a 256-bit key.
    EcdhEsA256KW,
    /// PBES2 with HMAC-SHA-256 and A128KW: only when enabled explicitly.
    Pbes2Hs256A128KW,
    /// PBES2 with HMAC-SHA-384 and A192KW: only when enabled explicitly.
    Pbes2Hs384A192KW,
    /// PBES2 with HMAC-SHA-512 and A256KW: only when enabled explicitly.
    Pbes2Hs512A256KW,
}

/// How a key-management algorithm produces the CEK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyManagement {
    /// The shared key is the CEK.
    Direct,
    /// RSAES-OAEP encrypts the CEK.
    RsaOaep,
    /// RSAES-PKCS1-v1_5 encrypts the CEK.
    RsaPkcs1,
    /// AES Key Wrap (RFC 3394).
    AesKw,
    /// AES-GCM encrypts the CEK (`iv` and `tag` header parameters).
    AesGcmKw,
    /// ECDH-ES: the agreed key is the CEK.
    EcdhEs,
    /// ECDH-ES, then AES Key Wrap with the agreed key.
    EcdhEsKw,
    /// PBES2: PBKDF2 derives an AES Key Wrap key from a password.
    Pbes2,
}

/// One row of the key-management table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JweAlgInfo {
    /// The registered name.
    pub name: &'static str,
    /// How it produces the CEK.
    pub mode: KeyManagement,
    /// The key type it needs (`oct` for PBES2 passwords; EC or OKP for ECDH-ES).
    pub kty: Kty,
    /// The AES key-wrapping key length in bytes (0 where there is none).
    pub kw_len: usize,
    /// SHA-2 size of the OAEP or PBES2 hash in bits (160 for SHA-1), 0 where none.
    pub hash_bits: usize,
}

const fn row(
    name: &'static str,
    mode: KeyManagement,
    kty: Kty,
    kw_len: usize,
    hash_bits: usize,
) -> JweAlgInfo {
    JweAlgInfo {
        name,
        mode,
        kty,
        kw_len,
        hash_bits,
    }
}

impl JweAlg {
    /// Every key-management algorithm, in table order.
    pub const ALL: [Self; 19] = [
        Self::Dir,
        Self::RsaOaep,
        Self::RsaOaep256,
        Self::RsaOaep384,
        Self::RsaOaep512,
        Self::Rsa1_5,
        Self::A128KW,
        Self::A192KW,
        Self::A256KW,
        Self::A128GCMKW,
        Self::A192GCMKW,
        Self::A256GCMKW,
        Self::EcdhEs,
        Self::EcdhEsA128KW,
        Self::EcdhEsA192KW,
        Self::EcdhEsA256KW,
        Self::Pbes2Hs256A128KW,
        Self::Pbes2Hs384A192KW,
        Self::Pbes2Hs512A256KW,
    ];

    /// This algorithm's row of the table.
    #[must_use]
    pub const fn info(self) -> JweAlgInfo {
        use KeyManagement as M;
        match self {
            Self::Dir => row("dir", M::Direct, Kty::Oct, 0, 0),
            Self::RsaOaep => row("RSA-OAEP", M::RsaOaep, Kty::Rsa, 0, 160),
            Self::RsaOaep256 => row("RSA-OAEP-256", M::RsaOaep, Kty::Rsa, 0, 256),
            Self::RsaOaep384 => row("RSA-OAEP-384", M::RsaOaep, Kty::Rsa, 0, 384),
            Self::RsaOaep512 => row("RSA-OAEP-512", M::RsaOaep, Kty::Rsa, 0, 512),
            Self::Rsa1_5 => row("RSA1_5", M::RsaPkcs1, Kty::Rsa, 0, 0),
            Self::A128KW => row("A128KW", M::AesKw, Kty::Oct, 16, 0),
            Self::A192KW => row("A192KW", M::AesKw, Kty::Oct, 24, 0),
            Self::A256KW => row("A256KW", M::AesKw, Kty::Oct, 32, 0),
            Self::A128GCMKW => row("A128GCMKW", M::AesGcmKw, Kty::Oct, 16, 0),
            Self::A192GCMKW => row("A192GCMKW", M::AesGcmKw, Kty::Oct, 24, 0),
            Self::A256GCMKW => row("A256GCMKW", M::AesGcmKw, Kty::Oct, 32, 0),
            Self::EcdhEs => row("ECDH-ES", M::EcdhEs, Kty::Ec, 0, 0),
            Self::EcdhEsA128KW => row("ECDH-ES+A128KW", M::EcdhEsKw, Kty::Ec, 16, 0),
            Self::EcdhEsA192KW => row("ECDH-ES+A192KW", M::EcdhEsKw, Kty::Ec, 24, 0),
            Self::EcdhEsA256KW => row("ECDH-ES+A256KW", M::EcdhEsKw, Kty::Ec, 32, 0),
            Self::Pbes2Hs256A128KW => row("PBES2-HS256+A128KW", M::Pbes2, Kty::Oct, 16, 256),
            Self::Pbes2Hs384A192KW => row("PBES2-HS384+A192KW", M::Pbes2, Kty::Oct, 24, 384),
            Self::Pbes2Hs512A256KW => row("PBES2-HS512+A256KW", M::Pbes2, Kty::Oct, 32, 512),
        }
    }

    /// The registered name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        self.info().name
    }

    /// How it produces the CEK.
    #[must_use]
    pub const fn mode(self) -> KeyManagement {
        self.info().mode
    }

    /// Whether a JWE may only have this recipient (`dir` and `ECDH-ES` fix the CEK).
    #[must_use]
    pub const fn is_single_recipient(self) -> bool {
        matches!(self.mode(), KeyManagement::Direct | KeyManagement::EcdhEs)
    }

    /// Whether anyone holding a public key can use it to encrypt (RSA-OAEP, `RSA1_5`, ECDH-ES):
    /// such a JWE authenticates no sender.
    #[must_use]
    pub const fn is_public_key(self) -> bool {
        matches!(
            self.mode(),
            KeyManagement::RsaOaep
                | KeyManagement::RsaPkcs1
                | KeyManagement::EcdhEs
                | KeyManagement::EcdhEsKw
        )
    }

    /// Whether decrypting with it must be enabled explicitly (`RSA1_5` and PBES2).
    #[must_use]
    pub const fn needs_opt_in(self) -> bool {
        matches!(self.mode(), KeyManagement::RsaPkcs1 | KeyManagement::Pbes2)
    }

    /// Resolves a registered name. Case-sensitive.
    ///
    /// # Errors
    /// [`Error::UnsupportedAlgorithm`] for names this crate does not know.
    pub fn from_name(name: &str) -> Result<Self, Error> {
        Self::ALL
            .iter()
            .copied()
            .find(|a| a.name() == name)
            .ok_or_else(|| Error::UnsupportedAlgorithm(printable(name)))
    }
}

/// A JWE content-encryption algorithm (`enc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Enc {
    /// AES-128-CBC with HMAC-SHA-256, 128-bit tag.
    A128CbcHs256,
    /// AES-192-CBC with HMAC-SHA-384, 192-bit tag.
    A192CbcHs384,
    /// AES-256-CBC with HMAC-SHA-512, 256-bit tag.
    A256CbcHs512,
    /// AES-128-GCM.
    A128Gcm,
    /// AES-192-GCM.
    A192Gcm,
    /// AES-256-GCM.
    A256Gcm,
}

impl Enc {
    /// Every content-encryption algorithm, in table order.
    pub const ALL: [Self; 6] = [
        Self::A128CbcHs256,
        Self::A192CbcHs384,
        Self::A256CbcHs512,
        Self::A128Gcm,
        Self::A192Gcm,
        Self::A256Gcm,
    ];

    /// The registered name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::A128CbcHs256 => "A128CBC-HS256",
            Self::A192CbcHs384 => "A192CBC-HS384",
            Self::A256CbcHs512 => "A256CBC-HS512",
            Self::A128Gcm => "A128GCM",
            Self::A192Gcm => "A192GCM",
            Self::A256Gcm => "A256GCM",
        }
    }

    /// Whether it is AES-GCM (else AES-CBC with HMAC).
    #[must_use]
    pub const fn is_gcm(self) -> bool {
        matches!(self, Self::A128Gcm | Self::A192Gcm | Self::A256Gcm)
    }

    /// CEK length in bytes (for CBC-HMAC, the MAC key and the AES key together).
    #[must_use]
    pub const fn cek_len(self) -> usize {
        match self {
            Self::A128Gcm => 16,
            Self::A192Gcm => 24,
            Self::A256Gcm | Self::A128CbcHs256 => 32,
            Self::A192CbcHs384 => 48,
            Self::A256CbcHs512 => 64,
        }
    }

    /// IV length in bytes.
    #[must_use]
    pub const fn iv_len(self) -> usize {
        if self.is_gcm() { 12 } else { 16 }
    }

    /// Authentication tag length in bytes.
    #[must_use]
    pub const fn tag_len(self) -> usize {
        match self {
            Self::A192CbcHs384 => 24,
            Self::A256CbcHs512 => 32,
            _ => 16,
        }
    }

    /// Resolves a registered name. Case-sensitive.
    ///
    /// # Errors
    /// [`Error::UnsupportedAlgorithm`] for names this crate does not know.
    pub fn from_name(name: &str) -> Result<Self, Error> {
        Self::ALL
            .iter()
            .copied()
            .find(|e| e.name() == name)
            .ok_or_else(|| Error::UnsupportedAlgorithm(printable(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in JweAlg::ALL {
            assert_eq!(JweAlg::from_name(a.name()).unwrap(), a);
        }
        for e in Enc::ALL {
            assert_eq!(Enc::from_name(e.name()).unwrap(), e);
        }
        assert!(JweAlg::from_name("rsa-oaep").is_err());
        assert!(Enc::from_name("A128CBC+HS256").is_err());
    }

    #[test]
    fn table_properties() {
        assert_eq!(Enc::A256CbcHs512.cek_len(), 64);
        assert_eq!(Enc::A192CbcHs384.tag_len(), 24);
        assert!(JweAlg::Dir.is_single_recipient() && JweAlg::EcdhEs.is_single_recipient());
        assert!(!JweAlg::EcdhEsA128KW.is_single_recipient());
        assert!(JweAlg::Rsa1_5.needs_opt_in() && JweAlg::Pbes2Hs256A128KW.needs_opt_in());
        assert_eq!(JweAlg::Pbes2Hs384A192KW.info().kw_len, 24);
    }
}
