//! `POST /oauth2/token` (RFC 6749 §3.2), the HTTP adapter: parse the form, authenticate the
//! client, check a DPoP proof, call the [`Grant`](crate::grants::Grant) of the requested grant type
//! ([`crate::grants`]), answer. It does not change when a grant is added.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tessera_jose::dpop::Request;
use tessera_jose::error::DpopProblem;

use super::authenticate;
use crate::error::OAuthError;
use crate::grants::TokenRequest;
use crate::oauth::Form;
use crate::state::AppState;
use tessera_store::Client;

/// The endpoint.
pub async fn token(
    State(state): State<AppState>,
    peer: Option<axum::Extension<crate::pages::Peer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match Form::parse(&headers, &body) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let client = match authenticate(&state, &headers, &form).await {
        Ok(c) => c,
        Err(e) => {
            state.metrics().grant("unauthenticated", e.code());
            return e.into_response();
        }
    };
    let req = match dpop_binding(&state, &headers) {
        Ok(None) if client.dpop_bound => {
            let e = OAuthError::invalid_dpop_proof(
                "this client's tokens are DPoP-bound: the request needs a DPoP proof",
            );
            state.metrics().grant(&client.id, e.code());
            return e.into_response();
        }
        Ok(dpop_jkt) => TokenRequest {
            form: &form,
            dpop_jkt,
            address: crate::pages::peer(peer.as_deref()),
            user_agent: crate::pages::user_agent(&headers),
        },
        Err(e) => {
            state.metrics().grant(&client.id, e.code());
            return e.into_response();
        }
    };
    let result = issue(&state, &client, &req).await;
    match result {
        Ok(mut r) => {
            state.metrics().grant(&client.id, "issued");
            for (sent, meant) in form.misspelt() {
                tracing::info!(
                    client_id = %client.id,
                    parameter = sent,
                    "a token request sent a parameter OAuth does not have: ignored"
                );
                r.warnings.push(format!(
                    "the parameter `{sent}` is not OAuth's and was ignored: did you mean `{meant}`?"
                ));
            }
            let mut resp = axum::Json(r).into_response();
            let h = resp.headers_mut();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            resp
        }
        Err(e) => {
            state.metrics().grant(&client.id, e.code());
            e.into_response()
        }
    }
}

/// The DPoP proof of a token request (RFC 9449 §5), checked against this endpoint (`POST`, the
/// `token_endpoint` of the metadata): the thumbprint of its key, or `None` without a `DPoP`
/// header. Its `jti` is remembered by this node for the proof's lifetime.
fn dpop_binding(state: &AppState, headers: &HeaderMap) -> Result<Option<String>, OAuthError> {
    let mut proofs = headers.get_all("dpop").iter();
    let Some(proof) = proofs.next() else {
        return Ok(None);
    };
    if proofs.next().is_some() {
        return Err(OAuthError::invalid_dpop_proof("more than one DPoP proof"));
    }
    let proof = proof
        .to_str()
        .map_err(|_| OAuthError::invalid_dpop_proof("the DPoP proof is not text"))?;
    let request = Request::new("POST", &state.urls().token);
    let checked = state.dpop().verify(proof, &request).map_err(|e| {
        let what = match &e {
            tessera_jose::Error::Dpop(p) => match p {
                DpopProblem::Type => "the DPoP proof's typ is not dpop+jwt",
                DpopProblem::Algorithm => "the DPoP proof's algorithm is not accepted",
                DpopProblem::Key => "the DPoP proof's jwk is not a public asymmetric key",
                DpopProblem::Method | DpopProblem::Uri => {
                    "the DPoP proof is for another request (htm, htu)"
                }
                DpopProblem::IssuedAt => "the DPoP proof is too old or from the future",
                DpopProblem::Replay => "the DPoP proof was used before",
                DpopProblem::Busy => "too many DPoP proofs of this key at once: retry shortly",
                _ => "the DPoP proof is malformed",
            },
            _ => "the DPoP proof's signature is invalid",
        };
        // What the proof had beside what this request expected: the client's developer can
        // mend the proof from it (htu is this server's public token endpoint).
        match state.dpop().explain(proof, &request, &e) {
            Some(detail) => OAuthError::invalid_dpop_proof(format!("{what}: {detail}")),
            None => OAuthError::invalid_dpop_proof(what),
        }
    })?;
    Ok(Some(checked.jkt().to_owned()))
}

async fn issue(
    state: &AppState,
    client: &Arc<Client>,
    req: &TokenRequest<'_>,
) -> Result<crate::grants::TokenResponse, OAuthError> {
    let grant_type = req
        .form
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?;
    let handlers = state.grants();
    let handler = handlers
        .iter()
        .find(|g| g.grant_type() == grant_type)
        .ok_or_else(OAuthError::unsupported_grant_type)?;
    if !client.may_use(grant_type) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use this grant type (client update --grant-type)",
        ));
    }
    handler.issue(state, client, req).await
}
