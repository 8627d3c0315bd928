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
    let now = input::now(a.now);
    let flags = a.iss.is_some()
        || a.sub.is_some()
        || !a.audiences.is_empty()
        || a.exp.is_some()
        || a.nbf.is_some()
        || a.jti.is_some()
        || !a.params.is_empty();
    let (mut claims, decoded_header) = claims_input(a.claims.as_deref(), flags)?;
    let (signer, alg) = signer(a)?;
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
    // --no-iat turns off the automatic `iat`; one the caller wrote stays.
    if !a.no_iat && !claims.contains_key("iat") {
        claims.insert("iat".into(), now.into());
    }
    if !claims.contains_key("exp") && !a.no_exp {
        output::warn(
            "the token has no `exp`: `tessera verify` (and most verifiers) reject it by default; add --exp +15m, or --no-exp if that is intended",
        );
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

/// The claims: the argument, `@file` or stdin. Empty input is an error (a token of nothing
/// but `iat` is never what was meant), except that claim flags (`--sub`, `--exp`, ...) may
/// stand alone when no claims are given and stdin is empty or a terminal.
fn claims_input(arg: Option<&str>, flags: bool) -> Result<(Object, Object), Failure> {
    let bytes = match arg {
        // Nothing given and nothing piped: start from no claims.
        None if std::io::stdin().is_terminal() => b"{}".to_vec(),
        other => input::value(other)?,
    };
    let text = String::from_utf8(bytes).map_err(|_| anyhow!("the claims are not UTF-8"))?;
    let text = match text.trim() {
        "" if arg.is_none() && flags => "{}",
        t => t,
    };
    if text.is_empty() {
        return Err(anyhow!(
            "the claims are empty: give a JSON object (`{{}}` for none), @file, or stdin"
        )
        .into());
    }
    let mut map = json_object(text)?;
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

/// Claims text as a JSON object, with errors that say what is wrong and where: not JSON (line
/// and column), JSON but not an object, nested too deeply, or a duplicate member.
fn json_object(text: &str) -> Result<Object, Failure> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        if e.is_eof() {
            anyhow!(
                "the claims are not JSON: the text ends early (line {}, column {})",
                e.line(),
                e.column()
            )
        } else if e.to_string().starts_with("recursion limit") {
            anyhow!("the claims are nested too deeply")
        } else {
            anyhow!(
                "the claims are not JSON: {} (line {}, column {})",
                syntax_reason(&e),
                e.line(),
                e.column()
            )
        }
    })?;
    let Value::Object(map) = value else {
        let kind = match value {
            Value::Array(_) => "an array",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a boolean",
            _ => "null",
        };
        return Err(anyhow!("the claims must be a JSON object, not {kind}").into());
    };
    tessera_jose::json::check(text.as_bytes(), tessera_jose::json::DEFAULT_MAX_DEPTH).map_err(
        |e| match e {
            tessera_jose::Error::LimitExceeded(_) => anyhow!(
                "the claims are nested too deeply (more than {} levels)",
                tessera_jose::json::DEFAULT_MAX_DEPTH
            ),
            other => anyhow!("the claims are not acceptable: {other}"),
        },
    )?;
    Ok(map)
}

/// serde_json's reason without its position suffix (we print line and column ourselves).
fn syntax_reason(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg,
    }
}

/// The signer and its algorithm (`--alg`, else the key's own, see [`super::default_alg`]): one
/// key file is read straight into a signer (its material checked once, by the signing key
/// itself); from a JWK Set, the one private key that can sign with `alg`.
fn signer(a: &SignArgs) -> Result<(Signer, JwsAlg), Failure> {
    let named = a
        .alg
        .as_deref()
        .map(JwsAlg::from_name)
        .transpose()
        .map_err(input_err("--alg"))?;
    let secret = input::secret(&a.keys)?;
    if let Some(s) = &secret {
        for f in tessera_jose::inspect::secret_findings(s) {
            output::warn(&f.message);
        }
    }
    if let (Some(path), None, Some(alg), false) = (
        &a.keys.key,
        &secret,
        named,
        has_password(&a.keys.key_password),
    ) {
        let bytes = input::file(path)?;
        if !input::is_key_set(&bytes) {
            return Signer::from_key_bytes(&bytes, alg)
                .map(|s| (s, alg))
                .map_err(|e| cannot_sign(e, path, alg));
        }
    }
    let set: JwkSet = input::key_source(&a.keys)?;
    let jwk: Jwk = if let [only] = set.keys() {
        only.clone()
    } else {
        let q = KeyQuery {
            kid: a.kid.as_deref(),
            alg: named,
            private: true,
            ..KeyQuery::default()
        };
        set.select(&q).cloned().map_err(input_err(
            "choosing the signing key from the JWK Set (use --kid and --alg)",
        ))?
    };
    let alg = match named {
        Some(alg) => alg,
        None if secret.is_some() => {
            return Err(
                anyhow!("an HMAC secret signs with HS256, HS384 or HS512: give --alg").into(),
            );
        }
        None => super::default_alg(&jwk)?,
    };
    let what = a.keys.key.as_deref().unwrap_or("the secret");
    Signer::new(&jwk, alg)
        .map(|s| (s, alg))
        .map_err(|e| cannot_sign(e, what, alg))
}

fn has_password(p: &crate::args::PasswordSource) -> bool {
    p.password.is_some() || p.password_file.is_some() || p.password_env.is_some()
}

/// Why a key cannot sign with `alg`, in words that point at the fix.
fn cannot_sign(e: tessera_jose::Error, what: &str, alg: JwsAlg) -> Failure {
    use tessera_jose::error::KeyProblem;
    let hint = match &e {
        tessera_jose::Error::InvalidKey(KeyProblem::HmacTooShort) => format!(
            ": {} needs a secret of at least {} bytes",
            alg.name(),
            alg.info().hash_len
        ),
        tessera_jose::Error::InvalidKey(KeyProblem::WrongCurve | KeyProblem::WrongKeyType) => {
            format!(": the key does not fit {} (see `tessera alg`)", alg.name())
        }
        _ => String::new(),
    };
    Failure::Input(anyhow!("{what} cannot sign: {e}{hint}"))
}
