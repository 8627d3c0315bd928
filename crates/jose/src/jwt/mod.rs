//! JSON Web Tokens (RFC 7519): claims, signing and validation.

mod claims;
mod signer;
mod time;
mod verifier;

pub use claims::{Audience, Claims};
pub use signer::JwtSigner;
pub use time::{Clock, FixedClock, NumericDate, SystemClock};
pub use verifier::{DEFAULT_MAX_TOKEN, Verified, VerifiedHeader, Verifier, VerifierBuilder};
