//! `POST /oauth2/par`: pushed authorization requests (RFC 9126). The client authenticates as at
//! the token endpoint (a public client with its `client_id`), the request is checked as the
//! authorization endpoint checks it, and the answer is a `request_uri` the client sends the
//! person's browser to `/oauth2/authorize` with, usable for 60 seconds and for one code.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::authenticate;
use crate::error::OAuthError;
use crate::oauth::Form;
use crate::pages::authorize::{PAR_TTL, push};
use crate::state::AppState;

/// The endpoint.
pub async fn par(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match run(&state, &headers, &body).await {
        Ok(uri) => {
            let mut resp = (
                StatusCode::CREATED,
                axum::Json(json!({"request_uri": uri, "expires_in": PAR_TTL})),
            )
                .into_response();
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(e) => e.into_response(),
    }
}

async fn run(state: &AppState, headers: &HeaderMap, body: &Bytes) -> Result<String, OAuthError> {
    // The token endpoint's form rules: the right content type, no repeated parameter.
    let form = Form::parse(headers, body)?;
    let client = authenticate(state, headers, &form).await?;
    if !client.may_use("authorization_code") {
        return Err(OAuthError::unauthorized_client(
            "this client may not use the authorization code grant",
        ));
    }
    push(state, &client, body).await
}
