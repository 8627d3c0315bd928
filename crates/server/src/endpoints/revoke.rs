//! `POST /oauth2/revoke` (RFC 7009): an authenticated client revokes one of its access tokens
//! (its `jti` is denied until the token's `exp`, on every node: introspection reads the deny
//! list from the store) or one of its refresh tokens (the whole family goes, with the access
//! tokens of its grant, §2.1). Invalid or unknown tokens are answered 200, as the RFC asks.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::authenticate;
use crate::error::OAuthError;
use crate::oauth::Form;
use crate::state::AppState;

/// The endpoint.
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match run(&state, &headers, &body).await {
        Ok(()) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn run(state: &AppState, headers: &HeaderMap, body: &Bytes) -> Result<(), OAuthError> {
    let form = Form::parse(headers, body)?;
    let client = authenticate(state, headers, &form).await?;
    let token = form
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    if let Some(hint) = form.get("token_type_hint")
        && !matches!(hint, "access_token" | "refresh_token")
    {
        return Err(OAuthError::unsupported_token_type());
    }
    // An expired or foreign token needs no revocation.
    let Some(t) = crate::tokens::verify::issued_token(state, token) else {
        return revoke_refresh(state, &client, token).await;
    };
    if t.client_id != client.id {
        return Err(OAuthError::unauthorized_client(
            "the token was not issued to this client",
        ));
    }
    state
        .store()
        .revoke_jti(&t.jti, &t.client_id, t.exp)
        .await
        .map_err(|e| {
            state.metrics().store_error();
            OAuthError::from(e)
        })?;
    state.event(
        "token.revoked",
        Some(&t.client_id),
        serde_json::json!({ "jti": t.jti }),
    );
    Ok(())
}

/// A refresh token of this client: its family is revoked. Another client's is refused
/// (RFC 7009 §2.1), anything else needs nothing.
async fn revoke_refresh(
    state: &AppState,
    client: &tessera_store::Client,
    token: &str,
) -> Result<(), OAuthError> {
    let store = state.store();
    let found = store
        .refresh_token(&crate::grants::person::refresh_hash(token))
        .await
        .map_err(|e| {
            state.metrics().store_error();
            OAuthError::from(e)
        })?;
    let Some((family, _)) = found else {
        return Ok(());
    };
    if family.client_id != client.id {
        return Err(OAuthError::unauthorized_client(
            "the token was not issued to this client",
        ));
    }
    if store
        .revoke_family(&family.id, state.now(), "revoked")
        .await
        .map_err(|e| {
            state.metrics().store_error();
            OAuthError::from(e)
        })?
    {
        state.event(
            "grant.revoked",
            Some(&client.id),
            serde_json::json!({ "grant_id": family.id, "user_id": family.user_id, "by": "client" }),
        );
    }
    Ok(())
}
