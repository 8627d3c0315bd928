//! JSON Web Signature (RFC 7515), with unencoded payloads (RFC 7797).
//!
//! - [`Signer`]: a private key parsed once for one algorithm.
//! - [`JwsBuilder`]: compact, flattened or general JSON; several signatures; detached or
//!   unencoded payloads.
//! - [`JwsVerifier`]: verification under an explicit algorithm policy, with `crit` enforced,
//!   header key material (`jwk`, `jku`, `x5u`, `x5c`) ignored, and a per-signature report.

mod build;
pub(crate) mod format;
pub(crate) mod header;
pub(crate) mod keys;
mod sign;
mod verify;

pub use build::JwsBuilder;
pub use format::{Format, Jws, MAX_SIGNATURES, RawSignature};
pub use header::{Header, typ_matches};
pub use keys::{NoAlgorithms, WithAlgorithms};
pub use sign::Signer;
pub use verify::{
    DEFAULT_MAX_SIZE, JwsVerifier, JwsVerifierBuilder, SignatureOutcome, SignaturePolicy,
    VerifiedJws, VerifiedSignature,
};
