//! # tessera-server
//!
//! The Tessera token service: an OAuth 2.0 authorization server that registers applications
//! (clients), issues them RFC 9068 JWT access tokens (`client_credentials`), publishes and
//! rotates its signing keys, introspects (RFC 7662) and revokes (RFC 7009) tokens. SQLite by
//! default, PostgreSQL for several nodes.
//!
//! The service is a library: [`app`] builds the router over an [`AppState`]; [`serve`] runs it
//! (with the background tasks: cache refresh, key life cycle, revocation purge) until SIGTERM or
//! SIGINT. The command line (`tessera serve`, `tessera client ...`) is in `tessera-cli`.
#![forbid(unsafe_code)]

pub mod admin;
pub mod config;
pub mod debugger;
pub mod error;
pub mod keys;
pub mod metrics;
pub mod routes;
mod server;
pub mod state;
pub mod store;

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use server::{Started, serve, start};
pub use state::AppState;

/// The service's router.
pub fn app(state: AppState) -> Router {
    let c = state.config();
    let (max_body, timeout, concurrency) = (c.max_body, c.request_timeout, c.max_concurrency);
    let debugger = c.debugger_enabled();
    let mut router = Router::new()
        .route("/oauth2/token", post(routes::token::token))
        .route("/oauth2/introspect", post(routes::introspect::introspect))
        .route("/oauth2/revoke", post(routes::revoke::revoke))
        .route("/.well-known/jwks.json", get(routes::discovery::jwks))
        .route(
            "/.well-known/oauth-authorization-server",
            get(routes::discovery::metadata),
        )
        .route(
            "/.well-known/openid-configuration",
            get(routes::discovery::metadata),
        )
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(routes::health::metrics));
    if debugger {
        router = router.merge(debugger::router("/debugger", debugger::Access::SameOrigin));
    }
    router
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(max_body))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(concurrency))
        .with_state(state)
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({"error": "not_found"})),
    )
        .into_response()
}

/// Metrics, one log line per request (method, path, status, time; never bodies, headers or
/// tokens), security headers, and the RFC 6749 error for bodies over the limit.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let endpoint = endpoint_label(
        req.extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
    );
    let method = req.method().clone();
    let mut resp = next.run(req).await;
    if resp.status() == StatusCode::PAYLOAD_TOO_LARGE {
        resp = error::OAuthError::invalid_request("the request body is too large").into_response();
        *resp.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    }
    let took = start.elapsed();
    state
        .metrics()
        .request(endpoint, resp.status().as_u16(), took);
    tracing::debug!(%method, endpoint, status = resp.status().as_u16(), micros = took.as_micros() as u64, "request");
    // The debugger page sets its own policy (script and style from this origin).
    if !resp.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        security_headers(
            resp.headers_mut(),
            "default-src 'none'; frame-ancestors 'none'",
        );
    }
    resp
}

/// The headers every response carries: a Content-Security-Policy, no MIME sniffing, no
/// referrer (framing is the CSP's `frame-ancestors`).
pub(crate) fn security_headers(h: &mut axum::http::HeaderMap, csp: &'static str) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// A bounded label for metrics (never the raw path: an attacker could grow the label set).
fn endpoint_label(path: Option<&str>) -> &'static str {
    match path {
        Some("/oauth2/token") => "token",
        Some("/oauth2/introspect") => "introspect",
        Some("/oauth2/revoke") => "revoke",
        Some("/.well-known/jwks.json") => "jwks",
        Some("/.well-known/oauth-authorization-server" | "/.well-known/openid-configuration") => {
            "metadata"
        }
        Some("/healthz") => "healthz",
        Some("/readyz") => "readyz",
        Some("/metrics") => "metrics",
        Some(p) if p == "/debugger" || p.starts_with("/debugger/") => "debugger",
        _ => "other",
    }
}
