//! A registered application.

/// A registered application.
#[derive(Clone, PartialEq, Eq)]
pub struct Client {
    /// The `client_id`.
    pub id: String,
    /// A human name.
    pub name: String,
    /// HMAC-SHA-256 of the secret under the pepper.
    pub secret_hash: Vec<u8>,
    /// The previous secret's hash, valid until `old_secret_until` (secret rotation grace).
    pub old_secret_hash: Option<Vec<u8>>,
    /// Unix time the previous secret stops working.
    pub old_secret_until: Option<i64>,
    /// Scopes the client may ask for.
    pub scopes: Vec<String>,
    /// Audiences (resource indicators) of its tokens; the first is the default.
    pub audiences: Vec<String>,
    /// Access token lifetime, seconds.
    pub token_ttl: i64,
    /// Disabled clients get no tokens and their tokens introspect inactive.
    pub enabled: bool,
    /// Tokens issued at or before this Unix time in milliseconds are inactive (`client
    /// revoke-tokens`, a disable).
    pub tokens_revoked_before_ms: Option<i64>,
    /// Unix time of creation.
    pub created_at: i64,
    /// Unix time of the last change.
    pub updated_at: i64,
    /// Its access tokens must be DPoP-bound: a token request without a DPoP proof is refused
    /// (RFC 9449 §5.2 `dpop_bound_access_tokens`).
    pub dpop_bound: bool,
    /// It may introspect tokens (RFC 7662 §4): only those meant for one of its audiences, or
    /// issued to it.
    pub introspect: bool,
    /// Raised by every update; an update whose version is not the stored one is refused
    /// ([`StoreError::Conflict`](crate::StoreError::Conflict)).
    pub version: i64,
    /// A public client (a single-page or native app): it has no secret and authenticates with
    /// its `client_id` and PKCE alone (`token_endpoint_auth_method` `none`).
    pub public: bool,
    /// Where the authorization endpoint may send people back (exact strings; a loopback
    /// `http` URI matches on any port, RFC 8252 §7.3).
    pub redirect_uris: Vec<String>,
    /// Where RP-initiated logout may send people back (exact strings).
    pub post_logout_redirect_uris: Vec<String>,
    /// The grant types it may use (`client_credentials`, `authorization_code`).
    pub grant_types: Vec<String>,
    /// The operator's own application: people are not asked to consent.
    pub first_party: bool,
    /// Browser origins (`https://app.example`) whose scripts may call the token, userinfo,
    /// revocation, JWKS and discovery endpoints (CORS): a single-page app's.
    pub web_origins: Vec<String>,
    /// Its authorization requests must be pushed first (RFC 9126 §6
    /// `require_pushed_authorization_requests`).
    pub require_par: bool,
    /// Where it is told that a person's session ended (OpenID Connect Back-Channel Logout).
    pub backchannel_logout_uri: Option<String>,
    /// How its userinfo answers differ from the scopes' standard claims: `rename:FROM=TO`,
    /// `add:NAME` (a custom attribute, or `groups`), `drop:NAME`, applied in order.
    pub claim_map: Vec<String>,
    /// The algorithm of its ID tokens (OpenID Connect Registration
    /// `id_token_signed_response_alg`); `None` is RS256, the default.
    pub id_token_alg: Option<String>,
    /// Its people's subject identifiers are pairwise (OpenID Connect Core §8.1): other
    /// sectors' clients cannot tell that they know the same person.
    pub pairwise: bool,
    /// The host whose clients share pairwise subjects (`None`: the one host of its redirect
    /// URIs).
    pub sector_identifier: Option<String>,
    /// Its refresh-token families end after this long unused, seconds (`None`: the server's).
    pub refresh_idle_ttl: Option<i64>,
    /// Its refresh-token families end this long after they began, seconds (`None`: the
    /// server's).
    pub refresh_absolute_ttl: Option<i64>,
    /// The authentication level (`acr`) every sign-in for this client must reach.
    pub require_acr: Option<String>,
}

impl Client {
    /// Whether it may use this grant type.
    #[must_use]
    pub fn may_use(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }
}

impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .field("audiences", &self.audiences)
            .field("enabled", &self.enabled)
            .field("dpop_bound", &self.dpop_bound)
            .field("introspect", &self.introspect)
            .field("public", &self.public)
            .field("redirect_uris", &self.redirect_uris)
            .field("grant_types", &self.grant_types)
            .field("first_party", &self.first_party)
            .field("web_origins", &self.web_origins)
            .field("require_par", &self.require_par)
            .field("id_token_alg", &self.id_token_alg)
            .field("pairwise", &self.pairwise)
            .finish_non_exhaustive()
    }
}
