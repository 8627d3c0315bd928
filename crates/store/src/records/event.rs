//! An audit event.

/// An audit event: typed, with a stable name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    /// Unix time.
    pub at: i64,
    /// Stable name: `client.created`, `client.updated`, `client.disabled`, `client.enabled`,
    /// `client.deleted`, `client.secret_rotated`, `client.tokens_revoked`, `token.revoked`,
    /// `key.created`, `key.activated`, `key.retired`, `key.removed`, `client.auth_failed`.
    pub kind: String,
    /// The client concerned, if any.
    pub client_id: Option<String>,
    /// Details (JSON object).
    pub detail: serde_json::Value,
}
