//! `tessera dpop proof|verify`: DPoP proofs (RFC 9449) from the command line.

use anyhow::anyhow;
use serde_json::json;
use tessera_jose::JwsAlg;
use tessera_jose::dpop::{Proof, ProofVerifier, Request};
use tessera_jose::jwt::FixedClock;

use crate::args::DpopCommand;
use crate::exit::{CmdResult, Failure, input as input_err};
use crate::input;
use crate::output;

pub fn run(c: &DpopCommand) -> CmdResult {
    match c {
        DpopCommand::Proof {
            key,
            alg,
            htm,
            htu,
            access_token,
            nonce,
            password,
        } => {
            input::set_key_password(password)?;
            let jwk = input::one_key(key)?;
            let alg = match alg {
                Some(name) => JwsAlg::from_name(name).map_err(input_err("--alg"))?,
                None => super::default_alg(&jwk)?,
            };
            let mut p =
                Proof::new(&jwk, alg).map_err(input_err("the key cannot make DPoP proofs"))?;
            if let Some(t) = access_token {
                p = p.access_token(t);
            }
            if let Some(n) = nonce {
                p = p.nonce(n.clone());
            }
            output::line(
                &p.sign(htm, htu)
                    .map_err(input_err("cannot sign the proof"))?,
            )
        }
        DpopCommand::Verify {
            proof,
            htm,
            htu,
            access_token,
            jkt,
            nonce,
            max_age,
            now,
            json,
        } => {
            let proof = input::token(proof.as_deref())?;
            let mut b = ProofVerifier::builder();
            if let Some(m) = max_age {
                let secs = input::duration(m)?.as_secs();
                b = b.max_age(i64::try_from(secs).map_err(|_| anyhow!("--max-age is too large"))?);
            }
            if let Some(t) = now {
                b = b.clock(FixedClock(*t));
            }
            let verifier = b.build().map_err(input_err("DPoP verifier"))?;
            let mut req = Request::new(htm, htu);
            if let Some(t) = access_token {
                req = req.access_token(t);
            }
            if let Some(k) = jkt {
                req = req.jkt(k);
            }
            if let Some(n) = nonce {
                req = req.nonce(n);
            }
            match verifier.verify(&proof, &req) {
                Ok(checked) => {
                    let out = json!({
                        "valid": true,
                        "jkt": checked.jkt(),
                        "alg": checked.alg().name(),
                        "claims": checked.claims(),
                    });
                    if *json {
                        output::json(&out)
                    } else {
                        output::json(&json!({"jkt": checked.jkt(), "claims": checked.claims()}))
                    }
                }
                Err(e) => {
                    let detail = verifier.explain(&proof, &req, &e);
                    if *json {
                        output::json(&crate::exit::rejection_json(&e, detail.as_deref()))?;
                    }
                    Err(match detail {
                        Some(d) => Failure::Explained(e, d),
                        None => Failure::Rejected(e),
                    })
                }
            }
        }
    }
}
