//! What the store keeps, one file per kind of record.

mod client;
mod event;
mod factor;
mod grant;
mod key;
mod refresh;
mod session;
mod status;
mod user;

pub use client::Client;
pub use event::Event;
pub use factor::Factor;
pub use grant::{AuthCode, Consent, PendingLogout};
pub use key::{KeyPurpose, KeyState, StoredKey};
pub use refresh::{RefreshFamily, Rotation};
pub use session::Session;
pub use status::{StatusBlock, StatusListInfo, TokenStatus};
pub use user::{SignInRead, User};
