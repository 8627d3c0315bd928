//! The tokens the service mints (RFC 9068 access tokens today; ID and refresh tokens with the
//! sign-in issues), and the verified-token cache that introspection and revocation read.

pub mod access;
pub mod id;
pub mod logout;
pub mod status;
pub mod verify;

pub use verify::VerifiedTokens;

/// The authentication context class of a sign-in with a password alone (one factor): the
/// `acr` of every person's token until stronger sign-ins exist.
pub const ACR_PASSWORD: &str = "urn:tessera:acr:password";
