//! # tessera-jose
//!
//! JOSE and JWT for Rust on [aws-lc-rs]: JWS and JWE in every serialization with every RFC 7518
//! algorithm, JWK and JWK Sets, signed, encrypted and nested JWTs, and JWT validation with the
//! JWT Best Current Practices (RFC 8725) as defaults.
//!
//! The paved path:
//!
//! ```
//! use std::time::Duration;
//! use serde::Deserialize;
//! use tessera_jose::{Jwk, JwkSet, JwsAlg, jws::Signer, jwt::{Claims, JwtSigner, Verifier}};
//!
//! // Issuer side: a key, parsed once into a signer.
//! let key = Jwk::generate(JwsAlg::ES256)?;
//! let signer = JwtSigner::new(Signer::new(&key, JwsAlg::ES256)?);
//! let token = Claims::new()
//!     .issuer("https://auth.example.com")
//!     .subject("user-1")
//!     .audience("api://orders")
//!     .expires_in(Duration::from_secs(900))
//!     .claim("scope", "orders:read")?
//!     .sign(&signer)?;
//!
//! // API side: a key source and an algorithm policy are required to build a verifier.
//! let jwks = JwkSet::from_json(&JwkSet::from(key.to_public()?).to_json())?;
//! let verifier = Verifier::builder(jwks)
//!     .algorithms([JwsAlg::ES256])
//!     .issuer("https://auth.example.com")
//!     .audience("api://orders")
//!     .leeway(Duration::from_secs(30))
//!     .build()?;
//!
//! #[derive(Deserialize)]
//! struct MyClaims { sub: String, scope: String }
//! let verified = verifier.verify::<MyClaims>(&token)?;
//! assert_eq!(verified.claims().scope, "orders:read");
//! # Ok::<(), tessera_jose::Error>(())
//! ```
//!
//! Security properties, all on by default: `none` is never accepted; algorithms come from the
//! verifier (or its keys), never from the token; a key is bound to its family, so a public key
//! can never be used as an HMAC secret; `jwk`/`jku`/`x5u`/`x5c` headers are ignored; `crit` is
//! enforced; duplicate JSON members, non-canonical base64url, oversized and deeply nested input
//! are rejected; ECDSA `r`/`s` are range-checked; `exp`/`nbf`/`iat` must be numbers.
//!
//! Key sources are coherent (no secret beside public keys, no two keys under one `kid`), and a
//! token's `kid` is only ever verified by the key with that `kid`.
//!
//! Encryption ([`jwe`]): `RSA1_5` (behind a `dangerous_` opt-in: its timing oracle remains) and
//! PBES2 are off unless enabled, PBES2 iteration counts and decompression are capped, `epk` must lie on the
//! recipient key's curve, and every cryptographic failure is the one opaque
//! [`Error::DecryptionFailed`]. [`jwt::Verifier`] is told whether to expect signed, encrypted or
//! nested tokens.
//!
//! [aws-lc-rs]: https://github.com/aws/aws-lc-rs
#![forbid(unsafe_code)]

pub mod alg;
pub mod b64;
mod crypto;
pub mod dangerous;
pub mod dpop;
pub mod error;
pub mod inspect;
pub mod json;
pub mod jwe;
pub mod jwk;
pub mod jws;
pub mod jwt;
pub mod secret;
pub mod status;

pub use alg::{Enc, JweAlg, JwsAlg};
pub use error::Error;
pub use jwk::{Jwk, JwkSet};
