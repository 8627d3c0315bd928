//! JSON Web Tokens (RFC 7519): claims, signing, encryption (plain and nested) and validation.

mod builder;
mod claims;
mod encrypter;
mod explain;
mod registered;
mod signer;
mod time;
mod verifier;

pub use builder::EncryptedOnly;
pub use builder::VerifierBuilder;
pub use claims::{Audience, Claims};
pub use encrypter::JwtEncrypter;
pub use signer::JwtSigner;
pub use time::{Clock, FixedClock, NumericDate, SystemClock};
pub use verifier::{
    DEFAULT_IAT_SKEW, DEFAULT_MAX_TOKEN, EncryptionHeader, Verified, VerifiedHeader, Verifier,
};
