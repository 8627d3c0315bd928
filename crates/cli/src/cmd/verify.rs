//! `tessera verify`: a signed, encrypted or nested JWT, under the key's or the given algorithms
//! and every requested claim check; prints the verified claims.

use serde_json::{Value, json};
use tessera_jose::jwe::Decrypter;
use tessera_jose::jwt::{FixedClock, Verified, Verifier, VerifierBuilder};
use tessera_jose::{Error, JweAlg, JwkSet};

use super::split_algs;
use crate::args::{Expect, VerifyArgs};
use crate::exit::{CmdResult, Failure};
use crate::input;
use crate::output;

pub fn run(a: &VerifyArgs) -> CmdResult {
    match verify(a) {
        Ok(v) if !a.signature_only && bound_key(v.claims()).is_some() => {
            let message = format!(
                "the token is DPoP-bound (cnf.jkt {}): its signature and claims are valid, but whoever presents it must also prove that key with a DPoP proof (RFC 9449 §7; `tessera dpop verify` checks one); --signature-only accepts it on its signature alone",
                tessera_jose::error::escaped(bound_key(v.claims()).unwrap_or_default())
            );
            if a.json {
                output::json(&json!({"valid": false, "code": "dpop_bound", "message": message}))?;
            }
            Err(Failure::Refused(message))
        }
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
        Err(Failure::Refused(m)) if a.json => {
            output::json(&json!({"valid": false, "code": "status", "message": m}))?;
            Err(Failure::Refused(m))
        }
        Err(Failure::Rejected(e)) if a.json => {
            output::json(&crate::exit::rejection_json(&e, None))?;
            Err(Failure::Rejected(e))
        }
        Err(Failure::Explained(e, detail)) if a.json => {
            output::json(&crate::exit::rejection_json(&e, Some(&detail)))?;
            Err(Failure::Explained(e, detail))
        }
        Err(f) => Err(f),
    }
}

/// A rejection, with what the token had beside what was expected when the verifier can say,
/// and which flag names the expectation.
fn rejection(verifier: &Verifier, token: &str, e: Error, a: &VerifyArgs) -> Failure {
    explained(verifier.explain(token, &e), e, a)
}

/// [`rejection`] from the explanation.
fn explained(detail: Option<String>, e: Error, a: &VerifyArgs) -> Failure {
    let Some(detail) = detail else {
        return Failure::Rejected(e);
    };
    let hint = match &e {
        Error::Audience if a.audiences.is_empty() => {
            " (name the audience this token is meant for with --aud)"
        }
        Error::Audience => " (--aud)",
        Error::Issuer => " (--iss)",
        Error::Subject => " (--sub)",
        Error::Type => " (--typ)",
        Error::AlgorithmNotAllowed if !a.algs.is_empty() => " (--alg)",
        Error::Expired | Error::NotYetValid => " (--leeway, or --now to check at another time)",
        _ => "",
    };
    Failure::Explained(e, format!("{detail}{hint}"))
}

/// The thumbprint a DPoP-bound token is bound to (`cnf.jkt`).
fn bound_key(claims: &Value) -> Option<&str> {
    claims.get("cnf")?.get("jkt")?.as_str()
}

fn configure<S>(b: VerifierBuilder<S>, a: &VerifyArgs) -> Result<VerifierBuilder<S>, Failure> {
    let mut b = b
        .issuers(a.issuers.iter().cloned())
        .max_token_size(a.max_size.unwrap_or(input::MAX_INPUT_BYTES));
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

/// A builder error is the caller's configuration or keys: an input error, with a hint that
/// points at the actual cause.
fn config(e: Error, named: &[String]) -> Failure {
    use tessera_jose::error::KeyProblem;
    let hint = match &e {
        Error::Config(m) if m.starts_with("no key of the key source") => {
            if named.is_empty() {
                " (name the algorithms with --alg, or give the keys an `alg` member)".to_owned()
            } else {
                format!(
                    " (no key fits --alg {}: check the key's type and curve, see `tessera alg`)",
                    named.join(", ")
                )
            }
        }
        Error::InvalidKey(KeyProblem::HmacTooShort) => {
            " (the secret is shorter than the hash: HS256 needs at least 32 bytes, HS384 48, HS512 64)".to_owned()
        }
        _ => String::new(),
    };
    Failure::Input(anyhow::anyhow!("cannot build the verifier: {e}{hint}"))
}

fn verify(a: &VerifyArgs) -> Result<Verified<Value>, Failure> {
    input::raise_cap(a.max_size);
    // Before any key file is read: --decrypt-key files may be encrypted too.
    input::set_key_password(&a.keys.key_password)?;
    let token = input::token(a.token.as_deref())?;
    let (jws_algs, jwe_algs) = split_algs(&a.algs)?;
    // The caller states the kind; the token never does. `--decrypt-key` means nested.
    let expect = match a.expect {
        Some(e) => e,
        None if a.decrypt_key.is_some() => Expect::Nested,
        None => Expect::Signed,
    };
    let has_signing_key = a.keys.given();
    let named = !a.algs.is_empty();
    if a.accept_unauthenticated_senders && expect != Expect::Encrypted {
        return Err(usage(
            "--accept-unauthenticated-senders only applies with --expect encrypted",
        ));
    }
    if a.ca_file.is_some() && a.jwks_url.is_none() && a.issuer_url.is_none() {
        return Err(usage(
            "--ca-file applies to the keys fetched with --issuer or --jwks-url",
        ));
    }
    if a.jwks_url.is_some() || a.issuer_url.is_some() {
        if expect != Expect::Signed || a.decrypt_key.is_some() || has_signing_key {
            return Err(usage(
                "--jwks-url and --issuer verify signed JWTs with the remote keys only (no --key, --decrypt-key or --expect)",
            ));
        }
        return remote(a, jws_algs, token);
    }
    match expect {
        Expect::Signed => {
            if a.decrypt_key.is_some() {
                return Err(usage(
                    "--decrypt-key decrypts a nested or encrypted JWT, but --expect signed was given",
                ));
            }
            if !jwe_algs.is_empty() {
                return Err(usage(
                    "--alg names a JWE algorithm, but a signed JWT is expected (see --expect)",
                ));
            }
            let b = Verifier::builder(input::key_source(&a.keys)?);
            let verifier = if named {
                configure(b.algorithms(jws_algs), a)?.build()
            } else {
                configure(b.algorithms_from_keys(), a)?.build()
            }
            .map_err(|e| config(e, &a.algs))?;
            verifier.verify(&token).map_err(|e| {
                if matches!(e, Error::TokenKind(_)) && a.expect.is_none() {
                    crate::output::note(
                        "the token is encrypted (a JWE): for a nested JWT pass --decrypt-key KEY; for an encrypted-only one, --expect encrypted --decrypt-key KEY",
                    );
                }
                rejection(&verifier, &token, e, a)
            })
        }
        Expect::Encrypted => {
            if has_signing_key {
                return Err(usage(
                    "an encrypted JWT has no signature to check: give its key with --decrypt-key (--key is never used to decrypt)",
                ));
            }
            if !jws_algs.is_empty() {
                return Err(usage(
                    "--alg names a JWS algorithm, but an encrypted JWT has no signature",
                ));
            }
            let decrypter = decrypter(a, jwe_algs, named)?;
            if !a.accept_unauthenticated_senders
                && decrypter.algorithms().iter().any(|alg| alg.is_public_key())
            {
                return Err(usage(
                    "an encrypted JWT under RSA-OAEP or ECDH-ES authenticates no sender (anyone with the public key can make one): verify nested JWTs (--key and --decrypt-key), name a shared-key --alg, or pass --accept-unauthenticated-senders",
                ));
            }
            let mut b = Verifier::encrypted(decrypter);
            if a.accept_unauthenticated_senders {
                b = b.accept_unauthenticated_senders();
            }
            let verifier = configure(b, a)?.build().map_err(|e| config(e, &a.algs))?;
            verifier
                .verify(&token)
                .map_err(|e| rejection(&verifier, &token, e, a))
        }
        Expect::Nested => {
            if !has_signing_key {
                return Err(usage(
                    "a nested JWT needs the signing key: --key SRC (or a secret), and --decrypt-key SRC",
                ));
            }
            if named && jws_algs.is_empty() {
                return Err(usage(
                    "--alg names no JWS algorithm for the signed inner token of a nested JWT",
                ));
            }
            let decrypter = decrypter(a, jwe_algs, named)?;
            // The signing key's kid is in the inner token, which is not readable yet.
            let b = Verifier::builder(input::key_source(&a.keys)?);
            let verifier = if named {
                configure(b.algorithms(jws_algs).decrypt_with(decrypter), a)?.build()
            } else {
                configure(b.algorithms_from_keys().decrypt_with(decrypter), a)?.build()
            }
            .map_err(|e| config(e, &a.algs))?;
            verifier
                .verify(&token)
                .map_err(|e| rejection(&verifier, &token, e, a))
        }
    }
}

/// The decrypter of `--decrypt-key`, under the named JWE algorithms (all of `--alg` is the
/// policy when given: it never widens to what the key allows), else the key's.
fn decrypter(a: &VerifyArgs, jwe_algs: Vec<JweAlg>, named: bool) -> Result<Decrypter, Failure> {
    let Some(path) = &a.decrypt_key else {
        return Err(usage(
            "an encrypted or nested JWT needs --decrypt-key SRC (--key is never used to decrypt)",
        ));
    };
    if named && jwe_algs.is_empty() {
        return Err(usage(
            "--alg names no JWE key-management algorithm for the encryption layer (add one, e.g. --alg RSA-OAEP-256)",
        ));
    }
    let d = Decrypter::builder(input::keys_from(path)?)
        .max_size(a.max_size.unwrap_or(input::MAX_INPUT_BYTES))
        .max_decompressed_size(input::MAX_INPUT_BYTES);
    if named {
        d.algorithms(jwe_algs).build()
    } else {
        d.algorithms_from_keys().build()
    }
    .map_err(|e| config(e, &a.algs))
}

fn usage(msg: &str) -> Failure {
    Failure::Input(anyhow::anyhow!("{msg}"))
}

/// A signed JWT checked with keys fetched from `--jwks-url` or discovered from `--issuer`.
fn remote(
    a: &VerifyArgs,
    algs: Vec<tessera_jose::JwsAlg>,
    token: String,
) -> Result<Verified<Value>, Failure> {
    use tessera_guard::{CacheOptions, GuardError, RemoteVerifier};
    // Options are checked once here, so the builder below cannot fail on them.
    configure(Verifier::builder(JwkSet::new()), a)?;
    let args = a.clone();
    let build = move |set: JwkSet| {
        let b = Verifier::builder(set);
        let mut b = if algs.is_empty() {
            configure(b.algorithms_from_keys(), &args)
        } else {
            configure(b.algorithms(algs.clone()), &args)
        }
        .map_err(|_| Error::Config("invalid verification options"))?;
        if let Some(iss) = &args.issuer_url {
            b = b.issuer(iss.clone());
        }
        b.build()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
    let mut options = CacheOptions::default();
    if let Some(file) = &a.ca_file {
        options.ca_pem =
            std::fs::read(file).map_err(|e| anyhow::anyhow!("--ca-file {file}: {e}"))?;
    }
    runtime.block_on(async {
        let verifier = match (&a.jwks_url, &a.issuer_url) {
            (Some(url), _) => RemoteVerifier::new(url, options, build),
            (None, Some(iss)) => RemoteVerifier::discover(iss, options, build).await,
            (None, None) => Err(GuardError::Url("no URL")),
        }
        .map_err(|e| Failure::Input(anyhow::anyhow!("{e}")))?;
        let verified = verifier
            .verify::<Value>(&token)
            .await
            .map_err(|e| match e {
                GuardError::Token(e) => explained(verifier.explain(&token, &e), e, a),
                other => Failure::Input(anyhow::anyhow!("{other}")),
            })?;
        if let (true, Some(iss)) = (a.check_status, &a.issuer_url) {
            check_status(iss, options_for_status(a)?, verified.claims()).await?;
        }
        Ok(verified)
    })
}

fn options_for_status(a: &VerifyArgs) -> Result<tessera_guard::CacheOptions, Failure> {
    let mut options = tessera_guard::CacheOptions::default();
    if let Some(file) = &a.ca_file {
        options.ca_pem =
            std::fs::read(file).map_err(|e| anyhow::anyhow!("--ca-file {file}: {e}"))?;
    }
    Ok(options)
}

/// `--check-status`: the token's status in the issuer's status list must be valid.
async fn check_status(
    issuer: &str,
    cache: tessera_guard::CacheOptions,
    claims: &Value,
) -> Result<(), Failure> {
    use tessera_guard::status::{Checked, StatusLists, StatusOptions};
    let lists = StatusLists::discover(issuer, cache, StatusOptions::default())
        .await
        .map_err(|e| Failure::Input(anyhow::anyhow!("cannot check the token's status: {e}")))?;
    match lists.check(claims).await {
        Ok(Checked::Status(s)) if s.is_valid() => Ok(()),
        Ok(Checked::Status(s)) => Err(Failure::Refused(format!(
            "the token is revoked: its status list says 0x{:02x} ({})",
            s.0,
            match s.0 {
                1 => "invalid",
                2 => "suspended",
                _ => "not valid",
            }
        ))),
        Ok(Checked::Missing) => Err(Failure::Refused(
            "the token has no status claim, so whether it was revoked cannot be checked".into(),
        )),
        Err(tessera_guard::GuardError::Status(why)) => Err(Failure::Refused(why)),
        Err(e) => Err(Failure::Input(anyhow::anyhow!(
            "cannot check the token's status: {e}"
        ))),
    }
}
