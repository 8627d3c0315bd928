//! `/account`: what the service holds about the person, where they are signed in, and their
//! password.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::session::{self, SignedIn};
use super::{ACCOUNT, Fields, LOGIN, SERVICE, html, message, see_other};
use crate::state::AppState;
use crate::users::{CheckError, Checked, policy};

/// A session as the page lists it.
struct SessionRow {
    handle: String,
    device: String,
    address: String,
    since: String,
    seen: String,
    current: bool,
}

/// An application the person gave access to.
struct AppRow {
    client_id: String,
    name: String,
    asks: String,
    since: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    service: &'a str,
    prefix: &'a str,
    csrf: String,
    username: &'a str,
    sub: &'a str,
    attributes: Vec<(String, String)>,
    groups: &'a [String],
    sessions: Vec<SessionRow>,
    apps: Vec<AppRow>,
    notice: Option<&'a str>,
    error: Option<String>,
    deletion: bool,
    factors: super::mfa::FactorsSection,
}

/// A person's words for a standard claim; a custom attribute keeps its name.
fn label(name: &str) -> String {
    let known = [
        ("name", "Name"),
        ("given_name", "Given name"),
        ("family_name", "Family name"),
        ("middle_name", "Middle name"),
        ("nickname", "Nickname"),
        ("preferred_username", "Preferred username"),
        ("profile", "Profile"),
        ("picture", "Picture"),
        ("website", "Website"),
        ("email", "Email"),
        ("email_verified", "Email verified"),
        ("gender", "Gender"),
        ("birthdate", "Birth date"),
        ("zoneinfo", "Time zone"),
        ("locale", "Locale"),
        ("phone_number", "Phone number"),
        ("phone_number_verified", "Phone number verified"),
        ("address", "Address"),
    ];
    known
        .iter()
        .find(|(k, _)| *k == name)
        .map_or_else(|| name.to_owned(), |(_, l)| (*l).to_owned())
}

pub(super) fn when(unix: i64) -> String {
    jiff::Timestamp::from_second(unix).map_or_else(
        |_| unix.to_string(),
        |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

pub(super) async fn page(
    state: &AppState,
    me: &SignedIn,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<String>,
) -> Response {
    let sessions = state
        .store()
        .sessions_of(&me.user.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|s| SessionRow {
            current: s.id_hash == me.session.id_hash,
            device: session::device(&s.user_agent),
            address: s.address,
            since: when(s.created_ms.div_euclid(1000)),
            seen: when(s.last_seen),
            handle: s.id_hash,
        })
        .collect();
    let apps = state
        .store()
        .consents_of(&me.user.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| AppRow {
            name: state
                .client(&c.client_id)
                .map_or_else(|| c.client_id.clone(), |cl| cl.name.clone()),
            asks: c
                .scopes
                .iter()
                .map(|s| super::authorize::describe(state, s))
                .collect::<Vec<_>>()
                .join("; "),
            since: when(c.granted_at),
            client_id: c.client_id,
        })
        .collect();
    let attributes = me
        .user
        .attributes
        .iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Bool(true) => "yes".into(),
                Value::Bool(false) => "no".into(),
                other => other.to_string(),
            };
            (label(k), text)
        })
        .collect();
    html(
        status,
        &AccountPage {
            service: SERVICE,
            prefix: &state.urls().prefix,
            csrf: state.secrets().csrf_token(&me.session.id_hash),
            username: &me.user.username,
            sub: &me.user.id,
            attributes,
            groups: &me.user.groups,
            sessions,
            apps,
            notice,
            error,
            deletion: state.config().account_deletion,
            factors: super::mfa::section(state, &me.user).await,
        },
    )
}

pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session::current(&state, &headers).await {
        Some(me) => page(&state, &me, StatusCode::OK, None, None).await,
        None => see_other(&state, LOGIN),
    }
}

/// Everything held about the person, as JSON (data access).
pub async fn data(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(me) = session::current(&state, &headers).await else {
        return see_other(&state, LOGIN);
    };
    let sessions: Vec<Value> = state
        .store()
        .sessions_of(&me.user.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|s| json!({"started_ms": s.created_ms, "last_seen": s.last_seen, "address": s.address, "user_agent": s.user_agent}))
        .collect();
    let apps: Vec<Value> = state
        .store()
        .consents_of(&me.user.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| json!({"client_id": c.client_id, "scope": c.scopes.join(" "), "granted_at": c.granted_at}))
        .collect();
    let factors: Vec<Value> = state
        .store()
        .factors_of(&me.user.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|f| f.confirmed)
        .map(|f| json!({"kind": f.kind, "name": f.name, "added_at": f.created_at, "last_used": f.last_used, "used": f.kind == "recovery" && f.counter != 0}))
        .collect();
    let body = json!({
        "second_factors": factors,
        "sub": me.user.id,
        "username": me.user.username,
        "attributes": me.user.attributes,
        "groups": me.user.groups,
        "has_password": me.user.password_hash.is_some(),
        "created_at": me.user.created_at,
        "updated_at": me.user.updated_at,
        "sessions": sessions,
        "applications": apps,
    });
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"my-account.json\"",
            ),
        ],
        serde_json::to_string_pretty(&body).unwrap_or_default(),
    )
        .into_response()
}

/// The signed-in person and the form's fields, if the form is theirs and from this site.
pub(super) async fn posted(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(SignedIn, Fields), Response> {
    let Some(me) = session::current(state, headers).await else {
        return Err(see_other(state, LOGIN));
    };
    let f = Fields::parse(body);
    if !session::same_origin(state, headers)
        || !session::csrf_ok(state, &me.session.id_hash, f.get("csrf"))
    {
        return Err(message(
            state,
            StatusCode::FORBIDDEN,
            "Not done",
            "This form expired or did not come from this site.",
        ));
    }
    Ok((me, f))
}

pub async fn end_one(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (me, f) = match posted(&state, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let handle = f.get("session");
    // Only the person's own sessions.
    let theirs =
        matches!(state.store().session(handle).await, Ok(Some(s)) if s.user_id == me.user.id);
    if theirs
        && handle != me.session.id_hash
        && state.store().delete_session(handle).await.unwrap_or(false)
    {
        state.event(
            "session.ended",
            None,
            json!({"user_id": me.user.id, "by": "user"}),
        );
    }
    see_other(&state, ACCOUNT)
}

/// Removes an application's access: the consent goes, and the application's tokens for the
/// person become inactive at introspection and userinfo.
pub async fn remove_app(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (me, f) = match posted(&state, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let client_id = f.get("client");
    match state
        .store()
        .revoke_consent(&me.user.id, client_id, state.now_millis())
        .await
    {
        Ok(true) => {
            state.event(
                "consent.revoked",
                Some(client_id),
                json!({"user_id": me.user.id, "by": "user"}),
            );
            page(
                &state,
                &me,
                StatusCode::OK,
                Some("Access removed: the application must ask you again."),
                None,
            )
            .await
        }
        Ok(false) => see_other(&state, ACCOUNT),
        Err(e) => {
            tracing::error!(error = %e, "cannot remove a consent");
            page(
                &state,
                &me,
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                Some("The access could not be removed right now. Please try again.".into()),
            )
            .await
        }
    }
}

pub async fn end_others(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (me, _) = match posted(&state, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let ended = end_other_sessions(&state, &me).await;
    state.event(
        "session.ended",
        None,
        json!({"user_id": me.user.id, "by": "user", "count": ended}),
    );
    see_other(&state, ACCOUNT)
}

/// Deletes the person's own account, when the service allows it (`account_deletion`): the
/// password confirms it; the attributes are erased, every session ends, and the audit log keeps
/// the subject id only.
pub async fn delete(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (me, f) = match posted(&state, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !state.config().account_deletion {
        return message(
            &state,
            StatusCode::FORBIDDEN,
            "Not allowed",
            "This service does not let people delete their own account: ask its operator.",
        );
    }
    let password = zeroize::Zeroizing::new(f.get("password").to_owned());
    let confirmed = f.get("confirm") == "yes";
    let right = matches!(
        state
            .passwords()
            .check(me.user.password_hash.as_deref(), &password)
            .await,
        Ok(Checked::Right { .. })
    );
    if !right || !confirmed {
        return page(
            &state,
            &me,
            StatusCode::BAD_REQUEST,
            None,
            Some("To delete your account, tick the box and give your current password.".into()),
        )
        .await;
    }
    let store = state.store();
    let _ = store.delete_sessions_of(&me.user.id, None).await;
    if let Err(e) = store.delete_user(&me.user.id).await {
        tracing::error!(error = %e, "cannot delete an account");
        return message(
            &state,
            StatusCode::SERVICE_UNAVAILABLE,
            "Not deleted",
            "Your account could not be deleted right now. Please try again.",
        );
    }
    state.event(
        "user.deleted",
        None,
        json!({"user_id": me.user.id, "by": "user"}),
    );
    let mut resp = message(
        &state,
        StatusCode::OK,
        "Account deleted",
        "Your account and everything the service held about you are gone.",
    );
    resp.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(&state, session::session_cookie(&state), "", Some(0)),
    );
    resp
}

/// The account page again, with why the change was refused (the session in hand, not read
/// again).
async fn refused(state: &AppState, me: &SignedIn, why: String) -> Response {
    page(state, me, StatusCode::BAD_REQUEST, None, Some(why)).await
}

/// A message with its first letter in capitals (the rules' messages are in lower case).
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// Ends every session of the person but this one; how many ended.
async fn end_other_sessions(state: &AppState, me: &SignedIn) -> u64 {
    state
        .store()
        .delete_sessions_of(&me.user.id, Some(&me.session.id_hash))
        .await
        .unwrap_or(0)
}

pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (mut me, f) = match posted(&state, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let current = zeroize::Zeroizing::new(f.get("current").to_owned());
    let new = zeroize::Zeroizing::new(f.get("new").to_owned());
    match state
        .passwords()
        .check(me.user.password_hash.as_deref(), &current)
        .await
    {
        Ok(Checked::Right { .. }) => {}
        Ok(Checked::Wrong) => {
            return refused(&state, &me, "The current password is not right.".into()).await;
        }
        Err(CheckError::Busy(_)) => {
            return refused(
                &state,
                &me,
                "Busy: please try again in a few seconds.".into(),
            )
            .await;
        }
        Err(CheckError::Hash(_)) => {
            return refused(
                &state,
                &me,
                "The current password cannot be checked.".into(),
            )
            .await;
        }
    }
    let email = me
        .user
        .attributes
        .get("email")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let guessable = [
        me.user.username.as_str(),
        "tessera",
        state.config().issuer_authority(),
        email.as_str(),
    ];
    if let Err(why) = policy::check(&new, &guessable) {
        return refused(&state, &me, capitalized(&why)).await;
    }
    let Ok(hash) = state.passwords().hash(&new).await else {
        return refused(
            &state,
            &me,
            "Busy: please try again in a few seconds.".into(),
        )
        .await;
    };
    me.user.password_hash = Some(hash);
    me.user.updated_at = state.now();
    if state.store().update_user(&me.user).await.is_err() {
        return refused(
            &state,
            &me,
            "Your account changed meanwhile: please try again.".into(),
        )
        .await;
    }
    // A new password ends every other session.
    let ended = end_other_sessions(&state, &me).await;
    state.event(
        "user.password_changed",
        None,
        json!({"user_id": me.user.id, "by": "user", "sessions_ended": ended}),
    );
    me.user.version += 1;
    page(
        &state,
        &me,
        StatusCode::OK,
        Some("Your password was changed, and your other sessions ended."),
        None,
    )
    .await
}
