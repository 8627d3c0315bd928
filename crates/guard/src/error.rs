//! The guard's errors, and their HTTP form: RFC 6750 §3 for bearer tokens, RFC 9449 §7 for
//! DPoP. Responses say which class of failure it was, never details of the token.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why the guard could not get or use keys, or rejected a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// A configured URL is not acceptable.
    #[error("URL: {0}")]
    Url(&'static str),
    /// The issuer's metadata is missing or inconsistent.
    #[error("issuer metadata: {0}")]
    Metadata(String),
    /// The CA certificates to trust (`CacheOptions::ca_pem`, `SSL_CERT_FILE`, `SSL_CERT_DIR`)
    /// cannot be read.
    #[error("trusted CA certificates: {0}")]
    Ca(String),
    /// Fetching the key set failed.
    #[error("fetching the JWK Set: {0}")]
    Fetch(String),
    /// The fetched key set is not acceptable (malformed, incoherent).
    #[error("the JWK Set: {0}")]
    KeySet(tessera_jose::Error),
    /// No key set is available (never fetched, or stale beyond the allowed time).
    #[error("no keys available: {0}")]
    KeysUnavailable(&'static str),
    /// The token was rejected.
    #[error("token rejected: {0}")]
    Token(tessera_jose::Error),
    /// A token's status could not be had from its status list.
    #[error("token status: {0}")]
    Status(String),
    /// Introspection did not answer usably.
    #[error("introspection: {0}")]
    Introspection(String),
}

/// What the middleware answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// No credentials: 401 with a bare challenge (RFC 6750 §3.1).
    Missing,
    /// A malformed request (two tokens, a malformed header): 400 `invalid_request`.
    InvalidRequest(&'static str),
    /// A bad token: 401 `invalid_token`.
    InvalidToken(&'static str),
    /// A bad or missing DPoP proof: 401 `invalid_dpop_proof` (RFC 9449 §7.1).
    InvalidProof(&'static str),
    /// The server requires a fresh nonce: 401 `use_dpop_nonce` with a `DPoP-Nonce` header.
    UseNonce(String),
    /// The token lacks a scope: 403 `insufficient_scope` naming the required scopes.
    InsufficientScope(String),
    /// The person's sign-in is below the level or older than the route requires: 401
    /// `insufficient_user_authentication` with what would do (RFC 9470 §3).
    InsufficientUserAuthentication {
        /// `acr_values`: the levels that would do, in order of preference.
        acr_values: Option<String>,
        /// `max_age`: how recent the authentication must be, seconds.
        max_age: Option<u64>,
    },
    /// Keys cannot be had: 503.
    Unavailable,
}

/// How to build the challenges: the realm, and the DPoP algorithms when DPoP is on.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// `realm`.
    pub realm: String,
    /// `algs` of the DPoP challenge; `None` when DPoP is off.
    pub dpop_algs: Option<String>,
}

impl Rejection {
    /// The HTTP response.
    #[must_use]
    pub fn response(&self, c: &Challenge) -> Response {
        let q = |s: &str| s.replace(['"', '\\'], "");
        let realm = q(&c.realm);
        let bearer = |extra: &str| format!("Bearer realm=\"{realm}\"{extra}");
        let dpop = |extra: &str| {
            c.dpop_algs
                .as_ref()
                .map(|algs| format!("DPoP algs=\"{algs}\"{extra}"))
        };
        let (status, challenges, nonce): (StatusCode, Vec<String>, Option<&str>) = match self {
            Self::Missing => (
                StatusCode::UNAUTHORIZED,
                [Some(bearer("")), dpop("")].into_iter().flatten().collect(),
                None,
            ),
            Self::InvalidRequest(d) => {
                let e = format!(", error=\"invalid_request\", error_description=\"{}\"", q(d));
                (StatusCode::BAD_REQUEST, [Some(bearer(&e)), dpop(&e)].into_iter().flatten().collect(), None)
            }
            Self::InvalidToken(d) => {
                let e = format!(", error=\"invalid_token\", error_description=\"{}\"", q(d));
                (StatusCode::UNAUTHORIZED, [Some(bearer(&e)), dpop(&e)].into_iter().flatten().collect(), None)
            }
            Self::InvalidProof(d) => {
                let e = format!(", error=\"invalid_dpop_proof\", error_description=\"{}\"", q(d));
                (StatusCode::UNAUTHORIZED, dpop(&e).into_iter().collect(), None)
            }
            Self::UseNonce(n) => (
                StatusCode::UNAUTHORIZED,
                dpop(", error=\"use_dpop_nonce\", error_description=\"Authorization server requires nonce in DPoP proof\"")
                    .into_iter()
                    .collect(),
                Some(n.as_str()),
            ),
            Self::InsufficientScope(scope) => {
                let e = format!(
                    ", error=\"insufficient_scope\", error_description=\"the access token lacks a required scope\", scope=\"{}\"",
                    q(scope)
                );
                (StatusCode::FORBIDDEN, [Some(bearer(&e)), dpop(&e)].into_iter().flatten().collect(), None)
            }
            Self::InsufficientUserAuthentication { acr_values, max_age } => {
                let mut e = String::from(
                    ", error=\"insufficient_user_authentication\", error_description=\"a stronger or more recent sign-in is required\"",
                );
                if let Some(a) = acr_values {
                    e.push_str(&format!(", acr_values=\"{}\"", q(a)));
                }
                if let Some(m) = max_age {
                    e.push_str(&format!(", max_age={m}"));
                }
                (StatusCode::UNAUTHORIZED, [Some(bearer(&e)), dpop(&e)].into_iter().flatten().collect(), None)
            }
            Self::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, Vec::new(), None),
        };
        let mut r = status.into_response();
        for ch in challenges {
            if let Ok(v) = HeaderValue::from_str(&ch) {
                r.headers_mut().append(header::WWW_AUTHENTICATE, v);
            }
        }
        if let Some(n) = nonce.and_then(|n| HeaderValue::from_str(n).ok()) {
            r.headers_mut().insert("dpop-nonce", n);
        }
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}
