//! JWA identifiers (RFC 7518 §3–5, RFC 8037, RFC 8812, RFC 9864, ML-DSA for JOSE) and the one
//! table of their properties. Names are resolved once, at the edge; below, code holds [`JwsAlg`].

use core::fmt;
use core::str::FromStr;

use crate::error::Error;

mod jwe;

pub use jwe::{Enc, JweAlg, JweAlgInfo, KeyManagement};

/// A JWS signature or MAC algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum JwsAlg {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384 and MGF1 with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512 and MGF1 with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// ECDSA on P-521 with SHA-512.
    ES512,
    /// ECDSA on secp256k1 with SHA-256 (RFC 8812).
    ES256K,
    /// EdDSA (RFC 8037); this build supports the Ed25519 curve.
    EdDSA,
    /// Ed25519, the fully-specified name (RFC 9864).
    Ed25519,
    /// ML-DSA-44 (FIPS 204).
    MlDsa44,
    /// ML-DSA-65 (FIPS 204).
    MlDsa65,
    /// ML-DSA-87 (FIPS 204).
    MlDsa87,
}

/// The algorithm family, which decides the key type an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// HMAC with a symmetric (`oct`) key.
    Hmac,
    /// RSASSA-PKCS1-v1_5.
    RsaPkcs1,
    /// RSASSA-PSS.
    RsaPss,
    /// ECDSA with a fixed-size `r‖s` signature.
    Ecdsa,
    /// EdDSA on an `OKP` key.
    EdDsa,
    /// ML-DSA on an `AKP` key.
    MlDsa,
}

/// A JWK key type (`kty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kty {
    /// Elliptic curve.
    Ec,
    /// RSA.
    Rsa,
    /// Octet sequence (symmetric).
    Oct,
    /// Octet key pair (RFC 8037).
    Okp,
    /// Algorithm key pair (ML-DSA).
    Akp,
}

impl Kty {
    /// The `kty` string.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Ec => "EC",
            Self::Rsa => "RSA",
            Self::Oct => "oct",
            Self::Okp => "OKP",
            Self::Akp => "AKP",
        }
    }
}

/// A named curve (`crv`) of an `EC` or `OKP` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Curve {
    /// NIST P-256.
    P256,
    /// NIST P-384.
    P384,
    /// NIST P-521.
    P521,
    /// secp256k1 (RFC 8812).
    Secp256k1,
    /// Ed25519 signatures (RFC 8037).
    Ed25519,
    /// Ed448 signatures: parsed, not supported by the crypto backend.
    Ed448,
    /// X25519 key agreement (RFC 8037).
    X25519,
    /// X448 key agreement: parsed, not supported by the crypto backend.
    X448,
}

impl Curve {
    /// The `crv` string.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
            Self::P521 => "P-521",
            Self::Secp256k1 => "secp256k1",
            Self::Ed25519 => "Ed25519",
            Self::Ed448 => "Ed448",
            Self::X25519 => "X25519",
            Self::X448 => "X448",
        }
    }

    /// Parses a `crv` string.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "P-256" => Self::P256,
            "P-384" => Self::P384,
            "P-521" => Self::P521,
            "secp256k1" => Self::Secp256k1,
            "Ed25519" => Self::Ed25519,
            "Ed448" => Self::Ed448,
            "X25519" => Self::X25519,
            "X448" => Self::X448,
            _ => return None,
        })
    }

    /// The key type that carries this curve.
    #[must_use]
    pub fn kty(self) -> Kty {
        match self {
            Self::P256 | Self::P384 | Self::P521 | Self::Secp256k1 => Kty::Ec,
            _ => Kty::Okp,
        }
    }

    /// Length in bytes of a coordinate, scalar or OKP key.
    #[must_use]
    pub fn coordinate_len(self) -> usize {
        match self {
            Self::P256 | Self::Secp256k1 | Self::Ed25519 | Self::X25519 => 32,
            Self::P384 => 48,
            Self::P521 => 66,
            Self::Ed448 => 57,
            Self::X448 => 56,
        }
    }

    /// Whether the crypto backend supports this curve.
    #[must_use]
    pub fn is_supported(self) -> bool {
        !matches!(self, Self::Ed448 | Self::X448)
    }
}

/// The properties of one algorithm: one row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlgInfo {
    /// The registered name.
    pub name: &'static str,
    /// The family.
    pub family: Family,
    /// The key type it needs.
    pub kty: Kty,
    /// The curve it needs, for ECDSA and the fully-specified EdDSA names.
    pub curve: Option<Curve>,
    /// Output length of the hash (the minimum HMAC key length), 0 where not applicable.
    pub hash_len: usize,
}

const fn info(
    name: &'static str,
    family: Family,
    kty: Kty,
    curve: Option<Curve>,
    hash_len: usize,
) -> AlgInfo {
    AlgInfo {
        name,
        family,
        kty,
        curve,
        hash_len,
    }
}

impl JwsAlg {
    /// Every algorithm this crate knows, in table order.
    pub const ALL: [Self; 18] = [
        Self::HS256,
        Self::HS384,
        Self::HS512,
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::ES512,
        Self::ES256K,
        Self::EdDSA,
        Self::Ed25519,
        Self::MlDsa44,
        Self::MlDsa65,
        Self::MlDsa87,
    ];

    /// This algorithm's row of the table.
    #[must_use]
    pub const fn info(self) -> AlgInfo {
        use Family as F;
        match self {
            Self::HS256 => info("HS256", F::Hmac, Kty::Oct, None, 32),
            Self::HS384 => info("HS384", F::Hmac, Kty::Oct, None, 48),
            Self::HS512 => info("HS512", F::Hmac, Kty::Oct, None, 64),
            Self::RS256 => info("RS256", F::RsaPkcs1, Kty::Rsa, None, 32),
            Self::RS384 => info("RS384", F::RsaPkcs1, Kty::Rsa, None, 48),
            Self::RS512 => info("RS512", F::RsaPkcs1, Kty::Rsa, None, 64),
            Self::PS256 => info("PS256", F::RsaPss, Kty::Rsa, None, 32),
            Self::PS384 => info("PS384", F::RsaPss, Kty::Rsa, None, 48),
            Self::PS512 => info("PS512", F::RsaPss, Kty::Rsa, None, 64),
            Self::ES256 => info("ES256", F::Ecdsa, Kty::Ec, Some(Curve::P256), 32),
            Self::ES384 => info("ES384", F::Ecdsa, Kty::Ec, Some(Curve::P384), 48),
            Self::ES512 => info("ES512", F::Ecdsa, Kty::Ec, Some(Curve::P521), 64),
            Self::ES256K => info("ES256K", F::Ecdsa, Kty::Ec, Some(Curve::Secp256k1), 32),
            Self::EdDSA => info("EdDSA", F::EdDsa, Kty::Okp, None, 0),
            Self::Ed25519 => info("Ed25519", F::EdDsa, Kty::Okp, Some(Curve::Ed25519), 0),
            Self::MlDsa44 => info("ML-DSA-44", F::MlDsa, Kty::Akp, None, 0),
            Self::MlDsa65 => info("ML-DSA-65", F::MlDsa, Kty::Akp, None, 0),
            Self::MlDsa87 => info("ML-DSA-87", F::MlDsa, Kty::Akp, None, 0),
        }
    }

    /// The registered name (`"ES256"`, `"ML-DSA-65"`, ...).
    #[must_use]
    pub const fn name(self) -> &'static str {
        self.info().name
    }

    /// The family.
    #[must_use]
    pub const fn family(self) -> Family {
        self.info().family
    }

    /// Whether this build can sign and verify with it (ML-DSA needs the `ml-dsa` feature).
    #[must_use]
    pub const fn is_supported(self) -> bool {
        cfg!(feature = "ml-dsa") || !matches!(self.family(), Family::MlDsa)
    }

    /// Resolves a registered name. Case-sensitive, as JOSE names are.
    ///
    /// # Errors
    /// [`Error::UnsupportedAlgorithm`] for `none`, `Ed448` and names this crate does not know.
    pub fn from_name(name: &str) -> Result<Self, Error> {
        Self::ALL
            .iter()
            .copied()
            .find(|a| a.name() == name)
            .ok_or_else(|| Error::UnsupportedAlgorithm(printable(name)))
    }

    /// Every algorithm a key of this type (and curve) can be used with, in table order.
    pub fn for_key(kty: Kty, curve: Option<Curve>) -> impl Iterator<Item = Self> {
        Self::ALL.into_iter().filter(move |a| {
            let i = a.info();
            i.kty == kty
                && a.is_supported()
                && match (i.family, curve) {
                    (Family::Ecdsa, c) => i.curve == c,
                    (Family::EdDsa, c) => c == Some(Curve::Ed25519),
                    _ => true,
                }
        })
    }
}

/// `Display`, `FromStr` and `Serialize` through the registered name, for each identifier enum.
macro_rules! name_traits {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $t {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::from_name(s)
            }
        }

        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }
    };
}

name_traits!(JwsAlg);
name_traits!(JweAlg);
name_traits!(Enc);

/// A short, printable form of untrusted text for error messages.
/// A bounded copy of a name from a token (errors escape it when displayed, see
/// [`crate::error::escaped`]).
pub(crate) fn printable(s: &str) -> String {
    s.chars().take(65).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in JwsAlg::ALL {
            assert_eq!(JwsAlg::from_name(a.name()).unwrap(), a);
        }
        for bad in ["none", "None", "hs256", "Ed448", ""] {
            assert!(JwsAlg::from_name(bad).is_err());
        }
    }

    #[test]
    fn key_families() {
        let ec: Vec<_> = JwsAlg::for_key(Kty::Ec, Some(Curve::P384)).collect();
        assert_eq!(ec, [JwsAlg::ES384]);
        let okp: Vec<_> = JwsAlg::for_key(Kty::Okp, Some(Curve::Ed25519)).collect();
        assert_eq!(okp, [JwsAlg::EdDSA, JwsAlg::Ed25519]);
        assert_eq!(JwsAlg::for_key(Kty::Okp, Some(Curve::Ed448)).count(), 0);
        assert_eq!(JwsAlg::for_key(Kty::Rsa, None).count(), 6);
    }
}
