//! Parsing key material into backend key objects, and key generation.

use aws_lc_rs::encoding::{AsBigEndian, AsDer, Curve25519SeedBin, EcPrivateKeyBin};
use aws_lc_rs::rsa::{KeyPairComponents, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{self, KeyPair as _};
use aws_lc_rs::{agreement, hmac};

use super::{Material, SigningInner, VerifyingInner};
use crate::alg::{Curve, Family, JwsAlg};
use crate::error::{Error, KeyProblem};

pub(super) fn signing(alg: JwsAlg, material: &Material<'_>) -> Result<SigningInner, Error> {
    match (alg.family(), material) {
        (Family::Hmac, Material::Oct(k)) => Ok(SigningInner::Hmac(hmac_key(alg, k)?)),
        (
            Family::RsaPkcs1 | Family::RsaPss,
            Material::RsaPrivate {
                n,
                e,
                d,
                p,
                q,
                dp,
                dq,
                qi,
            },
        ) => {
            check_rsa_public(n, e)?;
            let components = KeyPairComponents {
                public_key: PublicKeyComponents { n: *n, e: *e },
                d: *d,
                p: *p,
                q: *q,
                dP: *dp,
                dQ: *dq,
                qInv: *qi,
            };
            let pair = signature::RsaKeyPair::from_components(&components)
                .map_err(|_| KeyProblem::Inconsistent)?;
            Ok(SigningInner::Rsa(pair, rsa_encoding(alg)))
        }
        (Family::Ecdsa, Material::EcPrivate { crv, x, y, d }) => {
            let signing_alg = ecdsa_signing(alg, *crv)?;
            check_len(d, crv.coordinate_len())?;
            let point = ec_point(*crv, x, y)?;
            let pair =
                signature::EcdsaKeyPair::from_private_key_and_public_key(signing_alg, d, &point)
                    .map_err(|_| KeyProblem::EcPoint)?;
            Ok(SigningInner::Ecdsa(pair))
        }
        (Family::EdDsa, Material::OkpPrivate { crv, x, d }) => {
            ed25519_curve(alg, *crv)?;
            check_len(d, 32)?;
            check_len(x, 32)?;
            let pair = signature::Ed25519KeyPair::from_seed_and_public_key(d, x)
                .map_err(|_| KeyProblem::Inconsistent)?;
            Ok(SigningInner::Ed25519(pair))
        }
        #[cfg(feature = "ml-dsa")]
        (Family::MlDsa, Material::AkpPrivate { public, seed }) => {
            check_len(seed, 32)?;
            let pair = signature::PqdsaKeyPair::from_seed(ml_dsa_signing(alg), seed)
                .map_err(|_| KeyProblem::Inconsistent)?;
            if pair.public_key().as_ref() != *public {
                return Err(KeyProblem::Inconsistent.into());
            }
            Ok(SigningInner::MlDsa(pair))
        }
        #[cfg(not(feature = "ml-dsa"))]
        (Family::MlDsa, _) => Err(Error::UnsupportedAlgorithm(alg.name().into())),
        (
            _,
            Material::RsaPublic { .. }
            | Material::EcPublic { .. }
            | Material::OkpPublic { .. }
            | Material::AkpPublic { .. },
        ) if material_fits(alg, material) => Err(KeyProblem::NotPrivate.into()),
        _ => Err(KeyProblem::WrongKeyType.into()),
    }
}

pub(super) fn verifying(alg: JwsAlg, material: &Material<'_>) -> Result<VerifyingInner, Error> {
    let parsed = match (alg.family(), material) {
        (Family::Hmac, Material::Oct(k)) => return Ok(VerifyingInner::Hmac(hmac_key(alg, k)?)),
        (
            Family::RsaPkcs1 | Family::RsaPss,
            Material::RsaPublic { n, e } | Material::RsaPrivate { n, e, .. },
        ) => {
            check_rsa_public(n, e)?;
            PublicKeyComponents { n: *n, e: *e }
                .to_parsed_public_key(rsa_params(alg))
                .map_err(|_| KeyProblem::Inconsistent)?
        }
        (
            Family::Ecdsa,
            Material::EcPublic { crv, x, y } | Material::EcPrivate { crv, x, y, .. },
        ) => {
            let verify_alg = ecdsa_verification(alg, *crv)?;
            let point = ec_point(*crv, x, y)?;
            signature::ParsedPublicKey::new(verify_alg, point).map_err(|_| KeyProblem::EcPoint)?
        }
        (Family::EdDsa, Material::OkpPublic { crv, x } | Material::OkpPrivate { crv, x, .. }) => {
            ed25519_curve(alg, *crv)?;
            check_len(x, 32)?;
            signature::ParsedPublicKey::new(&signature::ED25519, x)
                .map_err(|_| KeyProblem::Inconsistent)?
        }
        #[cfg(feature = "ml-dsa")]
        (Family::MlDsa, Material::AkpPublic { public } | Material::AkpPrivate { public, .. }) => {
            let verify_alg = ml_dsa_signing(alg);
            check_len(public, verify_alg.public_key_len())?;
            signature::ParsedPublicKey::new(ml_dsa_verification(alg), public)
                .map_err(|_| KeyProblem::Inconsistent)?
        }
        #[cfg(not(feature = "ml-dsa"))]
        (Family::MlDsa, _) => return Err(Error::UnsupportedAlgorithm(alg.name().into())),
        _ => return Err(KeyProblem::WrongKeyType.into()),
    };
    Ok(VerifyingInner::Public(parsed))
}

fn material_fits(alg: JwsAlg, material: &Material<'_>) -> bool {
    matches!(
        (alg.family(), material),
        (
            Family::RsaPkcs1 | Family::RsaPss,
            Material::RsaPublic { .. }
        ) | (Family::Ecdsa, Material::EcPublic { .. })
            | (Family::EdDsa, Material::OkpPublic { .. })
            | (Family::MlDsa, Material::AkpPublic { .. })
    )
}

/// The RSA modulus sizes accepted on import: what the backend signs, verifies, encrypts and
/// decrypts with (aws-lc-rs: 2048 to 8192 bits).
pub(crate) const RSA_BITS: core::ops::RangeInclusive<usize> = 2048..=8192;

/// RSA import policy: a modulus of 2048 to 8192 bits without the ROCA fingerprint, and an odd
/// public exponent in `[65537, 2^32)`.
pub(crate) fn check_rsa_public(n: &[u8], e: &[u8]) -> Result<(), Error> {
    let n = strip_zeros(n);
    let bits = n
        .first()
        .map_or(0, |b| n.len() * 8 - b.leading_zeros() as usize);
    if bits < *RSA_BITS.start() {
        return Err(KeyProblem::RsaTooSmall.into());
    }
    if bits > *RSA_BITS.end() {
        return Err(KeyProblem::RsaTooLarge.into());
    }
    let e = strip_zeros(e);
    let value = (e.len() <= 4).then(|| e.iter().fold(0u32, |v, b| (v << 8) | u32::from(*b)));
    if !value.is_some_and(|v| v >= 65_537 && v & 1 == 1) {
        return Err(KeyProblem::RsaExponent.into());
    }
    if roca_fingerprint(n) {
        return Err(KeyProblem::RsaRoca.into());
    }
    Ok(())
}

/// The primes of the ROCA fingerprint test (Nemec, Sýs, Švenda, Klinec, Matyáš: "The Return of
/// Coppersmith's Attack", CCS 2017; CVE-2017-15361).
const ROCA_PRIMES: [u32; 38] = [
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
];

/// Whether a modulus has the fingerprint of Infineon RSALib's primes, p = k·M + (65537^a mod M):
/// for every listed prime r, n mod r lies in the subgroup that 65537 generates modulo r. A
/// random modulus passes this test with probability about 2^-154.
fn roca_fingerprint(n: &[u8]) -> bool {
    ROCA_PRIMES.iter().all(|&r| {
        let residue = n
            .iter()
            .fold(0u32, |acc, &b| ((acc << 8) | u32::from(b)) % r);
        let g = 65_537 % r;
        let mut x = 1;
        for _ in 0..r {
            if x == residue {
                return true;
            }
            x = x * g % r;
            if x == 1 {
                break;
            }
        }
        false
    })
}

fn strip_zeros(v: &[u8]) -> &[u8] {
    let first = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    &v[first..]
}

fn check_len(v: &[u8], len: usize) -> Result<(), Error> {
    if v.len() == len {
        Ok(())
    } else {
        Err(KeyProblem::Length.into())
    }
}

fn hmac_key(alg: JwsAlg, secret: &[u8]) -> Result<hmac::Key, Error> {
    if secret.len() < alg.info().hash_len {
        return Err(KeyProblem::HmacTooShort.into());
    }
    let hmac_alg = match alg {
        JwsAlg::HS384 => hmac::HMAC_SHA384,
        JwsAlg::HS512 => hmac::HMAC_SHA512,
        _ => hmac::HMAC_SHA256,
    };
    Ok(hmac::Key::new(hmac_alg, secret))
}

fn rsa_encoding(alg: JwsAlg) -> &'static dyn signature::RsaEncoding {
    match alg {
        JwsAlg::RS256 => &signature::RSA_PKCS1_SHA256,
        JwsAlg::RS384 => &signature::RSA_PKCS1_SHA384,
        JwsAlg::RS512 => &signature::RSA_PKCS1_SHA512,
        JwsAlg::PS256 => &signature::RSA_PSS_SHA256,
        JwsAlg::PS384 => &signature::RSA_PSS_SHA384,
        _ => &signature::RSA_PSS_SHA512,
    }
}

fn rsa_params(alg: JwsAlg) -> &'static signature::RsaParameters {
    match alg {
        JwsAlg::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        JwsAlg::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        JwsAlg::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        JwsAlg::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        JwsAlg::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        _ => &signature::RSA_PSS_2048_8192_SHA512,
    }
}

fn expect_curve(alg: JwsAlg, crv: Curve) -> Result<(), Error> {
    if alg.info().curve == Some(crv) {
        Ok(())
    } else {
        Err(KeyProblem::WrongCurve.into())
    }
}

fn ecdsa_signing(
    alg: JwsAlg,
    crv: Curve,
) -> Result<&'static signature::EcdsaSigningAlgorithm, Error> {
    expect_curve(alg, crv)?;
    Ok(match crv {
        Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
        _ => &signature::ECDSA_P256K1_SHA256_FIXED_SIGNING,
    })
}

fn ecdsa_verification(
    alg: JwsAlg,
    crv: Curve,
) -> Result<&'static signature::EcdsaVerificationAlgorithm, Error> {
    expect_curve(alg, crv)?;
    Ok(match crv {
        Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
        Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
        Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
        _ => &signature::ECDSA_P256K1_SHA256_FIXED,
    })
}

fn ed25519_curve(alg: JwsAlg, crv: Curve) -> Result<(), Error> {
    match crv {
        Curve::Ed25519 => Ok(()),
        Curve::Ed448 if alg == JwsAlg::EdDSA => Err(Error::UnsupportedAlgorithm("Ed448".into())),
        _ => Err(KeyProblem::WrongCurve.into()),
    }
}

/// The uncompressed SEC1 point `04 ‖ x ‖ y`, with coordinate lengths checked.
fn ec_point(crv: Curve, x: &[u8], y: &[u8]) -> Result<Vec<u8>, Error> {
    let len = crv.coordinate_len();
    check_len(x, len)?;
    check_len(y, len)?;
    let mut point = Vec::with_capacity(1 + 2 * len);
    point.push(4);
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    Ok(point)
}

#[cfg(feature = "ml-dsa")]
fn ml_dsa_signing(alg: JwsAlg) -> &'static signature::PqdsaSigningAlgorithm {
    match alg {
        JwsAlg::MlDsa44 => &signature::ML_DSA_44_SIGNING,
        JwsAlg::MlDsa65 => &signature::ML_DSA_65_SIGNING,
        _ => &signature::ML_DSA_87_SIGNING,
    }
}

#[cfg(feature = "ml-dsa")]
fn ml_dsa_verification(alg: JwsAlg) -> &'static signature::PqdsaVerificationAlgorithm {
    match alg {
        JwsAlg::MlDsa44 => &signature::ML_DSA_44,
        JwsAlg::MlDsa65 => &signature::ML_DSA_65,
        _ => &signature::ML_DSA_87,
    }
}

/// Generates an RSA key of `bits` (2048, 3072, 4096 or 8192), returned as PKCS#8 DER.
pub(crate) fn generate_rsa(bits: usize) -> Result<Vec<u8>, Error> {
    let size = match bits {
        2048 => KeySize::Rsa2048,
        3072 => KeySize::Rsa3072,
        4096 => KeySize::Rsa4096,
        8192 => KeySize::Rsa8192,
        _ => {
            return Err(Error::Config(
                "RSA key size must be 2048, 3072, 4096 or 8192",
            ));
        }
    };
    let pair = signature::RsaKeyPair::generate(size).map_err(|_| Error::Crypto)?;
    let der: aws_lc_rs::encoding::Pkcs8V1Der<'_> = pair.as_der().map_err(|_| Error::Crypto)?;
    Ok(der.as_ref().to_vec())
}

/// `(d, x, y)` of an EC key.
pub(crate) type EcComponents = (Vec<u8>, Vec<u8>, Vec<u8>);

/// Generates an EC key for an ECDSA algorithm: `(d, x, y)`.
pub(crate) fn generate_ec(alg: JwsAlg) -> Result<EcComponents, Error> {
    let crv = alg.info().curve.ok_or(KeyProblem::WrongKeyType)?;
    let pair =
        signature::EcdsaKeyPair::generate(ecdsa_signing(alg, crv)?).map_err(|_| Error::Crypto)?;
    let d: EcPrivateKeyBin<'_> = pair
        .private_key()
        .as_be_bytes()
        .map_err(|_| Error::Crypto)?;
    let point = pair.public_key().as_ref();
    let len = crv.coordinate_len();
    if point.len() != 1 + 2 * len {
        return Err(Error::Crypto);
    }
    Ok((
        d.as_ref().to_vec(),
        point[1..=len].to_vec(),
        point[1 + len..].to_vec(),
    ))
}

/// Generates an Ed25519 key: `(seed, public)`.
pub(crate) fn generate_ed25519() -> Result<(Vec<u8>, Vec<u8>), Error> {
    let pair = signature::Ed25519KeyPair::generate().map_err(|_| Error::Crypto)?;
    let seed = pair.seed().map_err(|_| Error::Crypto)?;
    let seed: Curve25519SeedBin<'_> = seed.as_be_bytes().map_err(|_| Error::Crypto)?;
    Ok((seed.as_ref().to_vec(), pair.public_key().as_ref().to_vec()))
}

/// Generates an X25519 key: `(private, public)`.
pub(crate) fn generate_x25519() -> Result<(Vec<u8>, Vec<u8>), Error> {
    let mut private = vec![0u8; 32];
    super::random(&mut private)?;
    let public = x25519_public(&private)?;
    Ok((private, public))
}

/// The X25519 public key of a private key.
pub(crate) fn x25519_public(private: &[u8]) -> Result<Vec<u8>, Error> {
    let key = agreement::PrivateKey::from_private_key(&agreement::X25519, private)
        .map_err(|_| KeyProblem::Length)?;
    let public = key.compute_public_key().map_err(|_| Error::Crypto)?;
    Ok(public.as_ref().to_vec())
}

/// Generates an ML-DSA key: `(seed, public)`.
#[cfg(feature = "ml-dsa")]
pub(crate) fn generate_ml_dsa(alg: JwsAlg) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let mut seed = vec![0u8; 32];
    super::random(&mut seed)?;
    let pair = signature::PqdsaKeyPair::from_seed(ml_dsa_signing(alg), &seed)
        .map_err(|_| Error::Crypto)?;
    Ok((seed, pair.public_key().as_ref().to_vec()))
}

/// The Ed25519 public key of a seed.
pub(crate) fn ed25519_public(seed: &[u8]) -> Result<Vec<u8>, Error> {
    let pair =
        signature::Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| KeyProblem::Length)?;
    Ok(pair.public_key().as_ref().to_vec())
}

/// The public point (`x`, `y`) of an RFC 5915 / SEC1 `ECPrivateKey`, computed by the backend
/// when the structure omits it.
pub(crate) fn ec_public_from_sec1(crv: Curve, der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let alg = match crv {
        Curve::P256 => JwsAlg::ES256,
        Curve::P384 => JwsAlg::ES384,
        Curve::P521 => JwsAlg::ES512,
        Curve::Secp256k1 => JwsAlg::ES256K,
        _ => return Err(KeyProblem::WrongCurve.into()),
    };
    let pair = signature::EcdsaKeyPair::from_private_key_der(ecdsa_signing(alg, crv)?, der)
        .map_err(|_| KeyProblem::EcPoint)?;
    let point = pair.public_key().as_ref();
    let len = crv.coordinate_len();
    if point.len() != 1 + 2 * len {
        return Err(Error::Crypto);
    }
    Ok((point[1..=len].to_vec(), point[1 + len..].to_vec()))
}

/// The ML-DSA public key of a seed.
#[cfg(feature = "ml-dsa")]
pub(crate) fn ml_dsa_public(alg: JwsAlg, seed: &[u8]) -> Result<Vec<u8>, Error> {
    let pair = signature::PqdsaKeyPair::from_seed(ml_dsa_signing(alg), seed)
        .map_err(|_| KeyProblem::Length)?;
    Ok(pair.public_key().as_ref().to_vec())
}
