//! `tessera sign`: claims (JSON, a file, stdin, or what `decode --json` printed) into a JWT.

use std::io::IsTerminal as _;

use anyhow::anyhow;
use serde_json::{Map, Value};
use tessera_jose::jwk::KeyQuery;
use tessera_jose::jws::{Header, Signer};
use tessera_jose::jwt::{Claims, JwtSigner};
use tessera_jose::{Jwk, JwkSet, JwsAlg};

use crate::args::SignArgs;
use crate::exit::{CmdResult, Failure, input as input_err};
use crate::input;
use crate::output;

pub fn run(a: &SignArgs) -> CmdResult {
    let alg = JwsAlg::from_name(&a.alg).map_err(input_err("--alg"))?;
    let now = input::now(a.now);
    let (mut claims, decoded_header) = claims_input(a.claims.as_deref())?;
    if let Some(iss) = &a.iss {
        claims.insert("iss".into(), iss.clone().into());
    }
    if let Some(sub) = &a.sub {
        claims.insert("sub".into(), sub.clone().into());
    }
    match a.audiences.as_slice() {
        [] => {}
        [one] => {
            claims.insert("aud".into(), one.clone().into());
        }
        many => {
            claims.insert("aud".into(), many.to_vec().into());
        }
    }
    if let Some(exp) = &a.exp {
        claims.insert("exp".into(), input::time(exp, now)?.into());
    }
    if let Some(nbf) = &a.nbf {
        claims.insert("nbf".into(), input::time(nbf, now)?.into());
    }
    if a.no_iat {
        claims.remove("iat");
    } else if !claims.contains_key("iat") {
        claims.insert("iat".into(), now.into());
    }
    for p in &a.params {
        let (name, value) = p
            .split_once('=')
            .ok_or_else(|| anyhow!("-P expects NAME=VALUE, got `{p}`"))?;
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.into()));
        claims.insert(name.to_owned(), value);
    }
    let mut built = Claims::new()
        .merge(&claims)
        .map_err(input_err("invalid claims"))?;
    match a.jti.as_deref() {
        Some("auto") => built = built.random_jwt_id().map_err(input_err("jti"))?,
        Some(v) => built = built.jwt_id(v),
        None => {}
    }

    let signer = signer(a, alg)?;
    // `alg` first, or where the decoded header had it, so decode → sign keeps the header bytes.
    let mut header = if decoded_header.is_empty() {
        Header::new(alg)
    } else {
        Header::from_map(decoded_header).param("alg", alg.name())
    };
    if let Some(extra) = &a.header {
        for (k, v) in input::json_object("--header", extra)? {
            if k != "alg" {
                header = header.param(&k, v);
            }
        }
    }
    if let Some(typ) = &a.typ {
        header = header.typ(typ);
    } else if header.get("typ").is_none() {
        header = header.typ("JWT");
    }
    if let Some(kid) = &a.kid {
        header = header.kid(kid);
    }
    let signer = JwtSigner::with_header(signer, header).map_err(input_err("--header"))?;
    let token = built.sign(&signer).map_err(input_err("cannot sign"))?;
    output::line(&token)
}

/// The claims object, and the header of `decode --json` output when that is what was given.
/// A JSON object.
type Object = Map<String, Value>;

fn claims_input(arg: Option<&str>) -> Result<(Object, Object), Failure> {
    let bytes = match arg {
        // Nothing given and nothing piped: start from no claims.
        None if std::io::stdin().is_terminal() => b"{}".to_vec(),
        other => input::value(other)?,
    };
    let text = String::from_utf8(bytes).map_err(|_| anyhow!("the claims are not UTF-8"))?;
    let text = if text.trim().is_empty() {
        "{}"
    } else {
        text.trim()
    };
    let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(text) else {
        return Err(anyhow!("the claims must be a JSON object").into());
    };
    // `decode --json` output: {"header": {...}, "payload": {...}, "signature": "..."}.
    if let (Some(Value::Object(_)), Some(Value::Object(_)), true) = (
        map.get("header"),
        map.get("payload"),
        map.len() <= 3
            && map
                .keys()
                .all(|k| ["header", "payload", "signature"].contains(&k.as_str())),
    ) {
        let Some(Value::Object(payload)) = map.remove("payload") else {
            return Err(anyhow!("the payload must be a JSON object").into());
        };
        let Some(Value::Object(header)) = map.remove("header") else {
            return Err(anyhow!("the header must be a JSON object").into());
        };
        return Ok((payload, header));
    }
    Ok((map, Map::new()))
}

/// The signer: one key file is read straight into a signer (its material checked once, by the
/// signing key itself); from a JWK Set, the one private key that can sign with `alg`.
fn signer(a: &SignArgs, alg: JwsAlg) -> Result<Signer, Failure> {
    if let (Some(path), None) = (&a.keys.key, input::secret(&a.keys)?) {
        let bytes = input::file(path)?;
        if !input::is_key_set(&bytes) {
            return Signer::from_key_bytes(&bytes, alg)
                .map_err(input_err(&format!("the key in {path} cannot sign")));
        }
    }
    let set: JwkSet = input::key_source(&a.keys)?;
    let jwk: Jwk = if let [only] = set.keys() {
        only.clone()
    } else {
        let q = KeyQuery {
            kid: a.kid.as_deref(),
            alg: Some(alg),
            private: true,
            ..KeyQuery::default()
        };
        set.select(&q).cloned().map_err(input_err(
            "choosing the signing key from the JWK Set (use --kid)",
        ))?
    };
    Signer::new(&jwk, alg).map_err(input_err("the key cannot sign"))
}
