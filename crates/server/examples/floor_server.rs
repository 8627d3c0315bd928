//! The service benchmark's floor: a bare token server on the same runtime (tokio) and HTTP
//! stack (hyper's HTTP/1 through axum) as `tessera serve`, which reads the same form and signs
//! the same RFC 9068 claims with ES256 straight through aws-lc-rs, with no client
//! authentication, no store, no limits and no metrics. Its introspection verifies the ES256
//! signature of every token (no cache) and answers the claims. `scripts/serve_bench.sh` runs it
//! beside the service and reports Tessera / floor.
//!
//!   cargo run --release -p tessera-server --example floor_server -- 127.0.0.1:3101
//!
//! Loopback only: it refuses any other address.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use aws_lc_rs::rand::SecureRandom as _;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, UnparsedPublicKey};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};

const ISSUER: &str = "http://127.0.0.1";
const TTL: i64 = 900;

struct Floor {
    key: EcdsaKeyPair,
    public: Vec<u8>,
    header: String,
    rng: aws_lc_rs::rand::SystemRandom,
}

fn main() {
    let addr: std::net::SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3101".into())
        .parse()
        .expect("an address such as 127.0.0.1:3101");
    assert!(addr.ip().is_loopback(), "the floor binds to loopback only");
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .expect("a P-256 key");
    let key = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
        .expect("the key just made");
    let public = key.public_key().as_ref().to_vec();
    let header = B64.encode(br#"{"alg":"ES256","typ":"at+jwt","kid":"floor"}"#);
    let floor = Arc::new(Floor {
        key,
        public,
        header,
        rng,
    });
    let app = Router::new()
        .route("/oauth2/token", post(token))
        .route("/oauth2/introspect", post(introspect))
        .with_state(floor);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async {
            let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
            eprintln!("floor server on http://{addr}");
            axum::serve(listener, app).await.expect("serve");
        });
}

/// The form's parameters (the last value of each).
fn form(body: &[u8]) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

fn error(status: StatusCode, code: &str) -> Response {
    (status, axum::Json(json!({ "error": code }))).into_response()
}

async fn token(State(f): State<Arc<Floor>>, body: Bytes) -> Response {
    let p = form(&body);
    if p.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let mut jti = [0u8; 16];
    if f.rng.fill(&mut jti).is_err() {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "server_error");
    }
    let iat = now();
    let claims = json!({
        "iss": ISSUER,
        "sub": "floor",
        "aud": p.get("resource").map_or("urn:floor", String::as_str),
        "exp": iat + TTL,
        "iat": iat,
        "jti": B64.encode(jti),
        "client_id": "floor",
        "scope": p.get("scope").map_or("", String::as_str),
    });
    let mut text = f.header.clone();
    text.push('.');
    text.push_str(&B64.encode(serde_json::to_vec(&claims).unwrap_or_default()));
    let Ok(sig) = f.key.sign(&f.rng, text.as_bytes()) else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "server_error");
    };
    text.push('.');
    text.push_str(&B64.encode(sig.as_ref()));
    (
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(json!({
            "access_token": text,
            "token_type": "Bearer",
            "expires_in": TTL,
            "scope": claims["scope"],
        })),
    )
        .into_response()
}

async fn introspect(State(f): State<Arc<Floor>>, body: Bytes) -> Response {
    let p = form(&body);
    let claims = p.get("token").and_then(|t| verified(&f, t));
    let answer = match claims {
        Some(Value::Object(mut m)) if m.get("exp").and_then(Value::as_i64) > Some(now()) => {
            m.insert("active".into(), Value::Bool(true));
            Value::Object(m)
        }
        _ => json!({ "active": false }),
    };
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(answer)).into_response()
}

/// The claims of a token whose ES256 signature verifies with the floor's key.
fn verified(f: &Floor, token: &str) -> Option<Value> {
    let (input, sig) = token.rsplit_once('.')?;
    let (_, payload) = input.split_once('.')?;
    let sig = B64.decode(sig).ok()?;
    UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &f.public)
        .verify(input.as_bytes(), &sig)
        .ok()?;
    serde_json::from_slice(&B64.decode(payload).ok()?).ok()
}
