//! `POST api/algorithms`: what the page offers.

use serde::Serialize;
use tessera_jose::alg::KeyManagement;
use tessera_jose::{JweAlg, JwsAlg};

/// The answer: algorithm names.
#[derive(Debug, Serialize)]
pub struct Algorithms {
    /// Every JWS algorithm this build supports.
    pub jws: Vec<&'static str>,
    /// The JWE key managements the page offers.
    pub jwe: Vec<&'static str>,
}

/// The algorithms the page offers: every JWS algorithm this build supports, and every JWE
/// key management but the ones refused by default (RSA1_5) or made from passwords (PBES2).
#[must_use]
pub fn algorithms() -> Algorithms {
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
    Algorithms { jws, jwe }
}
