//! The second step of a sign-in, and step-up: a one-time code from an authenticator app or a
//! recovery code (passkeys: `passkeys`).
//!
//! After a right password, a person who gives a second factor at every sign-in has no session
//! yet: the password's success waits in a cookie signed with the pages' key (the account and
//! when, five minutes), and the session begins once the second factor is given. A person
//! whose session is below the level an application asks for (`acr_values`, the client's
//! `--require-acr`, the operator's requirement) comes here from the authorization endpoint
//! with their session: the factor raises the session's level for `step_up_ttl`, no new sign-in.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;
use tessera_store::{Factor, User};

use super::session::{self, SignedIn};
use super::{Fields, LOGIN, Peer, SERVICE, html, login, see_other};
use crate::state::AppState;
use crate::users::auth::{AuthContext, MfaAtSignIn};
use crate::users::totp;

/// The page's path, under the issuer's path.
pub const FACTOR: &str = "/login/factor";
/// How long a right password waits for its second factor.
const PENDING_TTL: i64 = 300;

fn pending_cookie(state: &AppState) -> &'static str {
    session::cookie_name(state, "__Host-tessera-pending", "tessera-pending")
}

/// The `Set-Cookie` that forgets a pending sign-in.
#[must_use]
pub fn clear_pending(state: &AppState) -> HeaderValue {
    session::set_cookie(state, pending_cookie(state), "", Some(0))
}

/// A right password waiting for the second factor: the account, and when (Unix seconds).
pub(super) struct Pending {
    user_id: String,
    value: String,
}

fn pending_value(state: &AppState, user_id: &str, at: i64) -> String {
    signed_value(state, "pending", user_id, at)
}

/// A cookie value naming `user_id` at `at` for `label`, signed with the pages' key.
pub(super) fn signed_value(state: &AppState, label: &str, user_id: &str, at: i64) -> String {
    let data = format!("{}.{at}", tessera_jose::b64::encode(user_id));
    let mac = state.secrets().page_mac(&format!("{label}|{data}"));
    format!("{data}.{mac}")
}

fn read_pending(state: &AppState, headers: &HeaderMap) -> Option<Pending> {
    let (user_id, value) = read_signed(
        state,
        headers,
        pending_cookie(state),
        "pending",
        PENDING_TTL,
    )?;
    Some(Pending { user_id, value })
}

/// The user a signed cookie `name` names for `label`, if its signature holds and it is at
/// most `ttl` seconds old; and the cookie's value.
pub(super) fn read_signed(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    label: &str,
    ttl: i64,
) -> Option<(String, String)> {
    let value = session::raw_cookie(headers, name)?;
    if value.len() > 512 {
        return None;
    }
    let (data, mac) = value.rsplit_once('.')?;
    let want = state.secrets().page_mac(&format!("{label}|{data}"));
    if !tessera_jose::secret::ct_eq(want.as_bytes(), mac.as_bytes()) {
        return None;
    }
    let (user, at) = data.split_once('.')?;
    let at: i64 = at.parse().ok()?;
    let now = state.now();
    if at > now + 5 || now - at > ttl {
        return None;
    }
    let user_id = String::from_utf8(tessera_jose::b64::decode(user).ok()?).ok()?;
    Some((user_id, value.to_owned()))
}

/// Whether `user_id` gives a second factor at every sign-in: they have one, and the operator
/// requires it or (`mfa_at_sign_in = enrolled`, the default) having one is enough.
pub async fn second_step_at_sign_in(state: &AppState, user_id: &str) -> bool {
    has_second_factor(state, user_id).await
        && (state.config().mfa_at_sign_in == MfaAtSignIn::Enrolled
            || state.store().mfa_required(user_id).await.unwrap_or(false))
}

/// Whether a factor counts: a confirmed one-time-code secret, a passkey, an unused recovery
/// code.
fn usable(f: &Factor) -> bool {
    match f.kind.as_str() {
        "totp" => f.confirmed,
        "passkey" => true,
        "recovery" => f.counter == 0,
        _ => false,
    }
}

/// Whether `user_id` has a second factor to give.
pub async fn has_second_factor(state: &AppState, user_id: &str) -> bool {
    state
        .store()
        .factors_of(user_id)
        .await
        .is_ok_and(|fs| fs.iter().any(|f| usable(f) && f.kind != "recovery"))
}

/// After a right password: to this page with the pending sign-in's cookie.
pub fn to_second_factor(state: &AppState, user_id: &str, next: &str) -> Response {
    let mut resp = see_other(state, &with_next(FACTOR, next));
    resp.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(
            state,
            pending_cookie(state),
            &pending_value(state, user_id, state.now()),
            Some(PENDING_TTL),
        ),
    );
    resp
}

/// `path?next=…` (or `path` without a continuation).
pub fn with_next(path: &str, next: &str) -> String {
    if next.is_empty() {
        return path.to_owned();
    }
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("next", next);
    format!("{path}?{}", q.finish())
}

/// Who is giving a factor: a pending sign-in (it takes precedence: the person just gave a
/// password), else a signed-in session stepping up.
pub(super) enum Who {
    Pending(Pending, User),
    Session(SignedIn),
}

impl Who {
    pub(super) fn user(&self) -> &User {
        match self {
            Self::Pending(_, u) => u,
            Self::Session(s) => &s.user,
        }
    }

    /// What the form's CSRF token is bound to.
    pub(super) fn binding(&self) -> String {
        match self {
            Self::Pending(p, _) => format!("factor|{}", p.value),
            Self::Session(s) => s.session.id_hash.clone(),
        }
    }
}

pub(super) async fn who(state: &AppState, headers: &HeaderMap) -> Option<Who> {
    if let Some(p) = read_pending(state, headers)
        && let Ok(Some(u)) = state.store().user(&p.user_id).await
        && u.enabled
    {
        return Some(Who::Pending(p, u));
    }
    session::current(state, headers).await.map(Who::Session)
}

#[derive(Template)]
#[template(path = "factor.html")]
struct FactorPage<'a> {
    service: &'a str,
    prefix: &'a str,
    csrf: String,
    next: &'a str,
    app: Option<String>,
    username: &'a str,
    totp: bool,
    passkeys: bool,
    recovery_left: usize,
    stepping_up: bool,
    message: Option<String>,
    passkey_options: String,
    /// Only a passkey will do (the level asked for is phishing-resistant).
    passkey_only: bool,
}

async fn page(
    state: &AppState,
    who: &Who,
    next: &str,
    status: StatusCode,
    msg: Option<String>,
    passkey_only: bool,
) -> Response {
    let factors = state
        .store()
        .factors_of(&who.user().id)
        .await
        .unwrap_or_default();
    let has = |k: &str| factors.iter().any(|f| f.kind == k && usable(f));
    let next = if super::authorize::is_continuation(state, next) {
        next
    } else {
        ""
    };
    let mut resp = html(
        status,
        &FactorPage {
            service: SERVICE,
            prefix: &state.urls().prefix,
            csrf: state.secrets().csrf_token(&who.binding()),
            next,
            app: super::authorize::continuation_app(state, next),
            username: &who.user().username,
            totp: has("totp") && !passkey_only,
            passkeys: has("passkey"),
            recovery_left: if passkey_only {
                0
            } else {
                factors
                    .iter()
                    .filter(|f| f.kind == "recovery" && usable(f))
                    .count()
            },
            stepping_up: matches!(who, Who::Session(_)),
            message: msg,
            passkey_options: super::passkeys::request_options(state, Some((who.user(), &factors))),
            passkey_only,
        },
    );
    if !next.is_empty() {
        resp.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(super::redirecting_policy().csp())
                .unwrap_or(HeaderValue::from_static(crate::security::API_CSP)),
        );
    }
    resp
}

/// `GET /login/factor[?next=…]`.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let q = Fields::parse(query.unwrap_or_default().as_bytes());
    let next = q.get("next");
    match who(&state, &headers).await {
        Some(w) => {
            page(
                &state,
                &w,
                next,
                StatusCode::OK,
                None,
                q.get("need") == "passkey",
            )
            .await
        }
        None => see_other(&state, &with_next(LOGIN, next)),
    }
}

/// `POST /login/factor`: a one-time code (`code`) or a recovery code (`recovery`).
pub async fn submit(
    State(state): State<AppState>,
    peer: Option<axum::Extension<Peer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = Fields::parse(&body);
    let next = f.get("next");
    let Some(w) = who(&state, &headers).await else {
        return see_other(&state, &with_next(LOGIN, next));
    };
    if !session::same_origin(&state, &headers)
        || !session::csrf_ok(&state, &w.binding(), f.get("csrf"))
    {
        return page(
            &state,
            &w,
            next,
            StatusCode::FORBIDDEN,
            Some("This form expired or did not come from this site. Please try again.".into()),
            false,
        )
        .await;
    }
    let address = super::peer(peer.as_deref());
    let user_id = w.user().id.clone();
    let keys = [format!("f:{user_id}"), format!("a:{address}")];
    if let Some(retry) = throttled(&state, [&keys[0], &keys[1]]).await {
        state.event(
            "login.throttled",
            None,
            json!({"user_id": user_id, "address": address, "retry_after": retry, "step": "second_factor"}),
        );
        let mut resp = page(
            &state,
            &w,
            next,
            StatusCode::TOO_MANY_REQUESTS,
            Some(format!(
                "Too many wrong codes. Try again in {retry} second{}.",
                if retry == 1 { "" } else { "s" }
            )),
            false,
        )
        .await;
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry));
        return resp;
    }
    let (code, recovery) = (f.get("code"), f.get("recovery"));
    let used = if !code.is_empty() {
        check_code(&state, &user_id, code).await
    } else if !recovery.is_empty() {
        check_recovery(&state, &user_id, recovery).await
    } else {
        None
    };
    let Some(method) = used else {
        count_failure(&state, &keys).await;
        state.event(
            "login.factor_failed",
            None,
            json!({"user_id": user_id, "address": address, "kind": if code.is_empty() { "recovery" } else { "totp" }}),
        );
        return page(
            &state,
            &w,
            next,
            StatusCode::UNAUTHORIZED,
            Some("That code is not right, or was used already.".into()),
            false,
        )
        .await;
    };
    let _ = state.store().throttle_clear(&keys[0]).await;
    passed(&state, &headers, w, &[method], next, &address).await
}

/// A second factor was given (`methods`: `otp`; `hwk` or `swk`, with `user` when the
/// authenticator verified the person): a pending sign-in becomes a session; a session steps up.
pub(super) async fn passed(
    state: &AppState,
    headers: &HeaderMap,
    w: Who,
    methods: &[&str],
    next: &str,
    address: &str,
) -> Response {
    let ua = super::user_agent(headers);
    match w {
        Who::Pending(_, user) => {
            state.event(
                "login.factor_succeeded",
                None,
                json!({"user_id": user.id, "methods": methods, "address": address}),
            );
            let mut all = vec!["pwd"];
            all.extend_from_slice(methods);
            let ctx = AuthContext::signed_in(&all);
            login::begin_session(state, headers, &user, &ctx, next, address, &ua).await
        }
        Who::Session(s) => step_up(state, &s, methods, next, address).await,
    }
}

/// Raises a session's level with `method` for `step_up_ttl`.
async fn step_up(
    state: &AppState,
    s: &SignedIn,
    methods: &[&str],
    next: &str,
    address: &str,
) -> Response {
    let now = state.now();
    let mut ctx = AuthContext::parse(&s.session.auth);
    let ttl = i64::try_from(state.config().step_up_ttl.as_secs()).unwrap_or(900);
    ctx.step_up(methods, now, ttl);
    if state
        .store()
        .set_session_auth(&s.session.id_hash, &ctx.to_text())
        .await
        .is_err()
    {
        return super::message(
            state,
            StatusCode::SERVICE_UNAVAILABLE,
            "Unavailable",
            "This is not possible right now. Please try again shortly.",
        );
    }
    state.event(
        "session.stepped_up",
        None,
        json!({"user_id": s.user.id, "methods": methods, "address": address, "acr": state.config().acr_names.name(ctx.level(now)), "until": ctx.until}),
    );
    login::onwards(state, next)
}

/// Counts a failed attempt against each throttle key (the wait counts from now: a slow check
/// must not eat the wait it earns).
pub(super) async fn count_failure(state: &AppState, keys: &[String]) {
    let now_ms = state.now_millis();
    for k in keys {
        let _ = state
            .store()
            .throttle_failure(k, now_ms, login::RESET_MS)
            .await;
    }
}

/// The wait (seconds) before another try, if either key must wait (one read; the same key
/// twice for one counter; a read that fails counts nothing, as a missing counter).
pub(super) async fn throttled(state: &AppState, keys: [&str; 2]) -> Option<i64> {
    let counts = state.store().throttles(keys).await.unwrap_or_default();
    let retry = login::retry_after(&counts, state.now_millis());
    (retry > 0).then_some(retry)
}

/// A one-time code from the person's confirmed authenticator app: `otp` when it is right and
/// its time step was not used before (the store moves the step forward once).
async fn check_code(state: &AppState, user_id: &str, code: &str) -> Option<&'static str> {
    let factors = state.store().factors_of(user_id).await.ok()?;
    for f in factors.iter().filter(|f| f.kind == "totp" && f.confirmed) {
        let secret = state.secrets().open_factor(&f.secret).ok()?;
        if let Some(step) = totp::verify(&secret, code, state.now(), f.counter)
            && state
                .store()
                .advance_factor(&f.id, step, state.now())
                .await
                .unwrap_or(false)
        {
            return Some("otp");
        }
    }
    None
}

/// A recovery code: used once.
async fn check_recovery(state: &AppState, user_id: &str, code: &str) -> Option<&'static str> {
    let hash = state
        .secrets()
        .factor_hash("recovery", &totp::normalise_recovery(code));
    let factors = state.store().factors_of(user_id).await.ok()?;
    let f = factors.iter().find(|f| {
        f.kind == "recovery" && tessera_jose::secret::ct_eq(f.secret.as_bytes(), hash.as_bytes())
    })?;
    if state
        .store()
        .advance_factor(&f.id, 1, state.now())
        .await
        .unwrap_or(false)
    {
        state.event(
            "user.recovery_code_used",
            None,
            json!({"user_id": user_id, "left": factors.iter().filter(|g| g.kind == "recovery" && g.counter == 0).count().saturating_sub(1)}),
        );
        return Some("otp");
    }
    None
}
