//! `GET/POST /login` and `POST /logout`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tessera_store::Session;

use super::session::{self, SignedIn};
use super::{ACCOUNT, Fields, LOGIN, Peer, SERVICE, html, message, see_other};
use super::{authorize, factor};
use crate::state::AppState;
use crate::users::auth::AuthContext;
use crate::users::{CheckError, Checked, username};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    service: &'a str,
    prefix: &'a str,
    csrf: String,
    username: &'a str,
    message: Option<String>,
    /// Where to go after signing in: the authorization request that sent the person here.
    next: &'a str,
    /// The application that request is from.
    app: Option<String>,
    /// Options for signing in with a passkey and no username (JSON for the page's script).
    passkey_options: String,
}

/// Failures before sign-ins slow down; then each waits twice as long as the one before, up to
/// [`MAX_WAIT`]. A quiet quarter of an hour starts the count over: never a lock-out.
const FREE_FAILURES: i64 = 3;
const MAX_WAIT: i64 = 15 * 60;
pub const RESET_MS: i64 = 15 * 60 * 1000;

/// How long a key with `failures` must wait after its last failure, seconds.
pub(super) fn wait(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doubling = u32::try_from((failures - FREE_FAILURES).min(20)).unwrap_or(20);
    (1_i64 << doubling).min(MAX_WAIT)
}

/// The seconds to wait before another try under these throttle counters (0: none).
pub(super) fn retry_after(counts: &[Option<(i64, i64)>], now_ms: i64) -> i64 {
    counts
        .iter()
        .flatten()
        .map(|&(failures, last)| last + wait(failures) * 1000 - now_ms)
        .filter(|&left| left > 0)
        .map(|left| (left + 999) / 1000)
        .max()
        .unwrap_or(0)
}

/// The form, with a pre-session cookie to bind its CSRF token to (a new one unless the browser
/// has one).
async fn form(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    status: StatusCode,
    msg: Option<String>,
    next: &str,
) -> Response {
    let next = if authorize::is_continuation(state, next) {
        next
    } else {
        ""
    };
    let (binding, new) = match session::cookie(headers, session::form_cookie(state)) {
        Some(v) => (v.to_owned(), false),
        None => match session::new_value() {
            Ok(v) => (v, true),
            Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
    };
    let mut resp = html(
        status,
        &LoginPage {
            service: SERVICE,
            prefix: &state.urls().prefix,
            csrf: state.secrets().csrf_token(&format!("form|{binding}")),
            username: name,
            message: msg,
            next,
            app: authorize::continuation_app(state, next),
            passkey_options: super::passkeys::request_options(state, None),
        },
    );
    // On its way to an authorization, the form's answer redirects to the application.
    if !next.is_empty() {
        resp.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(super::redirecting_policy().csp())
                .unwrap_or(HeaderValue::from_static(crate::security::API_CSP)),
        );
    }
    if new {
        resp.headers_mut().append(
            header::SET_COOKIE,
            session::set_cookie(state, session::form_cookie(state), &binding, None),
        );
    }
    resp
}

/// `GET /login[?next=…&again=1&username=…]`: the form; a signed-in browser goes on to `next`
/// (or its account) unless a new sign-in is asked for (`again`: `prompt=login`, `max_age`).
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let q = Fields::parse(query.unwrap_or_default().as_bytes());
    let next = q.get("next");
    if q.get("again") != "1" && session::current(&state, &headers).await.is_some() {
        return onwards(&state, next);
    }
    let hint: String = q.get("username").chars().take(256).collect();
    form(&state, &headers, &hint, StatusCode::OK, None, next).await
}

/// After a sign-in: to the authorization request that asked for it, else the account page.
pub(super) fn onwards(state: &AppState, next: &str) -> Response {
    if authorize::is_continuation(state, next)
        && let Ok(v) = HeaderValue::from_str(next)
    {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response();
    }
    see_other(state, ACCOUNT)
}

pub async fn submit(
    State(state): State<AppState>,
    peer: Option<axum::Extension<Peer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = Fields::parse(&body);
    let name = f.get("username");
    let next = f.get("next");
    let password = zeroize::Zeroizing::new(f.get("password").to_owned());
    let binding = session::cookie(&headers, session::form_cookie(&state));
    let token_ok =
        binding.is_some_and(|b| session::csrf_ok(&state, &format!("form|{b}"), f.get("csrf")));
    if !session::same_origin(&state, &headers) || !token_ok {
        // Shown again with a fresh token: an expired form is the usual cause.
        return form(
            &state,
            &headers,
            "",
            StatusCode::FORBIDDEN,
            Some("This form expired or did not come from this site. Please sign in again.".into()),
            next,
        )
        .await;
    }
    if name.is_empty() || password.is_empty() || name.len() > 256 || password.len() > 1024 {
        return form(
            &state,
            &headers,
            "",
            StatusCode::BAD_REQUEST,
            Some("Enter your username and password.".into()),
            next,
        )
        .await;
    }
    let address = super::peer(peer.as_deref());
    let key = username::key(name).ok();
    let account_key = format!("u:{}", key.as_deref().unwrap_or(name));
    let address_key = format!("a:{address}");
    let store = state.store();
    let now_ms = state.now_millis();
    // Throttled before any hash: the per-account and per-address waits, read with the account
    // (one round trip to the store).
    let read = store
        .sign_in_read(key.as_deref(), [&account_key, &address_key])
        .await
        .unwrap_or_default();
    let counts = read.throttles;
    let account_failed = counts[0].is_some();
    let retry = retry_after(&counts, now_ms);
    if retry > 0 {
        state.event(
            "login.throttled",
            None,
            json!({"username": name, "address": address, "retry_after": retry}),
        );
        let mut resp = form(
            &state,
            &headers,
            name,
            StatusCode::TOO_MANY_REQUESTS,
            Some(format!(
                "Too many failed attempts. Try again in {retry} second{}.",
                if retry == 1 { "" } else { "s" }
            )),
            next,
        )
        .await;
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry));
        return resp;
    }
    let user = read.user;
    // One hash whatever the case: a missing account or password costs what a wrong one does.
    let stored = user.as_ref().and_then(|u| u.password_hash.as_deref());
    let checked = state.passwords().check(stored, &password).await;
    let reason = match (&checked, &user) {
        (Err(CheckError::Busy(_)), _) => {
            let mut resp = message(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                "Busy",
                "Too many people are signing in at this moment. Please try again in a few seconds.",
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            return resp;
        }
        (Err(CheckError::Hash(e)), _) => {
            tracing::error!(error = %e, "a stored password hash cannot be checked");
            "bad_hash"
        }
        (_, None) => "unknown_user",
        (_, Some(u)) if u.password_hash.is_none() => "no_password",
        (Ok(Checked::Wrong), _) => "wrong_password",
        (Ok(Checked::Right { .. }), Some(u)) if !u.enabled => "disabled",
        (Ok(Checked::Right { .. }), Some(_)) => "",
    };
    let ua = super::user_agent(&headers);
    let (Some(mut user), "") = (user.clone(), reason) else {
        // The wait counts from the failure's answer, not from its arrival: a slow hash must
        // not eat the wait it earns.
        let failed_ms = state.now_millis();
        for k in [&account_key, &address_key] {
            let _ = store.throttle_failure(k, failed_ms, RESET_MS).await;
        }
        state.event(
            "login.failed",
            None,
            json!({"user_id": user.map(|u| u.id), "username": name, "reason": reason, "address": address, "user_agent": ua}),
        );
        return form(
            &state,
            &headers,
            name,
            StatusCode::UNAUTHORIZED,
            Some("Wrong username or password.".into()),
            next,
        )
        .await;
    };
    // A write only when there is a count to forget.
    if account_failed {
        let _ = store.throttle_clear(&account_key).await;
    }
    if matches!(checked, Ok(Checked::Right { rehash: true })) {
        rehash(&state, &mut user, &password).await;
    }
    // A second factor at every sign-in for those who give one: the password's success waits
    // in a signed cookie for it (no session yet). The factors are read only for those who hold
    // one besides recovery codes.
    if read.second_factors > 0 && factor::second_step_at_sign_in(&state, &user.id).await {
        state.event(
            "login.password_accepted",
            None,
            json!({"user_id": user.id, "address": address, "user_agent": ua, "next_step": "second_factor"}),
        );
        return factor::to_second_factor(&state, &user.id, next);
    }
    begin_session(
        &state,
        &headers,
        &user,
        &AuthContext::signed_in(&["pwd"]),
        next,
        &address,
        &ua,
    )
    .await
}

/// Starts a session for `user` who just signed in (`auth`: how), replacing the browser's
/// previous one, and goes on to `next`.
pub(super) async fn begin_session(
    state: &AppState,
    headers: &HeaderMap,
    user: &tessera_store::User,
    auth: &AuthContext,
    next: &str,
    address: &str,
    ua: &str,
) -> Response {
    let store = state.store();
    let now_ms = state.now_millis();
    // A new session id at every sign-in (no fixation).
    let Ok(value) = session::new_value() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let s = Session {
        id_hash: session::hash(&value),
        user_id: user.id.clone(),
        created_ms: now_ms.max(user.logged_out_before_ms.map_or(0, |t| t + 1)),
        last_seen: state.now(),
        address: address.to_owned(),
        user_agent: ua.to_owned(),
        auth: auth.to_text(),
    };
    if let Err(e) = store.insert_session(&s).await {
        tracing::error!(error = %e, "cannot record a session");
        return message(
            state,
            StatusCode::SERVICE_UNAVAILABLE,
            "Unavailable",
            "Signing in is not possible right now. Please try again shortly.",
        );
    }
    state.event(
        "login.succeeded",
        None,
        json!({"user_id": user.id, "address": address, "user_agent": ua, "amr": auth.methods(state.now())}),
    );
    state.event(
        "session.started",
        None,
        json!({"user_id": user.id, "address": address}),
    );
    // A sign-in over an existing session (asked again by an application) replaces it.
    if let Some(old) = session::cookie(headers, session::session_cookie(state)) {
        let _ = store.delete_session(&session::hash(old)).await;
    }
    let mut resp = onwards(state, next);
    let h = resp.headers_mut();
    h.append(
        header::SET_COOKIE,
        session::set_cookie(state, session::session_cookie(state), &value, None),
    );
    h.append(
        header::SET_COOKIE,
        session::set_cookie(state, session::form_cookie(state), "", Some(0)),
    );
    h.append(header::SET_COOKIE, factor::clear_pending(state));
    resp
}

/// Replaces an imported or older hash with Argon2id at the current parameters.
async fn rehash(state: &AppState, user: &mut tessera_store::User, password: &str) {
    match state.passwords().hash(password).await {
        Ok(h) => {
            user.password_hash = Some(h);
            user.updated_at = state.now();
            match state.store().update_user(user).await {
                Ok(()) => {
                    user.version += 1;
                    state.event("user.password_rehashed", None, json!({"user_id": user.id}));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "password not rehashed (the account changed meanwhile)")
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "password not rehashed"),
    }
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let f = Fields::parse(&body);
    let Some(SignedIn { session: s, .. }) = session::current(&state, &headers).await else {
        return see_other(&state, LOGIN);
    };
    if !session::same_origin(&state, &headers)
        || !session::csrf_ok(&state, &s.id_hash, f.get("csrf"))
    {
        return message(
            &state,
            StatusCode::FORBIDDEN,
            "Not signed out",
            "This form expired or did not come from this site.",
        );
    }
    let _ = state.store().delete_session(&s.id_hash).await;
    state.event(
        "session.ended",
        None,
        json!({"user_id": s.user_id, "by": "user"}),
    );
    let mut resp = see_other(&state, LOGIN);
    resp.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(&state, session::session_cookie(&state), "", Some(0)),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::{retry_after, wait};

    #[test]
    fn the_wait_doubles_after_three_failures_and_stops_at_a_quarter_hour() {
        assert_eq!([0, 1, 2, 3, 4, 5].map(wait), [0, 0, 0, 1, 2, 4]);
        assert_eq!(wait(13), 900);
        assert_eq!(wait(1_000), 900);
    }

    #[test]
    fn the_longest_wait_of_the_counters_rounded_up_to_a_second() {
        let now = 100_000;
        assert_eq!(retry_after(&[None, None], now), 0);
        // Two failures: no wait; four failures 1.5 s ago: 0.5 s left, said as 1 s.
        assert_eq!(retry_after(&[Some((2, now)), None], now), 0);
        assert_eq!(retry_after(&[Some((4, now - 1_500))], now), 1);
        // The wait is over.
        assert_eq!(retry_after(&[Some((4, now - 2_000)), None], now), 0);
        // The longer of the account's and the address's.
        assert_eq!(
            retry_after(&[Some((3, now - 200)), Some((6, now - 1_000))], now),
            7
        );
    }
}
