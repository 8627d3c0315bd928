//! OpenID Connect Back-Channel Logout 1.0: when a person's session ends, every client that got
//! tokens in it and registered a `backchannel_logout_uri` is sent a logout token (§2.4:
//! `typ: logout+jwt`, `iss`, `aud`, `iat`, `exp`, `jti`, `sub`, `sid`, the `events` member, no
//! `nonce`). The notices wait in the store's outbox (written in the transaction that ended the
//! session, whoever ended it: the person, the operator, an expiry); each node delivers what is
//! due, claimed so that two nodes never send the same one at once, retried with doubling waits,
//! and the outcome is an audit event.

use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use tessera_store::PendingLogout;

use crate::state::AppState;
use crate::tokens::id::session_id;

/// The `events` member's one event (§2.4).
const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// Deliveries tried before a notice is given up (waits 2, 4, 8, 16, 32 s between them).
const MAX_ATTEMPTS: i64 = 6;
/// How long a logout token is valid.
const TTL: i64 = 120;
/// How long a client has to answer.
const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Serialize)]
struct LogoutClaims<'a> {
    iss: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    sid: &'a str,
    events: serde_json::Value,
}

fn http() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            // The notice goes where the client registered it, not where a redirect points.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}

/// Delivers the notices due now (at most 20 per call).
pub async fn deliver_due(state: &AppState) {
    let now = state.now();
    let due = match state.store().claim_logouts(now, now + 60, 20).await {
        Ok(d) => d,
        Err(e) => {
            state.metrics().store_error();
            tracing::warn!(error = %e, "cannot read the back-channel logout outbox");
            return;
        }
    };
    let sends = due.into_iter().map(|n| {
        let state = state.clone();
        async move { deliver(&state, n).await }
    });
    futures_join_all(sends).await;
}

/// Runs the deliveries side by side (a slow client does not hold the others up).
async fn futures_join_all<F: std::future::Future<Output = ()> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) {
    let mut set = tokio::task::JoinSet::new();
    for f in futures {
        set.spawn(f);
    }
    while set.join_next().await.is_some() {}
}

async fn deliver(state: &AppState, n: PendingLogout) {
    // The client's own subject for the person (pairwise or not), the algorithm it registered;
    // a client deleted since is told by `sid` alone, with the default algorithm.
    let client = state.client(&n.client_id);
    let sub = match &client {
        Some(c) => crate::users::subjects::subject_for(state.store(), c, &n.user_id, state.now())
            .await
            .ok(),
        None => None,
    };
    let alg = client
        .as_ref()
        .and_then(|c| c.id_token_alg.as_deref())
        .and_then(|a| tessera_jose::JwsAlg::from_name(a).ok());
    let outcome = match token(state, &n, sub.as_deref(), alg) {
        Some(t) => send(&n.uri, &t).await,
        None => Err("no signing key is loaded".to_owned()),
    };
    let store = state.store();
    match outcome {
        Ok(()) => {
            let _ = store.logout_done(&n.session_hash, &n.client_id).await;
            state.event(
                "backchannel_logout.delivered",
                Some(&n.client_id),
                json!({"user_id": n.user_id, "attempts": n.attempts}),
            );
        }
        Err(why) if n.attempts >= MAX_ATTEMPTS => {
            let _ = store.logout_done(&n.session_hash, &n.client_id).await;
            tracing::warn!(client_id = %n.client_id, error = %why, "back-channel logout given up");
            state.event(
                "backchannel_logout.failed",
                Some(&n.client_id),
                json!({"user_id": n.user_id, "attempts": n.attempts, "error": why}),
            );
        }
        Err(why) => {
            let wait = 1_i64 << n.attempts.clamp(1, 10);
            let _ = store
                .logout_retry(&n.session_hash, &n.client_id, state.now() + wait)
                .await;
            tracing::info!(client_id = %n.client_id, error = %why, retry_in = wait, "back-channel logout failed: will retry");
        }
    }
}

fn token(
    state: &AppState,
    n: &PendingLogout,
    sub: Option<&str>,
    alg: Option<tessera_jose::JwsAlg>,
) -> Option<String> {
    let keys = state.keys();
    let signer = &keys.id_signer(alg)?.logout;
    let now = state.now();
    let sid = session_id(&n.session_hash);
    let claims = LogoutClaims {
        iss: &state.config().issuer,
        sub,
        aud: &n.client_id,
        iat: now,
        exp: now + TTL,
        jti: crate::tokens::access::new_jti(state.now_millis()).ok()?,
        sid: &sid,
        events: json!({ EVENT: {} }),
    };
    signer.sign(&claims).ok()
}

/// POSTs the token (§2.5); a 200 or 204 is delivery (§2.8).
async fn send(uri: &str, token: &str) -> Result<(), String> {
    let resp = http()
        .post(uri)
        .form(&[("logout_token", token)])
        .send()
        .await
        .map_err(|e| format!("{uri}: {e}"))?;
    match resp.status().as_u16() {
        200 | 204 => Ok(()),
        s => Err(format!("{uri} answered {s}")),
    }
}
