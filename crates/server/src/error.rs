//! Errors: the protocol error every endpoint answers with (RFC 6749 §5.2 JSON, never internals),
//! the service's error, and configuration errors.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tessera_store::StoreError;

/// An OAuth 2.0 error response (RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 7662 §2.3).
#[derive(Debug, Clone)]
pub struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: std::borrow::Cow<'static, str>,
    /// Client authentication failed through the `Authorization` header: answer 401 with
    /// `WWW-Authenticate: Basic` (RFC 6749 §5.2).
    challenge: bool,
    /// Seconds after which the client may try again (`Retry-After`, a 503).
    retry_after: Option<u32>,
}

impl OAuthError {
    /// `invalid_request` (400).
    #[must_use]
    pub fn invalid_request(description: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// `invalid_client` (401): unknown client, wrong secret, disabled client, or no credentials.
    #[must_use]
    pub fn invalid_client(challenge: bool) -> Self {
        Self {
            challenge,
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed",
            )
        }
    }

    /// `unsupported_grant_type` (400).
    #[must_use]
    pub fn unsupported_grant_type() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "the grant type is not supported",
        )
    }

    /// `unauthorized_client` with 403: an authenticated client without the permission the
    /// endpoint needs.
    #[must_use]
    pub fn forbidden(description: &'static str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "unauthorized_client", description)
    }

    /// `unauthorized_client` (400): the client may not use this grant.
    #[must_use]
    pub fn unauthorized_client(description: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", description)
    }

    /// `invalid_scope` (400).
    #[must_use]
    pub fn invalid_scope(description: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
    }

    /// `invalid_grant` (400): a code that is unknown, used, expired, another client's, or
    /// whose PKCE verifier or redirect URI does not match (RFC 6749 §5.2).
    #[must_use]
    pub fn invalid_grant(description: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// A 400 with this error code (the authorization request's errors, returned by the
    /// pushed authorization request endpoint, RFC 9126 §2.3).
    #[must_use]
    pub fn bad_request(
        code: &'static str,
        description: impl Into<std::borrow::Cow<'static, str>>,
    ) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, description)
    }

    /// `invalid_target` (400, RFC 8707 §2).
    #[must_use]
    pub fn invalid_target(description: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_target", description)
    }

    /// `unsupported_token_type` (400, RFC 7009 §2.2.1).
    #[must_use]
    pub fn unsupported_token_type() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_token_type",
            "only access tokens can be revoked",
        )
    }

    /// `invalid_dpop_proof` (400, RFC 9449 §5): the token request's DPoP proof is missing a
    /// requirement, malformed, for another request, replayed or badly signed.
    #[must_use]
    pub fn invalid_dpop_proof(description: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_dpop_proof", description)
    }

    /// `server_error` (500): the store failed; nothing more is said.
    #[must_use]
    pub fn server_error() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the server could not complete the request",
        )
    }

    /// `temporarily_unavailable` (503).
    #[must_use]
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "no signing key is loaded yet",
        )
    }

    /// `temporarily_unavailable` (503), saying why.
    #[must_use]
    pub fn unavailable_because(description: &'static str) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            description,
        )
    }

    fn new(
        status: StatusCode,
        code: &'static str,
        description: impl Into<std::borrow::Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            challenge: false,
            retry_after: None,
        }
    }

    /// The `error` code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.code, "error_description": self.description});
        let mut r = (self.status, axum::Json(body)).into_response();
        let h = r.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if self.challenge {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"tessera\", charset=\"UTF-8\""),
            );
        }
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        r
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store error");
        if e.is_unavailable() {
            // The database is gone for a moment (restarting, failing over, busy): nothing was
            // done, and the client may try again shortly.
            return Self {
                retry_after: Some(1),
                ..Self::unavailable_because("the store cannot be reached: try again in a moment")
            };
        }
        Self::server_error()
    }
}

/// A configuration error, naming the setting and where it came from.
#[derive(Debug, Clone, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

/// What the service's operations fail with (starting, the keys, the operator's commands);
/// [`OAuthError`] is what a client is answered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A key or secret operation failed.
    #[error("crypto: {0}")]
    Crypto(#[from] tessera_jose::Error),
    /// Binding the listener or reading files.
    #[error("{0}")]
    Io(String),
    /// The TLS certificate or key.
    #[error("TLS: {0}")]
    Tls(String),
    /// Bad input from the operator.
    #[error("{0}")]
    Invalid(String),
    /// The master key is missing, or is not the store's.
    #[error("{0}")]
    MasterKey(String),
}

impl From<Error> for OAuthError {
    fn from(e: Error) -> Self {
        tracing::error!(error = %e, "service error");
        Self::server_error()
    }
}
