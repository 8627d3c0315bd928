//! `/account`'s two-step sign-in: an authenticator app (TOTP) set up with a QR code drawn here
//! and confirmed with a first code, recovery codes shown once, and passkeys (`passkeys`).

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;
use tessera_store::Factor;

use super::account::{page, posted, when};
use super::{ACCOUNT, SERVICE, html, see_other};
use crate::state::AppState;
use crate::users::totp;

/// A factor as the account page lists it.
pub struct FactorRow {
    pub id: String,
    pub name: String,
    pub since: String,
    pub used: Option<String>,
}

/// The account page's two-step section.
pub struct FactorsSection {
    /// The operator requires a second factor of this person.
    pub required: bool,
    pub totp: Option<FactorRow>,
    pub passkeys: Vec<FactorRow>,
    pub recovery_left: usize,
    /// The options to register a passkey (JSON for the page's script).
    pub options: String,
}

impl FactorsSection {
    /// An authenticator app or a passkey is set up.
    #[must_use]
    pub fn has_any(&self) -> bool {
        self.totp.is_some() || !self.passkeys.is_empty()
    }
}

fn row(f: &Factor) -> FactorRow {
    FactorRow {
        id: f.id.clone(),
        name: f.name.clone(),
        since: when(f.created_at),
        used: f.last_used.map(when),
    }
}

/// What the section shows for `user`.
pub async fn section(state: &AppState, user: &tessera_store::User) -> FactorsSection {
    let factors = state.store().factors_of(&user.id).await.unwrap_or_default();
    let mut s = summary(state, &user.id, &factors).await;
    s.options = super::passkeys::creation_options(state, user, &factors);
    s
}

/// The section without the passkey options.
async fn counts(state: &AppState, user_id: &str) -> FactorsSection {
    let factors = state.store().factors_of(user_id).await.unwrap_or_default();
    summary(state, user_id, &factors).await
}

/// The section for a person's `factors`, without the passkey options.
async fn summary(state: &AppState, user_id: &str, factors: &[Factor]) -> FactorsSection {
    let store = state.store();
    let totp = factors
        .iter()
        .find(|f| f.kind == "totp" && f.confirmed)
        .map(row);
    let passkeys: Vec<FactorRow> = factors
        .iter()
        .filter(|f| f.kind == "passkey")
        .map(row)
        .collect();
    FactorsSection {
        required: store.mfa_required(user_id).await.unwrap_or(false),
        totp,
        passkeys,
        recovery_left: factors
            .iter()
            .filter(|f| f.kind == "recovery" && f.counter == 0)
            .count(),
        options: String::new(),
    }
}

#[derive(Template)]
#[template(path = "totp_setup.html")]
struct SetupPage<'a> {
    service: &'a str,
    prefix: &'a str,
    csrf: String,
    id: &'a str,
    qr: String,
    secret: String,
    message: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct CodesPage<'a> {
    service: &'a str,
    prefix: &'a str,
    codes: Vec<String>,
}

/// `None` when the session's person signed in (or stepped up) recently enough to change how
/// they sign in; else the page that asks them to sign in again. A stolen session alone cannot
/// add a passkey or take away the factors.
pub(super) fn not_recent(state: &AppState, me: &super::session::SignedIn) -> Option<Response> {
    let ctx = crate::users::auth::AuthContext::parse(&me.session.auth);
    let at = ctx.auth_time(me.session.created_ms.div_euclid(1000));
    let window = i64::try_from(state.config().reauth_window.as_secs()).unwrap_or(i64::MAX);
    if state.now().saturating_sub(at) <= window {
        return None;
    }
    let again = format!(
        "/login?again=1&username={}",
        form_urlencoded::byte_serialize(me.user.username.as_bytes()).collect::<String>()
    );
    Some(html(
        StatusCode::FORBIDDEN,
        &super::Message {
            service: SERVICE,
            prefix: &state.urls().prefix,
            title: "Sign in again",
            text: "To change how you sign in, sign in again first: it has been a while since you last did.",
            next: &again,
            next_label: "Sign in again",
        },
    ))
}

/// The signed-in person and the form's fields, if the form is theirs and from this site and
/// their sign-in is recent enough to change how they sign in.
pub(super) async fn posted_recent(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(super::session::SignedIn, super::Fields), Response> {
    let (me, f) = posted(state, headers, body).await?;
    match not_recent(state, &me) {
        Some(r) => Err(r),
        None => Ok((me, f)),
    }
}

fn new_id() -> Option<String> {
    tessera_jose::secret::random(16)
        .ok()
        .map(tessera_jose::b64::encode)
}

/// `POST /account/totp/start`: a new secret (not used for sign-in until confirmed) and the
/// page with its QR code.
pub async fn totp_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (me, _) = match posted_recent(&state, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (Ok(secret), Some(id)) = (totp::new_secret(), new_id()) else {
        return page(&state, &me, StatusCode::INTERNAL_SERVER_ERROR, None, None).await;
    };
    let Ok(sealed) = state.secrets().seal_factor(&secret) else {
        return page(&state, &me, StatusCode::INTERNAL_SERVER_ERROR, None, None).await;
    };
    let store = state.store();
    // One pending secret at a time: an earlier unconfirmed one goes.
    if let Ok(fs) = store.factors_of(&me.user.id).await {
        for f in fs.iter().filter(|f| f.kind == "totp" && !f.confirmed) {
            let _ = store.delete_factor(&me.user.id, &f.id).await;
        }
    }
    let f = Factor {
        id: id.clone(),
        user_id: me.user.id.clone(),
        kind: "totp".into(),
        name: "Authenticator app".into(),
        secret: sealed,
        counter: 0,
        confirmed: false,
        created_at: state.now(),
        last_used: None,
        data: "{}".into(),
    };
    if store.insert_factor(&f).await.is_err() {
        return page(&state, &me, StatusCode::SERVICE_UNAVAILABLE, None, None).await;
    }
    setup_page(&state, &me, &f.id, &secret, StatusCode::OK, None)
}

fn setup_page(
    state: &AppState,
    me: &super::session::SignedIn,
    id: &str,
    secret: &[u8],
    status: StatusCode,
    message: Option<&str>,
) -> Response {
    let uri = totp::otpauth_uri(SERVICE, &me.user.username, secret);
    let shown: String = totp::base32(secret)
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    html(
        status,
        &SetupPage {
            service: SERVICE,
            prefix: &state.urls().prefix,
            csrf: state.secrets().csrf_token(&me.session.id_hash),
            id,
            // Drawn here from the secret: trusted markup (no person's text in it but the
            // username, which the URI percent-encodes).
            qr: totp::qr_svg(&uri)
                .and_then(|s| s.find("<svg").map(|i| s[i..].to_owned()))
                .unwrap_or_default(),
            secret: shown,
            message,
        },
    )
}

/// `POST /account/totp/confirm`: the first code confirms the secret; the earlier app (if any)
/// goes; recovery codes are made if the person has none left.
pub async fn totp_confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (me, f) = match posted(&state, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let store = state.store();
    let Ok(Some(factor)) = store.factor(f.get("id")).await else {
        return see_other(&state, ACCOUNT);
    };
    if factor.user_id != me.user.id || factor.kind != "totp" || factor.confirmed {
        return see_other(&state, ACCOUNT);
    }
    let Ok(secret) = state.secrets().open_factor(&factor.secret) else {
        return page(&state, &me, StatusCode::INTERNAL_SERVER_ERROR, None, None).await;
    };
    let now = state.now();
    let ok = match totp::verify(&secret, f.get("code"), now, factor.counter) {
        Some(step) => store
            .advance_factor(&factor.id, step, now)
            .await
            .unwrap_or(false),
        None => false,
    };
    if !ok {
        return setup_page(
            &state,
            &me,
            &factor.id,
            &secret,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(
                "That code is not right. Check the time on your phone and enter the code shown now.",
            ),
        );
    }
    if let Ok(fs) = store.factors_of(&me.user.id).await {
        for old in fs.iter().filter(|o| o.kind == "totp" && o.id != factor.id) {
            let _ = store.delete_factor(&me.user.id, &old.id).await;
        }
    }
    state.event(
        "user.factor_added",
        None,
        json!({"user_id": me.user.id, "kind": "totp"}),
    );
    if counts(&state, &me.user.id).await.recovery_left == 0 {
        return new_codes(&state, &me.user.id).await;
    }
    page(
        &state,
        &me,
        StatusCode::OK,
        Some("Authenticator app set up."),
        None,
    )
    .await
}

/// `POST /account/totp/remove`.
pub async fn totp_remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (me, _) = match posted_recent(&state, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    remove_factor(&state, &me, "totp", None, "Authenticator app removed.").await
}

/// Removes the person's factor `id` of `kind` (or, without an id, all of that kind), notes it
/// in the audit log, and forgets the recovery codes once no app or passkey is left (they stand
/// in for one); then the account page says `done`.
pub(super) async fn remove_factor(
    state: &AppState,
    me: &super::session::SignedIn,
    kind: &str,
    id: Option<&str>,
    done: &str,
) -> Response {
    let store = state.store();
    let removed = match id {
        Some(id) => {
            matches!(store.factor(id).await, Ok(Some(f)) if f.user_id == me.user.id && f.kind == kind)
                && store.delete_factor(&me.user.id, id).await.unwrap_or(false)
        }
        None => {
            store
                .delete_factors(&me.user.id, Some(kind))
                .await
                .unwrap_or(0)
                > 0
        }
    };
    if removed {
        state.event(
            "user.factor_removed",
            None,
            json!({"user_id": me.user.id, "kind": kind, "by": "user"}),
        );
        if !super::factor::has_second_factor(state, &me.user.id).await {
            let _ = store.delete_factors(&me.user.id, Some("recovery")).await;
        }
    }
    page(state, me, StatusCode::OK, Some(done), None).await
}

/// `POST /account/recovery/new`: a new set of ten, replacing the old; shown once.
pub async fn recovery_new(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (me, _) = match posted_recent(&state, &headers, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !counts(&state, &me.user.id).await.has_any() {
        return see_other(&state, ACCOUNT);
    }
    new_codes(&state, &me.user.id).await
}

/// Makes, stores (hashed) and shows a new set of recovery codes for `user_id`.
pub(super) async fn new_codes(state: &AppState, user_id: &str) -> Response {
    let Ok(codes) = totp::new_recovery_codes() else {
        return see_other(state, ACCOUNT);
    };
    let now = state.now();
    let mut rows = Vec::with_capacity(codes.len());
    for c in &codes {
        let Some(id) = new_id() else {
            return see_other(state, ACCOUNT);
        };
        rows.push(Factor {
            id,
            user_id: user_id.to_owned(),
            kind: "recovery".into(),
            name: "Recovery code".into(),
            secret: state
                .secrets()
                .factor_hash("recovery", &totp::normalise_recovery(c)),
            counter: 0,
            confirmed: true,
            created_at: now,
            last_used: None,
            data: "{}".into(),
        });
    }
    if state
        .store()
        .replace_factors(user_id, "recovery", &rows)
        .await
        .is_err()
    {
        return see_other(state, ACCOUNT);
    }
    state.event(
        "user.recovery_codes_made",
        None,
        json!({"user_id": user_id}),
    );
    html(
        StatusCode::OK,
        &CodesPage {
            service: SERVICE,
            prefix: &state.urls().prefix,
            codes,
        },
    )
}
