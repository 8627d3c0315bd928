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
    /// Parameter blocks before the key (`EC PARAMETERS`, as `openssl ecparam -genkey` writes)
    /// are skipped.
    ///
    /// The key passes the same import policy as a JWK; `kid` is left unset.
    ///
    /// # Errors
    /// [`KeyProblem::Encrypted`] for an `ENCRYPTED PRIVATE KEY` (see
    /// [`Jwk::from_pem_with_password`]), [`Error::UnsupportedAlgorithm`] naming keys this crate
    /// cannot use (DSA, other curves), [`Malformed::Pem`] for anything else.
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        Self::from_pem_with(pem, Check::Full)
    }

    /// Imports a PEM document as [`Jwk::from_pem`] does, decrypting an `ENCRYPTED PRIVATE KEY`
    /// (PKCS#8 with PBES2: PBKDF2 with HMAC-SHA-1/256/384/512 and AES-128/192/256-CBC, as
    /// OpenSSL writes by default) with `password`. Unencrypted documents are read as they are.
    ///
    /// # Errors
    /// As [`Jwk::from_pem`]; [`Error::DecryptionFailed`] for a wrong password;
    /// [`Error::UnsupportedAlgorithm`] for other encryption schemes (PBES1, scrypt, DES);
    /// [`Error::LimitExceeded`] for more than 10 million PBKDF2 iterations.
    pub fn from_pem_with_password(pem: &str, password: &[u8]) -> Result<Self, Error> {
        let (label, der) = key_block(pem)?;
        if label != "ENCRYPTED PRIVATE KEY" {
            return Self::from_pem(pem);
        }
        finish(pkcs8(&decrypt_pkcs8(&der, password)?)?)
    }

    /// Exports the private key as an `ENCRYPTED PRIVATE KEY` PEM: PKCS#8 under PBES2 with
    /// PBKDF2-HMAC-SHA-256 (`iterations`, a random 16-byte salt) and AES-256-CBC, which
    /// OpenSSL, Python `cryptography` and Java read.
    ///
    /// # Errors
    /// As [`Jwk::to_pkcs8_der`]; [`Error::Config`] for fewer than 10 000 iterations or an empty
    /// password.
    pub fn to_encrypted_pem(
        &self,
        password: &[u8],
        iterations: u32,
    ) -> Result<Zeroizing<String>, Error> {
        if iterations < 10_000 || password.is_empty() {
            return Err(Error::Config(
                "an encrypted private key needs a password and at least 10 000 PBKDF2 iterations",
            ));
        }
        let plain = self.to_pkcs8_der()?;
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        crypto::random(&mut salt)?;
        crypto::random(&mut iv)?;
        let data = crypto::pkcs5::encrypt(password, &salt, iterations, &iv, &plain)?;
        let params =
            pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(iterations, &salt, &iv)
                .map_err(|_| Error::Crypto)?;
        let info = pkcs8::EncryptedPrivateKeyInfo {
            encryption_algorithm: pkcs8::pkcs5::EncryptionScheme::Pbes2(params),
            encrypted_data: &data,
        };
        let der = encode(&info)?;
        pem_rfc7468::encode_string("ENCRYPTED PRIVATE KEY", pem_rfc7468::LineEnding::LF, &der)
            .map(Zeroizing::new)
            .map_err(|_| Error::Crypto)
    }

    pub(crate) fn from_pem_with(pem: &str, check: Check) -> Result<Self, Error> {
        let (label, der) = key_block(pem)?;
        let params = match label.as_str() {
            "PUBLIC KEY" => spki(&der)?,
            "PRIVATE KEY" => pkcs8(&der)?,
            "RSA PRIVATE KEY" => pkcs1_private(&der)?,
            "RSA PUBLIC KEY" => pkcs1_public(&der)?,
            "EC PRIVATE KEY" => sec1(&der, None)?,
            "CERTIFICATE" => return certificate_public_key(&der),
            "ENCRYPTED PRIVATE KEY" => return Err(KeyProblem::Encrypted.into()),
            "DSA PRIVATE KEY" => return Err(Error::UnsupportedAlgorithm("DSA key".into())),
            "OPENSSH PRIVATE KEY" => {
                return Err(Error::UnsupportedAlgorithm(
                    "OpenSSH key format (convert it with ssh-keygen -p -m PKCS8)".into(),
                ));
            }
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
        if pkcs8::EncryptedPrivateKeyInfo::from_der(der).is_ok() {
            return Err(KeyProblem::Encrypted.into());
        }
        Err(Malformed::Pem.into())
    }
}

/// The first PEM block that holds a key (parameter blocks skipped), as its label and DER.
fn key_block(pem: &str) -> Result<(String, Zeroizing<Vec<u8>>), Error> {
    if pem.len() > MAX_DOCUMENT {
        return Err(Error::LimitExceeded(crate::error::Limit::Size));
    }
    let mut rest = pem;
    while let Some(start) = rest.find("-----BEGIN ") {
        let block = &rest[start..];
        let label_end = block[11..].find("-----").ok_or(Malformed::Pem)? + 11;
        let label = &block[11..label_end];
        let end_marker = format!("-----END {label}-----");
        let end = block.find(&end_marker).ok_or(Malformed::Pem)? + end_marker.len();
        if !label.ends_with("PARAMETERS") {
            let (label, der) =
                pem_rfc7468::decode_vec(&block.as_bytes()[..end]).map_err(|_| Malformed::Pem)?;
            return Ok((label.to_owned(), Zeroizing::new(der)));
        }
        rest = &block[end..];
    }
    Err(Malformed::Pem.into())
}

/// A DER `EncryptedPrivateKeyInfo` decrypted and imported; `None` when `der` is not one.
pub(super) fn from_encrypted_der(der: &[u8], password: &[u8]) -> Option<Result<Jwk, Error>> {
    pkcs8::EncryptedPrivateKeyInfo::from_der(der).ok()?;
    Some(decrypt_pkcs8(der, password).and_then(|plain| finish(pkcs8(&plain)?)))
}

/// Decrypts an `EncryptedPrivateKeyInfo` (RFC 5958 §3) to the PKCS#8 DER inside.
fn decrypt_pkcs8(der: &[u8], password: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    use crypto::pkcs5::Prf;
    use pkcs8::pkcs5::pbes2::{EncryptionScheme as Cipher, Pbkdf2Prf};
    /// More iterations than any tool writes: refused before any work.
    const MAX_ITERATIONS: u32 = 10_000_000;
    let info = pkcs8::EncryptedPrivateKeyInfo::from_der(der).map_err(|_| Malformed::Pem)?;
    let pkcs8::pkcs5::EncryptionScheme::Pbes2(params) = &info.encryption_algorithm else {
        return Err(Error::UnsupportedAlgorithm(
            "private key encryption (PBES1); re-encrypt it with PBES2".into(),
        ));
    };
    let kdf = params
        .kdf
        .pbkdf2()
        .ok_or_else(|| Error::UnsupportedAlgorithm("private key encryption with scrypt".into()))?;
    if kdf.iteration_count > MAX_ITERATIONS {
        return Err(Error::LimitExceeded(crate::error::Limit::Pbes2Count));
    }
    let prf = match kdf.prf {
        Pbkdf2Prf::HmacWithSha1 => Prf::Sha1,
        Pbkdf2Prf::HmacWithSha256 => Prf::Sha256,
        Pbkdf2Prf::HmacWithSha384 => Prf::Sha384,
        Pbkdf2Prf::HmacWithSha512 => Prf::Sha512,
        _ => {
            return Err(Error::UnsupportedAlgorithm(
                "PBKDF2 pseudo-random function".into(),
            ));
        }
    };
    let (key_len, iv) = match params.encryption {
        Cipher::Aes128Cbc { iv } => (16, iv),
        Cipher::Aes192Cbc { iv } => (24, iv),
        Cipher::Aes256Cbc { iv } => (32, iv),
        _ => {
            return Err(Error::UnsupportedAlgorithm(
                "private key cipher (only AES-CBC is read)".into(),
            ));
        }
    };
    if kdf.key_length.is_some_and(|l| usize::from(l) != key_len) {
        return Err(Malformed::Pem.into());
    }
    crypto::pkcs5::decrypt(
        password,
        prf,
        kdf.salt,
        kdf.iteration_count,
        key_len,
        iv,
        info.encrypted_data,
    )
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
    Err(Error::UnsupportedAlgorithm(format!(
        "{} key",
        super::oid::oid_name(oid)
    )))
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
    Err(Error::UnsupportedAlgorithm(format!(
        "{} key",
        super::oid::oid_name(oid)
    )))
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
