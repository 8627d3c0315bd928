//! `tessera jws sign|verify`: raw JWS of any payload and serialization.

use anyhow::anyhow;
use tessera_jose::jws::{Header, JwsBuilder, JwsVerifier, Signer};
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
    if keys.len() != a.algs.len() {
        return Err(anyhow!(
            "give one --alg per key ({} keys, {} algorithms)",
            keys.len(),
            a.algs.len()
        )
        .into());
    }
    let extra = match &a.header {
        Some(h) => Some(input::json_object("--header", h)?),
        None => None,
    };
    let mut signers = Vec::new();
    for (key, name) in keys.iter().zip(&a.algs) {
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
    let jws = input::token(a.jws.as_deref())?;
    let keys = input::key_source(&a.keys)?;
    let (algs, jwe) = super::split_algs(&a.algs)?;
    if !jwe.is_empty() {
        return Err(anyhow!("JWE algorithms do not verify a JWS").into());
    }
    let b = JwsVerifier::builder(keys);
    let verifier = if algs.is_empty() {
        b.algorithms_from_keys().build()
    } else {
        b.algorithms(algs).build()
    }
    .map_err(|e| Failure::Input(anyhow!("cannot build the verifier: {e}")))?;
    let verified = match &a.payload {
        Some(path) => verifier.verify_detached(&jws, &input::file(path)?),
        None => verifier.verify(&jws),
    }
    .map_err(rejected)?;
    output::out(verified.payload())
}
