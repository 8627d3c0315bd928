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
/// Verifies a signature made outside JWS (a WebAuthn assertion, a COSE signature) with a public
/// key parsed as JWS keys are: the same key objects and checks. `sig` is in JOSE form (ECDSA
/// `r‖s`, RFC 7518 §3.4). HMAC algorithms are refused (this is for public keys), as is a key
/// whose curve is not the algorithm's.
///
/// # Errors
/// [`crate::Error::SignatureInvalid`] for a signature that does not verify or a key that does not
/// suit `alg`; a key problem for unusable key material.
pub fn verify_raw(
    jwk: &crate::Jwk,
    alg: crate::JwsAlg,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), crate::Error> {
    if alg.family() == crate::alg::Family::Hmac {
        return Err(crate::Error::SignatureInvalid);
    }
    if let Some(c) = alg.info().curve
        && jwk.curve() != Some(c)
    {
        return Err(crate::Error::SignatureInvalid);
    }
    crate::crypto::VerifyingKey::new(alg, &jwk.material())?.verify(msg, sig)
}

pub use verify::{
    DEFAULT_MAX_SIZE, JwsVerifier, JwsVerifierBuilder, SignatureOutcome, SignaturePolicy,
    VerifiedJws, VerifiedSignature,
};
