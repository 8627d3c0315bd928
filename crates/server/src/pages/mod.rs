//! The pages people see: sign in (`/login`), sign out (`/logout`), and their account
//! (`/account`). Server-rendered HTML from templates checked at compile time (every value
//! escaped), one stylesheet, no script; each response carries the pages' security headers
//! (`security::Policy::page`) and `Cache-Control: no-store`.

mod account;
pub mod authorize;
pub mod end_session;
pub mod factor;
mod login;
mod mfa;
pub mod passkeys;

/// After this long without a failure, an account's or address's sign-in counter starts over.
pub use login::RESET_MS as THROTTLE_RESET_MS;
pub mod session;

use std::net::IpAddr;

use askama::Template;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::security::{FormAction, Policy};
use crate::state::AppState;

/// The client's address, as the connection gave it (a request extension).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub IpAddr);

/// The pages' paths, under the issuer's path.
pub const LOGIN: &str = "/login";
/// `POST`: ends the session.
pub const LOGOUT: &str = "/logout";
/// The account page.
pub const ACCOUNT: &str = "/account";

const STYLESHEET: &str = include_str!("../../assets/site.css");

/// The pages, under `prefix` (the issuer's path).
pub fn router(prefix: &str) -> Router<AppState> {
    let at = |p: &str| format!("{prefix}{p}");
    Router::new()
        .route(&at(LOGIN), get(login::show).post(login::submit))
        .route(&at(factor::FACTOR), get(factor::show).post(factor::submit))
        .route(&at(LOGOUT), post(login::logout))
        .route(&at(ACCOUNT), get(account::show))
        .route(&at("/account/data.json"), get(account::data))
        .route(&at("/account/sessions/end"), post(account::end_one))
        .route(
            &at("/account/sessions/end-others"),
            post(account::end_others),
        )
        .route(&at("/account/password"), post(account::change_password))
        .route(&at("/account/apps/remove"), post(account::remove_app))
        .route(&at("/account/delete"), post(account::delete))
        .route(&at("/account/totp/start"), post(mfa::totp_start))
        .route(&at("/account/totp/confirm"), post(mfa::totp_confirm))
        .route(&at("/account/totp/remove"), post(mfa::totp_remove))
        .route(&at("/account/recovery/new"), post(mfa::recovery_new))
        .route(&at("/account/passkeys/register"), post(passkeys::register))
        .route(&at("/account/passkeys/remove"), post(passkeys::remove))
        .route(
            &at("/account/invite"),
            get(passkeys::invite_show).post(passkeys::invite_open),
        )
        .route(&at(passkeys::PASSKEY_LOGIN), post(passkeys::login))
        .route(&at("/assets/passkeys.js"), get(passkeys::script))
        .route(&at("/assets/site.css"), get(stylesheet))
        .route(
            &at(authorize::AUTHORIZE),
            get(authorize::get).post(authorize::post),
        )
        .route(&at(authorize::CONSENT), post(authorize::decide))
        .route(
            &at(end_session::END_SESSION),
            get(end_session::get).post(end_session::post),
        )
        .layer(axum::middleware::from_fn(headers))
}

/// The pages' security headers and no caching. The authorization, consent and sign-out pages'
/// forms lead, through redirects, to an application's redirect URI (browsers apply
/// `form-action` to a form's redirects too): their policy leaves `form-action` out (the
/// endpoints allow only registered redirect URIs), as does a sign-in
/// form on its way to an authorization ([`redirecting_policy`], set by the handler). A policy
/// the handler set (that one, the `form_post` page's) is kept.
async fn headers(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let leads_away = path.ends_with(authorize::AUTHORIZE)
        || path.ends_with(authorize::CONSENT)
        || path.ends_with(end_session::END_SESSION);
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let own = h.get(header::CONTENT_SECURITY_POLICY).cloned();
    if leads_away {
        redirecting_policy().apply(h);
    } else {
        page_policy().apply(h);
    }
    if let Some(csp) = own {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Under `no-referrer` browsers send `Origin: null` with the forms' POSTs, which the
    // same-origin check must refuse; `same-origin` sends the real origin to this site and
    // nothing to any other.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    resp
}

fn page_policy() -> &'static Policy {
    static POLICY: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
    POLICY.get_or_init(|| Policy::page(FormAction::SelfOnly))
}

/// The policy of a page whose form leads to an application (no `form-action`).
fn redirecting_policy() -> &'static Policy {
    static POLICY: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
    POLICY.get_or_init(|| Policy::page(FormAction::ThenRedirect))
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLESHEET,
    )
        .into_response()
}

/// A rendered page, or a plain 500 if the template fails (it cannot: its fields are strings).
fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page did not render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A page that only says something, with a link onwards.
#[derive(Template)]
#[template(path = "message.html")]
struct Message<'a> {
    service: &'a str,
    prefix: &'a str,
    title: &'a str,
    text: &'a str,
    next: &'a str,
    next_label: &'a str,
}

fn message(state: &AppState, status: StatusCode, title: &str, text: &str) -> Response {
    html(
        status,
        &Message {
            service: SERVICE,
            prefix: &state.urls().prefix,
            title,
            text,
            next: LOGIN,
            next_label: "Back to sign in",
        },
    )
}

/// The service's name on its pages.
const SERVICE: &str = "Tessera";

/// A 303 to a page of this service.
fn see_other(state: &AppState, path: &str) -> Response {
    let to = format!("{}{path}", state.urls().prefix);
    (
        StatusCode::SEE_OTHER,
        [(
            header::LOCATION,
            HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/")),
        )],
    )
        .into_response()
}

/// A form's fields, from an `application/x-www-form-urlencoded` body (bounded by the
/// service's body limit); the last of a repeated field wins, bad UTF-8 is replaced.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(body: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// The request's client address, or "unknown" (a request that did not come through the
/// service's listener).
pub(crate) fn peer(req_ext: Option<&Peer>) -> String {
    req_ext.map_or_else(|| "unknown".to_owned(), |p| p.0.to_string())
}

/// The `User-Agent`, bounded and escaped.
pub(crate) fn user_agent(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(256).collect::<String>())
        .unwrap_or_default()
}
