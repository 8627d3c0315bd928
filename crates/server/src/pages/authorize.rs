//! The authorization endpoint (RFC 6749 §4.1, OAuth 2.1, OpenID Connect Core §3.1.2) and the
//! consent page: `GET`/`POST /oauth2/authorize`, `POST /oauth2/consent`.
//!
//! Only `response_type=code`, with PKCE `S256` for every client; `response_mode` `query` or
//! `form_post`; `iss` on every response (RFC 9207). A request whose client or redirect URI
//! cannot be trusted gets an error page, never a redirect; every other error goes back to the
//! application. A person without a session (or whose sign-in is older than `max_age`, or asked
//! to sign in again with `prompt=login`) is sent to the sign-in page, which brings them back
//! here; consent is asked unless the application is first-party or the person already allowed
//! these scopes.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tessera_store::{AuthCode, Client, Consent};

use super::session::{self, SignedIn};
use super::{Fields, SERVICE, html};
use crate::oauth::redirect;
use crate::state::AppState;
use crate::users::auth::{AuthContext, Level};

/// The endpoint's path under the issuer's.
pub const AUTHORIZE: &str = crate::paths::AUTHORIZE;
/// Where the consent form posts.
pub const CONSENT: &str = "/oauth2/consent";

/// How long a code lives (RFC 6749 §4.1.2 recommends at most ten minutes; one is plenty).
pub const CODE_TTL: i64 = 60;

/// The scopes every client with the code grant may ask for (OpenID Connect Core §5.4, §11).
pub const OIDC_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// Parameters this endpoint reads; the consent form carries them back (anything else is
/// ignored, RFC 6749 §3.1).
const CARRIED: [&str; 14] = [
    "acr_values",
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "response_mode",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "prompt",
    "max_age",
    "login_hint",
    "ui_locales",
];

/// How the answer goes back to the application.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Query,
    FormPost,
}

/// Where and how to answer: known once the client and redirect URI are trusted.
struct Target {
    redirect_uri: String,
    state: Option<String>,
    mode: Mode,
}

/// A checked authorization request.
struct AuthRequest {
    client: Arc<Client>,
    target: Target,
    scopes: Vec<String>,
    resources: Vec<String>,
    code_challenge: String,
    nonce: Option<String>,
    prompt_login: bool,
    prompt_consent: bool,
    prompt_none: bool,
    max_age: Option<i64>,
    /// The lowest level `acr_values` names (`None`: none known, or none asked).
    acr: Option<Level>,
    login_hint: Option<String>,
    /// The person an `id_token_hint` names (`Some(None)`: a person no longer known).
    hint_user: Option<Option<String>>,
    /// The parameters this endpoint reads, as sent (for the sign-in and consent round trips);
    /// for a pushed request, its `client_id` and `request_uri`.
    carried: Vec<(String, String)>,
    /// A pushed request (RFC 9126): the hash of its `request_uri`, and when it was pushed
    /// (Unix seconds: a sign-in after it satisfies its `prompt=login`).
    pushed: Option<(String, i64)>,
}

/// The prefix of a pushed request's `request_uri` (RFC 9126 §2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// How long a pushed request may be used.
pub const PAR_TTL: i64 = 60;

/// The hash under which a pushed request is stored.
#[must_use]
pub fn request_uri_hash(uri: &str) -> String {
    tessera_jose::b64::encode(tessera_jose::secret::hmac_sha256(
        b"tessera/v1/request_uri",
        uri.as_bytes(),
    ))
}

/// The parameters of the request: the pushed ones when it names a `request_uri` (which must be
/// the named client's, unexpired and unused), else its own.
async fn resolve(
    state: &AppState,
    p: Params,
) -> Result<(Params, Option<(String, i64)>, Vec<(String, String)>), Refusal> {
    let Ok(Some(uri)) = p.one("request_uri") else {
        return Ok((p, None, Vec::new()));
    };
    let client_id = p.one("client_id").ok().flatten().ok_or(Refusal::Page(
        "The request does not say which application it is for (client_id).",
    ))?;
    let expired = Refusal::Page(
        "This sign-in request expired or was already used. Go back to the application and start again.",
    );
    if !uri.starts_with(REQUEST_URI_PREFIX) {
        return Err(expired);
    }
    let hash = request_uri_hash(uri);
    let (owner, params, expires_at) = state
        .store()
        .pushed_request(&hash, state.now())
        .await
        .ok()
        .flatten()
        .ok_or(expired)?;
    if owner != client_id {
        return Err(Refusal::Page(
            "This sign-in request belongs to another application.",
        ));
    }
    let carried = vec![
        ("client_id".to_owned(), client_id.to_owned()),
        ("request_uri".to_owned(), uri.to_owned()),
    ];
    // Its expiry says when it was pushed.
    Ok((
        Params::parse(params.as_bytes()),
        Some((hash, expires_at - PAR_TTL)),
        carried,
    ))
}

/// Why a request is refused: on a page of ours, or back at the application.
enum Refusal {
    Page(&'static str),
    Redirect(Target, &'static str, String),
}

/// The request's parameters; `resource` may repeat, nothing else may (RFC 6749 §3.1).
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(text: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(text)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The value, `Err` when the parameter repeats; an empty value counts as absent.
    fn one(&self, name: &str) -> Result<Option<&str>, ()> {
        let mut found = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        let first = found.next();
        if found.next().is_some() {
            return Err(());
        }
        Ok(first.map(String::as_str).filter(|v| !v.is_empty()))
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// `GET /oauth2/authorize`.
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    authorize(&state, &headers, params).await
}

/// `POST /oauth2/authorize` (a form from the application's page: the same as `GET`).
pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let params = Params::parse(&body);
    authorize(&state, &headers, params).await
}

/// A request's parameters (pushed or its own) checked into an [`AuthRequest`].
async fn checked(state: &AppState, params: Params) -> Result<AuthRequest, Refusal> {
    let (params, pushed, carried) = resolve(state, params).await?;
    let mut req = check(state, &params, pushed.is_some()).await?;
    if pushed.is_some() {
        req.carried = carried;
        req.pushed = pushed;
    }
    Ok(req)
}

async fn authorize(state: &AppState, headers: &HeaderMap, params: Params) -> Response {
    let req = match checked(state, params).await {
        Ok(r) => r,
        Err(refusal) => return refuse(state, refusal),
    };
    let signed_in = session::current(state, headers).await;
    let fresh_enough = |s: &SignedIn| {
        let signed_in_at =
            AuthContext::parse(&s.session.auth).auth_time(s.session.created_ms.div_euclid(1000));
        // `prompt=login` of a pushed request is satisfied by a sign-in after the push (the
        // sign-in page comes back with the same request_uri).
        let login_done = !req.prompt_login
            || req
                .pushed
                .as_ref()
                .is_some_and(|(_, at)| signed_in_at >= *at);
        let hinted = req
            .hint_user
            .as_ref()
            .is_none_or(|u| u.as_deref() == Some(s.user.id.as_str()));
        login_done
            && hinted
            && req
                .max_age
                .is_none_or(|max| state.now() - signed_in_at <= max)
    };
    let signed_in = match signed_in {
        Some(s) if fresh_enough(&s) => s,
        _ if req.prompt_none => {
            return refuse(
                state,
                Refusal::Redirect(
                    req.target,
                    "login_required",
                    "the person is not signed in (or not recently enough)".into(),
                ),
            );
        }
        current => return to_login(state, &req, current.as_ref()),
    };
    // The level the client requires, the request asks for, and the operator requires of this
    // person; a session below it gives the missing factor only (no new sign-in).
    let level = AuthContext::parse(&signed_in.session.auth).level(state.now());
    let need = required_level(state, &req, &signed_in.user.id, level).await;
    if level < need {
        if req.prompt_none {
            return refuse(
                state,
                Refusal::Redirect(
                    req.target,
                    "interaction_required",
                    "the person must give another factor for the level asked for".into(),
                ),
            );
        }
        let mut to = super::factor::with_next(super::factor::FACTOR, &continuation(state, &req));
        if need == Level::PhishingResistant {
            // Only a passkey reaches it: the page offers nothing else.
            to.push_str(if to.contains('?') { "&" } else { "?" });
            to.push_str("need=passkey");
        }
        return super::see_other(state, &to);
    }
    if !req.client.first_party {
        let consent = state
            .store()
            .consent(&signed_in.user.id, &req.client.id)
            .await
            .ok()
            .flatten();
        let covered = consent.is_some_and(|c| req.scopes.iter().all(|s| c.scopes.contains(s)));
        if !covered || req.prompt_consent {
            if req.prompt_none {
                return refuse(
                    state,
                    Refusal::Redirect(
                        req.target,
                        "consent_required",
                        "the person has not allowed this application these scopes".into(),
                    ),
                );
            }
            return consent_page(state, &req, &signed_in);
        }
    }
    issue_code(state, req, &signed_in).await
}

/// Checks a request in the order that decides how it may be refused: first the client and the
/// redirect URI (a page), then everything else (back to the application).
async fn check(state: &AppState, p: &Params, pushed: bool) -> Result<AuthRequest, Refusal> {
    let client_id = p
        .one("client_id")
        .map_err(|()| Refusal::Page("The request names more than one application."))?
        .ok_or(Refusal::Page(
            "The request does not say which application it is for (client_id).",
        ))?;
    let client = match state.client(client_id) {
        Some(c) => Some(c),
        None => {
            // A client created a moment ago (on another node) is found after one store read.
            let _ = state.refresh_for(std::time::Instant::now()).await;
            state.client(client_id)
        }
    };
    let client = client
        .filter(|c| c.enabled && c.may_use("authorization_code"))
        .ok_or(Refusal::Page(
            "The application that sent you here is not registered with this service, or may not ask people for access.",
        ))?;
    let redirect_uri = p
        .one("redirect_uri")
        .map_err(|()| Refusal::Page("The request has more than one redirect_uri."))?
        .ok_or(Refusal::Page(
            "The request does not say where to send you back (redirect_uri).",
        ))?;
    if !redirect::matches(&client.redirect_uris, redirect_uri) {
        return Err(Refusal::Page(
            "The address the application asked to send you back to is not one it registered.",
        ));
    }
    let state_param = p.one("state").ok().flatten().map(str::to_owned);
    let mode = match p.one("response_mode") {
        Ok(None | Some("query")) => Mode::Query,
        Ok(Some("form_post")) => Mode::FormPost,
        _ => Mode::Query,
    };
    let target = Target {
        redirect_uri: redirect_uri.to_owned(),
        state: state_param,
        mode,
    };
    let bad = |target: Target, code: &'static str, text: &str| {
        Err(Refusal::Redirect(target, code, text.to_owned()))
    };
    if !matches!(
        p.one("response_mode"),
        Ok(None | Some("query" | "form_post"))
    ) {
        return bad(
            target,
            "invalid_request",
            "response_mode must be query or form_post",
        );
    }
    if p.one("state").is_err() {
        return bad(target, "invalid_request", "state is repeated");
    }
    if p.one("request").ok().flatten().is_some() {
        return bad(
            target,
            "request_not_supported",
            "request objects are not supported",
        );
    }
    if !pushed && client.require_par {
        return bad(
            target,
            "invalid_request",
            "this client must push its authorization requests first (/oauth2/par)",
        );
    }
    if !pushed && p.one("request_uri").ok().flatten().is_some() {
        return bad(
            target,
            "invalid_request",
            "request_uri is only for requests pushed to /oauth2/par",
        );
    }
    match p.one("response_type") {
        Ok(Some("code")) => {}
        Ok(None) => return bad(target, "invalid_request", "response_type is missing"),
        _ => {
            return bad(
                target,
                "unsupported_response_type",
                "only response_type=code is supported (no implicit or hybrid flow)",
            );
        }
    }
    let Ok(Some(challenge)) = p.one("code_challenge") else {
        return bad(
            target,
            "invalid_request",
            "PKCE is required: send code_challenge with code_challenge_method=S256",
        );
    };
    if p.one("code_challenge_method") != Ok(Some("S256")) {
        return bad(
            target,
            "invalid_request",
            "code_challenge_method must be S256 (plain is not accepted)",
        );
    }
    if challenge.len() != 43
        || !challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return bad(
            target,
            "invalid_request",
            "code_challenge must be the base64url SHA-256 of the verifier (43 characters)",
        );
    }
    let Ok(scope) = p.one("scope") else {
        return bad(target, "invalid_request", "scope is repeated");
    };
    let mut scopes: Vec<String> = Vec::new();
    for s in scope
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
    {
        if !OIDC_SCOPES.contains(&s) && !client.scopes.iter().any(|c| c == s) {
            return Err(Refusal::Redirect(
                target,
                "invalid_scope",
                format!(
                    "the scope `{}` is unknown or not allowed for this client",
                    tessera_jose::error::escaped(s)
                ),
            ));
        }
        if !scopes.iter().any(|x| x == s) {
            scopes.push(s.to_owned());
        }
    }
    let resources = p.all("resource");
    if let Some(r) = resources
        .iter()
        .find(|r| !client.audiences.iter().any(|a| a == *r))
    {
        return Err(Refusal::Redirect(
            target,
            "invalid_target",
            format!(
                "the resource `{}` is not an audience of this client",
                tessera_jose::error::escaped(r)
            ),
        ));
    }
    let Ok(prompt) = p.one("prompt") else {
        return bad(target, "invalid_request", "prompt is repeated");
    };
    let prompts: Vec<&str> = prompt
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(u) = prompts
        .iter()
        .find(|v| !["none", "login", "consent", "select_account"].contains(v))
    {
        return Err(Refusal::Redirect(
            target,
            "invalid_request",
            format!("unknown prompt value `{}`", tessera_jose::error::escaped(u)),
        ));
    }
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return bad(
            target,
            "invalid_request",
            "prompt=none cannot be combined with other values",
        );
    }
    let max_age = match p.one("max_age") {
        Ok(None) => None,
        Ok(Some(v)) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                return bad(
                    target,
                    "invalid_request",
                    "max_age must be a number of seconds",
                );
            }
        },
        Err(()) => return bad(target, "invalid_request", "max_age is repeated"),
    };
    let Ok(nonce) = p.one("nonce") else {
        return bad(target, "invalid_request", "nonce is repeated");
    };
    if nonce.is_some_and(|n| n.len() > 512) {
        return bad(
            target,
            "invalid_request",
            "nonce is longer than 512 characters",
        );
    }
    // An ID token this service issued to this client names whom the application expects: a
    // session of someone else is not used (`login_required` with `prompt=none`, else the
    // sign-in page, the hinted person's username filled in). The hint is not carried to the
    // sign-in's continuation: whoever signs in then goes on.
    let hint_user = match p.one("id_token_hint") {
        Err(()) => return bad(target, "invalid_request", "id_token_hint is repeated"),
        Ok(None) => None,
        Ok(Some(t)) => {
            let Some((sub, aud)) = crate::tokens::id::verify_hint(state, t) else {
                return bad(
                    target,
                    "invalid_request",
                    "id_token_hint is not an ID token this service issued",
                );
            };
            if aud != client.id {
                return bad(
                    target,
                    "invalid_request",
                    "id_token_hint was issued to another application",
                );
            }
            Some(crate::tokens::id::hinted_user(state, &sub, &aud).await)
        }
    };
    let hinted_username = match hint_user.as_ref().and_then(Option::as_deref) {
        Some(id) => state
            .store()
            .user(id)
            .await
            .ok()
            .flatten()
            .map(|u| u.username),
        None => None,
    };
    let mut carried: Vec<(String, String)> = Vec::new();
    for name in CARRIED {
        if let Ok(Some(v)) = p.one(name) {
            carried.push((name.to_owned(), v.to_owned()));
        }
    }
    for r in &resources {
        carried.push(("resource".to_owned(), r.clone()));
    }
    Ok(AuthRequest {
        target,
        scopes,
        resources,
        code_challenge: challenge.to_owned(),
        nonce: nonce.map(str::to_owned),
        prompt_login: prompts.contains(&"login"),
        prompt_consent: prompts.contains(&"consent"),
        prompt_none,
        max_age,
        acr: p
            .one("acr_values")
            .ok()
            .flatten()
            .and_then(|v| state.config().acr_names.requested(v)),
        login_hint: p
            .one("login_hint")
            .ok()
            .flatten()
            .map(str::to_owned)
            .or(hinted_username),
        hint_user,
        carried,
        pushed: None,
        client,
    })
}

/// Pushes an authorization request (RFC 9126 §2.1) for an authenticated client: checks it as
/// the authorization endpoint would (its errors answered here, never redirected), keeps the
/// parameters this endpoint reads (never the client's credentials), and returns the
/// `request_uri`.
///
/// # Errors
/// The authorization request's error, as an [`OAuthError`] of the same code.
pub async fn push(
    state: &AppState,
    client: &Client,
    body: &[u8],
) -> Result<String, crate::error::OAuthError> {
    use crate::error::OAuthError;
    let mut p = Params::parse(body);
    if p.one("request_uri").ok().flatten().is_some() {
        return Err(OAuthError::invalid_request(
            "a pushed request cannot name a request_uri",
        ));
    }
    // The client is the authenticated one (with Basic authentication the form may not name it).
    p.0.retain(|(k, _)| k != "client_id");
    p.0.push(("client_id".into(), client.id.clone()));
    let req = check(state, &p, true).await.map_err(|r| match r {
        Refusal::Page(text) => OAuthError::invalid_request(text),
        Refusal::Redirect(_, code, text) => OAuthError::bad_request(code, text),
    })?;
    let uri = format!(
        "{REQUEST_URI_PREFIX}{}",
        session::new_value().map_err(|_| OAuthError::server_error())?
    );
    let params = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&req.carried)
        .finish();
    state
        .store()
        .push_request(
            &request_uri_hash(&uri),
            &client.id,
            &params,
            state.now() + PAR_TTL,
        )
        .await
        .map_err(OAuthError::from)?;
    Ok(uri)
}

/// The answer to a refused request.
fn refuse(state: &AppState, refusal: Refusal) -> Response {
    match refusal {
        Refusal::Page(text) => super::message(
            state,
            StatusCode::BAD_REQUEST,
            "This request cannot go on",
            text,
        ),
        Refusal::Redirect(target, error, description) => respond(
            state,
            &target,
            &[("error", error), ("error_description", &description)],
        ),
    }
}

/// Sends the answer back to the application: in the redirect URI's query, or in a form the
/// browser posts to it; with `state` and `iss` (RFC 9207) always.
fn respond(state: &AppState, target: &Target, fields: &[(&str, &str)]) -> Response {
    let mut all: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    if let Some(s) = &target.state {
        all.push(("state".into(), s.clone()));
    }
    all.push(("iss".into(), state.config().issuer.clone()));
    match target.mode {
        Mode::Query => {
            let mut url = target.redirect_uri.clone();
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(
                &form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(&all)
                    .finish(),
            );
            match HeaderValue::from_str(&url) {
                Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response(),
                Err(_) => StatusCode::BAD_REQUEST.into_response(),
            }
        }
        Mode::FormPost => {
            let mut resp = html(
                StatusCode::OK,
                &FormPost {
                    service: SERVICE,
                    prefix: &state.urls().prefix,
                    action: &target.redirect_uri,
                    fields: all,
                },
            );
            // Its one script, by hash; the form goes to the application's origin.
            resp.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(FORM_POST_CSP),
            );
            resp
        }
    }
}

/// The `form_post` page's policy: its stylesheet, the one inline script that submits the form
/// (by its SHA-256), nothing else; no `form-action`, so the form may go to the application.
const FORM_POST_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'sha256-ePniVEkSivX/c7XWBGafqh8tSpiRrKiqYeqbG7N1TOE='; base-uri 'none'; frame-ancestors 'none'";

#[derive(Template)]
#[template(path = "form_post.html")]
struct FormPost<'a> {
    service: &'a str,
    prefix: &'a str,
    action: &'a str,
    fields: Vec<(String, String)>,
}

/// The level a sign-in for `req` must reach: the client's requirement, the request's
/// `acr_values`, and two factors for a person the operator requires them of (asked of the
/// store only when it could matter: the session, at `level`, has fewer).
async fn required_level(state: &AppState, req: &AuthRequest, user_id: &str, level: Level) -> Level {
    let asked = req
        .client
        .require_acr
        .as_deref()
        .and_then(Level::from_keyword)
        .unwrap_or(Level::Password)
        .max(req.acr.unwrap_or(Level::Password));
    if level >= Level::Mfa || asked >= Level::Mfa {
        return asked;
    }
    if state.store().mfa_required(user_id).await.unwrap_or(false) {
        Level::Mfa
    } else {
        asked
    }
}

/// This request again, as the sign-in and second-factor pages come back to it (`prompt=login`
/// taken out: it is satisfied by the sign-in it leads to).
fn continuation(state: &AppState, req: &AuthRequest) -> String {
    let mut back = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &req.carried {
        if k == "prompt" {
            let rest: Vec<&str> = v.split(' ').filter(|p| *p != "login").collect();
            if !rest.is_empty() {
                back.append_pair(k, &rest.join(" "));
            }
        } else {
            back.append_pair(k, v);
        }
    }
    format!("{}{AUTHORIZE}?{}", state.urls().prefix, back.finish())
}

/// To the sign-in page, which comes back here with the same request.
fn to_login(state: &AppState, req: &AuthRequest, current: Option<&SignedIn>) -> Response {
    let next = continuation(state, req);
    let mut to = form_urlencoded::Serializer::new(String::new());
    to.append_pair("next", &next);
    // A new sign-in over a session that is too old, or asked for again.
    if current.is_some() {
        to.append_pair("again", "1");
    }
    if let Some(hint) = req
        .login_hint
        .as_deref()
        .or(current.map(|s| s.user.username.as_str()))
    {
        to.append_pair("username", hint);
    }
    super::see_other(state, &format!("{}?{}", super::LOGIN, to.finish()))
}

/// Whether `next` (from the sign-in form) is a continuation of this endpoint on this service:
/// a path, never another origin.
#[must_use]
pub fn is_continuation(state: &AppState, next: &str) -> bool {
    next.strip_prefix(&state.urls().prefix)
        .and_then(|rest| rest.strip_prefix(AUTHORIZE))
        .is_some_and(|rest| rest.starts_with('?'))
        && !next.bytes().any(|b| b < b' ' || b == b'\\')
}

/// The application named by a continuation, for the sign-in page's "to continue to".
#[must_use]
pub fn continuation_app(state: &AppState, next: &str) -> Option<String> {
    let query = next.split_once('?')?.1;
    let id = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "client_id")?
        .1;
    state.client(&id).map(|c| c.name.clone())
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    service: &'a str,
    prefix: &'a str,
    app: &'a str,
    first_party: bool,
    username: &'a str,
    asks: Vec<String>,
    shared: Vec<&'static str>,
    csrf: String,
    params: &'a [(String, String)],
}

/// What a scope lets an application do, in words.
pub(super) fn describe(state: &AppState, scope: &str) -> String {
    if let Some(d) = state.config().scope_descriptions.get(scope) {
        return d.clone();
    }
    match scope {
        "openid" => "know who you are".to_owned(),
        "profile" => "see your name and profile".to_owned(),
        "email" => "see your email address".to_owned(),
        "address" => "see your postal address".to_owned(),
        "phone" => "see your phone number".to_owned(),
        "offline_access" => "keep access when you are not signed in".to_owned(),
        other => format!("use “{other}” on your behalf"),
    }
}

/// The attributes of the person an application will see with these scopes.
fn shared(scopes: &[String]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for s in scopes {
        match s.as_str() {
            "openid" => out.push("your subject identifier"),
            "profile" => out.extend(["name", "username", "picture", "profile details"]),
            "email" => out.push("email address"),
            "address" => out.push("postal address"),
            "phone" => out.push("phone number"),
            _ => {}
        }
    }
    out
}

fn consent_page(state: &AppState, req: &AuthRequest, s: &SignedIn) -> Response {
    html(
        StatusCode::OK,
        &ConsentPage {
            service: SERVICE,
            prefix: &state.urls().prefix,
            app: &req.client.name,
            first_party: req.client.first_party,
            username: &s.user.username,
            asks: req.scopes.iter().map(|x| describe(state, x)).collect(),
            shared: shared(&req.scopes),
            csrf: consent_csrf(state, &s.session.id_hash),
            params: &req.carried,
        },
    )
}

fn consent_csrf(state: &AppState, session_hash: &str) -> String {
    state
        .secrets()
        .csrf_token(&format!("consent|{session_hash}"))
}

/// `POST /oauth2/consent`: the person's decision. The request is checked again from the form
/// (nothing the page showed is trusted), with the session's CSRF token and the same-origin
/// check.
pub async fn decide(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let f = Fields::parse(&body);
    let Some(signed_in) = session::current(&state, &headers).await else {
        return super::message(
            &state,
            StatusCode::FORBIDDEN,
            "Signed out",
            "Your session ended before you decided. Go back to the application and start again.",
        );
    };
    if !session::same_origin(&state, &headers)
        || !session::csrf_ok(
            &state,
            &format!("consent|{}", signed_in.session.id_hash),
            f.get("csrf"),
        )
    {
        return super::message(
            &state,
            StatusCode::FORBIDDEN,
            "Not allowed",
            "This form expired or did not come from this site. Go back to the application and start again.",
        );
    }
    let params = Params::parse(&body);
    let req = match checked(&state, params).await {
        Ok(r) => r,
        Err(refusal) => return refuse(&state, refusal),
    };
    match f.get("decision") {
        "allow" => {
            let scopes = match state
                .store()
                .consent(&signed_in.user.id, &req.client.id)
                .await
            {
                // What was allowed before stays allowed: consent only grows here.
                Ok(Some(before)) => {
                    let mut all = before.scopes;
                    for s in &req.scopes {
                        if !all.contains(s) {
                            all.push(s.clone());
                        }
                    }
                    all
                }
                _ => req.scopes.clone(),
            };
            let granted = Consent {
                user_id: signed_in.user.id.clone(),
                client_id: req.client.id.clone(),
                scopes,
                granted_at: state.now(),
                revoked_before_ms: None,
            };
            if let Err(e) = state.store().grant_consent(&granted).await {
                tracing::error!(error = %e, "cannot record a consent");
                return refuse(
                    &state,
                    Refusal::Redirect(
                        req.target,
                        "temporarily_unavailable",
                        "the consent could not be recorded".into(),
                    ),
                );
            }
            state.event(
                "consent.granted",
                Some(&req.client.id),
                json!({"user_id": signed_in.user.id, "scope": granted.scopes.join(" ")}),
            );
            issue_code(&state, req, &signed_in).await
        }
        _ => {
            state.event(
                "consent.denied",
                Some(&req.client.id),
                json!({"user_id": signed_in.user.id}),
            );
            refuse(
                &state,
                Refusal::Redirect(
                    req.target,
                    "access_denied",
                    "the person did not allow access".into(),
                ),
            )
        }
    }
}

/// The hash under which a code is stored.
#[must_use]
pub fn code_hash(code: &str) -> String {
    tessera_jose::b64::encode(tessera_jose::secret::hmac_sha256(
        b"tessera/v1/code",
        code.as_bytes(),
    ))
}

async fn issue_code(state: &AppState, req: AuthRequest, s: &SignedIn) -> Response {
    // A pushed request gives one code.
    if let Some((hash, _)) = &req.pushed
        && !state
            .store()
            .use_pushed_request(hash)
            .await
            .unwrap_or(false)
    {
        return refuse(
            state,
            Refusal::Redirect(
                req.target,
                "invalid_request",
                "this pushed request was already used".into(),
            ),
        );
    }
    let Ok(code) = session::new_value() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let record = AuthCode {
        code_hash: code_hash(&code),
        client_id: req.client.id.clone(),
        user_id: s.user.id.clone(),
        session_hash: s.session.id_hash.clone(),
        redirect_uri: req.target.redirect_uri.clone(),
        code_challenge: req.code_challenge.clone(),
        nonce: req.nonce.clone(),
        scopes: req.scopes.clone(),
        resources: req.resources.clone(),
        auth_time: AuthContext::parse(&s.session.auth)
            .auth_time(s.session.created_ms.div_euclid(1000)),
        auth: s.session.auth.clone(),
        expires_at: state.now() + CODE_TTL,
        used_at: None,
        issued_jti: None,
    };
    if let Err(e) = state.store().insert_code(&record).await {
        tracing::error!(error = %e, "cannot record an authorization code");
        return refuse(
            state,
            Refusal::Redirect(
                req.target,
                "temporarily_unavailable",
                "the service cannot issue a code right now".into(),
            ),
        );
    }
    state.event(
        "code.issued",
        Some(&req.client.id),
        json!({"user_id": s.user.id, "scope": req.scopes.join(" ")}),
    );
    respond(state, &req.target, &[("code", &code)])
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_form_post_policy_allows_exactly_its_script() {
        use aws_lc_rs::digest;
        let page = include_str!("../../templates/form_post.html");
        let start = page.find("<script>").unwrap() + "<script>".len();
        let end = page.find("</script>").unwrap();
        use base64::Engine;
        let hash = base64::engine::general_purpose::STANDARD.encode(digest::digest(
            &digest::SHA256,
            &page.as_bytes()[start..end],
        ));
        assert!(
            super::FORM_POST_CSP.contains(&format!("'sha256-{hash}'")),
            "the script's hash is sha256-{hash}"
        );
    }
}
