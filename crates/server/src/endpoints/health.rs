//! `GET /healthz` (the process is up), `GET /readyz` (the store answers, the last refresh of
//! the clients and keys from it worked, and a signing key is loaded), `GET /metrics` (Prometheus text).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Liveness.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if state.store().ping().await.is_err() {
        state.metrics().store_error();
        return (StatusCode::SERVICE_UNAVAILABLE, "store unreachable\n").into_response();
    }
    if state.stale().is_some() {
        // The reason is in the log (it may name the store's internals).
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "cannot refresh the clients and keys from the store (see the log)\n",
        )
            .into_response();
    }
    if state.keys().current.is_none() {
        return (StatusCode::SERVICE_UNAVAILABLE, "no signing key\n").into_response();
    }
    (StatusCode::OK, "ready\n").into_response()
}

/// Metrics.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let keys = state.keys();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics().render(&keys.states),
    )
        .into_response()
}
