//! The README's example: an axum service of one's own, protected by the guard. Three routes
//! with their own scopes, claims read into a struct, a private CA trusted, a health route left
//! open, and an endpoint checked by hand (`Guard::check`) for code that is not a router.
//!
//!     cargo run -p tessera-guard --example service -- http://127.0.0.1:8080

use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tessera_guard::{AccessToken, CacheOptions, Claims, Guard, Keys, RemoteVerifier};
use tessera_jose::dpop::ProofVerifier;

/// The claims a handler needs, taken from the verified token.
#[derive(Deserialize)]
struct Caller {
    sub: String,
    client_id: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .init();
    let issuer = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let mut options = CacheOptions::default();
    // An issuer whose certificate a private CA issued (SSL_CERT_FILE works too).
    if let Ok(ca) = std::env::var("ISSUER_CA_FILE") {
        options.ca_pem = std::fs::read(ca)?;
    }
    // RFC 9068 access tokens (typ at+jwt) of this issuer for this API's audience; the keys
    // are discovered from the issuer's metadata and cached by its Cache-Control.
    let keys = RemoteVerifier::access_tokens(&issuer, "api://orders", options).await?;
    let guard = Guard::builder(Keys::Remote(keys))
        .realm("orders")
        // DPoP proofs name the public origin of this API (behind a proxy: the proxy's).
        .dpop("http://127.0.0.1:3000", ProofVerifier::builder().build()?)
        .build();
    let app = Router::new()
        .route(
            "/orders",
            get(list_orders).route_layer(guard.layer(["orders:read"])),
        )
        .route(
            "/orders/{id}/cancel",
            post(cancel_order).route_layer(guard.layer(["orders:read", "orders:write"])),
        )
        .route("/whoami", get(whoami).with_state(guard.clone()))
        // No layer: open to anyone (load balancers' probes).
        .route("/healthz", get(|| async { "ok\n" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    eprintln!("orders API on http://127.0.0.1:3000, tokens from {issuer}");
    axum::serve(listener, app).await?;
    Ok(())
}

/// The verified token, and a claim of it.
async fn list_orders(token: AccessToken) -> String {
    format!("orders of {}\n", token.subject().unwrap_or("(no subject)"))
}

/// The claims as a struct; the layer already checked both scopes.
async fn cancel_order(Claims(caller): Claims<Caller>) -> Json<serde_json::Value> {
    Json(serde_json::json!({"cancelled_by": caller.sub, "via": caller.client_id}))
}

/// Without a layer: the guard's check called by hand, its rejection answered as the layer
/// would (RFC 6750 / RFC 9449 status and `WWW-Authenticate`).
async fn whoami(
    axum::extract::State(guard): axum::extract::State<Guard>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    match guard.check(method.as_str(), &uri, &headers, &[]).await {
        Ok(token) => Json(token.claims().clone()).into_response(),
        Err(rejection) => rejection.response(guard.challenge()),
    }
}
