//! Object identifiers of the key algorithms and curves, and their mapping to JOSE names.

use const_oid::ObjectIdentifier;
use der::asn1::AnyRef;

use crate::alg::{Curve, JwsAlg};
use crate::error::{Error, KeyProblem, Malformed};

pub(super) const RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
pub(super) const RSASSA_PSS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
pub(super) const EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
pub(super) const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
pub(super) const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
pub(super) const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
pub(super) const SECP256K1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.10");
pub(super) const X25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.110");
pub(super) const X448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.111");
pub(super) const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
pub(super) const ED448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.113");
pub(super) const ML_DSA_44: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.17");
pub(super) const ML_DSA_65: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.18");
pub(super) const ML_DSA_87: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.19");

pub(super) fn named_curve(parameters: Option<AnyRef<'_>>) -> Result<Curve, Error> {
    let oid: ObjectIdentifier = parameters
        .ok_or(Malformed::Pem)?
        .decode_as()
        .map_err(|_| Malformed::Pem)?;
    curve_from_oid(oid)
}

pub(super) fn curve_from_oid(oid: ObjectIdentifier) -> Result<Curve, Error> {
    Ok(match oid {
        P256 => Curve::P256,
        P384 => Curve::P384,
        P521 => Curve::P521,
        SECP256K1 => Curve::Secp256k1,
        _ => return Err(Error::UnsupportedAlgorithm(format!("curve {oid}"))),
    })
}

pub(super) fn curve_oid(crv: Curve) -> Result<ObjectIdentifier, Error> {
    Ok(match crv {
        Curve::P256 => P256,
        Curve::P384 => P384,
        Curve::P521 => P521,
        Curve::Secp256k1 => SECP256K1,
        _ => return Err(KeyProblem::WrongCurve.into()),
    })
}

pub(super) fn okp_curve(oid: ObjectIdentifier) -> Option<Curve> {
    Some(match oid {
        ED25519 => Curve::Ed25519,
        ED448 => Curve::Ed448,
        X25519 => Curve::X25519,
        X448 => Curve::X448,
        _ => return None,
    })
}

pub(super) fn okp_oid(crv: Curve) -> ObjectIdentifier {
    match crv {
        Curve::Ed448 => ED448,
        Curve::X25519 => X25519,
        Curve::X448 => X448,
        _ => ED25519,
    }
}

pub(super) fn ml_dsa_alg(oid: ObjectIdentifier) -> Option<JwsAlg> {
    Some(match oid {
        ML_DSA_44 => JwsAlg::MlDsa44,
        ML_DSA_65 => JwsAlg::MlDsa65,
        ML_DSA_87 => JwsAlg::MlDsa87,
        _ => return None,
    })
}

pub(super) fn ml_dsa_oid(alg: JwsAlg) -> ObjectIdentifier {
    match alg {
        JwsAlg::MlDsa44 => ML_DSA_44,
        JwsAlg::MlDsa65 => ML_DSA_65,
        _ => ML_DSA_87,
    }
}
