//! JSON Web Tokens (RFC 7519): claims, signing and validation.

mod builder;
mod claims;
mod registered;
mod signer;
mod time;
mod verifier;

pub use builder::VerifierBuilder;
pub use claims::{Audience, Claims};
pub use signer::JwtSigner;
pub use time::{Clock, FixedClock, NumericDate, SystemClock};
pub use verifier::{DEFAULT_MAX_TOKEN, Verified, VerifiedHeader, Verifier};
