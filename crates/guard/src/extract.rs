//! The verified token in handlers: [`AccessToken`] (claims as JSON) or [`Claims`] (your type).

use std::sync::{Arc, OnceLock};

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A token the guard verified (and whose DPoP proof it checked, if bound).
#[derive(Clone)]
pub struct AccessToken {
    token: Arc<str>,
    claims: Arc<OnceLock<Value>>,
    jkt: Option<String>,
}

impl core::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AccessToken")
            .field("sub", &self.subject())
            .field("jkt", &self.jkt)
            .finish_non_exhaustive()
    }
}

impl AccessToken {
    pub(crate) fn new(token: String, jkt: Option<String>) -> Self {
        Self {
            token: token.into(),
            claims: Arc::new(OnceLock::new()),
            jkt,
        }
    }

    /// The verified claims (parsed from the verified token on first use).
    #[must_use]
    pub fn claims(&self) -> &Value {
        self.claims.get_or_init(|| {
            self.token
                .split('.')
                .nth(1)
                .and_then(|p| tessera_jose::b64::decode(p).ok())
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .unwrap_or(Value::Null)
        })
    }

    /// The `sub` claim.
    #[must_use]
    pub fn subject(&self) -> Option<&str> {
        self.claims().get("sub").and_then(Value::as_str)
    }

    /// The DPoP key thumbprint the token is bound to, if any.
    #[must_use]
    pub fn jkt(&self) -> Option<&str> {
        self.jkt.as_deref()
    }

    /// The token itself (to pass on downstream).
    #[must_use]
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AccessToken {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<AccessToken>().cloned().ok_or((
            StatusCode::INTERNAL_SERVER_ERROR,
            "the route is not behind the guard layer\n",
        ))
    }
}

/// The verified claims deserialized into `T`.
#[derive(Debug, Clone)]
pub struct Claims<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Claims<T> {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = AccessToken::from_request_parts(parts, state).await?;
        serde_json::from_value(token.claims().clone())
            .map(Claims)
            .map_err(|_| {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the claims do not fit the handler's type\n",
                )
            })
    }
}
