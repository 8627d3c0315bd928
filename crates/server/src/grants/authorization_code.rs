//! `authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6, OpenID Connect Core §3.1.3): a code
//! from the authorization endpoint, redeemed once, by the client it was issued to, with the
//! redirect URI of its request and the PKCE verifier of its challenge; an RFC 9068 access token
//! for the person and, with `openid`, an ID token.

use super::person::{PersonTokens, StatusRecord, id_key_ready, lifetimes, start_family, tokens};
use super::{Grant, TokenRequest, TokenResponse};
use crate::error::OAuthError;
use crate::pages::authorize::{CODE_TTL, code_hash};
use crate::state::AppState;
use crate::tokens::access::new_jti;
use tessera_store::{Client, RefreshFamily};

/// `authorization_code` with PKCE.
pub struct AuthorizationCode;

/// Whether `verifier` is an RFC 7636 §4.1 code verifier whose S256 challenge is `challenge`.
fn pkce_ok(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    let computed = tessera_jose::b64::encode(tessera_jose::secret::sha2(256, verifier.as_bytes()));
    // Both always computed and compared in constant time.
    tessera_jose::secret::ct_eq(computed.as_bytes(), challenge.as_bytes()) & well_formed
}

#[async_trait::async_trait]
impl Grant for AuthorizationCode {
    fn grant_type(&self) -> &'static str {
        "authorization_code"
    }

    async fn issue(
        &self,
        state: &AppState,
        client: &Client,
        req: &TokenRequest<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        let form = req.form;
        let code = form
            .get("code")
            .ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
        let redirect_uri = form
            .get("redirect_uri")
            .ok_or_else(|| OAuthError::invalid_request("redirect_uri is missing"))?;
        let verifier = form.get("code_verifier").ok_or_else(|| {
            OAuthError::invalid_request("code_verifier is missing (PKCE is required)")
        })?;
        let store = state.store();
        // Checked before the code is spent: an ID-token key of the algorithm the client
        // registered (a chain of a newly registered algorithm signs once its first key has been
        // published for the JWKS max-age).
        let keys = state.keys();
        id_key_ready(&keys, client)?;
        let hash = code_hash(code);
        // One reading of the clock: `iat` is its second, the `jti` carries its millisecond; the
        // jti is noted with the redemption (one durable write), before the token is signed.
        let issued_ms = state.now_millis();
        let jti = new_jti(issued_ms).map_err(|_| OAuthError::server_error())?;
        // The grant's id (when the client may refresh) and the access token's status-list
        // record, written with the redemption: one commit (the store takes the person from the
        // code, and writes the record only when this client redeems it). A code that turns out
        // unusable leaves its index unused, as any token request that fails after its index.
        let family_id = if client.may_use("refresh_token") {
            Some(tessera_jose::b64::encode(
                tessera_jose::secret::random(16).map_err(|_| OAuthError::server_error())?,
            ))
        } else {
            None
        };
        let reserved = state
            .status_lists()
            .reserve(state, &jti, &client.id, None, issued_ms)
            .await?
            .map(|(place, mut record)| {
                record.grant_id.clone_from(&family_id);
                (place, record)
            });
        let redeemed = store
            .redeem_code(
                &hash,
                issued_ms.div_euclid(1000),
                &jti,
                reserved.as_ref().map(|(_, record)| record),
            )
            .await
            .map_err(|e| {
                state.metrics().store_error();
                OAuthError::from(e)
            })?;
        let c = match redeemed {
            Ok(c) => c,
            Err(Some(used)) => {
                // A second redemption: the code leaked. What the first one gave is revoked
                // (RFC 6749 §4.1.2).
                if let Some(jti) = &used.issued_jti {
                    let until = state.now() + state.policy().max_token_ttl;
                    if let Err(e) = store.revoke_jti(jti, &used.client_id, until).await {
                        tracing::error!(error = %e, "cannot revoke the token of a replayed code");
                    }
                }
                state.event(
                    "code.replayed",
                    Some(&client.id),
                    serde_json::json!({"user_id": used.user_id, "code_client_id": used.client_id, "revoked_jti": used.issued_jti}),
                );
                return Err(OAuthError::invalid_grant("the code was already used"));
            }
            Err(None) => return Err(OAuthError::invalid_grant("the code is unknown")),
        };
        if c.client_id != client.id {
            state.event(
                "code.wrong_client",
                Some(&client.id),
                serde_json::json!({"code_client_id": c.client_id}),
            );
            return Err(OAuthError::invalid_grant(
                "the code was issued to another client",
            ));
        }
        if c.expires_at < state.now() {
            return Err(OAuthError::invalid_grant("the code expired"));
        }
        if c.redirect_uri != redirect_uri {
            return Err(OAuthError::invalid_grant(
                "redirect_uri is not the one of the authorization request",
            ));
        }
        if !pkce_ok(verifier, &c.code_challenge) {
            return Err(OAuthError::invalid_grant(
                "the code_verifier does not match the code_challenge",
            ));
        }
        // The person may have signed out, been disabled or logged out by an operator, or
        // removed the consent in the minute since the code was issued (counted from the start
        // of its second: a cut-off in that second wins).
        let code_issued_ms = (c.expires_at - CODE_TTL).saturating_mul(1000);
        if !store
            .code_grant_holds(&c.session_hash, &c.user_id, &client.id, code_issued_ms)
            .await
            .map_err(OAuthError::from)?
        {
            return Err(OAuthError::invalid_grant(
                "the person's access ended since the code was issued",
            ));
        }
        let now = issued_ms.div_euclid(1000);
        // A client that may refresh gets a family for this grant: offline with
        // `offline_access`, else ending with the session.
        let family = if let Some(id) = family_id {
            let (idle_expires_at, expires_at) = lifetimes(state, client, now);
            Some(RefreshFamily {
                id,
                client_id: client.id.clone(),
                user_id: c.user_id.clone(),
                scopes: c.scopes.clone(),
                resources: c.resources.clone(),
                session_hash: (!c.scopes.iter().any(|s| s == "offline_access"))
                    .then(|| c.session_hash.clone()),
                auth_time: c.auth_time,
                auth: c.auth.clone(),
                jkt: None,
                created_ms: issued_ms,
                generation: 0,
                grace_until_ms: 0,
                successor: String::new(),
                idle_expires_at,
                expires_at,
                revoked_at: None,
                revoked_reason: None,
            })
        } else {
            None
        };
        let refresh_token = match &family {
            Some(f) => Some(start_family(state, client, req, f.clone()).await?),
            None => None,
        };
        let mut answer = tokens(
            state,
            &keys,
            client,
            req,
            PersonTokens {
                user_id: &c.user_id,
                scopes: &c.scopes,
                resources: &c.resources,
                auth_time: c.auth_time,
                auth: &c.auth,
                auth_at: c.expires_at - crate::pages::authorize::CODE_TTL,
                session_hash: Some(&c.session_hash),
                nonce: c.nonce.as_deref(),
                grant_id: family.as_ref().map(|f| f.id.as_str()),
                jti,
                issued_ms,
                status: StatusRecord::Written(reserved.map(|(place, _)| place)),
            },
        )
        .await?;
        answer.refresh_token = refresh_token;
        // The client is told when this session ends (Back-Channel Logout).
        if client.backchannel_logout_uri.is_some()
            && let Err(e) = store
                .note_session_client(&c.session_hash, &client.id, &c.user_id)
                .await
        {
            tracing::error!(error = %e, "cannot note the session a client got tokens in");
        }
        state.event(
            "code.redeemed",
            Some(&client.id),
            serde_json::json!({"user_id": c.user_id, "scope": answer.scope, "grant_id": family.as_ref().map(|f| &f.id)}),
        );
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::pkce_ok;

    #[test]
    fn pkce_s256_as_rfc_7636_appendix_b() {
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_ok(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            challenge
        ));
        assert!(!pkce_ok(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            challenge
        ));
        // The plain method's answer (the challenge itself) is not a verifier of it.
        assert!(!pkce_ok(challenge, challenge));
        assert!(!pkce_ok("short", challenge));
        assert!(!pkce_ok("", challenge));
    }
}
