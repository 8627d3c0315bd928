//! PEM and DER import and export: SPKI, PKCS#8, PKCS#1, SEC1 and the public key of an X.509
//! certificate. The format is detected from the content (the PEM label, else the DER structure).

use der::asn1::UintRef;
use der::{Decode, Encode};
use pkcs8::PrivateKeyInfo;
use spki::SubjectPublicKeyInfoRef;
use zeroize::Zeroizing;

use super::export::encode;
use super::oid::{
    EC_PUBLIC_KEY, RSA_ENCRYPTION, RSASSA_PSS, curve_from_oid, curve_oid, ml_dsa_alg, named_curve,
    okp_curve,
};
use super::parse::Check;
use super::{Jwk, Params, RsaPrivate};
use crate::alg::{Curve, JwsAlg};
use crate::crypto;
use crate::error::{Error, KeyProblem, Malformed};

/// Largest PEM or DER document accepted.
const MAX_DOCUMENT: usize = 256 * 1024;

impl Jwk {
    /// Imports a PEM document: `PUBLIC KEY` (SPKI), `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY`,
    /// `RSA PUBLIC KEY` (PKCS#1), `EC PRIVATE KEY` (SEC1) or `CERTIFICATE` (its public key).
    ///
    /// The key passes the same import policy as a JWK; `kid` is left unset.
    ///
    /// # Errors
    /// [`Malformed::Pem`] for anything else, including encrypted private keys.
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        Self::from_pem_with(pem, Check::Full)
    }

    pub(crate) fn from_pem_with(pem: &str, check: Check) -> Result<Self, Error> {
        if pem.len() > MAX_DOCUMENT {
            return Err(Error::LimitExceeded(crate::error::Limit::Size));
        }
        let start = pem.find("-----BEGIN ").ok_or(Malformed::Pem)?;
        let (label, der) = pem_rfc7468::decode_vec(pem[start..].trim_end().as_bytes())
            .map_err(|_| Malformed::Pem)?;
        let der = Zeroizing::new(der);
        let params = match label {
            "PUBLIC KEY" => spki(&der)?,
            "PRIVATE KEY" => pkcs8(&der)?,
            "RSA PRIVATE KEY" => pkcs1_private(&der)?,
            "RSA PUBLIC KEY" => pkcs1_public(&der)?,
            "EC PRIVATE KEY" => sec1(&der, None)?,
            "CERTIFICATE" => return certificate_public_key(&der),
            _ => return Err(Malformed::Pem.into()),
        };
        finish_with(params, check)
    }

    /// Imports a DER document of any of the forms [`Jwk::from_pem`] accepts, detected from its
    /// structure.
    ///
    /// # Errors
    /// [`Malformed::Pem`] when no form fits.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        Self::from_der_with(der, Check::Full)
    }

    pub(crate) fn from_der_with(der: &[u8], check: Check) -> Result<Self, Error> {
        if der.len() > MAX_DOCUMENT {
            return Err(Error::LimitExceeded(crate::error::Limit::Size));
        }
        // Each form has a distinct top-level structure, so at most one parse succeeds; the
        // first structural match decides, and its validation error (if any) is reported.
        if PrivateKeyInfo::from_der(der).is_ok() {
            return finish_with(pkcs8(der)?, check);
        }
        if SubjectPublicKeyInfoRef::from_der(der).is_ok() {
            return finish(spki(der)?);
        }
        if x509_cert::Certificate::from_der(der).is_ok() {
            return certificate_public_key(der);
        }
        if pkcs1::RsaPrivateKey::from_der(der).is_ok() {
            return finish_with(pkcs1_private(der)?, check);
        }
        if pkcs1::RsaPublicKey::from_der(der).is_ok() {
            return finish(pkcs1_public(der)?);
        }
        if sec1::EcPrivateKey::from_der(der).is_ok() {
            return finish_with(sec1(der, None)?, check);
        }
        Err(Malformed::Pem.into())
    }
}

/// The public key of a DER X.509 certificate, as a JWK. The certificate is not validated
/// (no chain, dates or revocation): this is key extraction, not trust.
pub(crate) fn certificate_public_key(der: &[u8]) -> Result<Jwk, Error> {
    let cert = x509_cert::Certificate::from_der(der).map_err(|_| Malformed::Pem)?;
    let spki_der = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|_| Malformed::Pem)?;
    finish(spki(&spki_der)?)
}

fn finish(params: Params) -> Result<Jwk, Error> {
    finish_with(params, Check::Full)
}

fn finish_with(params: Params, check: Check) -> Result<Jwk, Error> {
    if check == Check::Full {
        super::parse::validate(&params)?;
    }
    Ok(Jwk::from_params(params))
}

fn spki(der: &[u8]) -> Result<Params, Error> {
    let info = SubjectPublicKeyInfoRef::from_der(der).map_err(|_| Malformed::Pem)?;
    let key = info.subject_public_key.as_bytes().ok_or(Malformed::Pem)?;
    let oid = info.algorithm.oid;
    if oid == RSA_ENCRYPTION || oid == RSASSA_PSS {
        return pkcs1_public(key);
    }
    if oid == EC_PUBLIC_KEY {
        let crv = named_curve(info.algorithm.parameters)?;
        let len = crv.coordinate_len();
        return match key.first() {
            Some(4) if key.len() == 1 + 2 * len => Ok(Params::Ec {
                crv,
                x: key[1..=len].to_vec(),
                y: key[1 + len..].to_vec(),
                d: None,
            }),
            Some(2 | 3) => Err(KeyProblem::CompressedPoint.into()),
            _ => Err(KeyProblem::EcPoint.into()),
        };
    }
    if let Some(crv) = okp_curve(oid) {
        return Ok(Params::Okp {
            crv,
            x: key.to_vec(),
            d: None,
        });
    }
    if let Some(alg) = ml_dsa_alg(oid) {
        return Ok(Params::Akp {
            alg,
            public: key.to_vec(),
            seed: None,
        });
    }
    Err(Error::UnsupportedAlgorithm(format!("key algorithm {oid}")))
}

fn pkcs8(der: &[u8]) -> Result<Params, Error> {
    let info = PrivateKeyInfo::from_der(der).map_err(|_| Malformed::Pem)?;
    let oid = info.algorithm.oid;
    if oid == RSA_ENCRYPTION || oid == RSASSA_PSS {
        return pkcs1_private(info.private_key);
    }
    if oid == EC_PUBLIC_KEY {
        let crv = named_curve(info.algorithm.parameters)?;
        return sec1(info.private_key, Some(crv));
    }
    if let Some(crv) = okp_curve(oid) {
        // CurvePrivateKey ::= OCTET STRING (RFC 8410 §7)
        let d = der::asn1::OctetStringRef::from_der(info.private_key)
            .map_err(|_| Malformed::Pem)?
            .as_bytes();
        let x = match (info.public_key, crv) {
            (Some(x), _) => x.to_vec(),
            (None, Curve::Ed25519) => crypto::ed25519_public(d)?,
            (None, Curve::X25519) => crypto::x25519_public(d)?,
            (None, _) => return Err(Error::UnsupportedAlgorithm(crv.name().into())),
        };
        return Ok(Params::Okp {
            crv,
            x,
            d: Some(Zeroizing::new(d.to_vec())),
        });
    }
    if let Some(alg) = ml_dsa_alg(oid) {
        return ml_dsa_private(alg, info.private_key);
    }
    Err(Error::UnsupportedAlgorithm(format!("key algorithm {oid}")))
}

/// ML-DSA private keys in PKCS#8 (RFC 9881): the `seed [0]` form or the `both` form.
fn ml_dsa_private(alg: JwsAlg, key: &[u8]) -> Result<Params, Error> {
    let seed = match key {
        [0x80, 0x20, seed @ ..] if seed.len() == 32 => seed,
        [0x30, ..] => {
            // both SEQUENCE { seed OCTET STRING (SIZE (32)), expandedKey OCTET STRING }
            let mut reader = der::SliceReader::new(key).map_err(|_| Malformed::Pem)?;
            let seq: der::asn1::AnyRef<'_> =
                der::Decode::decode(&mut reader).map_err(|_| Malformed::Pem)?;
            let body = seq.value();
            match body {
                [0x04, 0x20, rest @ ..] if rest.len() >= 32 => &rest[..32],
                _ => return Err(Malformed::Pem.into()),
            }
        }
        _ => {
            return Err(Error::UnsupportedAlgorithm(
                "ML-DSA private keys without a seed".into(),
            ));
        }
    };
    akp_private(alg, seed)
}

#[cfg(feature = "ml-dsa")]
fn akp_private(alg: JwsAlg, seed: &[u8]) -> Result<Params, Error> {
    Ok(Params::Akp {
        alg,
        public: crypto::ml_dsa_public(alg, seed)?,
        seed: Some(Zeroizing::new(seed.to_vec())),
    })
}

#[cfg(not(feature = "ml-dsa"))]
fn akp_private(alg: JwsAlg, _seed: &[u8]) -> Result<Params, Error> {
    Err(Error::UnsupportedAlgorithm(alg.name().into()))
}

fn pkcs1_public(der: &[u8]) -> Result<Params, Error> {
    let key = pkcs1::RsaPublicKey::from_der(der).map_err(|_| Malformed::Pem)?;
    Ok(Params::Rsa {
        n: key.modulus.as_bytes().to_vec(),
        e: key.public_exponent.as_bytes().to_vec(),
        private: None,
    })
}

fn pkcs1_private(der: &[u8]) -> Result<Params, Error> {
    let key = pkcs1::RsaPrivateKey::from_der(der).map_err(|_| Malformed::Pem)?;
    if key.other_prime_infos.is_some() {
        return Err(KeyProblem::RsaMultiPrime.into());
    }
    let secret = |u: UintRef<'_>| Zeroizing::new(u.as_bytes().to_vec());
    Ok(Params::Rsa {
        n: key.modulus.as_bytes().to_vec(),
        e: key.public_exponent.as_bytes().to_vec(),
        private: Some(Box::new(RsaPrivate {
            d: secret(key.private_exponent),
            p: secret(key.prime1),
            q: secret(key.prime2),
            dp: secret(key.exponent1),
            dq: secret(key.exponent2),
            qi: secret(key.coefficient),
        })),
    })
}

fn sec1(der: &[u8], outer_curve: Option<Curve>) -> Result<Params, Error> {
    let key = sec1::EcPrivateKey::from_der(der).map_err(|_| Malformed::Pem)?;
    let inner_curve = match key.parameters {
        Some(sec1::EcParameters::NamedCurve(oid)) => Some(curve_from_oid(oid)?),
        None => None,
    };
    let crv = match (outer_curve, inner_curve) {
        (Some(a), Some(b)) if a != b => return Err(KeyProblem::Inconsistent.into()),
        (Some(c), _) | (None, Some(c)) => c,
        (None, None) => return Err(Malformed::Pem.into()),
    };
    let len = crv.coordinate_len();
    // Scalars may be encoded shorter than the field; left-pad to the JOSE length.
    if key.private_key.len() > len {
        return Err(KeyProblem::Length.into());
    }
    let mut d = Zeroizing::new(vec![0u8; len - key.private_key.len()]);
    d.extend_from_slice(key.private_key);
    let (x, y) = match key.public_key {
        Some([4, rest @ ..]) if rest.len() == 2 * len => {
            (rest[..len].to_vec(), rest[len..].to_vec())
        }
        Some(_) => return Err(KeyProblem::CompressedPoint.into()),
        None => {
            // Re-encode with the curve so the backend can compute the public point.
            let with_curve = sec1::EcPrivateKey {
                private_key: &d,
                parameters: Some(sec1::EcParameters::NamedCurve(curve_oid(crv)?)),
                public_key: None,
            };
            crypto::ec_public_from_sec1(crv, &encode(&with_curve)?)?
        }
    };
    Ok(Params::Ec {
        crv,
        x,
        y,
        d: Some(d),
    })
}
