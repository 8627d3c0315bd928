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
mod conn;
pub mod cors;
mod endpoints;
pub mod error;
pub mod grants;
pub mod keys;
mod metrics;
mod oauth;
mod pages;
mod paths;
pub mod proxy;
mod security;
mod server;
mod state;
mod tokens;
pub mod users;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use server::{Started, serve, shutdown_signal, start};
pub use state::AppState;

/// The service's router.
pub fn app(state: AppState) -> Router {
    let c = state.config();
    let (max_body, timeout) = (c.max_body, c.request_timeout);
    let slots = Slots {
        free: std::sync::Arc::new(tokio::sync::Semaphore::new(c.max_concurrency)),
        wait: c.queue_timeout,
        max_body,
    };
    let debugger = c.debugger_enabled();
    // Under the issuer's path, if it has one (`paths` says where each document goes).
    let prefix = state.urls().prefix.clone();
    let at = |path: &str| format!("{prefix}{path}");
    // The endpoints a single-page app calls from its scripts (CORS for registered origins).
    let scripts = Router::new()
        .route(&at(paths::TOKEN), post(endpoints::token::token))
        .route(&at(paths::REVOKE), post(endpoints::revoke::revoke))
        .route(&at(paths::PAR), post(endpoints::par::par))
        .route(&at(paths::JWKS), get(endpoints::discovery::jwks))
        .route(
            &at(paths::STATUS_LISTS),
            get(endpoints::status::aggregation),
        )
        .route(
            &format!("{}/{{id}}", at(paths::STATUS_LISTS)),
            get(endpoints::status::list),
        )
        .route(
            &at(paths::USERINFO),
            get(endpoints::userinfo::userinfo).post(endpoints::userinfo::userinfo),
        )
        .route(
            &format!("{}{prefix}", paths::AS_METADATA),
            get(endpoints::discovery::metadata),
        )
        .route(
            &at(paths::OIDC_METADATA),
            get(endpoints::discovery::metadata),
        )
        .layer(middleware::from_fn_with_state(state.clone(), cors::cors));
    let mut router = Router::new()
        .route(
            &at(paths::INTROSPECT),
            post(endpoints::introspect::introspect),
        )
        .merge(scripts)
        .merge(pages::router(&prefix))
        .fallback(not_found);
    if debugger {
        let access = tessera_debugger::Access::SameOrigin {
            host: c.issuer_authority().to_owned(),
            loopback: c.issuer_is_loopback() && c.listen.ip().is_loopback(),
        };
        router = router.merge(tessera_debugger::router(&at(paths::DEBUGGER), access));
    }
    // Health and metrics never queue behind the API: they take no request slot. Metrics are
    // here only when they have no listener of their own (`metrics_listen`).
    let mut ops = Router::new()
        .route(paths::HEALTHZ, get(endpoints::health::healthz))
        .route(paths::READYZ, get(endpoints::health::readyz));
    if c.metrics_at() == config::MetricsListen::Main {
        ops = ops.route(paths::METRICS, get(endpoints::health::metrics));
    }
    router
        .layer(middleware::from_fn_with_state(slots, admit))
        .merge(ops)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(max_body))
        // Outermost: the timeout covers reading the body and waiting for a slot too.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .with_state(state)
}

/// The request slots (`max_concurrency`), how long a request may wait for one, and the body
/// limit.
#[derive(Clone)]
struct Slots {
    free: std::sync::Arc<tokio::sync::Semaphore>,
    wait: std::time::Duration,
    max_body: usize,
}

/// Reads the body first (a slow sender holds its own connection, never a slot), then takes a
/// slot, waiting at most `queue_timeout`: past it the answer is 503 with `Retry-After`.
async fn admit(State(slots): State<Slots>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, slots.max_body).await {
        Ok(b) => b,
        Err(e) => {
            let too_large =
                std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| {
                    e.source()
                })
                .any(|e| e.is::<http_body_util::LengthLimitError>());
            let status = if too_large {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            let mut resp = error::OAuthError::invalid_request(if too_large {
                "the request body is too large"
            } else {
                "the request body could not be read"
            })
            .into_response();
            *resp.status_mut() = status;
            return resp;
        }
    };
    // A free slot is taken at once; only a request that must wait arms a timer.
    let permit = match Arc::clone(&slots.free).try_acquire_owned() {
        Ok(p) => p,
        Err(_) => match tokio::time::timeout(slots.wait, slots.free.acquire_owned()).await {
            Ok(Ok(p)) => p,
            Ok(Err(_)) | Err(_) => return busy(),
        },
    };
    let resp = next
        .run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await;
    drop(permit);
    resp
}

/// 503 with `Retry-After`: every slot stayed busy for the queue timeout.
fn busy() -> Response {
    let mut resp = (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(serde_json::json!({
            "error": "temporarily_unavailable",
            "error_description": "the server is busy: retry shortly",
        })),
    )
        .into_response();
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    resp
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
    let endpoint = paths::label(
        &state.urls().prefix,
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
    // Routers choose their policy (the debugger's allows its own script and style); what
    // reaches the edge without one (errors of the outer layers too) gets the API's.
    state.security().apply_if_missing(resp.headers_mut());
    resp
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tower::ServiceExt as _;

    #[tokio::test]
    async fn a_request_that_cannot_get_a_slot_soon_is_told_to_retry() {
        let slots = Slots {
            free: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
            wait: std::time::Duration::from_millis(200),
            max_body: 1024,
        };
        let app: Router = Router::new()
            .route(
                "/slow",
                post(|| async {
                    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                    "done"
                }),
            )
            .layer(middleware::from_fn_with_state(slots, admit));
        let req = || {
            axum::http::Request::post("/slow")
                .body(axum::body::Body::from("a=b"))
                .unwrap()
        };
        let first = tokio::spawn(app.clone().oneshot(req()));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let start = Instant::now();
        let second = app.clone().oneshot(req()).await.unwrap();
        assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(second.headers()[header::RETRY_AFTER], "1");
        let waited = start.elapsed();
        assert!(
            waited >= std::time::Duration::from_millis(150)
                && waited < std::time::Duration::from_millis(1000),
            "{waited:?}"
        );
        assert_eq!(first.await.unwrap().unwrap().status(), StatusCode::OK);
        // A body over the limit is 413 before any slot is taken.
        let big = axum::http::Request::post("/slow")
            .body(axum::body::Body::from(vec![b'a'; 2048]))
            .unwrap();
        let resp = app.oneshot(big).await.unwrap();
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
