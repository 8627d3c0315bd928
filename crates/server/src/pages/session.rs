//! Browser sessions and CSRF tokens for the pages.
//!
//! The session cookie holds 256 random bits; the store keeps an HMAC of them. On an https
//! issuer it is `__Host-tessera-session` (`Secure`, `HttpOnly`, `SameSite=Lax`, `Path=/`); on a
//! plain-http loopback issuer (development) browsers refuse `Secure` and `__Host-`, so it is
//! `tessera-session` without `Secure`, and the service says so at start. Forms carry a CSRF token
//! bound to the session (or, before sign-in, to a pre-session cookie), and a POST must come
//! from this origin (`Origin`, else `Sec-Fetch-Site`).

use axum::http::{HeaderMap, HeaderValue, header};
use tessera_store::{Session, User};

use crate::state::AppState;

/// A cookie's name on this issuer: `secure` (`__Host-` prefixed) on https, `plain` on a
/// plain-http loopback issuer.
#[must_use]
pub fn cookie_name(
    state: &AppState,
    secure_name: &'static str,
    plain: &'static str,
) -> &'static str {
    if secure(state) { secure_name } else { plain }
}

/// The session cookie's name on this issuer.
#[must_use]
pub fn session_cookie(state: &AppState) -> &'static str {
    cookie_name(state, "__Host-tessera-session", "tessera-session")
}

/// The pre-session (sign-in form) cookie's name on this issuer.
#[must_use]
pub fn form_cookie(state: &AppState) -> &'static str {
    cookie_name(state, "__Host-tessera-form", "tessera-form")
}

fn secure(state: &AppState) -> bool {
    state.config().issuer.starts_with("https://")
}

/// A `Set-Cookie` value.
#[must_use]
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure(state) {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&c).unwrap_or(HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// A cookie of the request, as sent.
#[must_use]
pub fn raw_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// A cookie of the request, if it holds a plausible value (base64url, 43 characters).
#[must_use]
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    raw_cookie(headers, name).filter(|v| {
        v.len() == 43
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// A new random cookie value (256 bits, base64url).
///
/// # Errors
/// When the generator fails.
pub fn new_value() -> Result<String, tessera_jose::Error> {
    Ok(tessera_jose::b64::encode(tessera_jose::secret::random(32)?))
}

/// What the store keeps of a session cookie's value.
#[must_use]
pub fn hash(value: &str) -> String {
    tessera_jose::b64::encode(tessera_jose::secret::hmac_sha256(
        b"tessera/v1/session",
        value.as_bytes(),
    ))
}

/// Whether a form's CSRF token is the one for `binding`.
#[must_use]
pub fn csrf_ok(state: &AppState, binding: &str, token: &str) -> bool {
    tessera_jose::secret::ct_eq(
        state.secrets().csrf_token(binding).as_bytes(),
        token.as_bytes(),
    )
}

/// Whether a POST comes from a page of this origin: `Origin` equal to the issuer's, else a
/// `Sec-Fetch-Site` of `same-origin` (or `none`: typed or bookmarked), else (neither sent: not
/// a browser that could be tricked) yes.
#[must_use]
pub fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let origin = issuer_origin(state);
    if let Some(o) = headers.get(header::ORIGIN) {
        return o.as_bytes() == origin.as_bytes();
    }
    match headers.get("sec-fetch-site").map(HeaderValue::as_bytes) {
        Some(site) => site == b"same-origin" || site == b"none",
        None => true,
    }
}

/// The issuer's origin (`scheme://host[:port]`, its path left out).
#[must_use]
pub fn issuer_origin(state: &AppState) -> &str {
    let issuer = &state.config().issuer;
    match issuer
        .find("://")
        .and_then(|s| issuer[s + 3..].find('/').map(|p| s + 3 + p))
    {
        Some(end) => &issuer[..end],
        None => issuer.as_str(),
    }
}

/// A signed-in browser: its session and account.
pub struct SignedIn {
    /// The session.
    pub session: Session,
    /// The account.
    pub user: User,
}

/// The browser's session, if it has one that still holds: the account is enabled, the session
/// began after the last forced logout, and neither the idle nor the absolute lifetime is over.
/// A session that no longer holds is ended (on every node: it is gone from the store).
pub async fn current(state: &AppState, headers: &HeaderMap) -> Option<SignedIn> {
    let value = cookie(headers, session_cookie(state))?;
    let id_hash = hash(value);
    let store = state.store();
    let session = store.session(&id_hash).await.ok()??;
    let user = store.user(&session.user_id).await.ok().flatten();
    let now = state.now();
    let c = state.config();
    let idle = i64::try_from(c.session_idle.as_secs()).unwrap_or(i64::MAX);
    let lifetime = i64::try_from(c.session_lifetime.as_millis()).unwrap_or(i64::MAX);
    let ended_by = match &user {
        None => Some("user_deleted"),
        Some(u) if !u.enabled => Some("user_disabled"),
        Some(u)
            if u.logged_out_before_ms
                .is_some_and(|t| session.created_ms <= t) =>
        {
            Some("operator")
        }
        Some(_) if now.saturating_sub(session.last_seen) > idle => Some("idle"),
        Some(_) if state.now_millis().saturating_sub(session.created_ms) > lifetime => {
            Some("lifetime")
        }
        Some(_) => None,
    };
    if let Some(why) = ended_by {
        if store.delete_session(&id_hash).await.unwrap_or(false) {
            state.event(
                "session.ended",
                None,
                serde_json::json!({"user_id": session.user_id, "by": why}),
            );
        }
        return None;
    }
    // Last use to the minute (or to half the idle time, when that is shorter): one write a
    // minute per active session at most.
    if now - session.last_seen >= (idle / 2).clamp(1, 60) {
        let _ = store.touch_session(&id_hash, now).await;
    }
    Some(SignedIn {
        session,
        user: user?,
    })
}

/// A short description of a browser from its `User-Agent`, for the sessions list.
#[must_use]
pub fn device(user_agent: &str) -> String {
    let browser = ["Firefox", "Edg", "OPR", "Chrome", "Safari"]
        .into_iter()
        .find(|b| user_agent.contains(b))
        .map(|b| match b {
            "Edg" => "Edge",
            "OPR" => "Opera",
            other => other,
        });
    let os = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS", "macOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find_map(|(k, name)| user_agent.contains(k).then_some(name));
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(o)) => o.to_owned(),
        (None, None) if user_agent.is_empty() => "Unknown browser".to_owned(),
        (None, None) => tessera_jose::error::escaped(user_agent),
    }
}
