//! `POST api/algorithms`: what the page offers.

use serde_json::{Value, json};
use tessera_jose::alg::KeyManagement;
use tessera_jose::{JweAlg, JwsAlg};

/// The algorithms the page offers: every JWS algorithm this build supports, and every JWE
/// key management but the ones refused by default (RSA1_5) or made from passwords (PBES2).
pub fn algorithms() -> Value {
    let jws: Vec<&str> = JwsAlg::ALL
        .into_iter()
        .filter(|a| a.is_supported())
        .map(JwsAlg::name)
        .collect();
    let jwe: Vec<&str> = JweAlg::ALL
        .into_iter()
        .filter(|a| !matches!(a.mode(), KeyManagement::Pbes2 | KeyManagement::RsaPkcs1))
        .map(JweAlg::name)
        .collect();
    json!({"jws": jws, "jwe": jwe})
}
