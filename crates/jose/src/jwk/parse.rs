//! JWK members ⇄ validated key material (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2, ML-DSA AKP).

use base64::Engine as _;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::{Jwk, Params, RsaPrivate, Secret, check_fits};
use crate::alg::{Curve, JwsAlg, Kty};
use crate::b64;
use crate::crypto::{self, SigningKey, VerifyingKey};
use crate::error::{Error, KeyProblem, Malformed};

/// Largest JWK document accepted (a 16384-bit RSA private key with an `x5c` chain fits).
pub(super) const MAX_JWK_BYTES: usize = 256 * 1024;

/// Whether import runs the key-material checks of [`validate`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// Every check (the public API).
    Full,
    /// The material checks are left to the caller, which builds a backend key that performs
    /// them anyway (see [`crate::jws::Signer::from_key_bytes`]).
    Deferred,
}

/// Builds a validated [`Jwk`] from its JSON members.
pub(super) fn from_map(map: Map<String, Value>) -> Result<Jwk, Error> {
    from_map_with(map, Check::Full)
}

/// [`from_map`], with the material checks optionally deferred.
pub(super) fn from_map_with(mut map: Map<String, Value>, check: Check) -> Result<Jwk, Error> {
    let kty = take_str(&mut map, "kty")?.ok_or(Malformed::Jwk)?;
    let kid = take_str(&mut map, "kid")?;
    let alg = take_str(&mut map, "alg")?;
    let key_use = take_str(&mut map, "use")?;
    let key_ops = match map.remove("key_ops") {
        None => None,
        Some(Value::Array(items)) => {
            let ops = items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(Error::from(Malformed::Jwk)),
                })
                .collect::<Result<Vec<_>, _>>()?;
            check_key_ops(&ops)?;
            Some(ops)
        }
        Some(_) => return Err(Malformed::Jwk.into()),
    };
    let x5c = match map.remove("x5c") {
        None => None,
        Some(Value::Array(items)) if !items.is_empty() => Some(
            items
                .iter()
                .map(|v| {
                    v.as_str()
                        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
                        .ok_or(Error::from(Malformed::Jwk))
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => return Err(Malformed::Jwk.into()),
    };

    let params = match kty.as_str() {
        "RSA" => rsa(&mut map)?,
        "EC" => ec(&mut map)?,
        "OKP" => okp(&mut map)?,
        "oct" => {
            let k = take_secret(&mut map, "k")?.ok_or(Malformed::Jwk)?;
            if k.is_empty() {
                return Err(KeyProblem::Length.into());
            }
            Params::Oct { k }
        }
        "AKP" => akp(&mut map, alg.as_deref())?,
        other => {
            return Err(Error::UnsupportedAlgorithm(format!(
                "kty {}",
                crate::alg::printable(other)
            )));
        }
    };
    if check == Check::Full {
        validate(&params)?;
    }
    if let Some(jws_alg) = alg.as_deref().and_then(|a| JwsAlg::from_name(a).ok()) {
        check_fits(&params, jws_alg).map_err(|e| match e {
            Error::InvalidKey(KeyProblem::HmacTooShort) => e,
            _ => Error::InvalidKey(KeyProblem::AlgMismatch),
        })?;
    }
    let jwk = Jwk {
        params,
        kid,
        alg,
        key_use,
        key_ops,
        x5c,
        other: map,
    };
    // A JWE algorithm (or, for a `dir` key, a content encryption) in `alg` must fit the key too.
    if let Some(name) = jwk.alg.as_deref() {
        if let Ok(jwe_alg) = crate::alg::JweAlg::from_name(name) {
            crate::jwe::keys::check_fits(&jwk, jwe_alg)
                .map_err(|_| Error::InvalidKey(KeyProblem::AlgMismatch))?;
        } else if let Ok(enc) = crate::alg::Enc::from_name(name) {
            let fits = matches!(&jwk.params, Params::Oct { k } if k.len() == enc.cek_len());
            if !fits {
                return Err(KeyProblem::AlgMismatch.into());
            }
        }
    }
    if let Some(chain) = &jwk.x5c {
        let cert_key = super::pem::certificate_public_key(&chain[0])?;
        if cert_key.params != jwk.params.public() {
            return Err(KeyProblem::Inconsistent.into());
        }
    }
    Ok(jwk)
}

/// Serializes a [`Jwk`]'s members in a stable order, unknown members last.
pub(super) fn to_map(jwk: &Jwk) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("kty".into(), jwk.kty().name().into());
    if let Some(kid) = &jwk.kid {
        m.insert("kid".into(), kid.as_str().into());
    }
    if let Some(u) = &jwk.key_use {
        m.insert("use".into(), u.as_str().into());
    }
    if let Some(ops) = &jwk.key_ops {
        m.insert("key_ops".into(), ops.clone().into());
    }
    match (&jwk.alg, &jwk.params) {
        (Some(alg), _) => {
            m.insert("alg".into(), alg.as_str().into());
        }
        // An AKP key always names its algorithm.
        (None, Params::Akp { alg, .. }) => {
            m.insert("alg".into(), alg.name().into());
        }
        (None, _) => {}
    }
    let mut put = |name: &str, bytes: &[u8]| {
        m.insert(name.into(), b64::encode(bytes).into());
    };
    match &jwk.params {
        Params::Rsa { n, e, private } => {
            put("n", n);
            put("e", e);
            if let Some(p) = private {
                put("d", &p.d);
                put("p", &p.p);
                put("q", &p.q);
                put("dp", &p.dp);
                put("dq", &p.dq);
                put("qi", &p.qi);
            }
        }
        Params::Ec { crv, x, y, d } => {
            m.insert("crv".into(), crv.name().into());
            let mut put = |name: &str, bytes: &[u8]| {
                m.insert(name.into(), b64::encode(bytes).into());
            };
            put("x", x);
            put("y", y);
            if let Some(d) = d {
                put("d", d);
            }
        }
        Params::Okp { crv, x, d } => {
            m.insert("crv".into(), crv.name().into());
            let mut put = |name: &str, bytes: &[u8]| {
                m.insert(name.into(), b64::encode(bytes).into());
            };
            put("x", x);
            if let Some(d) = d {
                put("d", d);
            }
        }
        Params::Oct { k } => put("k", k),
        Params::Akp { public, seed, .. } => {
            put("pub", public);
            if let Some(seed) = seed {
                put("priv", seed);
            }
        }
    }
    if let Some(chain) = &jwk.x5c {
        let certs: Vec<Value> = chain
            .iter()
            .map(|c| base64::engine::general_purpose::STANDARD.encode(c).into())
            .collect();
        m.insert("x5c".into(), certs.into());
    }
    for (k, v) in &jwk.other {
        m.entry(k.clone()).or_insert_with(|| v.clone());
    }
    m
}

/// `key_ops` values must not repeat (RFC 7517 §4.3).
pub(super) fn check_key_ops(ops: &[String]) -> Result<(), Error> {
    let repeated = ops
        .iter()
        .enumerate()
        .any(|(i, op)| ops[i + 1..].contains(op));
    if repeated {
        Err(Malformed::Jwk.into())
    } else {
        Ok(())
    }
}

fn rsa(map: &mut Map<String, Value>) -> Result<Params, Error> {
    if map.contains_key("oth") {
        return Err(KeyProblem::RsaMultiPrime.into());
    }
    let n = strip_leading_zeros(take_b64(map, "n")?.ok_or(Malformed::Jwk)?);
    let e = strip_leading_zeros(take_b64(map, "e")?.ok_or(Malformed::Jwk)?);
    crypto::check_rsa_public(&n, &e)?;
    let d = take_secret(map, "d")?;
    let crt = [
        take_secret(map, "p")?,
        take_secret(map, "q")?,
        take_secret(map, "dp")?,
        take_secret(map, "dq")?,
        take_secret(map, "qi")?,
    ];
    let private = match (d, crt) {
        (None, [None, None, None, None, None]) => None,
        (Some(d), [Some(p), Some(q), Some(dp), Some(dq), Some(qi)]) => Some(Box::new(RsaPrivate {
            d,
            p,
            q,
            dp,
            dq,
            qi,
        })),
        (Some(_), _) => return Err(KeyProblem::RsaMissingCrt.into()),
        (None, _) => return Err(Malformed::Jwk.into()),
    };
    Ok(Params::Rsa { n, e, private })
}

fn ec(map: &mut Map<String, Value>) -> Result<Params, Error> {
    let crv = take_curve(map)?;
    if crv.kty() != Kty::Ec {
        return Err(KeyProblem::WrongCurve.into());
    }
    let x = take_b64(map, "x")?.ok_or(Malformed::Jwk)?;
    let y = take_b64(map, "y")?.ok_or(Malformed::Jwk)?;
    let d = take_secret(map, "d")?;
    Ok(Params::Ec { crv, x, y, d })
}

fn okp(map: &mut Map<String, Value>) -> Result<Params, Error> {
    let crv = take_curve(map)?;
    if crv.kty() != Kty::Okp {
        return Err(KeyProblem::WrongCurve.into());
    }
    let x = take_b64(map, "x")?.ok_or(Malformed::Jwk)?;
    let d = take_secret(map, "d")?;
    Ok(Params::Okp { crv, x, d })
}

fn akp(map: &mut Map<String, Value>, alg: Option<&str>) -> Result<Params, Error> {
    let alg = match alg.map(JwsAlg::from_name) {
        Some(Ok(a)) if a.family() == crate::alg::Family::MlDsa => a,
        Some(Ok(_)) => return Err(KeyProblem::AlgMismatch.into()),
        Some(Err(e)) => return Err(e),
        None => return Err(Malformed::Jwk.into()),
    };
    let public = take_b64(map, "pub")?.ok_or(Malformed::Jwk)?;
    let seed = take_secret(map, "priv")?;
    Ok(Params::Akp { alg, public, seed })
}

/// Validates material against the import policy by parsing it into backend keys.
pub(super) fn validate(params: &Params) -> Result<(), Error> {
    let material = params.material();
    let probe = match params {
        Params::Rsa { .. } => Some(JwsAlg::RS256),
        Params::Ec { crv, .. } => Some(match crv {
            Curve::P256 => JwsAlg::ES256,
            Curve::P384 => JwsAlg::ES384,
            Curve::P521 => JwsAlg::ES512,
            _ => JwsAlg::ES256K,
        }),
        Params::Okp { crv, x, d } => {
            okp_lengths(*crv, x, d.as_ref().map(|d| d.as_slice()))?;
            match crv {
                Curve::Ed25519 => Some(JwsAlg::EdDSA),
                Curve::X25519 => {
                    if let Some(d) = d
                        && !crypto::ct_eq(&crypto::x25519_public(d)?, x)
                    {
                        return Err(KeyProblem::Inconsistent.into());
                    }
                    None
                }
                _ => None,
            }
        }
        Params::Oct { .. } => None,
        Params::Akp { alg, .. } if alg.is_supported() => Some(*alg),
        Params::Akp { .. } => None,
    };
    if let Some(alg) = probe {
        VerifyingKey::new(alg, &material)?;
        match params {
            // d·G = (x, y) with one scalar multiplication (a signing key would take two more).
            Params::Ec {
                crv: crv @ (Curve::P256 | Curve::P384 | Curve::P521),
                x,
                y,
                d: Some(d),
            } => {
                let point = [&[4u8][..], x, y].concat();
                crypto::ecdh::EcdhPrivate::new(*crv, d, &point)?;
            }
            _ if params.is_private() => {
                SigningKey::new(alg, &material)?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn okp_lengths(crv: Curve, x: &[u8], d: Option<&[u8]>) -> Result<(), Error> {
    let len = crv.coordinate_len();
    if x.len() != len || d.is_some_and(|d| d.len() != len) {
        return Err(KeyProblem::Length.into());
    }
    Ok(())
}

fn strip_leading_zeros(mut v: Vec<u8>) -> Vec<u8> {
    let first = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    v.drain(..first);
    v
}

fn take_str(map: &mut Map<String, Value>, name: &str) -> Result<Option<String>, Error> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Malformed::Jwk.into()),
    }
}

fn take_b64(map: &mut Map<String, Value>, name: &str) -> Result<Option<Vec<u8>>, Error> {
    take_str(map, name)?.map(b64::decode).transpose()
}

fn take_secret(map: &mut Map<String, Value>, name: &str) -> Result<Option<Secret>, Error> {
    // The base64 text is as secret as the bytes: wipe it too.
    let Some(text) = take_str(map, name)?.map(Zeroizing::new) else {
        return Ok(None);
    };
    let mut out = Zeroizing::new(Vec::new());
    b64::decode_into(text.as_bytes(), &mut out)?;
    Ok(Some(out))
}

fn take_curve(map: &mut Map<String, Value>) -> Result<Curve, Error> {
    let name = take_str(map, "crv")?.ok_or(Malformed::Jwk)?;
    Curve::from_name(&name)
        .ok_or_else(|| Error::UnsupportedAlgorithm(format!("crv {}", crate::alg::printable(&name))))
}
