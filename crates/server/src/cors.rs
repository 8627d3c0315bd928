//! CORS for single-page apps (Fetch Standard §3.2): the token, userinfo, revocation, JWKS and
//! discovery endpoints answer scripts of the web origins registered on enabled clients
//! (`client create --web-origin`), and no other origin; never `*`, never with credentials
//! (these endpoints take no cookies). The pages (sign-in, consent, account) and the
//! authorization endpoint have no CORS at all.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// The layer's function.
pub async fn cors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .filter(|o| o.to_str().is_ok_and(|o| state.allows_origin(o)))
        .cloned();
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    match (origin, preflight) {
        (Some(origin), true) => {
            let mut resp = StatusCode::NO_CONTENT.into_response();
            let h = resp.headers_mut();
            allow(h, origin);
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type, dpop"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            resp
        }
        (Some(origin), false) => {
            let mut resp = next.run(req).await;
            let h = resp.headers_mut();
            allow(h, origin);
            h.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("www-authenticate, dpop-nonce"),
            );
            resp
        }
        (None, _) => {
            let mut resp = next.run(req).await;
            // The answer depends on the origin: caches must keep them apart.
            resp.headers_mut()
                .append(header::VARY, HeaderValue::from_static("origin"));
            resp
        }
    }
}

fn allow(h: &mut HeaderMap, origin: HeaderValue) {
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.append(header::VARY, HeaderValue::from_static("origin"));
}
