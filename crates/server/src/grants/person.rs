//! What the code and refresh grants give a person's application: an RFC 9068 access token for
//! the person (under the client's subject for them), the ID token with `openid`, and a new
//! refresh-token family when the client may refresh.

use super::{TokenRequest, TokenResponse};
use crate::error::OAuthError;
use crate::keys::KeyRing;
use crate::state::AppState;
use crate::tokens::access::{Issue, Minted, mint};
use crate::tokens::id::{IdClaims, at_hash, session_id};
use crate::tokens::status::{Assigned, Recording, StatusLists};
use crate::users::auth::{AuthContext, level_of};
use tessera_store::{Client, RefreshFamily, TokenStatus};

/// What a person's tokens are for.
pub struct PersonTokens<'a> {
    /// The person's account id.
    pub user_id: &'a str,
    /// The scopes of these tokens.
    pub scopes: &'a [String],
    /// The requested resources (RFC 8707).
    pub resources: &'a [String],
    /// When the person last authenticated.
    pub auth_time: i64,
    /// How (the stored [`AuthContext`]: a step-up's methods count while it lasts).
    pub auth: &'a str,
    /// When to read `auth` at: when the code was issued (a step-up that lapses between the
    /// code and its redemption still counts), or now for a refresh (it falls back once the
    /// step-up is over).
    pub auth_at: i64,
    /// The browser session the grant lives in (`None`: an offline family).
    pub session_hash: Option<&'a str>,
    /// The authorization request's `nonce` (the code grant's ID token only).
    pub nonce: Option<&'a str>,
    /// The refresh-token family (grant) the access token belongs to.
    pub grant_id: Option<&'a str>,
    /// The access token's `jti` (already noted by the caller when it must be).
    pub jti: String,
    /// When they are issued, Unix milliseconds.
    pub issued_ms: i64,
    /// The access token's status-list record.
    pub status: StatusRecord,
}

/// Where an access token's status-list record is written.
pub enum StatusRecord {
    /// Reserved by the caller and written here, beside the signing (a refresh answered
    /// within its grace, which rotates nothing).
    Reserved(Assigned, TokenStatus),
    /// By the caller, with a write of its own (a code's redemption, a rotation: one commit for
    /// both), at this place (`None`: status lists are off).
    Written(Option<Assigned>),
}

/// Signs the access token and, with `openid`, the ID token.
///
/// # Errors
/// The OAuth error to answer with.
pub async fn tokens(
    state: &AppState,
    keys: &KeyRing,
    client: &Client,
    req: &TokenRequest<'_>,
    p: PersonTokens<'_>,
) -> Result<TokenResponse, OAuthError> {
    let store = state.store();
    let now = p.issued_ms.div_euclid(1000);
    let methods = AuthContext::parse(p.auth).methods(p.auth_at);
    let acr = state.config().acr_names.name(level_of(&methods)).to_owned();
    let amr: Vec<&str> = methods.iter().map(String::as_str).collect();
    let scope = p.scopes.join(" ");
    // The audience: the requested resources, else the client's first audience, else the
    // userinfo endpoint (a client that only signs people in).
    let aud: Vec<&str> = if !p.resources.is_empty() {
        p.resources.iter().map(String::as_str).collect()
    } else if let Some(a) = client.audiences.first() {
        vec![a.as_str()]
    } else {
        vec![state.urls().userinfo.as_str()]
    };
    // The subject this client knows the person by (pairwise: recorded at its first token).
    let sub = crate::users::subjects::subject_for(store, client, p.user_id, now)
        .await
        .map_err(OAuthError::from)?;
    let (status, recording) = match p.status {
        StatusRecord::Written(place) => (place, Recording::written()),
        StatusRecord::Reserved(place, record) => (Some(place), StatusLists::record(state, record)),
    };
    let Minted {
        token: access_token,
        ttl,
        exp,
    } = mint(
        state,
        keys,
        client,
        Issue {
            sub: &sub,
            aud,
            scope: &scope,
            jti: p.jti,
            issued_ms: p.issued_ms,
            jkt: req.dpop_jkt.as_deref(),
            person: Some((p.auth_time, &amr, &acr)),
            grant_id: p.grant_id,
            status,
        },
    )?;
    let id_token = if p.scopes.iter().any(|s| s == "openid") {
        let registered = client
            .id_token_alg
            .as_deref()
            .and_then(|a| tessera_jose::JwsAlg::from_name(a).ok());
        let signer = keys
            .id_signer(registered)
            .ok_or_else(OAuthError::unavailable)?;
        let sid = p.session_hash.map(session_id);
        let claims = IdClaims {
            iss: &state.config().issuer,
            sub: &sub,
            aud: &client.id,
            exp,
            iat: now,
            auth_time: p.auth_time,
            nonce: p.nonce,
            acr: &acr,
            amr: &amr,
            azp: &client.id,
            at_hash: at_hash(signer.alg, &access_token),
            sid: sid.as_deref(),
        };
        Some(signer.id.sign(&claims).map_err(|e| {
            tracing::error!(error = %e, "signing failed");
            OAuthError::server_error()
        })?)
    } else {
        None
    };
    // Signed meanwhile; answered only once its status record is written.
    recording.done().await?;
    Ok(TokenResponse {
        access_token,
        token_type: req.token_type(),
        expires_in: ttl,
        scope,
        id_token,
        refresh_token: None,
        warnings: Vec::new(),
    })
}

/// Whether an ID-token key of the client's registered algorithm signs now (checked before a
/// code or a refresh token is spent).
///
/// # Errors
/// `temporarily_unavailable` when none does yet.
pub fn id_key_ready(keys: &KeyRing, client: &Client) -> Result<(), OAuthError> {
    let registered = client
        .id_token_alg
        .as_deref()
        .and_then(|a| tessera_jose::JwsAlg::from_name(a).ok());
    if keys.id_signer(registered).is_none() {
        return Err(OAuthError::unavailable_because(
            "no ID-token key of the client's algorithm signs yet: it will once published for the JWKS max-age",
        ));
    }
    Ok(())
}

/// The stored form of a refresh token.
#[must_use]
pub fn refresh_hash(token: &str) -> String {
    tessera_jose::b64::encode(tessera_jose::secret::hmac_sha256(
        b"tessera/v1/refresh",
        token.as_bytes(),
    ))
}

/// A new refresh token: 256 random bits.
///
/// # Errors
/// `server_error` when the random number generator fails.
pub fn new_refresh_token() -> Result<String, OAuthError> {
    tessera_jose::secret::random(32)
        .map(tessera_jose::b64::encode)
        .map_err(|_| OAuthError::server_error())
}

/// The family lifetimes for `client` from `now`: (idle end, absolute end).
#[must_use]
pub fn lifetimes(state: &AppState, client: &Client, now: i64) -> (i64, i64) {
    let secs = |d: std::time::Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    let idle = client
        .refresh_idle_ttl
        .unwrap_or_else(|| secs(state.config().refresh_idle_ttl));
    let absolute = client
        .refresh_absolute_ttl
        .unwrap_or_else(|| secs(state.config().refresh_absolute_ttl));
    let end = now.saturating_add(absolute);
    (now.saturating_add(idle).min(end), end)
}

/// Starts a refresh-token family for a grant the code grant just made: its first token (the
/// caller answers with it). Offline with `offline_access`; else it ends with the session. A
/// public client's family is bound to its DPoP key when the request had a proof.
///
/// # Errors
/// The OAuth error to answer with.
pub async fn start_family(
    state: &AppState,
    client: &Client,
    req: &TokenRequest<'_>,
    f: RefreshFamily,
) -> Result<String, OAuthError> {
    let token = new_refresh_token()?;
    let f = RefreshFamily {
        jkt: if client.public {
            req.dpop_jkt.clone()
        } else {
            None
        },
        ..f
    };
    state
        .store()
        .create_family(&f, &refresh_hash(&token))
        .await
        .map_err(|e| {
            state.metrics().store_error();
            OAuthError::from(e)
        })?;
    Ok(token)
}
