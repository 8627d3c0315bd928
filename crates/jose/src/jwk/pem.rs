//! PEM and DER import and export: SPKI, PKCS#8, PKCS#1, SEC1 and the public key of an X.509
//! certificate. The format is detected from the content (the PEM label, else the DER structure).

use const_oid::ObjectIdentifier;
use der::asn1::{AnyRef, BitStringRef, UintRef};
use der::{Decode, Encode};
use pkcs8::PrivateKeyInfo;
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use super::{Jwk, Params, RsaPrivate};
use crate::alg::{Curve, JwsAlg};
use crate::crypto;
use crate::error::{Error, KeyProblem, Malformed};

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const SECP256K1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.10");
const X25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.110");
const X448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.111");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const ED448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.113");
const ML_DSA_44: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.17");
const ML_DSA_65: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.18");
const ML_DSA_87: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.19");

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
        finish(params)
    }

    /// Imports a DER document of any of the forms [`Jwk::from_pem`] accepts, detected from its
    /// structure.
    ///
    /// # Errors
    /// [`Malformed::Pem`] when no form fits.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        if der.len() > MAX_DOCUMENT {
            return Err(Error::LimitExceeded(crate::error::Limit::Size));
        }
        // Each form has a distinct top-level structure, so at most one parse succeeds; the
        // first structural match decides, and its validation error (if any) is reported.
        if PrivateKeyInfo::from_der(der).is_ok() {
            return finish(pkcs8(der)?);
        }
        if SubjectPublicKeyInfoRef::from_der(der).is_ok() {
            return finish(spki(der)?);
        }
        if x509_cert::Certificate::from_der(der).is_ok() {
            return certificate_public_key(der);
        }
        if pkcs1::RsaPrivateKey::from_der(der).is_ok() {
            return finish(pkcs1_private(der)?);
        }
        if pkcs1::RsaPublicKey::from_der(der).is_ok() {
            return finish(pkcs1_public(der)?);
        }
        if sec1::EcPrivateKey::from_der(der).is_ok() {
            return finish(sec1(der, None)?);
        }
        Err(Malformed::Pem.into())
    }

    /// Exports the private key as PKCS#8 DER (`PRIVATE KEY`).
    ///
    /// # Errors
    /// [`KeyProblem::NotPrivate`] for public keys, [`KeyProblem::WrongKeyType`] for `oct` keys.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        // The AlgorithmIdentifier parameters, DER-encoded: NULL for RSA (RFC 8017 A.1), the
        // named curve for EC, absent for the others (RFC 8410, RFC 9881).
        let null = || der::asn1::Null.to_der().map_err(|_| Error::Crypto);
        let (oid, param_der, private, public): (_, Option<Vec<u8>>, Zeroizing<Vec<u8>>, _) =
            match self.params() {
                Params::Rsa {
                    n,
                    e,
                    private: Some(p),
                } => (
                    RSA_ENCRYPTION,
                    Some(null()?),
                    pkcs1_private_der(n, e, p)?,
                    None,
                ),
                Params::Ec {
                    crv, d: Some(d), ..
                } => {
                    let curve = curve_oid(*crv)?.to_der().map_err(|_| Error::Crypto)?;
                    (EC_PUBLIC_KEY, Some(curve), self.sec1_inner(d, false)?, None)
                }
                Params::Okp { crv, x, d: Some(d) } => {
                    let mut wrapped = Zeroizing::new(vec![0x04, d.len() as u8]);
                    wrapped.extend_from_slice(d);
                    (okp_oid(*crv), None, wrapped, Some(x.as_slice()))
                }
                Params::Akp {
                    alg,
                    seed: Some(seed),
                    ..
                } => {
                    let mut wrapped = Zeroizing::new(vec![0x80, seed.len() as u8]);
                    wrapped.extend_from_slice(seed);
                    (ml_dsa_oid(*alg), None, wrapped, None)
                }
                Params::Oct { .. } => return Err(KeyProblem::WrongKeyType.into()),
                _ => return Err(KeyProblem::NotPrivate.into()),
            };
        let parameters = param_der
            .as_deref()
            .map(AnyRef::from_der)
            .transpose()
            .map_err(|_| Error::Crypto)?;
        let mut info = PrivateKeyInfo::new(AlgorithmIdentifierRef { oid, parameters }, &private);
        info.public_key = public;
        encode(&info)
    }

    /// Exports the public key as SPKI DER (`PUBLIC KEY`).
    ///
    /// # Errors
    /// [`KeyProblem::WrongKeyType`] for `oct` keys.
    pub fn to_spki_der(&self) -> Result<Vec<u8>, Error> {
        let null = AnyRef::from(der::asn1::Null);
        let (oid, parameters, public): (_, Option<Vec<u8>>, Vec<u8>) = match self.params() {
            Params::Rsa { n, e, .. } => {
                let key = pkcs1::RsaPublicKey {
                    modulus: uint(n)?,
                    public_exponent: uint(e)?,
                };
                let der = key.to_der().map_err(|_| Error::Crypto)?;
                let null_der = null.to_der().map_err(|_| Error::Crypto)?;
                (RSA_ENCRYPTION, Some(null_der), der)
            }
            Params::Ec { crv, x, y, .. } => {
                let oid_der = curve_oid(*crv)?.to_der().map_err(|_| Error::Crypto)?;
                let mut point = vec![4];
                point.extend_from_slice(x);
                point.extend_from_slice(y);
                (EC_PUBLIC_KEY, Some(oid_der), point)
            }
            Params::Okp { crv, x, .. } => (okp_oid(*crv), None, x.clone()),
            Params::Akp { alg, public, .. } => (ml_dsa_oid(*alg), None, public.clone()),
            Params::Oct { .. } => return Err(KeyProblem::WrongKeyType.into()),
        };
        let parameters = parameters
            .as_deref()
            .map(AnyRef::from_der)
            .transpose()
            .map_err(|_| Error::Crypto)?;
        let info = SubjectPublicKeyInfoRef {
            algorithm: AlgorithmIdentifierRef { oid, parameters },
            subject_public_key: BitStringRef::from_bytes(&public).map_err(|_| Error::Crypto)?,
        };
        info.to_der().map_err(|_| Error::Crypto)
    }

    /// Exports as PEM: `PRIVATE KEY` (PKCS#8) for private keys, `PUBLIC KEY` (SPKI) otherwise.
    ///
    /// # Errors
    /// As [`Jwk::to_pkcs8_der`] and [`Jwk::to_spki_der`].
    pub fn to_pem(&self) -> Result<Zeroizing<String>, Error> {
        if self.is_private() {
            pem("PRIVATE KEY", &self.to_pkcs8_der()?)
        } else {
            self.to_public_pem()
        }
    }

    /// Exports the public key as `PUBLIC KEY` (SPKI) PEM.
    ///
    /// # Errors
    /// As [`Jwk::to_spki_der`].
    pub fn to_public_pem(&self) -> Result<Zeroizing<String>, Error> {
        pem("PUBLIC KEY", &self.to_spki_der()?)
    }

    /// Exports an RSA key as PKCS#1 PEM (`RSA PRIVATE KEY` or `RSA PUBLIC KEY`).
    ///
    /// # Errors
    /// [`KeyProblem::WrongKeyType`] for other key types.
    pub fn to_pkcs1_pem(&self) -> Result<Zeroizing<String>, Error> {
        let Params::Rsa { n, e, private } = self.params() else {
            return Err(KeyProblem::WrongKeyType.into());
        };
        match private {
            Some(p) => pem("RSA PRIVATE KEY", &pkcs1_private_der(n, e, p)?),
            None => {
                let key = pkcs1::RsaPublicKey {
                    modulus: uint(n)?,
                    public_exponent: uint(e)?,
                };
                pem("RSA PUBLIC KEY", &encode(&key)?)
            }
        }
    }

    /// Exports an EC private key as SEC1 PEM (`EC PRIVATE KEY`, with the curve named).
    ///
    /// # Errors
    /// [`KeyProblem::WrongKeyType`] for other key types, [`KeyProblem::NotPrivate`] for public keys.
    pub fn to_sec1_pem(&self) -> Result<Zeroizing<String>, Error> {
        match self.params() {
            Params::Ec { d: Some(d), .. } => pem("EC PRIVATE KEY", &self.sec1_inner(d, true)?),
            Params::Ec { .. } => Err(KeyProblem::NotPrivate.into()),
            _ => Err(KeyProblem::WrongKeyType.into()),
        }
    }

    fn sec1_inner(&self, d: &[u8], with_curve: bool) -> Result<Zeroizing<Vec<u8>>, Error> {
        let Params::Ec { crv, x, y, .. } = self.params() else {
            return Err(KeyProblem::WrongKeyType.into());
        };
        let mut point = vec![4];
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        let key = sec1::EcPrivateKey {
            private_key: d,
            parameters: if with_curve {
                Some(sec1::EcParameters::NamedCurve(curve_oid(*crv)?))
            } else {
                None
            },
            public_key: Some(&point),
        };
        encode(&key)
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
    super::parse::validate(&params)?;
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

fn named_curve(parameters: Option<AnyRef<'_>>) -> Result<Curve, Error> {
    let oid: ObjectIdentifier = parameters
        .ok_or(Malformed::Pem)?
        .decode_as()
        .map_err(|_| Malformed::Pem)?;
    curve_from_oid(oid)
}

fn curve_from_oid(oid: ObjectIdentifier) -> Result<Curve, Error> {
    Ok(match oid {
        P256 => Curve::P256,
        P384 => Curve::P384,
        P521 => Curve::P521,
        SECP256K1 => Curve::Secp256k1,
        _ => return Err(Error::UnsupportedAlgorithm(format!("curve {oid}"))),
    })
}

fn curve_oid(crv: Curve) -> Result<ObjectIdentifier, Error> {
    Ok(match crv {
        Curve::P256 => P256,
        Curve::P384 => P384,
        Curve::P521 => P521,
        Curve::Secp256k1 => SECP256K1,
        _ => return Err(KeyProblem::WrongCurve.into()),
    })
}

fn okp_curve(oid: ObjectIdentifier) -> Option<Curve> {
    Some(match oid {
        ED25519 => Curve::Ed25519,
        ED448 => Curve::Ed448,
        X25519 => Curve::X25519,
        X448 => Curve::X448,
        _ => return None,
    })
}

fn okp_oid(crv: Curve) -> ObjectIdentifier {
    match crv {
        Curve::Ed448 => ED448,
        Curve::X25519 => X25519,
        Curve::X448 => X448,
        _ => ED25519,
    }
}

fn ml_dsa_alg(oid: ObjectIdentifier) -> Option<JwsAlg> {
    Some(match oid {
        ML_DSA_44 => JwsAlg::MlDsa44,
        ML_DSA_65 => JwsAlg::MlDsa65,
        ML_DSA_87 => JwsAlg::MlDsa87,
        _ => return None,
    })
}

fn ml_dsa_oid(alg: JwsAlg) -> ObjectIdentifier {
    match alg {
        JwsAlg::MlDsa44 => ML_DSA_44,
        JwsAlg::MlDsa65 => ML_DSA_65,
        _ => ML_DSA_87,
    }
}

/// A two-prime PKCS#1 `RSAPrivateKey` (RFC 8017 A.1.2), DER-encoded.
fn pkcs1_private_der(n: &[u8], e: &[u8], p: &RsaPrivate) -> Result<Zeroizing<Vec<u8>>, Error> {
    encode(&pkcs1::RsaPrivateKey {
        modulus: uint(n)?,
        public_exponent: uint(e)?,
        private_exponent: uint(&p.d)?,
        prime1: uint(&p.p)?,
        prime2: uint(&p.q)?,
        exponent1: uint(&p.dp)?,
        exponent2: uint(&p.dq)?,
        coefficient: uint(&p.qi)?,
        other_prime_infos: None,
    })
}

fn uint(bytes: &[u8]) -> Result<UintRef<'_>, Error> {
    UintRef::new(bytes).map_err(|_| Error::Crypto)
}

fn encode(value: &impl Encode) -> Result<Zeroizing<Vec<u8>>, Error> {
    value
        .to_der()
        .map(Zeroizing::new)
        .map_err(|_| Error::Crypto)
}

fn pem(label: &str, der: &[u8]) -> Result<Zeroizing<String>, Error> {
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der)
        .map(Zeroizing::new)
        .map_err(|_| Error::Crypto)
}
