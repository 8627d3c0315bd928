//! `tessera jwks add|remove|list|find`: edit and inspect a JWK Set file.

use std::path::Path;

use anyhow::anyhow;
use serde_json::{Value, json};
use tessera_jose::alg::{Curve, Kty};
use tessera_jose::jwk::{KeyQuery, KeyUse, ThumbprintHash};
use tessera_jose::{Jwk, JwkSet, JwsAlg};

use crate::args::JwksCommand;
use crate::exit::{CmdResult, Failure, input as input_err};
use crate::input;
use crate::output;

pub fn run(c: &JwksCommand) -> CmdResult {
    match c {
        JwksCommand::Add {
            file,
            src,
            private,
            password,
        } => {
            input::set_key_password(password)?;
            let mut set = if Path::new(file).exists() {
                load(file)?
            } else {
                JwkSet::new()
            };
            for path in src {
                for key in input::keys_from(path)?.keys() {
                    // A key without kid (from PEM or DER, say) gets its RFC 7638 thumbprint,
                    // so that tokens can name it and `jwks remove` can find it.
                    let named;
                    let key = if key.kid().is_none() {
                        let kid = key.thumbprint(ThumbprintHash::Sha256);
                        output::note(&format!(
                            "{path}: the key has no kid; using its RFC 7638 thumbprint `{kid}`"
                        ));
                        named = key.clone().with_kid(kid);
                        &named
                    } else {
                        key
                    };
                    let key = if *private {
                        key.clone()
                    } else {
                        key.to_public()
                            .map_err(|e| anyhow!("{path}: {e}; add it with --private"))?
                    };
                    // The same key again changes nothing; another key under a kid the set
                    // already has would make that kid name two keys.
                    if set.keys().contains(&key) {
                        output::warn(&format!("{path}: the set already has this key"));
                        continue;
                    }
                    if let Some(kid) = key.kid()
                        && set.keys().iter().any(|k| k.kid() == Some(kid))
                    {
                        return Err(anyhow!(
                            "{path}: the set already has another key with kid `{}`; a kid names one key (give the new key another kid, or remove the old one first)",
                            tessera_jose::error::escaped(kid)
                        )
                        .into());
                    }
                    set.push(key);
                }
            }
            save(file, &set)
        }
        JwksCommand::Remove { file, kid } => {
            let mut set = load(file)?;
            if set.remove_kid(kid).is_empty() {
                // Not a kid: a thumbprint names keys without one (or with another kid).
                let kept: Vec<Jwk> = set
                    .keys()
                    .iter()
                    .filter(|k| k.thumbprint(ThumbprintHash::Sha256) != *kid)
                    .cloned()
                    .collect();
                if kept.len() == set.keys().len() {
                    return Err(anyhow!(
                        "{file} has no key with kid or thumbprint `{}`",
                        tessera_jose::error::escaped(kid)
                    )
                    .into());
                }
                set = JwkSet::from(kept);
            }
            save(file, &set)
        }
        JwksCommand::List { file, json } => {
            let set = load(file)?;
            for key in set.keys() {
                if *json {
                    output::line(&key.to_json())?;
                } else {
                    output::line(&describe(key))?;
                }
            }
            Ok(())
        }
        JwksCommand::Find {
            file,
            kid,
            alg,
            key_use,
            kty,
            crv,
        } => {
            let set = load(file)?;
            let alg = alg
                .as_deref()
                .map(JwsAlg::from_name)
                .transpose()
                .map_err(input_err("--alg"))?;
            let key_use = match key_use.as_deref() {
                None => None,
                Some("sig") => Some(KeyUse::Sig),
                Some("enc") => Some(KeyUse::Enc),
                Some(u) => return Err(anyhow!("--use must be sig or enc, not `{u}`").into()),
            };
            let kty = match kty.as_deref() {
                None => None,
                Some("RSA") => Some(Kty::Rsa),
                Some("EC") => Some(Kty::Ec),
                Some("OKP") => Some(Kty::Okp),
                Some("oct") => Some(Kty::Oct),
                Some("AKP") => Some(Kty::Akp),
                Some(k) => return Err(anyhow!("unknown kty `{k}`").into()),
            };
            let crv = match crv.as_deref() {
                None => None,
                Some(c) => Some(Curve::from_name(c).ok_or_else(|| anyhow!("unknown crv `{c}`"))?),
            };
            let q = KeyQuery {
                kid: kid.as_deref(),
                alg,
                key_use,
                kty,
                crv,
                ..KeyQuery::default()
            };
            let found: Vec<Jwk> = set.find(&q).cloned().collect();
            if found.is_empty() {
                return Err(Failure::NotFound(format!("no key of {file} matches")));
            }
            let out: Value =
                serde_json::from_str(&JwkSet::from(found).to_json()).map_err(|e| anyhow!("{e}"))?;
            output::json(&out)
        }
    }
}

fn load(file: &str) -> Result<JwkSet, Failure> {
    let bytes = input::file(file)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| anyhow!("{file} is not UTF-8"))?;
    if !input::is_key_set(&bytes) {
        let what = if tessera_jose::Jwk::from_slice(&bytes).is_ok() {
            "a single JWK, not a JWK Set (make one with `tessera jwks add SET.json KEY`)"
        } else {
            "not a JWK Set (a JSON object with a `keys` array)"
        };
        return Err(anyhow!("{file} is {what}").into());
    }
    let set = JwkSet::from_json(text).map_err(input_err(file))?;
    for (index, why) in set.skipped() {
        output::warn(&format!("{file}: key {index} skipped: {why}"));
    }
    Ok(set)
}

fn save(file: &str, set: &JwkSet) -> CmdResult {
    let v: Value = serde_json::from_str(&set.to_json()).map_err(|e| anyhow!("{e}"))?;
    let text = serde_json::to_string_pretty(&v).map_err(|e| anyhow!("{e}"))? + "\n";
    let private = set.keys().iter().any(Jwk::is_private);
    crate::output::write_file_atomic(file, text.as_bytes(), private)
}

fn describe(key: &Jwk) -> String {
    let v = key.to_value();
    let detail = match key.kty() {
        Kty::Rsa => v["n"]
            .as_str()
            .and_then(|n| tessera_jose::b64::decode(n).ok())
            .map_or_else(String::new, |n| {
                let first = n.iter().position(|&b| b != 0).unwrap_or(n.len());
                let bits = n
                    .get(first)
                    .map_or(0, |b| (n.len() - first) * 8 - b.leading_zeros() as usize);
                format!("{bits} bits")
            }),
        Kty::Oct => "symmetric".into(),
        _ => key
            .curve()
            .map_or_else(String::new, |c| c.name().to_owned()),
    };
    let row = json!({
        "kid": key.kid().unwrap_or("-"),
        "kty": key.kty().name(),
        "detail": detail,
        "alg": key.alg().unwrap_or("-"),
        "use": key.key_use().unwrap_or("-"),
        "private": key.is_private(),
    });
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}",
        row["kid"].as_str().unwrap_or("-"),
        row["kty"].as_str().unwrap_or("-"),
        row["detail"].as_str().unwrap_or("-"),
        row["alg"].as_str().unwrap_or("-"),
        row["use"].as_str().unwrap_or("-"),
        if key.is_private() {
            "private"
        } else {
            "public"
        }
    )
}
