//! The protocol, without I/O: the form body (RFC 6749 §3.1, RFC 8707 `resource`), client
//! credentials (RFC 6749 §2.3.1) and their check against a client's record. The endpoints
//! (`endpoints/`) feed it requests; the grants (`grants/`) take what it decided.

pub mod client_auth;
pub mod form;
pub mod parse;
pub mod redirect;

pub use client_auth::{AuthFailure, Credentials, check_secret};
pub use form::Form;
