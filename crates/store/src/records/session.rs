//! A browser session.

/// A person's browser session. The cookie holds a random value; only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The hash of the cookie's value.
    pub id_hash: String,
    /// The account (subject id).
    pub user_id: String,
    /// When it began, Unix milliseconds (a forced logout ends those begun before it).
    pub created_ms: i64,
    /// When it was last used, Unix seconds (to the minute).
    pub last_seen: i64,
    /// The client address it began from.
    pub address: String,
    /// The browser's `User-Agent` when it began (bounded).
    pub user_agent: String,
    /// How the person signed in, and any step-up since (JSON kept by the service; '' for a
    /// password alone).
    pub auth: String,
}
