//! PEM and DER export: PKCS#8, SPKI, PKCS#1 and SEC1.

use der::asn1::{AnyRef, BitStringRef, UintRef};
use der::{Decode, Encode};
use pkcs8::PrivateKeyInfo;
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use super::oid::{EC_PUBLIC_KEY, RSA_ENCRYPTION, curve_oid, ml_dsa_oid, okp_oid};
use super::{Jwk, Params, RsaPrivate};
use crate::error::{Error, KeyProblem};

impl Jwk {
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
                // The version 1 form without the public key (RFC 8410 §7 allows both): it is
                // what OpenSSL writes, and what OpenSSL 3.0 and Python `cryptography` read.
                Params::Okp {
                    crv, d: Some(d), ..
                } => {
                    let mut wrapped = Zeroizing::new(vec![0x04, d.len() as u8]);
                    wrapped.extend_from_slice(d);
                    (okp_oid(*crv), None, wrapped, None)
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

pub(super) fn encode(value: &impl Encode) -> Result<Zeroizing<Vec<u8>>, Error> {
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
