//! The tokens the service mints (RFC 9068 access tokens today; ID and refresh tokens with the
//! sign-in issues).

pub mod access;
