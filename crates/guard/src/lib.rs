//! # tessera-guard
//!
//! What API services need to check access tokens: a [`RemoteVerifier`] over the issuer's JWK
//! Set (discovered from the issuer, cached by the rules of [`jwks`]), a tower [`GuardLayer`]
//! that finds the token, verifies it, checks DPoP proofs (RFC 9449) and the route's scopes,
//! answers errors exactly per RFC 6750 §3 and RFC 9449 §7, and [`AccessToken`] / [`Claims`]
//! extractors for axum handlers.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use tessera_guard::{AccessToken, CacheOptions, Guard, Keys, RemoteVerifier};
//! use tessera_jose::{JwsAlg, jwt::Verifier};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = RemoteVerifier::discover("https://auth.example.com", CacheOptions::default(), |set| {
//!     Verifier::builder(set)
//!         .algorithms([JwsAlg::ES256])
//!         .issuer("https://auth.example.com")
//!         .audience("api://orders")
//!         .typ("at+jwt")
//!         .build()
//! })
//! .await?;
//! let guard = Guard::builder(Keys::Remote(keys)).realm("orders").build();
//! let app: Router = Router::new().route(
//!     "/orders",
//!     get(|t: AccessToken| async move { format!("hello {}", t.subject().unwrap_or("?")) })
//!         .route_layer(guard.layer(["orders:read"])),
//! );
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod error;
pub mod extract;
pub mod introspect;
pub mod jwks;
pub mod layer;
pub mod status;

pub use error::{GuardError, Rejection};
pub use extract::{AccessToken, Claims};
pub use introspect::{Introspection, IntrospectionOptions};
pub use jwks::{CacheOptions, RemoteVerifier};
pub use layer::{Guard, GuardBuilder, GuardLayer, Keys, RouteNeeds};
pub use status::{StatusLists, StatusOptions};
