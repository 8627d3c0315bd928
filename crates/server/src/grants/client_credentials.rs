//! `client_credentials` (RFC 6749 §4.4): an application's own access, for the scopes and
//! audiences it was registered with.

use super::{Grant, TokenRequest, TokenResponse};
use crate::error::OAuthError;
use crate::state::AppState;
use crate::tokens::access::{Issue, mint, new_jti};
use tessera_store::Client;

/// `client_credentials` (RFC 6749 §4.4) with RFC 9068 JWT access tokens.
pub struct ClientCredentials;

#[async_trait::async_trait]
impl Grant for ClientCredentials {
    fn grant_type(&self) -> &'static str {
        "client_credentials"
    }

    async fn issue(
        &self,
        state: &AppState,
        client: &Client,
        req: &TokenRequest<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        let form = req.form;
        // Scope: what was asked, all of it allowed, or the client's scopes by default.
        let scope: Vec<&str> = match form.get("scope") {
            Some(s) => {
                let asked: Vec<&str> = s.split(' ').filter(|x| !x.is_empty()).collect();
                if asked.is_empty() {
                    return Err(OAuthError::invalid_scope("the scope is empty"));
                }
                if let Some(a) = asked
                    .iter()
                    .find(|a| !client.scopes.iter().any(|c| c == *a))
                {
                    return Err(OAuthError::invalid_scope(format!(
                        "the scope `{}` is unknown or not allowed for this client",
                        tessera_jose::error::escaped(a)
                    )));
                }
                let mut unique: Vec<&str> = Vec::new();
                for a in asked {
                    if !unique.contains(&a) {
                        unique.push(a);
                    }
                }
                unique
            }
            None => client.scopes.iter().map(String::as_str).collect(),
        };
        // Audience: the requested resources (RFC 8707), each one of the client's, or the
        // client's first audience.
        let aud: Vec<&str> = if form.resources().is_empty() {
            client
                .audiences
                .first()
                .map(String::as_str)
                .into_iter()
                .collect()
        } else {
            let mut list = Vec::new();
            for r in form.resources() {
                if !client.audiences.iter().any(|a| a == r) {
                    return Err(OAuthError::invalid_target(format!(
                        "the resource `{}` is not an audience of this client",
                        tessera_jose::error::escaped(r)
                    )));
                }
                if !list.contains(&r.as_str()) {
                    list.push(r.as_str());
                }
            }
            list
        };
        if aud.is_empty() {
            return Err(OAuthError::unauthorized_client(
                "the client has no audience",
            ));
        }
        // One reading of the clock: `iat` is its second, the `jti` carries its millisecond.
        let issued_ms = state.now_millis();
        let scope = scope.join(" ");
        let jti = new_jti(issued_ms).map_err(|_| OAuthError::server_error())?;
        let (status, recording) = state
            .status_lists()
            .assign(state, &jti, &client.id, None, issued_ms)
            .await?;
        let minted = mint(
            state,
            &state.keys(),
            client,
            Issue {
                sub: &client.id,
                aud,
                scope: &scope,
                jti,
                issued_ms,
                jkt: req.dpop_jkt.as_deref(),
                person: None,
                grant_id: None,
                status,
            },
        )?;
        recording.done().await?;
        Ok(TokenResponse {
            access_token: minted.token,
            token_type: req.token_type(),
            expires_in: minted.ttl,
            scope,
            id_token: None,
            refresh_token: None,
            warnings: Vec::new(),
        })
    }
}
