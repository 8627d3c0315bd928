//! An API service protected by the guard: `GET /orders` needs a token with `orders:read` for
//! the audience `api://orders` from the issuer given as the first argument (default
//! `http://127.0.0.1:8080`, where `tessera serve` listens), with keys discovered from the
//! issuer's metadata, and its status in the issuer's Token Status List checked (a revoked token
//! is refused within the list's `ttl`). Listens on 127.0.0.1:3000.
//!
//!     cargo run -p tessera-guard --example orders -- http://127.0.0.1:8080

use axum::Router;
use axum::routing::get;
use tessera_guard::{
    AccessToken, CacheOptions, Guard, Keys, RemoteVerifier, StatusLists, StatusOptions,
};
use tessera_jose::dpop::ProofVerifier;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    // RFC 9068 access tokens (typ at+jwt) of this issuer for this audience; keys discovered.
    let keys =
        RemoteVerifier::access_tokens(&issuer, "api://orders", CacheOptions::default()).await?;
    // Revocations reach this API through the issuer's status lists.
    let lists =
        StatusLists::discover(&issuer, CacheOptions::default(), StatusOptions::default()).await?;
    let guard = Guard::builder(Keys::Remote(keys))
        .realm("orders")
        .status_lists(lists)
        // DPoP proofs name the API's public origin (behind a proxy: the proxy's).
        .dpop("http://127.0.0.1:3000", ProofVerifier::builder().build()?)
        .build();
    let app = Router::new().route(
        "/orders",
        get(|token: AccessToken| async move {
            format!("orders of {}\n", token.subject().unwrap_or("(no subject)"))
        })
        .route_layer(guard.layer(["orders:read"])),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    eprintln!("orders API on http://127.0.0.1:3000/orders, tokens from {issuer}");
    axum::serve(listener, app).await?;
    Ok(())
}
