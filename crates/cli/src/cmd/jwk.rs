//! `tessera jwk generate|public|thumbprint|convert`.

use std::io::IsTerminal as _;

use anyhow::anyhow;
use serde_json::Value;
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
        JwkCommand::Public { src, password } => {
            input::set_key_password(password)?;
            output::json(&public(&input::one_key(src)?)?.to_value())
        }
        JwkCommand::Thumbprint {
            src,
            hash,
            uri,
            password,
        } => {
            input::set_key_password(password)?;
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
        JwkCommand::Convert {
            src,
            to,
            private,
            encrypt,
            password,
            kid,
            alg,
            key_use,
        } => {
            input::set_key_password(password)?;
            let key = input::one_key(src)?;
            let key = if *private {
                if !key.is_private() {
                    return Err(anyhow!("--private: {src} holds a public key").into());
                }
                key
            } else {
                public(&key)?
            };
            let key = set_members(key, kid.as_deref(), alg.as_deref(), key_use.as_deref())?;
            convert(&key, *to, *private, *encrypt)
        }
    }
}

/// `--kid`, `--alg` and `--use` on an imported key (`alg` checked to fit it).
fn set_members(
    mut key: Jwk,
    kid: Option<&str>,
    alg: Option<&str>,
    key_use: Option<&str>,
) -> Result<Jwk, Failure> {
    if let Some(kid) = kid {
        key = key.with_kid(kid);
    }
    if let Some(name) = alg {
        key = if let Ok(a) = JwsAlg::from_name(name) {
            key.with_alg(a)
        } else {
            let a = JweAlg::from_name(name)
                .map_err(|_| anyhow!("unknown algorithm `{name}` (see `tessera alg`)"))?;
            key.with_jwe_alg(a)
        }
        .map_err(input_err("--alg"))?;
    }
    match key_use {
        None => {}
        Some("sig") => key = key.with_use(KeyUse::Sig),
        Some("enc") => key = key.with_use(KeyUse::Enc),
        Some(other) => return Err(anyhow!("--use must be sig or enc, not `{other}`").into()),
    }
    Ok(key)
}

fn convert(key: &Jwk, to: ConvertTo, private: bool, encrypt: bool) -> CmdResult {
    if encrypt && to != ConvertTo::Pem {
        return Err(anyhow!("--encrypt writes PEM: use --to pem").into());
    }
    match to {
        ConvertTo::Jwk => output::json(&key.to_value()),
        ConvertTo::Jwks => output::json(
            &serde_json::from_str::<Value>(&JwkSet::from(key.clone()).to_json())
                .map_err(|e| anyhow!("{e}"))?,
        ),
        ConvertTo::Pem if encrypt => {
            let password = input::key_password().ok_or_else(|| {
                anyhow!("--encrypt needs a password: --password-file PATH or --password-env VAR")
            })?;
            pem_out(
                key.to_encrypted_pem(password, PKCS8_ITERATIONS),
                "cannot write an encrypted PEM",
            )
        }
        ConvertTo::Pem if private => pem_out(key.to_pem(), "cannot write PEM"),
        ConvertTo::Pem => pem_out(key.to_public_pem(), "cannot write PEM"),
        ConvertTo::Pkcs1 => pem_out(key.to_pkcs1_pem(), "cannot write PKCS#1 (RSA keys only)"),
        ConvertTo::Sec1 if private => {
            pem_out(key.to_sec1_pem(), "cannot write SEC1 (EC private keys only)")
        }
        ConvertTo::Sec1 => Err(anyhow!(
            "SEC1 holds EC private keys (add --private); a public EC key is written as SPKI (--to pem)"
        )
        .into()),
        ConvertTo::Der => {
            let der: Vec<u8> = if private {
                key.to_pkcs8_der()
                    .map_err(input_err("cannot write DER"))?
                    .to_vec()
            } else {
                key.to_spki_der().map_err(input_err("cannot write DER"))?
            };
            if std::io::stdout().is_terminal() {
                return Err(anyhow!("DER is binary: redirect it to a file (> key.der)").into());
            }
            output::out(&der)
        }
    }
}

/// PBKDF2 iterations for `--encrypt` (OpenSSL 3 writes 2048; more resists guessing better).
const PKCS8_ITERATIONS: u32 = 100_000;

/// Writes a PEM document (held in a wiped-on-drop string) to stdout.
fn pem_out<P: core::ops::Deref<Target = String>>(
    pem: Result<P, tessera_jose::Error>,
    what: &str,
) -> CmdResult {
    let pem = pem.map_err(input_err(what))?;
    output::out(pem.as_bytes())
}

/// The public part; a symmetric key has none.
fn public(key: &Jwk) -> Result<Jwk, Failure> {
    key.to_public()
        .map_err(|e| anyhow!("{e}; use --private").into())
}

fn generate(a: &JwkGenerateArgs) -> Result<Jwk, Failure> {
    let mut key = match (&a.alg, &a.kty) {
        (Some(name), _) => by_alg(name, a)?,
        (None, Some(kty)) => {
            if a.enc.is_some() {
                return Err(anyhow!("--enc sizes a `dir` key: use --alg dir --enc ENC").into());
            }
            by_type(kty, a.crv.as_deref(), a.bits)?
        }
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

/// A key for `--alg`, honouring `--crv`, `--bits` and `--enc` where they fit the algorithm and
/// refusing them where they do not.
fn by_alg(name: &str, a: &JwkGenerateArgs) -> Result<Jwk, Failure> {
    use tessera_jose::alg::{Family, KeyManagement as M};
    let no = |flag: &str, what: &str| -> Failure {
        anyhow!("{flag} does not apply to {name} ({what})").into()
    };
    let unsupported = |what: &str| -> Failure {
        anyhow!("{what} is defined by the standards (RFC 8037) but not supported by this build's crypto backend (aws-lc)").into()
    };
    if let Ok(enc) = tessera_jose::Enc::from_name(name) {
        return Err(anyhow!(
            "{name} is a content encryption, not a key algorithm: generate its key with --alg dir --enc {}",
            enc.name()
        )
        .into());
    }
    if matches!(name, "Ed448" | "X448") {
        return Err(unsupported(name));
    }
    if let Ok(alg) = JwsAlg::from_name(name) {
        if a.enc.is_some() {
            return Err(no("--enc", "a signature algorithm"));
        }
        let key = match alg.family() {
            Family::RsaPkcs1 | Family::RsaPss => {
                if a.crv.is_some() {
                    return Err(no("--crv", "an RSA algorithm"));
                }
                Jwk::generate_rsa(a.bits.unwrap_or(2048)).and_then(|k| k.with_alg(alg))
            }
            Family::Hmac => {
                if a.crv.is_some() {
                    return Err(no("--crv", "an HMAC algorithm"));
                }
                let min = alg.info().hash_len * 8;
                let bits = a.bits.unwrap_or(min);
                if bits < min || !bits.is_multiple_of(8) {
                    return Err(anyhow!(
                        "--bits for {name} must be a multiple of 8 and at least {min}"
                    )
                    .into());
                }
                Jwk::generate_oct(bits / 8).and_then(|k| k.with_alg(alg))
            }
            _ => {
                if a.bits.is_some() {
                    return Err(no("--bits", "its curve fixes the key size"));
                }
                match (a.crv.as_deref(), alg.info().curve) {
                    (Some("Ed448"), _) => return Err(unsupported("Ed448")),
                    (Some(c), Some(crv)) if c != crv.name() => {
                        return Err(anyhow!(
                            "--crv {c} does not fit {name}, whose curve is {}",
                            crv.name()
                        )
                        .into());
                    }
                    (Some(c), None) => return Err(no("--crv", &format!("not `{c}`"))),
                    _ => Jwk::generate(alg),
                }
            }
        };
        return key.map_err(input_err("cannot generate"));
    }
    let alg = JweAlg::from_name(name)
        .map_err(|_| anyhow!("unknown algorithm `{name}` (see `tessera alg`)"))?;
    if a.enc.is_some() && alg != JweAlg::Dir {
        return Err(no(
            "--enc",
            "only a `dir` key is sized by its content encryption",
        ));
    }
    let key = match alg.mode() {
        M::RsaOaep | M::RsaPkcs1 => {
            if a.crv.is_some() {
                return Err(no("--crv", "an RSA algorithm"));
            }
            Jwk::generate_rsa(a.bits.unwrap_or(2048))
        }
        M::EcdhEs | M::EcdhEsKw => {
            if a.bits.is_some() {
                return Err(no("--bits", "its curve fixes the key size"));
            }
            let ec = |jws: JwsAlg| Jwk::generate(jws).map(Jwk::without_alg);
            match a.crv.as_deref().unwrap_or("P-256") {
                "P-256" => ec(JwsAlg::ES256),
                "P-384" => ec(JwsAlg::ES384),
                "P-521" => ec(JwsAlg::ES512),
                "X25519" => Jwk::generate_x25519(),
                "X448" => return Err(unsupported("X448")),
                c => {
                    return Err(anyhow!(
                        "--crv {c} does not fit {name} (P-256, P-384, P-521 or X25519)"
                    )
                    .into());
                }
            }
        }
        mode => {
            if a.crv.is_some() {
                return Err(no("--crv", "a symmetric key"));
            }
            let len = match (mode, &a.enc) {
                (M::Direct, Some(enc)) => {
                    let enc = tessera_jose::Enc::from_name(enc).map_err(input_err("--enc"))?;
                    if a.bits.is_some_and(|b| b != enc.cek_len() * 8) {
                        return Err(anyhow!(
                            "--bits does not fit --enc {}: its key is {} bits",
                            enc.name(),
                            enc.cek_len() * 8
                        )
                        .into());
                    }
                    enc.cek_len()
                }
                (M::Direct, None) => {
                    let bits = a.bits.unwrap_or(256);
                    if ![128, 192, 256, 384, 512].contains(&bits) {
                        return Err(anyhow!(
                            "--bits for dir must be a content encryption's key size (128, 192, 256, 384 or 512), or give --enc"
                        )
                        .into());
                    }
                    bits / 8
                }
                (M::Pbes2, _) => {
                    let bits = a.bits.unwrap_or(256);
                    if bits < 128 || !bits.is_multiple_of(8) {
                        return Err(anyhow!(
                            "--bits for a PBES2 secret must be a multiple of 8 and at least 128"
                        )
                        .into());
                    }
                    bits / 8
                }
                _ => {
                    let len = alg.info().kw_len;
                    if a.bits.is_some_and(|b| b != len * 8) {
                        return Err(anyhow!("--bits for {name} must be {}", len * 8).into());
                    }
                    len
                }
            };
            Jwk::generate_oct(len)
        }
    };
    key.and_then(|k| k.with_jwe_alg(alg))
        .map(|k| k.with_use(KeyUse::Enc))
        .map_err(input_err("cannot generate"))
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
            return Err(anyhow!(
                "{c} is defined by the standards (RFC 8037) but not supported by this build's crypto backend (aws-lc)"
            )
            .into());
        }
        (k, Some(c)) => return Err(anyhow!("no curve `{c}` for kty `{k}`").into()),
        (k, None) => return Err(anyhow!("unknown kty `{k}` (RSA, EC, OKP, oct)").into()),
    };
    key.map_err(input_err("cannot generate"))
}
