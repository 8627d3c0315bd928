//! People: usernames, passwords and the rules for new ones, and the bounded pool that hashes
//! them.

pub mod attributes;
pub mod auth;
pub mod password;
pub mod policy;
pub mod pool;
pub mod subjects;
pub mod totp;
pub mod username;
pub mod webauthn;

pub use password::{Argon2Params, Checked, PasswordError};
pub use pool::{Busy, CheckError, Passwords};
