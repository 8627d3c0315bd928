//! `tessera jwk generate|public|thumbprint|convert`.

use anyhow::anyhow;
use serde_json::Value;
use tessera_jose::alg::Kty;
use tessera_jose::jwk::{KeyUse, ThumbprintHash};
use tessera_jose::{JweAlg, Jwk, JwkSet, JwsAlg};

use crate::args::{ConvertTo, HashArg, JwkCommand, JwkGenerateArgs};
use crate::exit::{CmdResult, Failure, input as input_err};
use crate::input;
use crate::output;

pub fn run(c: &JwkCommand) -> CmdResult {
    match c {
        JwkCommand::Generate(a) => {
            let key = generate(a)?;
            output::json(&key.to_value())
        }
        JwkCommand::Public { src } => output::json(&public(&input::one_key(src)?)?.to_value()),
        JwkCommand::Thumbprint { src, hash, uri } => {
            let key = input::one_key(src)?;
            let hash = match hash {
                HashArg::Sha256 => ThumbprintHash::Sha256,
                HashArg::Sha384 => ThumbprintHash::Sha384,
                HashArg::Sha512 => ThumbprintHash::Sha512,
            };
            output::line(&if *uri {
                key.thumbprint_uri(hash)
            } else {
                key.thumbprint(hash)
            })
        }
        JwkCommand::Convert { src, to, private } => {
            let key = input::one_key(src)?;
            let key = if *private {
                if !key.is_private() {
                    return Err(anyhow!("--private: {src} holds a public key").into());
                }
                key
            } else {
                public(&key)?
            };
            match to {
                ConvertTo::Jwk => output::json(&key.to_value()),
                ConvertTo::Jwks => output::json(
                    &serde_json::from_str::<Value>(&JwkSet::from(key).to_json())
                        .map_err(|e| anyhow!("{e}"))?,
                ),
                ConvertTo::Pem => {
                    let pem = if *private {
                        key.to_pem()
                    } else {
                        key.to_public_pem()
                    }
                    .map_err(input_err("cannot write PEM"))?;
                    output::out(pem.as_bytes())
                }
            }
        }
    }
}

/// The public part; a symmetric key has none.
fn public(key: &Jwk) -> Result<Jwk, Failure> {
    if key.kty() == Kty::Oct {
        return Err(anyhow!("a symmetric (oct) key has no public part; use --private").into());
    }
    key.to_public()
        .map_err(input_err("cannot take the public part"))
}

fn generate(a: &JwkGenerateArgs) -> Result<Jwk, Failure> {
    let mut key = match (&a.alg, &a.kty) {
        (Some(name), _) => if let Ok(alg) = JwsAlg::from_name(name) {
            if alg.family() == tessera_jose::alg::Family::RsaPkcs1
                || alg.family() == tessera_jose::alg::Family::RsaPss
            {
                Jwk::generate_rsa(a.bits.unwrap_or(2048)).and_then(|k| k.with_alg(alg))
            } else {
                Jwk::generate(alg)
            }
        } else {
            let alg = JweAlg::from_name(name)
                .map_err(|_| anyhow!("unknown algorithm `{name}` (see `tessera alg`)"))?;
            Jwk::generate_jwe(alg)
        }
        .map_err(input_err("cannot generate"))?,
        (None, Some(kty)) => by_type(kty, a.crv.as_deref(), a.bits)?,
        (None, None) => return Err(anyhow!("give --alg, or --kty (with --crv or --bits)").into()),
    };
    if let Some(kid) = &a.kid {
        key = key.with_kid(kid.clone());
    }
    match a.key_use.as_deref() {
        None => {}
        Some("sig") => key = key.with_use(KeyUse::Sig),
        Some("enc") => key = key.with_use(KeyUse::Enc),
        Some(other) => return Err(anyhow!("--use must be sig or enc, not `{other}`").into()),
    }
    if !a.key_ops.is_empty() {
        key = key
            .with_key_ops(a.key_ops.iter().cloned())
            .map_err(input_err("--key-ops"))?;
    }
    Ok(key)
}

fn by_type(kty: &str, crv: Option<&str>, bits: Option<usize>) -> Result<Jwk, Failure> {
    let ec = |alg: JwsAlg| Jwk::generate(alg).map(Jwk::without_alg);
    let key = match (kty, crv) {
        ("RSA", None) => Jwk::generate_rsa(bits.unwrap_or(2048)),
        ("EC", Some("P-256") | None) => ec(JwsAlg::ES256),
        ("EC", Some("P-384")) => ec(JwsAlg::ES384),
        ("EC", Some("P-521")) => ec(JwsAlg::ES512),
        ("EC", Some("secp256k1")) => ec(JwsAlg::ES256K),
        ("OKP", Some("Ed25519") | None) => ec(JwsAlg::EdDSA),
        ("OKP", Some("X25519")) => Jwk::generate_x25519(),
        ("oct", None) => {
            let bits = bits.unwrap_or(256);
            if bits == 0 || !bits.is_multiple_of(8) {
                return Err(anyhow!("--bits for oct must be a positive multiple of 8").into());
            }
            Jwk::generate_oct(bits / 8)
        }
        ("OKP", Some(c @ ("Ed448" | "X448"))) => {
            return Err(anyhow!("{c} is not supported by the crypto backend").into());
        }
        (k, Some(c)) => return Err(anyhow!("no curve `{c}` for kty `{k}`").into()),
        (k, None) => return Err(anyhow!("unknown kty `{k}` (RSA, EC, OKP, oct)").into()),
    };
    key.map_err(input_err("cannot generate"))
}
