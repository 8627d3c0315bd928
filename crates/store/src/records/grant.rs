//! What the authorization code flow keeps: codes and consents.

/// An authorization code, as the store keeps it (the code itself is never stored, only its
/// hash).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthCode {
    /// The hash of the code.
    pub code_hash: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The person who granted it (subject id).
    pub user_id: String,
    /// The hash of the browser session it was issued in.
    pub session_hash: String,
    /// The redirect URI of the request, exactly as sent (the token request must repeat it).
    pub redirect_uri: String,
    /// The PKCE `code_challenge` (S256).
    pub code_challenge: String,
    /// The request's `nonce`, for the ID token.
    pub nonce: Option<String>,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// The requested resources (RFC 8707).
    pub resources: Vec<String>,
    /// When the person signed in, Unix seconds.
    pub auth_time: i64,
    /// How the person signed in (JSON kept by the service; '' for a password alone).
    pub auth: String,
    /// Unix time the code stops working.
    pub expires_at: i64,
    /// When it was redeemed, Unix seconds.
    pub used_at: Option<i64>,
    /// The `jti` of the access token its redemption gave.
    pub issued_jti: Option<String>,
}

impl core::fmt::Debug for AuthCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthCode")
            .field("client_id", &self.client_id)
            .field("user_id", &self.user_id)
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .field("used_at", &self.used_at)
            .finish_non_exhaustive()
    }
}

/// What a person let an application have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// The person (subject id).
    pub user_id: String,
    /// The application.
    pub client_id: String,
    /// The scopes consented to; empty once removed.
    pub scopes: Vec<String>,
    /// When it was given (or last widened), Unix seconds.
    pub granted_at: i64,
    /// The application's tokens for this person issued at or before this Unix time in
    /// milliseconds are inactive (a removal).
    pub revoked_before_ms: Option<i64>,
}

/// A back-channel logout notice still to deliver: a session in which the client got tokens
/// ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLogout {
    /// The ended session's hash (its `sid` derives from it).
    pub session_hash: String,
    /// The client to tell.
    pub client_id: String,
    /// The person (subject id).
    pub user_id: String,
    /// The client's `backchannel_logout_uri` when the session ended.
    pub uri: String,
    /// Deliveries tried so far (this one included).
    pub attempts: i64,
}
