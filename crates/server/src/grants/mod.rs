//! The grants: each grant type is a [`Grant`], one file each; adding `authorization_code` or
//! `refresh_token` is adding a file and a line in [`grants`], never editing the token endpoint.

mod authorization_code;
mod client_credentials;
pub mod person;
mod refresh_token;

use serde::Serialize;

use crate::error::OAuthError;
use crate::oauth::Form;
use crate::state::AppState;
use tessera_store::Client;

/// A grant type's handler: the token endpoint finds it by `grant_type` and calls it with the
/// authenticated client and the checked DPoP binding; it never sees HTTP.
#[async_trait::async_trait]
pub trait Grant: Send + Sync {
    /// The `grant_type` value it handles.
    fn grant_type(&self) -> &'static str;
    /// Issues tokens to an authenticated client.
    ///
    /// # Errors
    /// The OAuth error to answer with.
    async fn issue(
        &self,
        state: &AppState,
        client: &Client,
        req: &TokenRequest<'_>,
    ) -> Result<TokenResponse, OAuthError>;
}

/// What a grant handler is asked for: the form, and the key its access token is bound to.
pub struct TokenRequest<'a> {
    /// The request's parameters.
    pub form: &'a Form,
    /// The RFC 7638 thumbprint of the key of the request's DPoP proof (RFC 9449 §5), checked;
    /// the access token then carries it as `cnf.jkt` and its type is `DPoP`.
    pub dpop_jkt: Option<String>,
    /// The client's address (for the audit events of a stolen refresh token).
    pub address: String,
    /// The client's `User-Agent`, bounded.
    pub user_agent: String,
}

impl TokenRequest<'_> {
    /// `DPoP` for a proof-bound token, else `Bearer`.
    #[must_use]
    pub fn token_type(&self) -> &'static str {
        if self.dpop_jkt.is_some() {
            "DPoP"
        } else {
            "Bearer"
        }
    }
}

/// The grant handlers this server offers (also listed in the discovery metadata).
#[must_use]
pub fn grants() -> Vec<Box<dyn Grant>> {
    vec![
        Box::new(authorization_code::AuthorizationCode),
        Box::new(client_credentials::ClientCredentials),
        Box::new(refresh_token::RefreshToken),
    ]
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// `Bearer`, or `DPoP` for a token bound to the key of the request's DPoP proof.
    pub token_type: &'static str,
    /// Lifetime in seconds.
    pub expires_in: i64,
    /// The granted scope.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// The ID token (OpenID Connect, with the `openid` scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The refresh token (the family's live one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Parameters of the request that were ignored because they are not OAuth's, with what
    /// was probably meant (`scopes` for `scope`): clients ignore members they do not know
    /// (RFC 6749 §5.1), a person reading the answer sees them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}
