//! `GET`/`POST /oauth2/userinfo` (OpenID Connect Core §5.3): the person's claims for the
//! scopes of the access token presented (`Bearer`, RFC 6750 §2.1, or `DPoP`, RFC 9449 §7). The
//! token is verified with the service's key ring and revocation state (the same checks as
//! introspection); errors carry a `WWW-Authenticate` challenge (RFC 6750 §3).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tessera_jose::dpop::Request;

use crate::state::AppState;
use crate::users::attributes::{apply_rules, claims_for};

/// The endpoint (either method).
pub async fn userinfo(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    match answer(&state, &method, &headers).await {
        Ok(claims) => {
            let mut resp = axum::Json(claims).into_response();
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(c) => c.into_response(),
    }
}

/// A refusal: status, scheme, error code and description, as a challenge.
struct Challenge {
    status: StatusCode,
    scheme: &'static str,
    error: Option<&'static str>,
    description: &'static str,
}

impl Challenge {
    fn invalid(scheme: &'static str, description: &'static str) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            scheme,
            error: Some("invalid_token"),
            description,
        }
    }
}

impl IntoResponse for Challenge {
    fn into_response(self) -> Response {
        let value = match self.error {
            Some(e) => format!(
                "{} error=\"{e}\", error_description=\"{}\"",
                self.scheme, self.description
            ),
            // No credentials at all: the bare challenge (RFC 6750 §3.1).
            None => self.scheme.to_owned(),
        };
        let mut resp = (
            self.status,
            axum::Json(serde_json::json!({
                "error": self.error.unwrap_or("invalid_request"),
                "error_description": self.description,
            })),
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    }
}

async fn answer(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Value, Challenge> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (scheme, token) = match auth.split_once(' ') {
        Some((s, t)) if s.eq_ignore_ascii_case("bearer") => ("Bearer", t.trim()),
        Some((s, t)) if s.eq_ignore_ascii_case("dpop") => ("DPoP", t.trim()),
        _ => {
            return Err(Challenge {
                status: StatusCode::UNAUTHORIZED,
                scheme: "Bearer",
                error: None,
                description: "an access token is required",
            });
        }
    };
    let unavailable = |_| Challenge {
        status: StatusCode::SERVICE_UNAVAILABLE,
        scheme,
        error: Some("temporarily_unavailable"),
        description: "the service cannot check the token right now",
    };
    // Verified, not revoked, and the person's access not ended: as introspection sees it.
    let crate::tokens::verify::ActiveToken { token: t, user_id } =
        crate::tokens::verify::active_token(state, token)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| {
                Challenge::invalid(scheme, "the access token is invalid, expired or not active")
            })?;
    let bound = t
        .claims
        .get("cnf")
        .and_then(|c| c.get("jkt"))
        .and_then(Value::as_str);
    match (bound, scheme) {
        (Some(jkt), "DPoP") => {
            let proof = headers
                .get("dpop")
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| Challenge::invalid("DPoP", "a DPoP proof is required"))?;
            let request = Request::new(method.as_str(), &state.urls().userinfo)
                .access_token(token)
                .jkt(jkt);
            state
                .dpop()
                .verify(proof, &request)
                .map_err(|_| Challenge::invalid("DPoP", "the DPoP proof is invalid"))?;
        }
        (Some(_), _) => {
            return Err(Challenge::invalid(
                "DPoP",
                "the access token is DPoP-bound: present it with the DPoP scheme and a proof",
            ));
        }
        (None, "DPoP") => {
            return Err(Challenge::invalid(
                "Bearer",
                "the access token is not DPoP-bound: present it as a Bearer token",
            ));
        }
        (None, _) => {}
    }
    let sub = t
        .claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default();
    // Only a person's token (one with `auth_time`) has a person to describe.
    let Some(user_id) = user_id else {
        return Err(Challenge::invalid(
            scheme,
            "the access token is not a person's",
        ));
    };
    let scopes: Vec<&str> = t
        .claims
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .split(' ')
        .collect();
    if !scopes.contains(&"openid") {
        return Err(Challenge {
            status: StatusCode::FORBIDDEN,
            scheme,
            error: Some("insufficient_scope"),
            description: "the access token was not granted the openid scope",
        });
    }
    let user = state
        .store()
        .user(&user_id)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| Challenge::invalid(scheme, "the access token is not active"))?;
    let mut claims = claims_for(&user, &scopes);
    // The subject this application knows the person by (pairwise or not), as in its tokens.
    claims.insert("sub".into(), Value::String(sub.to_owned()));
    // What this application registered it needs, in its own names.
    if let Some(client) = state.client(&t.client_id) {
        apply_rules(&mut claims, &user, &client.claim_map);
    }
    Ok(Value::Object(claims))
}
