//! JSON Web Encryption (RFC 7516) with every key-management and content-encryption algorithm of
//! RFC 7518 (and X25519 from RFC 8037), in every serialization.
//!
//! - [`Encrypter`]: a recipient key parsed once for one `alg`.
//! - [`JweBuilder`]: plaintext, `enc`, headers, AAD, `zip`, one or several recipients; compact,
//!   flattened or general JSON.
//! - [`Decrypter`]: decryption under an explicit algorithm policy, with `RSA1_5` and PBES2 off
//!   unless enabled, limits on `p2c`, size and decompression, and one opaque error for every
//!   cryptographic failure.
//!
//! Nested JWTs (signed, then encrypted) are produced by [`crate::jwt::Claims::sign_and_encrypt`]
//! and checked by [`crate::jwt::Verifier`] built with a decrypter.

mod decrypt;
mod encrypt;
mod format;
mod header;
pub(crate) mod keys;
mod zip;

pub use decrypt::{
    DEFAULT_MAX_PBES2_COUNT, DEFAULT_MAX_SIZE, Decrypted, Decrypter, DecrypterBuilder,
    WithKeyManagement,
};
pub use encrypt::{DEFAULT_PBES2_COUNT, Encrypter, JweBuilder, MIN_PBES2_COUNT, Placement};
pub use format::{Jwe, MAX_RECIPIENTS, Recipient};
pub use zip::DEFAULT_MAX_DECOMPRESSED;
