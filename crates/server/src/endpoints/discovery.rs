//! `GET /.well-known/jwks.json` (cacheable, with `ETag`) and the authorization server metadata
//! (RFC 8414, and the same document at the OpenID path), generated from what is switched on.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::AppState;

/// The published keys, with `Cache-Control: max-age` (the life cycle counts on it) and an
/// `ETag` for revalidation.
pub async fn jwks(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let keys = state.keys();
    let max_age = state.config().jwks_max_age.as_secs();
    let cache = HeaderValue::from_str(&format!("public, max-age={max_age}"))
        .unwrap_or(HeaderValue::from_static("no-cache"));
    let etag = HeaderValue::from_str(&keys.etag).unwrap_or(HeaderValue::from_static("\"\""));
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == keys.etag || t.trim() == "*")
        });
    if matches {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::CACHE_CONTROL, cache), (header::ETAG, etag)],
        )
            .into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jwk-set+json"),
            ),
            (header::CACHE_CONTROL, cache),
            (header::ETAG, etag),
        ],
        keys.jwks.clone(),
    )
        .into_response()
}

/// RFC 8414 metadata; the same document answers `/.well-known/openid-configuration`.
pub async fn metadata(State(state): State<AppState>) -> Response {
    let iss = &state.config().issuer;
    let urls = state.urls();
    let grants: Vec<&str> = state.grants().iter().map(|g| g.grant_type()).collect();
    let auth = ["client_secret_basic", "client_secret_post"];
    let algs = state.keys().access_algs.clone();
    let dpop_algs: Vec<&str> = state.dpop().algorithms().iter().map(|a| a.name()).collect();
    let mut claims = vec![
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
        "azp",
        "at_hash",
        "sid",
    ];
    for (_, names) in crate::users::attributes::SCOPE_CLAIMS {
        claims.extend_from_slice(names);
    }
    let id_algs: Vec<&str> = state.keys().id_algs().iter().map(|a| a.name()).collect();
    let mut doc = json!({
        "issuer": iss,
        "authorization_endpoint": urls.authorize,
        "token_endpoint": urls.token,
        "userinfo_endpoint": urls.userinfo,
        "jwks_uri": urls.jwks,
        "introspection_endpoint": urls.introspect,
        "revocation_endpoint": urls.revoke,
        "pushed_authorization_request_endpoint": urls.par,
        "end_session_endpoint": urls.end_session,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "require_pushed_authorization_requests": false,
        "scopes_supported": crate::pages::authorize::OIDC_SCOPES,
        "grant_types_supported": grants,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "subject_types_supported": ["public", "pairwise"],
        "acr_values_supported": state.config().acr_names.all(),
        "id_token_signing_alg_values_supported": id_algs,
        "claims_supported": claims,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "prompt_values_supported": ["none", "login", "consent"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": auth,
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "access_token_signing_alg_values_supported": algs,
        "dpop_signing_alg_values_supported": dpop_algs,
    });
    if state.config().status_lists
        && let Some(map) = doc.as_object_mut()
    {
        map.insert(
            "status_list_aggregation_endpoint".into(),
            json!(urls.status_lists),
        );
    }
    (
        [(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        )],
        axum::Json(doc),
    )
        .into_response()
}
