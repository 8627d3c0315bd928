//! The HTTP adapters, one module per endpoint: each extracts the request, hands it to the
//! protocol (`oauth/`), the grants (`grants/`) or the tokens (`tokens/`), and answers. What
//! they share is here: client authentication against the node's cache and the store.

pub mod discovery;
pub mod health;
pub mod introspect;
pub mod par;
pub mod revoke;
pub mod status;
pub mod token;
pub mod userinfo;

use std::sync::Arc;

use axum::http::HeaderMap;
use tessera_store::Client;

use crate::error::OAuthError;
use crate::oauth::{AuthFailure, Credentials, Form, check_secret};
use crate::state::AppState;

/// Authenticates the calling client: `client_secret_basic` or `client_secret_post`, exactly
/// one of them (RFC 6749 §2.3.1), or, for a public client only, its `client_id` alone. Failures are `invalid_client`, with a `WWW-Authenticate`
/// challenge when the `Authorization` header was used or nothing was given.
///
/// A client unknown to this node's cache, or whose secret does not match, is looked up once more
/// after a check of the store's change generation: a client created, re-keyed or enabled a
/// moment ago (by `tessera client` or on another node) works at once, not at the next poll. A
/// failure costs that one small query, and reloads are one at a time.
///
/// # Errors
/// `invalid_request` for two methods at once or a malformed header, `invalid_client` else.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    form: &Form,
) -> Result<Arc<Client>, OAuthError> {
    let Credentials {
        id,
        secret,
        via_header,
        public,
    } = Credentials::of(headers, form)?;
    if public {
        return public_client(state, &id).await.map_err(|why| {
            state.auth_failed(&id, why);
            OAuthError::invalid_client(true)
        });
    }
    let presented = state.secrets().hash_secret(&secret);
    let mut found = cached_client(state, &id, &presented);
    if found.is_err() {
        // A store read that starts after this moment sees every change this request could
        // depend on (the clock is read only on failure: a successful grant never pays for it).
        let arrived = std::time::Instant::now();
        if let Err(e) = state.refresh_for(arrived).await {
            tracing::error!(error = %e, "cannot read the store to authenticate a client");
        }
        found = cached_client(state, &id, &presented);
    }
    // A secret hashed under the master key before the last rotation (`tessera rekey`): it
    // still authenticates, and is hashed again under the current key.
    if matches!(found, Err(AuthFailure::WrongSecret))
        && let Some(previous) = state.secrets().hash_secret_previous(&secret)
        && let Ok(client) = cached_client(state, &id, &previous)
    {
        rehash(state, &client, &previous, presented).await;
        found = Ok(client);
    }
    found.map_err(|why| {
        state.auth_failed(&id, why);
        OAuthError::invalid_client(via_header)
    })
}

/// A public client, which presents its `client_id` and no secret (its grants prove
/// possession otherwise: PKCE). A confidential client without its secret is refused.
async fn public_client(state: &AppState, id: &str) -> Result<Arc<Client>, AuthFailure> {
    let found = match state.client(id) {
        Some(c) => Some(c),
        None => {
            let _ = state.refresh_for(std::time::Instant::now()).await;
            state.client(id)
        }
    };
    match found {
        None => Err(AuthFailure::UnknownClient),
        Some(c) if !c.public => Err(AuthFailure::NoSecret),
        Some(c) if !c.enabled => Err(AuthFailure::Disabled),
        Some(c) => Ok(c),
    }
}

/// Stores a client's secret hash under the current master key in place of the one under the
/// previous key (`previous`), which just authenticated. A conflict (another node did it first)
/// is fine.
async fn rehash(state: &AppState, client: &Client, previous: &[u8], current: Vec<u8>) {
    let mut c = client.clone();
    if tessera_jose::secret::ct_eq(&c.secret_hash, previous) {
        c.secret_hash = current;
    } else if c
        .old_secret_hash
        .as_deref()
        .is_some_and(|h| tessera_jose::secret::ct_eq(h, previous))
    {
        c.old_secret_hash = Some(current);
    } else {
        return;
    }
    match state.store().update_client(&c).await {
        Ok(()) => tracing::info!(
            client_id = %tessera_jose::error::escaped(&c.id),
            "client secret hashed again under the current master key"
        ),
        Err(e) => {
            tracing::debug!(error = %e, "client secret not hashed again (another node may have)")
        }
    }
}

/// The cached client with this id and secret hash, if it may authenticate; else why not.
fn cached_client(state: &AppState, id: &str, presented: &[u8]) -> Result<Arc<Client>, AuthFailure> {
    let client = state.client(id).ok_or(AuthFailure::UnknownClient)?;
    check_secret(&client, presented, state.now())?;
    Ok(client)
}
