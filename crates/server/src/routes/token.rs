//! `POST /oauth2/token` (RFC 6749 §3.2): client authentication, then the handler of the
//! requested grant type. Each grant type is a [`Grant`]: adding `authorization_code` or
//! `refresh_token` later is adding a handler to [`grants`], not editing this endpoint.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tessera_jose::dpop::Request;
use tessera_jose::error::DpopProblem;

use super::{Form, authenticate};
use crate::error::OAuthError;
use crate::state::AppState;
use crate::store::Client;

/// A grant type's handler.
pub trait Grant: Send + Sync {
    /// The `grant_type` value it handles.
    fn grant_type(&self) -> &'static str;
    /// Issues tokens to an authenticated client.
    ///
    /// # Errors
    /// The OAuth error to answer with.
    fn issue(
        &self,
        state: &AppState,
        client: &Client,
        req: &TokenRequest<'_>,
    ) -> Result<TokenResponse, OAuthError>;
}

/// What a grant handler is asked for: the form, and the key its access token is bound to.
pub struct TokenRequest<'a> {
    /// The request's parameters.
    pub form: &'a Form,
    /// The RFC 7638 thumbprint of the key of the request's DPoP proof (RFC 9449 §5), checked;
    /// the access token then carries it as `cnf.jkt` and its type is `DPoP`.
    pub dpop_jkt: Option<String>,
}

impl TokenRequest<'_> {
    /// `DPoP` for a proof-bound token, else `Bearer`.
    #[must_use]
    pub fn token_type(&self) -> &'static str {
        if self.dpop_jkt.is_some() {
            "DPoP"
        } else {
            "Bearer"
        }
    }
}

/// The grant handlers this server offers (also listed in the discovery metadata).
#[must_use]
pub fn grants() -> Vec<Box<dyn Grant>> {
    vec![Box::new(ClientCredentials)]
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// `Bearer`, or `DPoP` for a token bound to the key of the request's DPoP proof.
    pub token_type: &'static str,
    /// Lifetime in seconds.
    pub expires_in: i64,
    /// The granted scope.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
}

/// The endpoint.
pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
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
        },
        Err(e) => {
            state.metrics().grant(&client.id, e.code());
            return e.into_response();
        }
    };
    let result = issue(&state, &client, &req);
    match result {
        Ok(r) => {
            state.metrics().grant(&client.id, "issued");
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
    let checked = state
        .dpop()
        .verify(proof, &Request::new("POST", &state.urls().token))
        .map_err(|e| {
            OAuthError::invalid_dpop_proof(match e {
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
            })
        })?;
    Ok(Some(checked.jkt().to_owned()))
}

fn issue(
    state: &AppState,
    client: &Arc<Client>,
    req: &TokenRequest<'_>,
) -> Result<TokenResponse, OAuthError> {
    let grant_type = req
        .form
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?;
    let handlers = state.grants();
    let handler = handlers
        .iter()
        .find(|g| g.grant_type() == grant_type)
        .ok_or_else(OAuthError::unsupported_grant_type)?;
    handler.issue(state, client, req)
}

/// `client_credentials` (RFC 6749 §4.4) with RFC 9068 JWT access tokens.
pub struct ClientCredentials;

/// The RFC 9068 claims, in a stable order.
#[derive(Serialize)]
struct AccessClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: Audience<'a>,
    exp: i64,
    iat: i64,
    jti: String,
    client_id: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    scope: &'a str,
    /// The proof-of-possession key (RFC 7800 §3.1, RFC 9449 §6.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    cnf: Option<Confirmation<'a>>,
}

#[derive(Serialize)]
struct Confirmation<'a> {
    jkt: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Audience<'a> {
    One(&'a str),
    Many(Vec<&'a str>),
}

impl Grant for ClientCredentials {
    fn grant_type(&self) -> &'static str {
        "client_credentials"
    }

    fn issue(
        &self,
        state: &AppState,
        client: &Client,
        req: &TokenRequest<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        let form = req.form;
        // Scope: what was asked, all of it allowed, or the client's scopes by default.
        let scope: Vec<&str> = match form.get("scope") {
            Some(s) => {
                let asked: Vec<&str> = s.split(' ').filter(|x| !x.is_empty()).collect();
                if asked.is_empty() {
                    return Err(OAuthError::invalid_scope("the scope is empty"));
                }
                if asked.iter().any(|a| !client.scopes.iter().any(|c| c == a)) {
                    return Err(OAuthError::invalid_scope(
                        "a requested scope is unknown or not allowed for this client",
                    ));
                }
                let mut unique: Vec<&str> = Vec::new();
                for a in asked {
                    if !unique.contains(&a) {
                        unique.push(a);
                    }
                }
                unique
            }
            None => client.scopes.iter().map(String::as_str).collect(),
        };
        // Audience: the requested resources (RFC 8707), each one of the client's, or the
        // client's first audience.
        let aud: Vec<&str> = if form.resources().is_empty() {
            client
                .audiences
                .first()
                .map(String::as_str)
                .into_iter()
                .collect()
        } else {
            let mut list = Vec::new();
            for r in form.resources() {
                if !client.audiences.iter().any(|a| a == r) {
                    return Err(OAuthError::invalid_target(
                        "a requested resource is not an audience of this client",
                    ));
                }
                if !list.contains(&r.as_str()) {
                    list.push(r.as_str());
                }
            }
            list
        };
        if aud.is_empty() {
            return Err(OAuthError::unauthorized_client(
                "the client has no audience",
            ));
        }
        let keys = state.keys();
        let (_, signer) = keys.current.as_ref().ok_or_else(OAuthError::unavailable)?;
        let now = state.now();
        let jti = tessera_jose::b64::encode(
            tessera_jose::secret::random(16).map_err(|_| OAuthError::server_error())?,
        );
        let scope = scope.join(" ");
        // Never longer than this server allows, whatever the client was created with: the
        // key life cycle keeps a retired key published for max_token_ttl.
        let ttl = client.token_ttl.clamp(1, state.policy().max_token_ttl);
        let exp = now + ttl;
        keys.signed_until(exp);
        let claims = AccessClaims {
            iss: &state.config().issuer,
            sub: &client.id,
            aud: if aud.len() == 1 {
                Audience::One(aud[0])
            } else {
                Audience::Many(aud)
            },
            exp,
            iat: now,
            jti,
            client_id: &client.id,
            scope: &scope,
            cnf: req.dpop_jkt.as_deref().map(|jkt| Confirmation { jkt }),
        };
        let access_token = signer.sign(&claims).map_err(|e| {
            tracing::error!(error = %e, "signing failed");
            OAuthError::server_error()
        })?;
        Ok(TokenResponse {
            access_token,
            token_type: req.token_type(),
            expires_in: ttl,
            scope,
        })
    }
}
