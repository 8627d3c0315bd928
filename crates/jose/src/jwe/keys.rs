//! Key management (RFC 7518 §4): which JWKs fit which `alg`, what their metadata permits, and
//! the per-key objects that wrap and unwrap CEKs, parsed once.

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::alg::{Curve, Enc, JweAlg, KeyManagement, Kty};
use crate::b64;
use crate::crypto::content::{PreparedGcm, gcm_unwrap, gcm_wrap};
use crate::crypto::ecdh::{EcdhPrivate, concat_kdf};
use crate::crypto::kw;
use crate::crypto::rsa_enc::{RsaDecryptor, RsaEncryptor};
use crate::error::{Error, KeyProblem, Malformed};
use crate::jwk::{Jwk, Params};

type Secret = Zeroizing<Vec<u8>>;

/// Whether a key's type, curve and size fit `alg` (not its metadata).
pub(crate) fn check_fits(jwk: &Jwk, alg: JweAlg) -> Result<(), Error> {
    let info = alg.info();
    match (info.mode, jwk.params()) {
        (KeyManagement::Direct | KeyManagement::Pbes2, Params::Oct { k }) if !k.is_empty() => {
            Ok(())
        }
        (KeyManagement::AesKw | KeyManagement::AesGcmKw, Params::Oct { k }) => {
            if k.len() == info.kw_len {
                Ok(())
            } else {
                Err(KeyProblem::Length.into())
            }
        }
        (KeyManagement::RsaOaep | KeyManagement::RsaPkcs1, Params::Rsa { .. }) => Ok(()),
        (KeyManagement::EcdhEs | KeyManagement::EcdhEsKw, Params::Ec { crv, .. }) => match crv {
            Curve::P256 | Curve::P384 | Curve::P521 => Ok(()),
            _ => Err(KeyProblem::WrongCurve.into()),
        },
        (KeyManagement::EcdhEs | KeyManagement::EcdhEsKw, Params::Okp { crv, .. }) => match crv {
            Curve::X25519 => Ok(()),
            Curve::X448 => Err(Error::UnsupportedAlgorithm("X448".into())),
            _ => Err(KeyProblem::WrongCurve.into()),
        },
        _ => Err(KeyProblem::WrongKeyType.into()),
    }
}

/// The operation a key is used for, for `key_ops` (RFC 7517 §4.3).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Encrypt,
    Decrypt,
}

fn ops(alg: JweAlg, dir: Direction) -> &'static [&'static str] {
    match (alg.mode(), dir) {
        (KeyManagement::Direct, Direction::Encrypt) => &["encrypt"],
        (KeyManagement::Direct, Direction::Decrypt) => &["decrypt"],
        (KeyManagement::EcdhEs, _) => &["deriveKey", "deriveBits"],
        (KeyManagement::EcdhEsKw, Direction::Encrypt) => &["deriveKey", "deriveBits", "wrapKey"],
        (KeyManagement::EcdhEsKw, Direction::Decrypt) => &["deriveKey", "deriveBits", "unwrapKey"],
        (_, Direction::Encrypt) => &["wrapKey"],
        (_, Direction::Decrypt) => &["unwrapKey"],
    }
}

/// Whether a key's metadata lets it be used with `alg` (and `enc`, for a `dir` key whose `alg`
/// names a content encryption): `alg` must match, `use` must be `enc`, `key_ops` must list the
/// operation. Type and size are checked too.
pub(crate) fn permits(jwk: &Jwk, alg: JweAlg, enc: Option<Enc>, dir: Direction) -> bool {
    let alg_ok = match jwk.alg() {
        None => true,
        Some(a) if a == alg.name() => true,
        Some(a) => {
            alg == JweAlg::Dir && enc.is_none_or(|e| e.name() == a) && Enc::from_name(a).is_ok()
        }
    };
    let use_ok = jwk.key_use().is_none_or(|u| u == "enc");
    let ops_ok = jwk
        .key_ops()
        .is_none_or(|list| ops(alg, dir).iter().any(|o| list.iter().any(|l| l == o)));
    alg_ok && use_ok && ops_ok && check_fits(jwk, alg).is_ok()
}

/// The algorithms a key allows when the policy comes from the keys: its `alg` (a `dir` key may
/// name its `enc` there), else every algorithm of its type; `oct` keys without `alg` allow none,
/// because their length alone cannot tell key wrapping, GCM key wrapping and direct use apart.
pub(crate) fn algorithms_of(jwk: &Jwk) -> Vec<(JweAlg, Option<Enc>)> {
    if let Some(name) = jwk.alg() {
        if let Ok(alg) = JweAlg::from_name(name) {
            return vec![(alg, None)];
        }
        if let (Ok(enc), Kty::Oct) = (Enc::from_name(name), jwk.kty()) {
            return vec![(JweAlg::Dir, Some(enc))];
        }
        return Vec::new();
    }
    JweAlg::ALL
        .into_iter()
        .filter(|a| {
            !matches!(a.mode(), KeyManagement::RsaPkcs1 | KeyManagement::Pbes2)
                && a.info().kty != Kty::Oct
                && check_fits(jwk, *a).is_ok()
        })
        .map(|a| (a, None))
        .collect()
}

fn secret(jwk: &Jwk) -> Result<Secret, Error> {
    match jwk.params() {
        Params::Oct { k } => Ok(k.clone()),
        _ => Err(KeyProblem::WrongKeyType.into()),
    }
}

/// The uncompressed point (EC) or 32-byte key (X25519) of a key-agreement key.
fn agreement_public(jwk: &Jwk) -> Result<(Curve, Vec<u8>), Error> {
    match jwk.params() {
        Params::Ec { crv, x, y, .. } => {
            let mut p = Vec::with_capacity(1 + x.len() + y.len());
            p.push(4);
            p.extend_from_slice(x);
            p.extend_from_slice(y);
            Ok((*crv, p))
        }
        Params::Okp { crv, x, .. } => Ok((*crv, x.clone())),
        _ => Err(KeyProblem::WrongKeyType.into()),
    }
}

fn agreement_private(jwk: &Jwk) -> Result<EcdhPrivate, Error> {
    let (crv, public) = agreement_public(jwk)?;
    let d = match jwk.params() {
        Params::Ec { d: Some(d), .. } | Params::Okp { d: Some(d), .. } => d,
        _ => return Err(KeyProblem::NotPrivate.into()),
    };
    EcdhPrivate::new(crv, d, &public)
}

/// A recipient key parsed once for one key-management algorithm: the symmetric forms are shared
/// by both directions; `R` and `E` are the RSA and key-agreement halves of one direction.
pub(crate) enum KeyFor<R, E> {
    /// The shared key, and its AES-GCM schedule (computed once) when it is a GCM key length.
    Direct(Secret, Option<PreparedGcm>),
    AesKw(Secret),
    AesGcmKw(Secret),
    Rsa(R),
    Ecdh(E),
    Password(Secret),
}

/// A recipient key parsed for decryption.
pub(crate) type Unwrapper = KeyFor<RsaDecryptor, EcdhPrivate>;

/// A recipient key parsed for encryption: the RSA public key, or the agreement key's curve and
/// public point.
pub(crate) type Wrapper = KeyFor<RsaEncryptor, (Curve, Vec<u8>)>;

impl<R, E> KeyFor<R, E> {
    fn parse(
        jwk: &Jwk,
        alg: JweAlg,
        rsa: impl FnOnce(&Jwk, usize) -> Result<R, Error>,
        ecdh: impl FnOnce(&Jwk) -> Result<E, Error>,
    ) -> Result<Self, Error> {
        check_fits(jwk, alg)?;
        Ok(match alg.mode() {
            KeyManagement::Direct => {
                let k = secret(jwk)?;
                let gcm = matches!(k.len(), 16 | 24 | 32)
                    .then(|| PreparedGcm::new(&k))
                    .transpose()?;
                Self::Direct(k, gcm)
            }
            KeyManagement::AesKw => Self::AesKw(secret(jwk)?),
            KeyManagement::AesGcmKw => Self::AesGcmKw(secret(jwk)?),
            KeyManagement::Pbes2 => Self::Password(secret(jwk)?),
            KeyManagement::RsaOaep | KeyManagement::RsaPkcs1 => {
                Self::Rsa(rsa(jwk, alg.info().hash_bits)?)
            }
            KeyManagement::EcdhEs | KeyManagement::EcdhEsKw => Self::Ecdh(ecdh(jwk)?),
        })
    }

    /// The length a `dir` key fixes, if this is one.
    pub(crate) fn direct_len(&self) -> Option<usize> {
        match self {
            Self::Direct(k, _) => Some(k.len()),
            _ => None,
        }
    }

    /// The prepared AES-GCM key of a `dir` key, for content encrypted with `enc`.
    pub(crate) fn direct_gcm(&self, enc: Enc) -> Option<&PreparedGcm> {
        match self {
            Self::Direct(_, gcm) if enc.is_gcm() => gcm.as_ref(),
            _ => None,
        }
    }
}

impl Unwrapper {
    /// Parses a private (or shared) key for decryption.
    pub(crate) fn new(jwk: &Jwk, alg: JweAlg) -> Result<Self, Error> {
        if !jwk.is_private() {
            return Err(KeyProblem::NotPrivate.into());
        }
        Self::parse(
            jwk,
            alg,
            |k, bits| RsaDecryptor::new(&k.to_pkcs8_der()?, bits),
            agreement_private,
        )
    }
}

impl Wrapper {
    /// Parses a public (or shared) key for encryption.
    pub(crate) fn new(jwk: &Jwk, alg: JweAlg) -> Result<Self, Error> {
        Self::parse(
            jwk,
            alg,
            |k, bits| RsaEncryptor::new(&k.to_spki_der()?, bits),
            agreement_public,
        )
    }
}

/// Limits that apply before any key-management work.
pub(crate) struct UnwrapLimits {
    pub max_p2c: u32,
}

/// Recovers the CEK for `enc`. Errors are [`Error::DecryptionFailed`] except for header
/// parameters that are absent or malformed and limits, which are public facts about the token.
pub(crate) fn unwrap_cek(
    key: &Unwrapper,
    alg: JweAlg,
    enc: Enc,
    header: &Map<String, Value>,
    encrypted_key: &[u8],
    limits: &UnwrapLimits,
) -> Result<Secret, Error> {
    let info = alg.info();
    match key {
        Unwrapper::Direct(k, _) => {
            if !encrypted_key.is_empty() {
                return Err(Malformed::JweJson.into());
            }
            Ok(k.clone())
        }
        Unwrapper::AesKw(k) => kw::unwrap(k, encrypted_key),
        Unwrapper::AesGcmKw(k) => {
            let iv = b64_param(header, "iv")?;
            let tag = b64_param(header, "tag")?;
            gcm_unwrap(k, &iv, encrypted_key, &tag)
        }
        Unwrapper::Rsa(k) => k.decrypt(encrypted_key, enc.cek_len()),
        Unwrapper::Password(password) => {
            let p2c = match header.get("p2c").and_then(Value::as_u64) {
                Some(c) if c > u64::from(limits.max_p2c) => {
                    return Err(Error::LimitExceeded(crate::error::Limit::Pbes2Count));
                }
                Some(c) if c >= 1 => u32::try_from(c).map_err(|_| Malformed::Header)?,
                _ => return Err(Malformed::Header.into()),
            };
            let p2s = b64_param(header, "p2s")?;
            if p2s.len() < 8 {
                return Err(Malformed::Header.into());
            }
            let kek =
                kw::pbes2_derive(info.hash_bits, password, info.name, &p2s, p2c, info.kw_len)?;
            kw::unwrap(&kek, encrypted_key)
        }
        Unwrapper::Ecdh(private) => {
            let epk = header.get("epk").ok_or(Malformed::Header)?;
            let peer = epk_public(epk, private.curve())?;
            let apu = optional_b64_param(header, "apu")?;
            let apv = optional_b64_param(header, "apv")?;
            let z = private.agree(&peer)?;
            if info.mode == KeyManagement::EcdhEs {
                if !encrypted_key.is_empty() {
                    return Err(Malformed::JweJson.into());
                }
                concat_kdf(&z, enc.name(), &apu, &apv, enc.cek_len())
            } else {
                let kek = concat_kdf(&z, info.name, &apu, &apv, info.kw_len)?;
                kw::unwrap(&kek, encrypted_key)
            }
        }
    }
}

/// The peer key of an `epk` header: a public key on the recipient key's curve, as the bytes
/// the agreement takes (`04 ‖ x ‖ y`, or X25519's 32 bytes). Lengths and the curve are checked
/// here; the backend checks that the point is on the curve before agreeing.
fn epk_public(epk: &Value, expected: Curve) -> Result<Vec<u8>, Error> {
    let Value::Object(map) = epk else {
        return Err(Malformed::Header.into());
    };
    if map.contains_key("d") {
        return Err(Malformed::Header.into());
    }
    let text = |name: &str| match map.get(name) {
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        None => Ok(None),
        Some(_) => Err(Error::from(Malformed::Header)),
    };
    let crv = text("crv")?.and_then(Curve::from_name);
    let kty_ok = text("kty")? == Some(expected.kty().name());
    if crv != Some(expected) || !kty_ok {
        return Err(Error::DecryptionFailed);
    }
    let len = expected.coordinate_len();
    let x = b64::decode(text("x")?.ok_or(Malformed::Header)?)?;
    if x.len() != len {
        return Err(Error::DecryptionFailed);
    }
    if expected == Curve::X25519 {
        return Ok(x);
    }
    let y = b64::decode(text("y")?.ok_or(Malformed::Header)?)?;
    if y.len() != len {
        return Err(Error::DecryptionFailed);
    }
    let mut point = Vec::with_capacity(1 + 2 * len);
    point.push(4);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    Ok(point)
}

fn b64_param(header: &Map<String, Value>, name: &str) -> Result<Vec<u8>, Error> {
    match header.get(name) {
        Some(Value::String(s)) => b64::decode(s),
        _ => Err(Malformed::Header.into()),
    }
}

fn optional_b64_param(header: &Map<String, Value>, name: &str) -> Result<Vec<u8>, Error> {
    match header.get(name) {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => b64::decode(s),
        Some(_) => Err(Malformed::Header.into()),
    }
}

/// Values normally random, fixed to reproduce published examples.
#[derive(Default)]
pub(crate) struct Fixed {
    pub ephemeral: Option<EcdhPrivate>,
    pub salt: Option<Vec<u8>>,
    pub iv: Option<Vec<u8>>,
}

/// Per-recipient key-management settings.
pub(crate) struct WrapSettings<'a> {
    pub p2c: u32,
    pub apu: Option<&'a [u8]>,
    pub apv: Option<&'a [u8]>,
    pub fixed: &'a Fixed,
}

/// The CEK a `dir` or `ECDH-ES` recipient fixes (they choose the CEK, RFC 7516 §5.1 step 2),
/// with the header parameters it needs.
pub(crate) fn agreed_cek(
    key: &Wrapper,
    alg: JweAlg,
    enc: Enc,
    s: &WrapSettings<'_>,
    params: &mut Map<String, Value>,
) -> Result<Option<Secret>, Error> {
    match key {
        Wrapper::Direct(k, _) => {
            if k.len() != enc.cek_len() {
                return Err(KeyProblem::Length.into());
            }
            Ok(Some(k.clone()))
        }
        Wrapper::Ecdh((crv, public)) if alg.mode() == KeyManagement::EcdhEs => {
            let z = ephemeral_agreement(*crv, public, s, params)?;
            let apu = s.apu.unwrap_or_default();
            let apv = s.apv.unwrap_or_default();
            Ok(Some(concat_kdf(&z, enc.name(), apu, apv, enc.cek_len())?))
        }
        _ => Ok(None),
    }
}

/// Encrypts (wraps) `cek` for a key-wrapping recipient, adding its header parameters.
pub(crate) fn wrap_cek(
    key: &Wrapper,
    alg: JweAlg,
    cek: &[u8],
    s: &WrapSettings<'_>,
    params: &mut Map<String, Value>,
) -> Result<Vec<u8>, Error> {
    let info = alg.info();
    match key {
        Wrapper::Direct(..) => Ok(Vec::new()),
        Wrapper::AesKw(k) => kw::wrap(k, cek),
        Wrapper::AesGcmKw(k) => {
            let iv = match &s.fixed.iv {
                Some(iv) if iv.len() == 12 => iv.clone(),
                Some(_) => return Err(Error::Config("the GCM key-wrapping IV is 12 bytes")),
                None => {
                    let mut iv = vec![0u8; 12];
                    crate::crypto::random(&mut iv)?;
                    iv
                }
            };
            let (encrypted, tag) = gcm_wrap(k, &iv, cek)?;
            params.insert("tag".into(), b64::encode(&tag).into());
            params.insert("iv".into(), b64::encode(&iv).into());
            Ok(encrypted)
        }
        Wrapper::Rsa(k) => k.encrypt(cek),
        Wrapper::Password(password) => {
            let salt = match &s.fixed.salt {
                Some(salt) => salt.clone(),
                None => {
                    let mut salt = vec![0u8; 16];
                    crate::crypto::random(&mut salt)?;
                    salt
                }
            };
            params.insert("p2s".into(), b64::encode(&salt).into());
            params.insert("p2c".into(), s.p2c.into());
            let kek = kw::pbes2_derive(
                info.hash_bits,
                password,
                info.name,
                &salt,
                s.p2c,
                info.kw_len,
            )?;
            kw::wrap(&kek, cek)
        }
        Wrapper::Ecdh((crv, public)) => {
            if info.mode == KeyManagement::EcdhEs {
                return Ok(Vec::new());
            }
            let z = ephemeral_agreement(*crv, public, s, params)?;
            let apu = s.apu.unwrap_or_default();
            let apv = s.apv.unwrap_or_default();
            let kek = concat_kdf(&z, info.name, apu, apv, info.kw_len)?;
            kw::wrap(&kek, cek)
        }
    }
}

/// Agrees with the recipient's public key from a fresh (or fixed) ephemeral key and records
/// `epk`, `apu` and `apv`.
fn ephemeral_agreement(
    crv: Curve,
    public: &[u8],
    s: &WrapSettings<'_>,
    params: &mut Map<String, Value>,
) -> Result<Secret, Error> {
    let generated;
    let ephemeral = match &s.fixed.ephemeral {
        Some(e) if e.curve() == crv => e,
        Some(_) => return Err(KeyProblem::WrongCurve.into()),
        None => {
            generated = EcdhPrivate::generate(crv)?;
            &generated
        }
    };
    let epk_public = ephemeral.public()?;
    let mut epk = Map::new();
    if crv == Curve::X25519 {
        epk.insert("kty".into(), "OKP".into());
        epk.insert("crv".into(), crv.name().into());
        epk.insert("x".into(), b64::encode(&epk_public).into());
    } else {
        let len = crv.coordinate_len();
        let (x, y) = epk_public
            .get(1..)
            .filter(|p| p.len() == 2 * len)
            .ok_or(Error::Crypto)?
            .split_at(len);
        epk.insert("kty".into(), "EC".into());
        epk.insert("crv".into(), crv.name().into());
        epk.insert("x".into(), b64::encode(x).into());
        epk.insert("y".into(), b64::encode(y).into());
    }
    params.insert("epk".into(), Value::Object(epk));
    if let Some(apu) = s.apu {
        params.insert("apu".into(), b64::encode(apu).into());
    }
    if let Some(apv) = s.apv {
        params.insert("apv".into(), b64::encode(apv).into());
    }
    ephemeral.agree(public).map_err(|_| Error::Crypto)
}

/// Parses a fixed ephemeral private key (for reproducing published examples).
pub(crate) fn fixed_ephemeral(jwk: &Jwk) -> Result<EcdhPrivate, Error> {
    agreement_private(jwk)
}
