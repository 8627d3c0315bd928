//! `tessera jws sign|verify`: raw JWS of any payload and serialization.

use anyhow::anyhow;
use serde_json::{Value, json};
use tessera_jose::jws::{
    Header, Jws, JwsBuilder, JwsVerifier, SignatureOutcome, Signer, VerifiedJws,
};
use tessera_jose::{Jwk, JwsAlg};

use crate::args::{FormatArg, JwsCommand, JwsSignArgs, JwsVerifyArgs};
use crate::exit::{CmdResult, Failure, input as input_err, rejected};
use crate::input;
use crate::output;

pub fn run(c: JwsCommand) -> CmdResult {
    match c {
        JwsCommand::Sign(a) => sign(&a),
        JwsCommand::Verify(a) => verify(&a),
    }
}

fn sign(a: &JwsSignArgs) -> CmdResult {
    input::set_key_password(&a.key_password)?;
    let payload = input::value(a.payload.as_deref())?;
    let secret = input::secret_parts(
        a.secret.as_deref(),
        a.secret_b64.as_deref(),
        a.secret_file.as_deref(),
        a.secret_env.as_deref(),
    )?;
    let mut keys: Vec<Jwk> = Vec::new();
    for path in &a.keys {
        keys.push(input::one_key(path)?);
    }
    if let Some(s) = secret {
        keys.push(Jwk::from_secret(&s));
    }
    // Without --alg, each key's own algorithm (its `alg`, or the only one its type allows).
    let names: Vec<String> = if a.algs.is_empty() {
        keys.iter()
            .map(|k| super::default_alg(k).map(|alg| alg.name().to_owned()))
            .collect::<Result<_, _>>()?
    } else {
        a.algs.clone()
    };
    if keys.len() != names.len() {
        return Err(anyhow!(
            "give one --alg per key ({} keys, {} algorithms)",
            keys.len(),
            names.len()
        )
        .into());
    }
    let extra = match &a.header {
        Some(h) => Some(input::json_object("--header", h)?),
        None => None,
    };
    let mut signers = Vec::new();
    for (key, name) in keys.iter().zip(&names) {
        let alg = JwsAlg::from_name(name).map_err(input_err("--alg"))?;
        signers.push((
            alg,
            Signer::new(key, alg).map_err(input_err("the key cannot sign"))?,
        ));
    }
    let mut b = JwsBuilder::new(&payload);
    if a.detached {
        b = b.detached();
    }
    if a.unencoded {
        b = b.unencoded();
    }
    for (alg, signer) in &signers {
        let mut h = Header::new(*alg);
        for (k, v) in extra.iter().flatten() {
            if k != "alg" {
                h = h.param(k, v.clone());
            }
        }
        b = b.signature(signer, h, None);
    }
    let out = match a.format {
        FormatArg::Compact => b.compact(),
        FormatArg::Flattened => b.flattened(),
        FormatArg::General => b.general(),
    }
    .map_err(input_err("cannot build the JWS"))?;
    output::line(&out)
}

fn verify(a: &JwsVerifyArgs) -> CmdResult {
    input::raise_cap(a.max_size);
    let jws = input::token(a.jws.as_deref())?;
    let keys = input::key_source(&a.keys)?;
    let (algs, jwe) = super::split_algs(&a.algs)?;
    if !jwe.is_empty() {
        return Err(anyhow!("JWE algorithms do not verify a JWS").into());
    }
    let max = a.max_size.unwrap_or(input::MAX_INPUT_BYTES);
    let b = JwsVerifier::builder(keys).max_size(max);
    let verifier = if algs.is_empty() {
        b.algorithms_from_keys().build()
    } else {
        b.algorithms(algs).build()
    }
    .map_err(|e| Failure::Input(anyhow!("cannot build the verifier: {e}")))?;
    let parsed = Jws::parse(&jws, max).map_err(rejected)?;
    let detached = match &a.payload {
        Some(path) => Some(input::file(path)?),
        None => None,
    };
    // An empty payload segment is a signature over the empty payload (RFC 7515 §7.2.8,
    // Appendix F) unless detached content is given; only when that fails may it be detached.
    let result = verifier.verify_parsed(&parsed, detached.as_deref());
    if result.is_err() && parsed.is_detached() && detached.is_none() {
        output::note(
            "the JWS has no payload: if its payload is detached, give it with --payload FILE",
        );
    }
    if a.json {
        return json_report(&parsed, result);
    }
    let verified = result.map_err(rejected)?;
    if parsed.signature_count() > 1 {
        for o in verified.outcomes() {
            output::note(&describe(o));
        }
    }
    output::out(verified.payload())
}

/// One line per signature: which verified, under which key, and why the others did not.
fn describe(o: &SignatureOutcome) -> String {
    match &o.result {
        Ok(v) => format!(
            "signature {}: verified ({}, kid {})",
            o.index,
            v.alg.name(),
            v.kid.as_deref().unwrap_or("-")
        ),
        Err(e) => format!("signature {}: not verified: {e} ({})", o.index, e.code()),
    }
}

/// `--json`: `{"valid", "payload", "signatures": [{"index", "alg", "kid", "verified", ...}]}`.
fn json_report(parsed: &Jws, result: Result<VerifiedJws, tessera_jose::Error>) -> CmdResult {
    let header_of = |i: usize| {
        parsed.signatures().get(i).map(|s| {
            let alg = s.protected().get("alg").cloned().unwrap_or(Value::Null);
            let kid = s.protected().get("kid").cloned().unwrap_or(Value::Null);
            (alg, kid)
        })
    };
    match result {
        Ok(v) => {
            let signatures: Vec<Value> = v
                .outcomes()
                .iter()
                .map(|o| match &o.result {
                    Ok(s) => json!({"index": o.index, "verified": true, "alg": s.alg.name(),
                        "kid": s.kid}),
                    Err(e) => {
                        let (alg, kid) = header_of(o.index).unwrap_or((Value::Null, Value::Null));
                        json!({"index": o.index, "verified": false, "alg": alg, "kid": kid,
                            "code": e.code(), "message": e.to_string()})
                    }
                })
                .collect();
            let payload = match std::str::from_utf8(v.payload()) {
                Ok(text) => json!(text),
                Err(_) => json!({"base64url": tessera_jose::b64::encode(v.payload())}),
            };
            output::json(&json!({"valid": true, "payload": payload, "signatures": signatures}))
        }
        Err(e) => {
            output::json(&json!({"valid": false, "code": e.code(), "message": e.to_string()}))?;
            Err(rejected(e))
        }
    }
}
