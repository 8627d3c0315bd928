//! Shared helpers for the spec tests: the vector files live in the repository's `test-vectors/`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use serde_json::Value;
use tessera_jose::{Jwk, JwkSet, JwsAlg};

/// Reads a vector file, relative to `test-vectors/`.
pub fn vector(path: &str) -> Value {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../test-vectors")
        .join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
    serde_json::from_str(&text).unwrap()
}

/// A JWK from a JSON value.
pub fn jwk(v: &Value) -> Jwk {
    Jwk::from_json(&v.to_string()).unwrap_or_else(|e| panic!("{e}: {v}"))
}

/// A JWK Set holding one key.
pub fn set(v: &Value) -> JwkSet {
    JwkSet::from(jwk(v))
}

/// A string member.
pub fn s<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name].as_str().unwrap_or_else(|| panic!("missing {name}"))
}

/// The algorithm of a vector.
pub fn alg(name: &str) -> JwsAlg {
    JwsAlg::from_name(name).unwrap()
}
