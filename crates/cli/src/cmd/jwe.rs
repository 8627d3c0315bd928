//! `tessera jwe encrypt|decrypt`: raw JWE of any plaintext and serialization.

use anyhow::anyhow;
use tessera_jose::alg::KeyManagement;
use tessera_jose::jwe::{Decrypter, Encrypter, JweBuilder};
use tessera_jose::jws::{Format, Header};
use tessera_jose::{Enc, Error, JweAlg, Jwk};

use crate::args::{FormatArg, JweCommand, JweDecryptArgs, JweEncryptArgs};
use crate::exit::{CmdResult, Failure, input as input_err, rejected};
use crate::input;
use crate::output;

/// The default size limits of both commands: what `encrypt` writes, `decrypt` reads.
const DEFAULT_MAX: usize = input::MAX_INPUT_BYTES;

pub fn run(c: &JweCommand) -> CmdResult {
    match c {
        JweCommand::Encrypt(a) => encrypt(a),
        JweCommand::Decrypt(a) => decrypt(a),
    }
}

fn encrypt(a: &JweEncryptArgs) -> CmdResult {
    let enc = Enc::from_name(&a.enc).map_err(input_err("--enc"))?;
    input::raise_cap(a.max_decompressed);
    let plaintext = input::value(a.plaintext.as_deref())?;
    let max_decompressed = a.max_decompressed.unwrap_or(DEFAULT_MAX);
    if a.zip && plaintext.len() > max_decompressed {
        return Err(anyhow!(
            "the plaintext is {} bytes: with --zip, `jwe decrypt` would refuse to decompress more than {max_decompressed} (raise both with --max-decompressed)",
            plaintext.len()
        )
        .into());
    }
    let password = if a.keys.is_empty() {
        input::password(&a.password)?
    } else {
        // With --key, a password is the one of an encrypted key file.
        input::set_key_password(&a.password)?;
        None
    };
    let mut encrypters = Vec::new();
    if let Some(pw) = &password {
        let name = match a.algs.as_slice() {
            [one] => one,
            [] => {
                return Err(
                    anyhow!("a password needs a PBES2 --alg (e.g. PBES2-HS256+A128KW)").into(),
                );
            }
            _ => return Err(anyhow!("one password encrypts for one recipient").into()),
        };
        let alg = JweAlg::from_name(name).map_err(input_err("--alg"))?;
        if alg.mode() != KeyManagement::Pbes2 {
            return Err(anyhow!("a password needs a PBES2 algorithm, not {name}").into());
        }
        encrypters.push(Encrypter::password(pw, alg).map_err(input_err("--password"))?);
    } else {
        if !a.algs.is_empty() && a.algs.len() != a.keys.len() {
            return Err(anyhow!(
                "give one --alg per --key ({} keys, {} algorithms), or none to use the keys' own",
                a.keys.len(),
                a.algs.len()
            )
            .into());
        }
        for (i, path) in a.keys.iter().enumerate() {
            let key = input::one_key(path)?;
            let alg = match a.algs.get(i) {
                Some(name) => JweAlg::from_name(name).map_err(input_err("--alg"))?,
                None => key_alg(&key, path)?,
            };
            encrypters.push(recipient(key, alg, a, path)?);
        }
    }
    if (a.apu.is_some() || a.apv.is_some())
        && !encrypters.iter().any(|e| {
            matches!(
                e.alg().mode(),
                KeyManagement::EcdhEs | KeyManagement::EcdhEsKw
            )
        })
    {
        return Err(
            anyhow!("--apu and --apv apply to ECDH-ES recipients, and there is none").into(),
        );
    }
    if encrypters.len() > 1 && a.format != FormatArg::General {
        return Err(anyhow!("several recipients need --format general").into());
    }
    let aad = match a.aad.as_deref() {
        Some(text) => Some(input::value(Some(text))?),
        None => None,
    };
    let mut b = JweBuilder::new(&plaintext, enc);
    for e in &encrypters {
        b = b.recipient(e);
    }
    if let Some(cty) = &a.cty {
        b = b.protected(Header::empty().cty(cty));
    }
    if let Some(aad) = &aad {
        if a.format == FormatArg::Compact {
            return Err(anyhow!(
                "--aad needs a JSON serialization (--format flattened or general)"
            )
            .into());
        }
        b = b.aad(aad);
    }
    if a.zip {
        b = b.deflate();
    }
    let format = match a.format {
        FormatArg::Compact => Format::Compact,
        FormatArg::Flattened => Format::Flattened,
        FormatArg::General => Format::General,
    };
    let out = b.serialize(format).map_err(input_err("cannot encrypt"))?;
    let max_size = a.max_size.unwrap_or(DEFAULT_MAX);
    if out.len() > max_size {
        return Err(anyhow!(
            "the JWE would be {} bytes, more than the {max_size} that `jwe decrypt` reads by default (raise both with --max-size)",
            out.len()
        )
        .into());
    }
    output::line(&out)
}

/// The key's own JWE algorithm when `--alg` is not given.
fn key_alg(key: &Jwk, path: &str) -> Result<JweAlg, Failure> {
    match key.alg().map(JweAlg::from_name) {
        Some(Ok(alg)) => Ok(alg),
        _ if key.alg().is_some_and(|a| Enc::from_name(a).is_ok()) => Ok(JweAlg::Dir),
        _ => Err(anyhow!(
            "{path}: the key has no JWE `alg`: give --alg (for example RSA-OAEP-256, ECDH-ES+A256KW, A256KW or dir)"
        )
        .into()),
    }
}

fn recipient(key: Jwk, alg: JweAlg, a: &JweEncryptArgs, path: &str) -> Result<Encrypter, Failure> {
    let mode = alg.mode();
    // A private key encrypts with its public part.
    let key = if matches!(
        mode,
        KeyManagement::RsaOaep
            | KeyManagement::RsaPkcs1
            | KeyManagement::EcdhEs
            | KeyManagement::EcdhEsKw
    ) && key.is_private()
    {
        key.to_public()
            .map_err(input_err("cannot take the public part"))?
    } else {
        key
    };
    let mut e = if mode == KeyManagement::RsaPkcs1 {
        output::warn("RSA1_5 is a legacy algorithm; prefer RSA-OAEP-256");
        Encrypter::rsa1_5(&key)
    } else {
        Encrypter::new(&key, alg)
    }
    .map_err(input_err(&format!(
        "{path} cannot encrypt with {}",
        alg.name()
    )))?;
    if (a.apu.is_some() || a.apv.is_some())
        && matches!(mode, KeyManagement::EcdhEs | KeyManagement::EcdhEsKw)
    {
        e = e.agreement_info(
            a.apu.as_deref().unwrap_or("").as_bytes(),
            a.apv.as_deref().unwrap_or("").as_bytes(),
        );
    }
    if let Some(kid) = &a.kid {
        if a.keys.len() > 1 {
            return Err(anyhow!(
                "--kid names one recipient's key; with several, set each key's kid"
            )
            .into());
        }
        e = e.kid(Some(kid));
    }
    Ok(e)
}

fn decrypt(a: &JweDecryptArgs) -> CmdResult {
    input::raise_cap(a.max_size);
    let jwe = input::token(a.jwe.as_deref())?;
    let (jws, allow) = super::split_algs(&a.allow_algs)?;
    if !jws.is_empty() {
        return Err(anyhow!("JWS algorithms do not decrypt a JWE").into());
    }
    let (keys, password) = match &a.key {
        Some(path) => {
            input::set_key_password(&a.password)?;
            (input::keys_from(path)?, false)
        }
        None => match input::password(&a.password)? {
            Some(pw) => (Jwk::from_secret(&pw).into(), true),
            None => return Err(anyhow!("a key is needed: --key SRC or a password").into()),
        },
    };
    let mut b = Decrypter::builder(keys)
        .max_size(a.max_size.unwrap_or(DEFAULT_MAX))
        .max_decompressed_size(a.max_decompressed.unwrap_or(DEFAULT_MAX));
    if password {
        b = b.allow_pbes2();
    }
    if allow.contains(&JweAlg::Rsa1_5) {
        output::warn(
            "RSA1_5 allowed: dangerous. Failures are uniform, but the backend's PKCS#1 v1.5 \
             unpadding is not constant-time (a Bleichenbacher/Marvin timing oracle): never \
             decrypt RSA1_5 where an attacker can submit tokens and time the answers",
        );
        b = b.dangerous_allow_rsa1_5();
    }
    if allow.iter().any(|a| a.mode() == KeyManagement::Pbes2) {
        b = b.allow_pbes2();
    }
    let decrypter = if password {
        let mut algs: Vec<JweAlg> = JweAlg::ALL
            .into_iter()
            .filter(|a| a.mode() == KeyManagement::Pbes2)
            .collect();
        for a in &allow {
            if !algs.contains(a) {
                algs.push(*a);
            }
        }
        b.algorithms(algs).build()
    } else {
        b.algorithms_from_keys_and(allow).build()
    }
    .map_err(|e| {
        let hint = if matches!(e, Error::Config(m) if m.starts_with("no key")) {
            " (a key without `alg` serves only its type's public-key algorithms: name another with --allow-alg, e.g. --allow-alg dir or --allow-alg A256KW)"
        } else {
            ""
        };
        Failure::Input(anyhow!("cannot build the decrypter: {e}{hint}"))
    })?;
    let out = decrypter.decrypt(&jwe).map_err(|e| {
        if e == Error::AlgorithmNotAllowed
            && let Ok(h) = tessera_jose::dangerous::peek_header_unverified(&jwe)
            && let Some(alg) = h.alg()
        {
            output::note(&format!(
                "the JWE uses `{}`, which the key does not allow by itself: add --allow-alg {}",
                tessera_jose::error::escaped(alg),
                tessera_jose::error::escaped(alg)
            ));
        }
        rejected(e)
    })?;
    output::out(out.plaintext())
}
