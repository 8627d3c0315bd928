//! Token Status Lists over HTTP: `GET /oauth2/status-lists/{id}` answers the list's status
//! list token (`application/statuslist+jwt`, cacheable for what is left of its `ttl`), and
//! `GET /oauth2/status-lists` the URIs of every list published now (the draft's aggregation,
//! named in the metadata as `status_list_aggregation_endpoint`).

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// One list's status list token.
pub async fn list(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Some(id) = id.parse::<i64>().ok().filter(|n| *n > 0) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.status_lists().token(&state, id).await {
        Ok(Some((token, age))) => {
            let ttl = i64::try_from(state.config().status_list_ttl.as_secs()).unwrap_or(3600);
            let left = (ttl - age).max(0);
            let cache = HeaderValue::from_str(&format!("public, max-age={left}"))
                .unwrap_or(HeaderValue::from_static("no-cache"));
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(tessera_jose::status::MEDIA_TYPE),
                    ),
                    (header::CACHE_CONTROL, cache),
                ],
                token,
            )
                .into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => e.into_response(),
    }
}

/// The URIs of the lists published now.
pub async fn aggregation(State(state): State<AppState>) -> Response {
    match state.store().status_lists(state.now()).await {
        Ok(lists) => {
            let uris: Vec<String> = lists
                .iter()
                .map(|l| state.urls().status_list(l.id))
                .collect();
            let ttl = state.config().status_list_ttl.as_secs();
            let cache = HeaderValue::from_str(&format!("public, max-age={ttl}"))
                .unwrap_or(HeaderValue::from_static("no-cache"));
            (
                [(header::CACHE_CONTROL, cache)],
                axum::Json(serde_json::json!({ "status_lists": uris })),
            )
                .into_response()
        }
        Err(e) => crate::error::OAuthError::from(e).into_response(),
    }
}
