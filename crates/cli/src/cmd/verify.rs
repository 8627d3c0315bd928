//! `tessera verify`: a signed, encrypted or nested JWT, under the key's or the given algorithms
//! and every requested claim check; prints the verified claims.

use serde_json::{Value, json};
use tessera_jose::jwe::Decrypter;
use tessera_jose::jwt::{FixedClock, Verified, Verifier, VerifierBuilder};
use tessera_jose::{Error, JwkSet};

use super::split_algs;
use crate::args::{Expect, VerifyArgs};
use crate::exit::{CmdResult, Failure};
use crate::input;
use crate::output;

pub fn run(a: &VerifyArgs) -> CmdResult {
    match verify(a) {
        Ok(v) => {
            if a.json {
                let header = v
                    .header()
                    .map(|h| json!({"alg": h.alg, "kid": h.kid, "typ": h.typ, "cty": h.cty}));
                let encryption = v.encryption().map(|e| {
                    json!({"alg": e.alg, "enc": e.enc, "kid": e.kid, "typ": e.typ, "cty": e.cty})
                });
                output::json(&json!({
                    "valid": true,
                    "header": header,
                    "encryption": encryption,
                    "claims": v.claims(),
                }))
            } else {
                output::json(v.claims())
            }
        }
        Err(Failure::Rejected(e)) if a.json => {
            output::json(&json!({"valid": false, "code": e.code(), "message": e.to_string()}))?;
            Err(Failure::Rejected(e))
        }
        Err(f) => Err(f),
    }
}

fn configure<S>(b: VerifierBuilder<S>, a: &VerifyArgs) -> Result<VerifierBuilder<S>, Failure> {
    let mut b = b.issuers(a.issuers.iter().cloned());
    if !a.audiences.is_empty() {
        b = b.audiences(a.audiences.iter().cloned());
    }
    if let Some(sub) = &a.sub {
        b = b.subject(sub.clone());
    }
    if let Some(typ) = &a.typ {
        b = b.typ(typ.clone());
    }
    if let Some(l) = &a.leeway {
        b = b.leeway(input::duration(l)?);
    }
    if let Some(m) = &a.max_age {
        b = b.max_age(input::duration(m)?);
    }
    for claim in &a.required {
        b = b.require(claim.clone());
    }
    if a.allow_missing_exp {
        b = b.allow_missing_exp();
    }
    if let Some(now) = a.now {
        b = b.clock(FixedClock(now));
    }
    Ok(b)
}

/// A builder error is the caller's configuration or keys: an input error.
fn config(e: Error) -> Failure {
    let hint = if matches!(e, Error::Config(_)) {
        " (name the algorithms with --alg, or give the keys an `alg` member)"
    } else {
        ""
    };
    Failure::Input(anyhow::anyhow!("cannot build the verifier: {e}{hint}"))
}

fn verify(a: &VerifyArgs) -> Result<Verified<Value>, Failure> {
    let token = input::token(a.token.as_deref())?;
    let (jws_algs, jwe_algs) = split_algs(&a.algs)?;
    let expect = match a.expect {
        Some(e) => e,
        None if token.split('.').count() != 5 => Expect::Signed,
        None => {
            let header = tessera_jose::dangerous::peek_header_unverified(&token)
                .map_err(Failure::Rejected)?;
            let nested = header
                .get_str("cty")
                .is_some_and(|c| tessera_jose::jws::typ_matches(c, "JWT"));
            if nested {
                Expect::Nested
            } else {
                Expect::Encrypted
            }
        }
    };
    let has_signing_key = a.keys.key.is_some()
        || a.keys.secret.is_some()
        || a.keys.secret_b64.is_some()
        || a.keys.secret_file.is_some();
    if expect == Expect::Signed {
        let keys = input::key_source(&a.keys)?;
        let b = Verifier::builder(keys);
        let verifier = if jws_algs.is_empty() {
            configure(b.algorithms_from_keys(), a)?.build()
        } else {
            configure(b.algorithms(jws_algs), a)?.build()
        }
        .map_err(config)?;
        return verifier.verify(&token).map_err(Failure::Rejected);
    }
    let decrypt_keys: JwkSet = match (&a.decrypt_key, &a.keys.key) {
        (Some(path), _) | (None, Some(path)) => input::keys_from(path)?,
        (None, None) => {
            return Err(
                anyhow::anyhow!("an encrypted token needs --decrypt-key (or --key)").into(),
            );
        }
    };
    let d = Decrypter::builder(decrypt_keys);
    let decrypter = if jwe_algs.is_empty() {
        d.algorithms_from_keys().build()
    } else {
        d.algorithms(jwe_algs).build()
    }
    .map_err(config)?;
    let verifier = if expect == Expect::Nested {
        if !has_signing_key {
            return Err(anyhow::anyhow!(
                "a nested JWT needs the signing key too: --key SRC (and --decrypt-key SRC)"
            )
            .into());
        }
        // The signing key's kid is in the inner token, which is not readable yet.
        let keys = input::key_source(&a.keys)?;
        let b = Verifier::builder(keys);
        if jws_algs.is_empty() {
            configure(b.algorithms_from_keys().decrypt_with(decrypter), a)?.build()
        } else {
            configure(b.algorithms(jws_algs).decrypt_with(decrypter), a)?.build()
        }
    } else {
        configure(Verifier::encrypted(decrypter), a)?.build()
    }
    .map_err(config)?;
    verifier.verify(&token).map_err(Failure::Rejected)
}
