//! RP-Initiated Logout 1.0: `GET`/`POST /oauth2/logout` (the `end_session_endpoint`).
//!
//! An application sends the person here to sign out of the service. With a valid
//! `id_token_hint` (signed by this service; an expired one is fine) for the signed-in person,
//! the session ends at once; otherwise the person is asked first (a form with a CSRF token
//! bound to the session). Afterwards the browser goes to the `post_logout_redirect_uri`, only
//! if it is one the application registered (exact match), with `state`; else a page says the
//! person is signed out.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::session::{self, SignedIn};
use super::{Fields, SERVICE, html, message};
use crate::state::AppState;

/// The endpoint's path under the issuer's.
pub const END_SESSION: &str = "/oauth2/logout";

/// The parameters the confirmation form carries back.
const CARRIED: [&str; 4] = [
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "id_token_hint",
];

#[derive(Template)]
#[template(path = "end_session.html")]
struct Confirm<'a> {
    service: &'a str,
    prefix: &'a str,
    username: &'a str,
    app: Option<String>,
    csrf: String,
    params: Vec<(String, String)>,
}

/// What the request says, checked.
struct Request {
    /// The hint's subject and client, when it verified.
    hint: Option<(String, String)>,
    /// Where to go afterwards (registered by the client), and the state to add.
    back: Option<String>,
    client_name: Option<String>,
    carried: Vec<(String, String)>,
}

/// `GET /oauth2/logout`.
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let f = Fields::parse(query.unwrap_or_default().as_bytes());
    end_session(&state, &headers, &f, false).await
}

/// `POST /oauth2/logout`: an application's form, or the confirmation.
pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let f = Fields::parse(&body);
    let confirmed = f.get("confirm") == "yes";
    end_session(&state, &headers, &f, confirmed).await
}

fn read(state: &AppState, f: &Fields) -> Result<Request, &'static str> {
    let hint = match f.get("id_token_hint") {
        "" => None,
        t => Some(
            crate::tokens::id::verify_hint(state, t)
                .ok_or("The sign-out request carries a token this service did not issue.")?,
        ),
    };
    let client_id = match (f.get("client_id"), &hint) {
        ("", None) => None,
        ("", Some((_, aud))) => Some(aud.clone()),
        (id, Some((_, aud))) if id != aud => {
            return Err("The sign-out request names two different applications.");
        }
        (id, _) => Some(id.to_owned()),
    };
    let client = client_id.as_deref().and_then(|id| state.client(id));
    let back = match f.get("post_logout_redirect_uri") {
        "" => None,
        uri => {
            let registered = client
                .as_ref()
                .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
            if !registered {
                return Err(
                    "The address the application asked to send you to after signing out is not one it registered.",
                );
            }
            let mut to = uri.to_owned();
            if !f.get("state").is_empty() {
                to.push(if to.contains('?') { '&' } else { '?' });
                to.push_str(
                    &form_urlencoded::Serializer::new(String::new())
                        .append_pair("state", f.get("state"))
                        .finish(),
                );
            }
            Some(to)
        }
    };
    let carried = CARRIED
        .iter()
        .filter(|k| !f.get(k).is_empty())
        .map(|k| ((*k).to_owned(), f.get(k).to_owned()))
        .collect();
    Ok(Request {
        hint,
        back,
        client_name: client.map(|c| c.name.clone()),
        carried,
    })
}

async fn end_session(
    state: &AppState,
    headers: &HeaderMap,
    f: &Fields,
    confirmed: bool,
) -> Response {
    let req = match read(state, f) {
        Ok(r) => r,
        Err(text) => {
            return message(
                state,
                StatusCode::BAD_REQUEST,
                "This request cannot go on",
                text,
            );
        }
    };
    let Some(me) = session::current(state, headers).await else {
        // Nobody to sign out.
        return done(state, &req, None);
    };
    let hinted = match &req.hint {
        Some((sub, aud)) => crate::tokens::id::hinted_user(state, sub, aud)
            .await
            .is_some_and(|u| u == me.user.id),
        None => false,
    };
    let confirmed = confirmed
        && session::same_origin(state, headers)
        && session::csrf_ok(
            state,
            &format!("logout|{}", me.session.id_hash),
            f.get("csrf"),
        );
    if !hinted && !confirmed {
        return html(
            StatusCode::OK,
            &Confirm {
                service: SERVICE,
                prefix: &state.urls().prefix,
                username: &me.user.username,
                app: req.client_name.clone(),
                csrf: state
                    .secrets()
                    .csrf_token(&format!("logout|{}", me.session.id_hash)),
                params: req.carried.clone(),
            },
        );
    }
    let _ = state.store().delete_session(&me.session.id_hash).await;
    state.event(
        "session.ended",
        None,
        json!({"user_id": me.user.id, "by": "application", "client_name": req.client_name}),
    );
    done(state, &req, Some(&me))
}

/// Signed out: to the application's registered address, or a page that says so; the cookie
/// goes either way.
fn done(state: &AppState, req: &Request, ended: Option<&SignedIn>) -> Response {
    let mut resp = match req
        .back
        .as_deref()
        .and_then(|b| HeaderValue::from_str(b).ok())
    {
        Some(to) => (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response(),
        None => message(
            state,
            StatusCode::OK,
            "Signed out",
            "You are signed out. You can close this window.",
        ),
    };
    if ended.is_some() {
        resp.headers_mut().append(
            header::SET_COOKIE,
            session::set_cookie(state, session::session_cookie(state), "", Some(0)),
        );
    }
    resp
}
