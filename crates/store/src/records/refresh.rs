//! Refresh-token families: one grant, one live refresh token.

/// A refresh-token family: one grant (a person, a client, the scopes and, unless offline, the
/// browser session) whose refresh tokens rotate, one live at a time.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshFamily {
    /// The grant id (random; access tokens of the grant carry it as `grant_id`).
    pub id: String,
    /// The client.
    pub client_id: String,
    /// The person's account id.
    pub user_id: String,
    /// The scopes granted (a refresh may narrow what it asks, never widen).
    pub scopes: Vec<String>,
    /// The resources (RFC 8707) of the authorization.
    pub resources: Vec<String>,
    /// The browser session it ends with; `None` for an offline family (`offline_access`).
    pub session_hash: Option<String>,
    /// When the person signed in.
    pub auth_time: i64,
    /// How the person signed in (JSON kept by the service; '' for a password alone).
    pub auth: String,
    /// The RFC 7638 thumbprint of the DPoP key it is bound to.
    pub jkt: Option<String>,
    /// When it was created, Unix milliseconds.
    pub created_ms: i64,
    /// The live token's generation (the first is 0).
    pub generation: i64,
    /// Until when (Unix ms) the token of the previous generation is answered with the live one.
    pub grace_until_ms: i64,
    /// The live token, sealed under a key derived from the previous one ('' for the first).
    pub successor: String,
    /// It ends at this Unix time unless used before (each use moves it, up to `expires_at`).
    pub idle_expires_at: i64,
    /// It ends at this Unix time whatever happens.
    pub expires_at: i64,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
    /// Why (`reuse`, `revoked`, `operator`, `session ended`).
    pub revoked_reason: Option<String>,
}

impl core::fmt::Debug for RefreshFamily {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RefreshFamily")
            .field("id", &self.id)
            .field("client_id", &self.client_id)
            .field("user_id", &self.user_id)
            .field("scopes", &self.scopes)
            .field("offline", &self.session_hash.is_none())
            .field("generation", &self.generation)
            .field("expires_at", &self.expires_at)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// What a rotation writes.
#[derive(Clone)]
pub struct Rotation {
    /// The hash of the new live token.
    pub token_hash: String,
    /// The new token sealed under a key derived from the one presented.
    pub successor: String,
    /// Until when the presented token is answered with the new one (Unix ms).
    pub grace_until_ms: i64,
    /// The family's new idle end (Unix seconds).
    pub idle_expires_at: i64,
    /// Now, Unix seconds: a session-bound family's session is seen as used now.
    pub now: i64,
    /// The status-list record of the access token the rotation gives, written in the same
    /// commit when the rotation happens.
    pub status: Option<crate::TokenStatus>,
}
