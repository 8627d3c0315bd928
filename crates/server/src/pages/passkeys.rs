//! Passkeys on the pages: registering from `/account` (or from an enrolment link, for an
//! account without a password), signing in with one and no username (a discoverable
//! credential, user verification required), and using one as the second factor or to step up.
//!
//! Challenges are stateless until used: 16 random bytes, an expiry and a MAC binding them to
//! the ceremony and the person, so rendering a page writes nothing; a challenge is spent once
//! (the store refuses a second insertion of its hash) when a response comes back. The pages
//! carry the options as JSON in a `data-options` attribute, and one script of this origin
//! (`/assets/passkeys.js`) calls the browser's WebAuthn API; without it every other form works.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tessera_store::{Factor, User};

use super::account::page;
use super::factor;
use super::{ACCOUNT, Fields, LOGIN, Peer, SERVICE, html, login, see_other};
use crate::state::AppState;
use crate::users::auth::AuthContext;
use crate::users::webauthn::{self, COSE_ALGS, CredentialJson, Expected, WebAuthnError};

/// `POST`: a passkey response for signing in, a second factor or a step-up.
pub const PASSKEY_LOGIN: &str = "/login/passkey";
/// How long a ceremony may take.
const CHALLENGE_TTL: i64 = 300;
/// How long an enrolment link's step (after it was opened) lasts.
const ENROL_TTL: i64 = 900;

const SCRIPT: &str = include_str!("../../assets/passkeys.js");

/// `GET /assets/passkeys.js`.
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        SCRIPT,
    )
        .into_response()
}

/// The relying party: the issuer's host (the RP ID) and origin.
#[must_use]
pub fn relying_party(state: &AppState) -> (String, String) {
    let host = crate::users::subjects::host_of(&state.config().issuer).unwrap_or_default();
    (host, super::session::issuer_origin(state).to_owned())
}

/// Whether browsers can use passkeys here: the RP ID (the issuer's host) must be a domain
/// name, not an IP address. Without them the pages show no passkey forms.
#[must_use]
pub fn available(state: &AppState) -> bool {
    webauthn::rp_id_usable(&relying_party(state).0)
}

/// The MAC that binds a challenge's random bytes and expiry (`head`, 24 bytes) to its
/// ceremony and person: 16 bytes.
fn challenge_mac(state: &AppState, purpose: &str, user_id: &str, head: &[u8]) -> Vec<u8> {
    let mac = state.secrets().page_mac(&format!(
        "webauthn|{purpose}|{user_id}|{}",
        tessera_jose::b64::encode(head)
    ));
    let mut mac = tessera_jose::b64::decode(&mac).unwrap_or_default();
    mac.truncate(16);
    mac
}

/// A new challenge for `purpose` and `user_id` (base64url; empty if the generator failed,
/// which the browser then refuses).
fn challenge(state: &AppState, purpose: &str, user_id: &str) -> String {
    let Ok(mut raw) = tessera_jose::secret::random(16) else {
        return String::new();
    };
    raw.extend_from_slice(&(state.now() + CHALLENGE_TTL).to_be_bytes());
    let mac = challenge_mac(state, purpose, user_id, &raw);
    raw.extend_from_slice(&mac);
    tessera_jose::b64::encode(raw)
}

/// Whether `c` (the challenge a response signed) was issued for `purpose` and `user_id`, is
/// unexpired, and was not used before; it is used now.
async fn spend(state: &AppState, c: &str, purpose: &str, user_id: &str) -> bool {
    let Ok(raw) = tessera_jose::b64::decode(c) else {
        return false;
    };
    if raw.len() != 40 {
        return false;
    }
    let want = challenge_mac(state, purpose, user_id, &raw[..24]);
    if want.len() != 16 || !tessera_jose::secret::ct_eq(&raw[24..], &want) {
        return false;
    }
    let mut exp = [0u8; 8];
    exp.copy_from_slice(&raw[16..24]);
    let expires = i64::from_be_bytes(exp);
    if expires < state.now() {
        return false;
    }
    let hash = tessera_jose::b64::encode(tessera_jose::secret::sha2(256, &raw));
    state
        .store()
        .insert_challenge(&hash, purpose, user_id, expires)
        .await
        .is_ok()
}

/// The challenge a response signed (from its `clientDataJSON`), unchecked.
fn signed_challenge(c: &CredentialJson) -> Option<String> {
    let raw = tessera_jose::b64::decode(&c.response.clientDataJSON).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&raw).ok()?;
    v.get("challenge")?.as_str().map(str::to_owned)
}

/// The descriptors of the passkeys among a person's `factors`.
fn passkey_descriptors(factors: &[Factor]) -> Vec<serde_json::Value> {
    factors
        .iter()
        .filter(|f| f.kind == "passkey")
        .map(descriptor)
        .collect()
}

fn descriptor(f: &Factor) -> serde_json::Value {
    let transports = serde_json::from_str::<serde_json::Value>(&f.data)
        .ok()
        .and_then(|d| d.get("transports").cloned())
        .unwrap_or_else(|| json!([]));
    json!({"type": "public-key", "id": f.id, "transports": transports})
}

/// `PublicKeyCredentialCreationOptions` for `user` (JSON, binary members base64url): a
/// discoverable credential, user verification preferred, `none` attestation, their passkeys
/// excluded. Empty where passkeys are not [`available`].
pub fn creation_options(state: &AppState, user: &User, factors: &[Factor]) -> String {
    if !available(state) {
        return String::new();
    }
    let (rp_id, _) = relying_party(state);
    let existing = passkey_descriptors(factors);
    let display = user
        .attributes
        .get("name")
        .and_then(|v| v.as_str())
        .unwrap_or(&user.username);
    json!({
        "rp": {"id": rp_id, "name": SERVICE},
        "user": {"id": tessera_jose::b64::encode(user.id.as_bytes()), "name": user.username, "displayName": display},
        "challenge": challenge(state, "register", &user.id),
        "pubKeyCredParams": COSE_ALGS.iter().map(|a| json!({"type": "public-key", "alg": a})).collect::<Vec<_>>(),
        "timeout": CHALLENGE_TTL * 1000,
        "excludeCredentials": existing,
        "authenticatorSelection": {"residentKey": "required", "requireResidentKey": true, "userVerification": "preferred"},
        "attestation": "none",
    })
    .to_string()
}

/// `PublicKeyCredentialRequestOptions`: for `user`'s passkeys (a second factor or a step-up;
/// user verification preferred), or for any discoverable one (`None`: signing in without a
/// username; user verification required).
pub fn request_options(state: &AppState, user: Option<(&User, &[Factor])>) -> String {
    if !available(state) {
        return String::new();
    }
    let (rp_id, _) = relying_party(state);
    match user {
        Some((u, factors)) => json!({
            "rpId": rp_id,
            "challenge": challenge(state, "factor", &u.id),
            "timeout": CHALLENGE_TTL * 1000,
            "allowCredentials": passkey_descriptors(factors),
            "userVerification": "preferred",
        }),
        None => json!({
            "rpId": rp_id,
            "challenge": challenge(state, "login", ""),
            "timeout": CHALLENGE_TTL * 1000,
            "allowCredentials": [],
            "userVerification": "required",
        }),
    }
    .to_string()
}

fn enrol_cookie(state: &AppState) -> &'static str {
    super::session::cookie_name(state, "__Host-tessera-enrol", "tessera-enrol")
}

/// Who registers: a signed-in person, or someone who opened an enrolment link.
async fn registrant(state: &AppState, headers: &HeaderMap) -> Option<(User, String, bool)> {
    if let Some(me) = super::session::current(state, headers).await {
        return Some((me.user, me.session.id_hash, false));
    }
    let (user_id, value) =
        factor::read_signed(state, headers, enrol_cookie(state), "enrol", ENROL_TTL)?;
    let user = state.store().user(&user_id).await.ok()??;
    user.enabled.then(|| (user, format!("enrol|{value}"), true))
}

/// `POST /account/passkeys/register`: `name`, `response` (the credential's JSON).
pub async fn register(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let f = Fields::parse(&body);
    let Some((user, binding, enrolling)) = registrant(&state, &headers).await else {
        return see_other(&state, LOGIN);
    };
    if !super::session::same_origin(&state, &headers)
        || !super::session::csrf_ok(&state, &binding, f.get("csrf"))
    {
        return super::message(
            &state,
            StatusCode::FORBIDDEN,
            "Not done",
            "This form expired or did not come from this site.",
        );
    }
    if !enrolling
        && let Some(me) = super::session::current(&state, &headers).await
        && let Some(r) = super::mfa::not_recent(&state, &me)
    {
        return r;
    }
    let result = registered(&state, &user, f.get("response")).await;
    let name: String = f.get("name").trim().chars().take(64).collect();
    let cred = match result {
        Ok(c) => c,
        Err(e) => {
            state.event(
                "user.passkey_refused",
                None,
                json!({"user_id": user.id, "reason": e.to_string()}),
            );
            return failed(
                &state,
                &headers,
                enrolling,
                &format!("The passkey was not added: {e}."),
            )
            .await;
        }
    };
    let factor = Factor {
        id: cred.id.clone(),
        user_id: user.id.clone(),
        kind: "passkey".into(),
        name: if name.is_empty() { "Passkey".into() } else { name },
        secret: cred.public_key.clone(),
        counter: i64::from(cred.sign_count),
        confirmed: true,
        created_at: state.now(),
        last_used: None,
        data: json!({"alg": cred.alg, "backup_eligible": cred.backup_eligible, "backed_up": cred.backed_up, "aaguid": cred.aaguid, "transports": cred.transports, "fmt": cred.fmt}).to_string(),
    };
    if state.store().insert_factor(&factor).await.is_err() {
        // The credential id is taken: registered already (here or by someone else).
        return failed(
            &state,
            &headers,
            enrolling,
            "The passkey was not added: it is registered already.",
        )
        .await;
    }
    state.event(
        "user.factor_added",
        None,
        json!({"user_id": user.id, "kind": "passkey", "backup_eligible": cred.backup_eligible, "user_verified": cred.user_verified}),
    );
    if enrolling {
        let mut resp = super::message(
            &state,
            StatusCode::OK,
            "Passkey added",
            "Your passkey is ready: sign in with it now.",
        );
        resp.headers_mut().append(
            header::SET_COOKIE,
            super::session::set_cookie(&state, enrol_cookie(&state), "", Some(0)),
        );
        return resp;
    }
    match super::session::current(&state, &headers).await {
        Some(me) => page(&state, &me, StatusCode::OK, Some("Passkey added."), None).await,
        None => see_other(&state, ACCOUNT),
    }
}

async fn failed(state: &AppState, headers: &HeaderMap, enrolling: bool, msg: &str) -> Response {
    if !enrolling && let Some(me) = super::session::current(state, headers).await {
        return page(
            state,
            &me,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(msg.to_owned()),
        )
        .await;
    }
    super::message(
        state,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Passkey not added",
        msg,
    )
}

/// The registration checks for `user`.
async fn registered(
    state: &AppState,
    user: &User,
    response: &str,
) -> Result<webauthn::NewCredential, WebAuthnError> {
    let c = CredentialJson::parse(response)?;
    let signed = signed_challenge(&c).ok_or(WebAuthnError::Malformed("clientDataJSON"))?;
    if !spend(state, &signed, "register", &user.id).await {
        return Err(WebAuthnError::Challenge);
    }
    let (rp_id, origin) = relying_party(state);
    webauthn::verify_registration(
        &c,
        &Expected {
            challenge: &signed,
            origin: &origin,
            rp_id: &rp_id,
            require_uv: false,
        },
    )
}

/// `POST /account/passkeys/remove`: `id`.
pub async fn remove(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (me, f) = match super::mfa::posted_recent(&state, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    super::mfa::remove_factor(
        &state,
        &me,
        "passkey",
        Some(f.get("id")),
        "Passkey removed.",
    )
    .await
}

/// `POST /login/passkey`: `response`, `next`. With a pending sign-in or a session, the
/// passkey is their second factor or step-up (one of the person's passkeys); otherwise it is a
/// sign-in without a username (a discoverable passkey that verified the person).
pub async fn login(
    State(state): State<AppState>,
    peer: Option<axum::Extension<Peer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = Fields::parse(&body);
    let next = f.get("next");
    let address = super::peer(peer.as_deref());
    let who = factor::who(&state, &headers).await;
    let binding = match &who {
        Some(w) => Some(w.binding()),
        None => super::session::cookie(&headers, super::session::form_cookie(&state))
            .map(|b| format!("form|{b}")),
    };
    let csrf_ok = binding.is_some_and(|b| super::session::csrf_ok(&state, &b, f.get("csrf")));
    if !super::session::same_origin(&state, &headers) || !csrf_ok {
        return super::message(
            &state,
            StatusCode::FORBIDDEN,
            "Not signed in",
            "This form expired or did not come from this site. Please try again.",
        );
    }
    // The address's counter, and the person's when a password came first.
    let address_key = format!("a:{address}");
    let person_key = who.as_ref().map(|w| format!("f:{}", w.user().id));
    let person = person_key.as_deref().unwrap_or(&address_key);
    if let Some(retry) = factor::throttled(&state, [&address_key, person]).await {
        let mut resp = super::message(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts",
            &format!("Too many failed attempts. Try again in {retry} seconds."),
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry));
        return resp;
    }
    match asserted(&state, who.as_ref().map(|w| w.user()), f.get("response")).await {
        Ok((user, methods)) => {
            let methods: Vec<&str> = methods.iter().map(String::as_str).collect();
            match who {
                Some(w) => factor::passed(&state, &headers, w, &methods, next, &address).await,
                None => {
                    let ua = super::user_agent(&headers);
                    let ctx = AuthContext::signed_in(&methods);
                    login::begin_session(&state, &headers, &user, &ctx, next, &address, &ua).await
                }
            }
        }
        Err(why) => {
            let keys: Vec<String> = [Some(address_key), person_key]
                .into_iter()
                .flatten()
                .collect();
            factor::count_failure(&state, &keys).await;
            state.event(
                "login.passkey_failed",
                None,
                json!({"user_id": who.as_ref().map(|w| w.user().id.clone()), "address": address, "reason": why.reason}),
            );
            super::message(&state, StatusCode::UNAUTHORIZED, "Not signed in", why.text)
        }
    }
}

/// Why a passkey did not sign in: for the audit log, and for the person.
struct Refused {
    reason: String,
    text: &'static str,
}

impl From<WebAuthnError> for Refused {
    fn from(e: WebAuthnError) -> Self {
        Self {
            reason: e.to_string(),
            text: "The passkey could not be used. Please try again.",
        }
    }
}

/// The checks of an assertion: the credential is a passkey of `expected` (or, without one, of
/// the person whose user handle it carries, verified on the authenticator), its signature over
/// an unused challenge holds, and its counter moved forward (a counter that went back is a
/// copied authenticator: refused and reported). Returns the person and the methods (`hwk` or
/// `swk`, and `user` when verified).
async fn asserted(
    state: &AppState,
    expected: Option<&User>,
    response: &str,
) -> Result<(User, Vec<String>), Refused> {
    let c = CredentialJson::parse(response)?;
    let signed = signed_challenge(&c).ok_or(WebAuthnError::Malformed("clientDataJSON"))?;
    let (purpose, bound) = match expected {
        Some(u) => ("factor", u.id.as_str()),
        None => ("login", ""),
    };
    if !spend(state, &signed, purpose, bound).await {
        return Err(WebAuthnError::Challenge.into());
    }
    let unknown = || Refused {
        reason: "unknown credential".into(),
        text: "This passkey is not registered here (it may have been removed).",
    };
    let store = state.store();
    let factor = store
        .factor(&c.id)
        .await
        .ok()
        .flatten()
        .filter(|f| f.kind == "passkey")
        .ok_or_else(unknown)?;
    if expected.is_some_and(|u| u.id != factor.user_id) {
        return Err(unknown());
    }
    let (rp_id, origin) = relying_party(state);
    let a = webauthn::verify_assertion(
        &c,
        &factor.secret,
        &Expected {
            challenge: &signed,
            origin: &origin,
            rp_id: &rp_id,
            require_uv: expected.is_none(),
        },
    )?;
    if expected.is_none() && a.user_handle.as_deref() != Some(factor.user_id.as_bytes()) {
        return Err(unknown());
    }
    let user = store
        .user(&factor.user_id)
        .await
        .ok()
        .flatten()
        .filter(|u| u.enabled)
        .ok_or_else(unknown)?;
    if !store
        .advance_factor(&factor.id, i64::from(a.sign_count), state.now())
        .await
        .unwrap_or(false)
    {
        state.event(
            "passkey.counter_regression",
            None,
            json!({"user_id": user.id, "credential": factor.name, "stored": factor.counter, "presented": a.sign_count}),
        );
        tracing::warn!(user_id = %user.id, "a passkey's signature counter went back: a copied authenticator? Refused.");
        return Err(Refused {
            reason: "counter regression".into(),
            text: "This passkey looks copied (its counter went back), so it was refused. If you did not copy it, remove it from your account and tell your administrator.",
        });
    }
    let mut methods = vec![if a.backup_eligible { "swk" } else { "hwk" }.to_owned()];
    if a.user_verified {
        methods.push("user".to_owned());
    }
    Ok((user, methods))
}

/// `GET /account/invite?token=…`: the enrolment link's page (a button, so a link preview does
/// not spend it).
pub async fn invite_show(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let q = Fields::parse(q.unwrap_or_default().as_bytes());
    html(
        StatusCode::OK,
        &InvitePage {
            service: SERVICE,
            prefix: &state.urls().prefix,
            token: q.get("token"),
        },
    )
}

#[derive(askama::Template)]
#[template(path = "invite.html")]
struct InvitePage<'a> {
    service: &'a str,
    prefix: &'a str,
    token: &'a str,
}

#[derive(askama::Template)]
#[template(path = "enrol.html")]
struct EnrolPage<'a> {
    service: &'a str,
    prefix: &'a str,
    username: &'a str,
    csrf: String,
    options: String,
}

/// `POST /account/invite`: spends the link (once) and shows the page that registers the
/// first passkey, for the next quarter of an hour.
pub async fn invite_open(State(state): State<AppState>, body: Bytes) -> Response {
    let f = Fields::parse(&body);
    let hash = invite_hash(f.get("token"));
    let taken = state.store().take_challenge(&hash, state.now()).await;
    let user = match taken {
        Ok(Some((purpose, user_id))) if purpose == "invite" => {
            state.store().user(&user_id).await.ok().flatten()
        }
        _ => None,
    };
    let Some(user) = user.filter(|u| u.enabled) else {
        return super::message(
            &state,
            StatusCode::GONE,
            "Link expired",
            "This enrolment link expired or was used already. Ask your administrator for a new one.",
        );
    };
    let value = factor::signed_value(&state, "enrol", &user.id, state.now());
    state.event("user.invite_opened", None, json!({"user_id": user.id}));
    let mut resp = html(
        StatusCode::OK,
        &EnrolPage {
            service: SERVICE,
            prefix: &state.urls().prefix,
            username: &user.username,
            csrf: state.secrets().csrf_token(&format!("enrol|{value}")),
            options: creation_options(
                &state,
                &user,
                &state.store().factors_of(&user.id).await.unwrap_or_default(),
            ),
        },
    );
    resp.headers_mut().append(
        header::SET_COOKIE,
        super::session::set_cookie(&state, enrol_cookie(&state), &value, Some(ENROL_TTL)),
    );
    resp
}

/// The stored form of an enrolment link's token.
#[must_use]
pub fn invite_hash(token: &str) -> String {
    tessera_jose::b64::encode(tessera_jose::secret::hmac_sha256(
        b"tessera/v1/invite",
        token.as_bytes(),
    ))
}
