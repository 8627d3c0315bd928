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
        _ => {
            return Err(Error::UnsupportedAlgorithm(format!(
                "curve {}",
                oid_name(oid)
            )));
        }
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

/// A readable name for the key algorithms and curves this crate cannot use, for errors.
pub(super) fn oid_name(oid: ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.10046.2.1" | "1.2.840.113549.1.3.1" => "Diffie-Hellman",
        "1.3.101.111" => "X448",
        "1.3.101.113" => "Ed448",
        "1.2.840.10045.3.1.1" => "P-192 (prime192v1)",
        "1.3.132.0.33" => "P-224 (secp224r1)",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
        "1.2.156.10197.1.301" => "SM2",
        "1.2.643.2.2.19" | "1.2.643.7.1.1.1.1" | "1.2.643.7.1.1.1.2" => "GOST R 34.10",
        other => return format!("with OID {other}"),
    };
    name.to_owned()
}
