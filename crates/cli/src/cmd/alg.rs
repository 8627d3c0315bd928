//! `tessera alg`: every algorithm with its support status.

use serde_json::{Value, json};
use tessera_jose::alg::{Family, KeyManagement};
use tessera_jose::{Enc, JweAlg, JwsAlg};

use crate::args::AlgArgs;
use crate::exit::CmdResult;
use crate::output;

fn rows() -> Vec<Value> {
    let mut rows = Vec::new();
    for a in JwsAlg::ALL {
        let keys = match a.family() {
            Family::Hmac => format!("oct, at least {} bytes", a.info().hash_len),
            Family::RsaPkcs1 | Family::RsaPss => "RSA, at least 2048 bits".into(),
            Family::Ecdsa => format!("EC {}", a.info().curve.map_or("", |c| c.name())),
            Family::EdDsa => "OKP Ed25519".into(),
            Family::MlDsa => "AKP".into(),
        };
        let status = if a.is_supported() {
            "supported"
        } else {
            "not in this build"
        };
        rows.push(json!({"name": a.name(), "use": "jws", "keys": keys, "status": status}));
    }
    rows.push(json!({"name": "Ed448", "use": "jws", "keys": "OKP Ed448",
        "status": "unsupported (not in aws-lc-rs)"}));
    rows.push(json!({"name": "none", "use": "jws", "keys": "-",
        "status": "never accepted (unsecured)"}));
    for a in JweAlg::ALL {
        let i = a.info();
        let keys = match i.mode {
            KeyManagement::Direct => "oct of the enc key length".to_owned(),
            KeyManagement::RsaOaep | KeyManagement::RsaPkcs1 => "RSA, at least 2048 bits".into(),
            KeyManagement::AesKw | KeyManagement::AesGcmKw => format!("oct, {} bytes", i.kw_len),
            KeyManagement::EcdhEs | KeyManagement::EcdhEsKw => {
                "EC P-256/P-384/P-521 or OKP X25519 (not X448: not in aws-lc-rs)".into()
            }
            KeyManagement::Pbes2 => "password".into(),
        };
        let status = if a.needs_opt_in() {
            "supported, off unless allowed (--allow-alg / --password)"
        } else {
            "supported"
        };
        rows.push(json!({"name": a.name(), "use": "jwe alg", "keys": keys, "status": status}));
    }
    for e in Enc::ALL {
        rows.push(json!({"name": e.name(), "use": "jwe enc",
            "keys": format!("CEK of {} bytes", e.cek_len()), "status": "supported"}));
    }
    rows
}

pub fn run(a: &AlgArgs) -> CmdResult {
    let rows = rows();
    if a.json {
        return output::json(&Value::Array(rows));
    }
    let mut s = String::new();
    for r in &rows {
        s.push_str(&format!(
            "{:<20} {:<8} {:<36} {}\n",
            r["name"].as_str().unwrap_or(""),
            r["use"].as_str().unwrap_or(""),
            r["keys"].as_str().unwrap_or(""),
            r["status"].as_str().unwrap_or(""),
        ));
    }
    output::out(s.as_bytes())
}
