//! `refresh_token` (RFC 6749 §6) with rotation and reuse detection.
//!
//! A family (one grant) has one live refresh token. Using it rotates: a new live token, new
//! access and ID tokens. The token it replaced stays good for a short grace window
//! (`refresh_grace`) while its successor is unused: a retry after a lost answer, or a second
//! tab refreshing at the same moment, is answered with the same live token (sealed in the
//! store under a key only the holder of the replaced token can derive), so nobody is logged
//! out by a race. Any other use of a replaced token is theft: the family is revoked, with the
//! access tokens of its grant, and the event `refresh_token_reuse` names the client, the
//! person, the address and the user agent.

use super::person::{
    PersonTokens, StatusRecord, id_key_ready, new_refresh_token, refresh_hash, tokens,
};
use super::{Grant, TokenRequest, TokenResponse};
use crate::error::OAuthError;
use crate::state::AppState;
use crate::tokens::access::new_jti;
use tessera_jose::jwe::{Decrypter, Encrypter, JweBuilder};
use tessera_jose::{Enc, JweAlg, Jwk};
use tessera_store::{Client, RefreshFamily, Rotation};

/// `refresh_token`.
pub struct RefreshToken;

/// The key under which a rotation seals the new token: derived from the token it replaced,
/// which only its holder (and nobody reading the store) has.
fn successor_key(presented: &str) -> Jwk {
    Jwk::from_secret(&tessera_jose::secret::hmac_sha256(
        presented.as_bytes(),
        b"tessera/v1/refresh-successor",
    ))
}

fn seal_successor(presented: &str, next: &str) -> Result<String, OAuthError> {
    let e = Encrypter::new(&successor_key(presented), JweAlg::Dir)
        .map_err(|_| OAuthError::server_error())?;
    JweBuilder::new(next.as_bytes(), Enc::A256Gcm)
        .recipient(&e)
        .compact()
        .map_err(|_| OAuthError::server_error())
}

fn open_successor(presented: &str, sealed: &str) -> Option<String> {
    let d = Decrypter::builder(successor_key(presented))
        .algorithms([JweAlg::Dir])
        .encryptions([Enc::A256Gcm])
        .build()
        .ok()?;
    String::from_utf8(d.decrypt(sealed).ok()?.plaintext().to_vec()).ok()
}

fn store_error(state: &AppState) -> impl Fn(tessera_store::StoreError) -> OAuthError + '_ {
    |e| {
        state.metrics().store_error();
        OAuthError::from(e)
    }
}

/// Why a family can no longer be refreshed, checked on every use: its end, its revocation,
/// its session, the person, the client.
async fn still_alive(
    state: &AppState,
    client: &Client,
    f: &RefreshFamily,
) -> Result<(), OAuthError> {
    let now = state.now();
    if f.revoked_at.is_some() {
        return Err(OAuthError::invalid_grant("the refresh token was revoked"));
    }
    if now >= f.expires_at || now >= f.idle_expires_at {
        return Err(OAuthError::invalid_grant("the refresh token expired"));
    }
    let store = state.store();
    if let Some(session) = &f.session_hash
        && store
            .session(session)
            .await
            .map_err(store_error(state))?
            .is_none()
    {
        return Err(OAuthError::invalid_grant(
            "the sign-in session of this grant ended",
        ));
    }
    if client
        .tokens_revoked_before_ms
        .is_some_and(|t| t >= f.created_ms)
        || store
            .user_token_revoked(&f.user_id, &client.id, f.created_ms, Some(&f.id))
            .await
            .map_err(store_error(state))?
    {
        return Err(OAuthError::invalid_grant(
            "the person's access through this grant ended",
        ));
    }
    Ok(())
}

#[async_trait::async_trait]
impl Grant for RefreshToken {
    fn grant_type(&self) -> &'static str {
        "refresh_token"
    }

    async fn issue(
        &self,
        state: &AppState,
        client: &Client,
        req: &TokenRequest<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        if !client.may_use("refresh_token") {
            return Err(OAuthError::unauthorized_client(
                "this client may not use the refresh_token grant",
            ));
        }
        let presented = req
            .form
            .get("refresh_token")
            .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
        let keys = state.keys();
        id_key_ready(&keys, client)?;
        let store = state.store();
        let hash = refresh_hash(presented);
        let unknown = || OAuthError::invalid_grant("the refresh token is unknown");
        let (mut family, generation) = store
            .refresh_token(&hash)
            .await
            .map_err(store_error(state))?
            .ok_or_else(unknown)?;
        if family.client_id != client.id {
            // Another client's token says nothing about theft by this one: refused, kept.
            return Err(OAuthError::invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        still_alive(state, client, &family).await?;
        if let Some(jkt) = &family.jkt
            && req.dpop_jkt.as_deref() != Some(jkt.as_str())
        {
            return Err(OAuthError::invalid_grant(
                "the refresh token is bound to a DPoP key: refresh with a proof of that key",
            ));
        }
        // A refresh may narrow the scope, never widen it (RFC 6749 §6).
        let scopes: Vec<String> = match req.form.get("scope") {
            None => family.scopes.clone(),
            Some(asked) => {
                let asked: Vec<String> = asked
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                if let Some(s) = asked.iter().find(|s| !family.scopes.contains(s)) {
                    return Err(OAuthError::invalid_scope(format!(
                        "`{}` was not granted: a refresh may only narrow the scope",
                        tessera_jose::error::escaped(s)
                    )));
                }
                asked
            }
        };
        let issued_ms = state.now_millis();
        let now = issued_ms.div_euclid(1000);
        let grace_ms = i64::try_from(state.config().refresh_grace.as_millis()).unwrap_or(0);
        // The access token's `jti` and status-list record, written with the rotation (one
        // commit); answered within the grace, nothing rotates and it is written on its own.
        let jti = new_jti(issued_ms).map_err(|_| OAuthError::server_error())?;
        let reserved = state
            .status_lists()
            .reserve(
                state,
                &jti,
                &client.id,
                Some((&family.user_id, Some(&family.id))),
                issued_ms,
            )
            .await?;
        let mut rotated = false;
        // At most two looks: a rotation that lost a race reads the family again and is then
        // either within the grace of the winner's rotation or not.
        let mut live = None;
        for _ in 0..2 {
            if generation == family.generation {
                let next = new_refresh_token()?;
                let rotation = Rotation {
                    token_hash: refresh_hash(&next),
                    successor: seal_successor(presented, &next)?,
                    grace_until_ms: issued_ms.saturating_add(grace_ms),
                    idle_expires_at: super::person::lifetimes(state, client, now)
                        .0
                        .min(family.expires_at),
                    now,
                    status: reserved.as_ref().map(|(_, record)| record.clone()),
                };
                if store
                    .rotate_family(&family.id, generation, &rotation)
                    .await
                    .map_err(store_error(state))?
                {
                    live = Some(next);
                    rotated = true;
                    break;
                }
                family = store
                    .family(&family.id)
                    .await
                    .map_err(store_error(state))?
                    .ok_or_else(unknown)?;
                still_alive(state, client, &family).await?;
                continue;
            }
            if generation + 1 == family.generation && issued_ms <= family.grace_until_ms {
                // A retry, or a second tab: the live token, unless the store's copy does not
                // open with this token (then it was not the one rotated: nothing is given).
                live = Some(open_successor(presented, &family.successor).ok_or_else(unknown)?);
            }
            break;
        }
        let Some(live) = live else {
            // A replaced token outside its grace, or after its successor was used: theft.
            let revoked = store
                .revoke_family(&family.id, now, "reuse")
                .await
                .map_err(store_error(state))?;
            state.event(
                "refresh_token_reuse",
                Some(&client.id),
                serde_json::json!({
                    "user_id": family.user_id,
                    "grant_id": family.id,
                    "presented_generation": generation,
                    "live_generation": family.generation,
                    "address": req.address,
                    "user_agent": req.user_agent,
                    "family_revoked": revoked,
                }),
            );
            tracing::warn!(client_id = %client.id, grant_id = %family.id, address = %req.address, "a replaced refresh token was used again: its family is revoked");
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used: the grant is revoked",
            ));
        };
        let status = match reserved {
            Some((place, _)) if rotated => StatusRecord::Written(Some(place)),
            Some((place, record)) => StatusRecord::Reserved(place, record),
            None => StatusRecord::Written(None),
        };
        let mut answer = tokens(
            state,
            &keys,
            client,
            req,
            PersonTokens {
                user_id: &family.user_id,
                scopes: &scopes,
                resources: &family.resources,
                auth_time: family.auth_time,
                auth: &family.auth,
                auth_at: issued_ms.div_euclid(1000),
                session_hash: family.session_hash.as_deref(),
                nonce: None,
                grant_id: Some(&family.id),
                jti,
                issued_ms,
                status,
            },
        )
        .await?;
        answer.refresh_token = Some(live);
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::{open_successor, seal_successor};

    #[test]
    fn only_the_replaced_token_opens_its_successor() {
        let sealed = seal_successor("old-token", "new-token").unwrap();
        assert!(!sealed.contains("new-token"));
        assert_eq!(
            open_successor("old-token", &sealed).as_deref(),
            Some("new-token")
        );
        assert_eq!(open_successor("another", &sealed), None);
        assert_eq!(open_successor("old-token", "garbage"), None);
    }
}
