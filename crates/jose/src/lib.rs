//! Tessera JOSE: JWS, JWK/JWKS and JWT validation on aws-lc-rs, secure by default.
#![forbid(unsafe_code)]

pub mod alg;
pub mod b64;
mod crypto;
pub mod error;
pub mod json;
pub mod jwk;

pub use alg::JwsAlg;
pub use error::Error;
pub use jwk::{Jwk, JwkSet};
