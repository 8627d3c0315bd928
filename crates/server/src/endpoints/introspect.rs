//! `POST /oauth2/introspect` (RFC 7662): for an authenticated client allowed to introspect
//! (`client create|update --introspect`, RFC 7662 §4), whether a token meant for it is active. A
//! valid, unexpired, unrevoked access token of this issuer whose `aud` names one of the caller's
//! audiences gives `active: true` and its claims; anything else gives exactly
//! `{"active": false}`. A client without the permission is refused (403 `unauthorized_client`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::authenticate;
use crate::error::OAuthError;
use crate::oauth::Form;
use crate::state::AppState;

/// The endpoint.
pub async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match run(&state, &headers, &body).await {
        Ok(v) => {
            let mut r = axum::Json(v).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => e.into_response(),
    }
}

async fn run(state: &AppState, headers: &HeaderMap, body: &Bytes) -> Result<Value, OAuthError> {
    let form = Form::parse(headers, body)?;
    let caller = authenticate(state, headers, &form).await?;
    if !caller.introspect {
        return Err(OAuthError::forbidden(
            "this client may not introspect tokens (client update --introspect)",
        ));
    }
    let token = form
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    let answer = active_claims(state, token)
        .await?
        .filter(|claims| meant_for(claims, &caller.audiences));
    Ok(answer.unwrap_or_else(|| json!({"active": false})))
}

/// Whether a token's `aud` (a string or an array) names one of the caller's audiences.
fn meant_for(claims: &Value, audiences: &[String]) -> bool {
    let named = |a: &Value| a.as_str().is_some_and(|a| audiences.iter().any(|x| x == a));
    match claims.get("aud") {
        Some(Value::Array(list)) => list.iter().any(named),
        Some(one) => named(one),
        None => false,
    }
}

/// The introspection answer of an active token, or `None`.
///
/// # Errors
/// `server_error` when the store cannot say whether the token was revoked.
pub async fn active_claims(state: &AppState, token: &str) -> Result<Option<Value>, OAuthError> {
    let active = crate::tokens::verify::active_token(state, token)
        .await
        .map_err(|e| {
            state.metrics().store_error();
            OAuthError::from(e)
        })?;
    let Some(crate::tokens::verify::ActiveToken { token: t, .. }) = active else {
        return Ok(None);
    };
    // A DPoP-bound token says so, with its key's thumbprint (RFC 9449 §6.2).
    let bound = t.claims.get("cnf").and_then(|c| c.get("jkt")).is_some();
    let mut out = json!({"active": true, "token_type": if bound { "DPoP" } else { "Bearer" }});
    for name in [
        "scope",
        "client_id",
        "sub",
        "aud",
        "iss",
        "exp",
        "iat",
        "jti",
        "cnf",
        "auth_time",
        "acr",
        "amr",
    ] {
        if let Some(v) = t.claims.get(name) {
            out[name] = v.clone();
        }
    }
    Ok(Some(out))
}
