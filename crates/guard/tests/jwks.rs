//! The remote key set cache against a real HTTP server on loopback that serves the JWK Set and
//! discovery documents, rotates keys, fails, times out, and returns huge or malformed bodies.
//! Fetches are counted to prove the cache rules.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;
use tessera_guard::{CacheOptions, GuardError, RemoteVerifier};
use tessera_jose::jws::Signer;
use tessera_jose::jwt::{Claims, JwtSigner, Verifier};
use tessera_jose::{Jwk, JwkSet, JwsAlg};

/// What the issuer does.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Mode {
    Ok = 0,
    Fail = 1,
    Slow = 2,
    Huge = 3,
    Garbage = 4,
}

#[derive(Clone)]
struct Issuer {
    keys: Arc<Mutex<Vec<Jwk>>>,
    hits: Arc<AtomicU64>,
    not_modified: Arc<AtomicU64>,
    mode: Arc<AtomicU8>,
    max_age: u64,
    base: Arc<Mutex<String>>,
    meta_issuer: Arc<Mutex<Option<String>>>,
}

impl Issuer {
    fn set_mode(&self, m: Mode) {
        self.mode.store(m as u8, Ordering::SeqCst);
    }

    fn jwks_json(&self) -> String {
        let keys = self.keys.lock().unwrap();
        JwkSet::from(
            keys.iter()
                .map(|k| k.to_public().unwrap())
                .collect::<Vec<_>>(),
        )
        .to_json()
    }
}

async fn jwks(State(s): State<Issuer>, headers: HeaderMap) -> Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    match s.mode.load(Ordering::SeqCst) {
        1 => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        2 => {
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        3 => return "x".repeat(2 * 1024 * 1024).into_response(),
        4 => return "{not json".into_response(),
        _ => {}
    }
    let body = s.jwks_json();
    let etag = format!(
        "\"{}\"",
        tessera_jose::b64::encode(&tessera_jose::secret::hmac_sha256(b"e", body.as_bytes())[..8])
    );
    let cache = format!("max-age={}", s.max_age);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        s.not_modified.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    ([(header::ETAG, etag), (header::CACHE_CONTROL, cache)], body).into_response()
}

async fn metadata(State(s): State<Issuer>) -> Response {
    let base = s.base.lock().unwrap().clone();
    let iss = s
        .meta_issuer
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| base.clone());
    axum::Json(serde_json::json!({"issuer": iss, "jwks_uri": format!("{base}/jwks")}))
        .into_response()
}

async fn issuer(max_age: u64) -> Issuer {
    let s = Issuer {
        keys: Arc::new(Mutex::new(vec![
            Jwk::generate(JwsAlg::ES256).unwrap().with_kid("k1"),
        ])),
        hits: Arc::new(AtomicU64::new(0)),
        not_modified: Arc::new(AtomicU64::new(0)),
        mode: Arc::new(AtomicU8::new(0)),
        max_age,
        base: Arc::new(Mutex::new(String::new())),
        meta_issuer: Arc::new(Mutex::new(None)),
    };
    let app = Router::new()
        .route("/jwks", get(jwks))
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route(
            "/redirect",
            get(|| async {
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, "http://127.0.0.2:1/jwks")],
                )
            }),
        )
        .with_state(s.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    *s.base.lock().unwrap() = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    s
}

fn build(set: JwkSet) -> Result<Verifier, tessera_jose::Error> {
    Verifier::builder(set)
        .algorithms([JwsAlg::ES256])
        .allow_missing_exp()
        .build()
}

fn options() -> CacheOptions {
    CacheOptions {
        min_ttl: Duration::from_millis(0),
        unknown_kid_cooldown: Duration::from_secs(60),
        timeout: Duration::from_secs(1),
        ..CacheOptions::default()
    }
}

fn token(key: &Jwk) -> String {
    Claims::new()
        .subject("u")
        .sign(&JwtSigner::new(Signer::new(key, JwsAlg::ES256).unwrap()))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_flight_ttl_and_etag() {
    let s = issuer(4).await;
    let base = s.base.lock().unwrap().clone();
    // No refresh ahead here: this test is about expiry (debug builds verify slowly).
    let o = CacheOptions {
        refresh_ahead: 0.0,
        ..options()
    };
    let v = RemoteVerifier::new(&format!("{base}/jwks"), o, build).unwrap();
    let t = token(&s.keys.lock().unwrap()[0]);
    // 50 requests on a cold cache: one fetch.
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let v = v.clone();
            let t = t.clone();
            tokio::spawn(async move { v.verify::<Value>(&t).await.map(|_| ()) })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(
        s.hits.load(Ordering::SeqCst),
        1,
        "verifier fetches {}",
        v.fetches()
    );
    // Fresh: no fetch. Expired (max-age 4 s): revalidated with the ETag, 304.
    for _ in 0..20 {
        v.verify::<Value>(&t).await.unwrap();
    }
    assert_eq!(s.hits.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(4100)).await;
    v.verify::<Value>(&t).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(s.hits.load(Ordering::SeqCst), 2);
    assert_eq!(s.not_modified.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_ahead_in_the_background() {
    let s = issuer(2).await;
    let base = s.base.lock().unwrap().clone();
    let o = CacheOptions {
        default_ttl: Duration::from_secs(2),
        refresh_ahead: 0.5,
        ..options()
    };
    let v = RemoteVerifier::new(&format!("{base}/jwks"), o, build).unwrap();
    let t = token(&s.keys.lock().unwrap()[0]);
    v.verify::<Value>(&t).await.unwrap();
    // With less than half the TTL left, a request is served from the cache and starts a
    // refresh in the background; the cache never expires under steady traffic.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    v.verify::<Value>(&t).await.unwrap();
    // The refresh runs in the background: wait for it (bounded), then for anything more.
    let waited = std::time::Instant::now();
    while s.hits.load(Ordering::SeqCst) < 2 && waited.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(s.hits.load(Ordering::SeqCst), 2, "refreshed ahead, once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kids_refetch_once_per_cooldown_and_rotation_is_picked_up() {
    let s = issuer(3600).await;
    let base = s.base.lock().unwrap().clone();
    let v = RemoteVerifier::new(&format!("{base}/jwks"), options(), build).unwrap();
    let first = token(&s.keys.lock().unwrap()[0]);
    v.verify::<Value>(&first).await.unwrap();
    // The issuer rotates: a token with the new kid triggers one refetch and verifies.
    let k2 = Jwk::generate(JwsAlg::ES256).unwrap().with_kid("k2");
    s.keys.lock().unwrap().push(k2.clone());
    v.verify::<Value>(&token(&k2)).await.unwrap();
    assert_eq!(s.hits.load(Ordering::SeqCst), 2);
    // An attacker sending random kids gets no more fetches within the cooldown.
    for i in 0..30 {
        let junk = Jwk::generate(JwsAlg::ES256)
            .unwrap()
            .with_kid(format!("evil{i}"));
        assert!(matches!(
            v.verify::<Value>(&token(&junk)).await,
            Err(GuardError::Token(_))
        ));
    }
    assert_eq!(s.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_keys_while_the_issuer_is_down_then_not() {
    let s = issuer(1).await;
    let base = s.base.lock().unwrap().clone();
    let o = CacheOptions {
        stale_if_error: Duration::from_secs(2),
        ..options()
    };
    let v = RemoteVerifier::new(&format!("{base}/jwks"), o, build).unwrap();
    let t = token(&s.keys.lock().unwrap()[0]);
    v.verify::<Value>(&t).await.unwrap();
    s.set_mode(Mode::Fail);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    v.verify::<Value>(&t)
        .await
        .expect("stale keys serve while the issuer fails");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(
        matches!(v.verify::<Value>(&t).await, Err(GuardError::Fetch(_))),
        "no longer after the window"
    );
    s.set_mode(Mode::Ok);
    // Back: served again once the back-off after the last failure (2 s by then) has passed.
    let back = std::time::Instant::now();
    while v.verify::<Value>(&t).await.is_err() {
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "the issuer is back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_fetches_back_off_and_stale_keys_serve_meanwhile() {
    let s = issuer(1).await;
    let base = s.base.lock().unwrap().clone();
    let t = token(&s.keys.lock().unwrap()[0]);
    // No keys yet and the issuer down: one fetch, then the last error at once until the
    // back-off has passed, however many requests come.
    s.set_mode(Mode::Fail);
    let o = CacheOptions {
        error_backoff: Duration::from_millis(400),
        ..options()
    };
    let v = RemoteVerifier::new(&format!("{base}/jwks"), o.clone(), build).unwrap();
    let mut calls = Vec::new();
    for _ in 0..40 {
        let (v, t) = (v.clone(), t.clone());
        calls.push(tokio::spawn(async move { v.verify::<Value>(&t).await }));
    }
    for c in calls {
        let err = c.await.unwrap().unwrap_err();
        assert!(err.to_string().contains("500"), "{err}");
    }
    assert_eq!(
        s.hits.load(Ordering::SeqCst),
        1,
        "one fetch for 40 requests"
    );
    let started = std::time::Instant::now();
    assert!(v.verify::<Value>(&t).await.is_err());
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "no wait on the network"
    );
    assert_eq!(v.fetches(), 1);
    // After the back-off, one more try; then twice as long.
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert!(v.verify::<Value>(&t).await.is_err());
    assert!(v.verify::<Value>(&t).await.is_err());
    assert_eq!(v.fetches(), 2);
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert!(v.verify::<Value>(&t).await.is_err());
    assert_eq!(v.fetches(), 2, "the second back-off is 800 ms");
    tokio::time::sleep(Duration::from_millis(400)).await;
    s.set_mode(Mode::Ok);
    v.verify::<Value>(&t).await.unwrap();
    assert_eq!(v.fetches(), 3);

    // With keys cached and expired while the issuer is down: every request is served with the
    // stale keys, and the issuer is asked once per back-off, not once per request.
    let cached = RemoteVerifier::new(&format!("{base}/jwks"), o, build).unwrap();
    cached.verify::<Value>(&t).await.unwrap();
    s.set_mode(Mode::Fail);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let before = cached.fetches();
    for _ in 0..50 {
        cached.verify::<Value>(&t).await.expect("stale keys");
    }
    assert_eq!(cached.fetches() - before, 1);
    s.set_mode(Mode::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_responses_and_urls_are_refused() {
    let s = issuer(60).await;
    let base = s.base.lock().unwrap().clone();
    let t = token(&s.keys.lock().unwrap()[0]);
    for (mode, what) in [
        (Mode::Huge, "larger than"),
        (Mode::Garbage, "JWK Set"),
        (Mode::Slow, "fetching"),
    ] {
        s.set_mode(mode);
        let v = RemoteVerifier::new(&format!("{base}/jwks"), options(), build).unwrap();
        let started = std::time::Instant::now();
        let err = v.verify::<Value>(&t).await.unwrap_err();
        assert!(err.to_string().contains(what), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "bounded in time"
        );
    }
    s.set_mode(Mode::Ok);
    // Redirects to another host are not followed.
    let v = RemoteVerifier::new(&format!("{base}/redirect"), options(), build).unwrap();
    assert!(matches!(
        v.verify::<Value>(&t).await,
        Err(GuardError::Fetch(_))
    ));
    // https only, except loopback.
    assert!(RemoteVerifier::new("http://auth.example.com/jwks", options(), build).is_err());
    assert!(RemoteVerifier::new("https://auth.example.com/jwks", options(), build).is_ok());
    assert!(RemoteVerifier::new("http://[::1]:8080/jwks", options(), build).is_ok());
    // An incoherent set from the network is refused like a local one.
    let twice = Jwk::generate(JwsAlg::ES256).unwrap().with_kid("k1");
    s.keys.lock().unwrap().push(twice);
    let v = RemoteVerifier::new(&format!("{base}/jwks"), options(), build).unwrap();
    assert!(matches!(
        v.verify::<Value>(&t).await,
        Err(GuardError::KeySet(tessera_jose::Error::DuplicateKid(_)))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_checks_the_issuer_exactly() {
    let s = issuer(60).await;
    let base = s.base.lock().unwrap().clone();
    let t = token(&s.keys.lock().unwrap()[0]);
    let v = RemoteVerifier::discover(&base, options(), build)
        .await
        .unwrap();
    v.verify::<Value>(&t).await.unwrap();
    *s.meta_issuer.lock().unwrap() = Some(format!("{base}/"));
    assert!(matches!(
        RemoteVerifier::discover(&base, options(), build).await,
        Err(GuardError::Metadata(_))
    ));
}

/// The access-token shortcut requires `typ: at+jwt` (RFC 9068) by default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_token_defaults_require_at_jwt() {
    let s = issuer(60).await;
    let base = s.base.lock().unwrap().clone();
    let key = s.keys.lock().unwrap()[0].clone();
    let v = RemoteVerifier::access_tokens(&base, "api://orders", options())
        .await
        .unwrap();
    let make = |typ: &str| {
        let signer = JwtSigner::with_header(
            Signer::new(&key, JwsAlg::ES256).unwrap(),
            tessera_jose::jws::Header::new(JwsAlg::ES256)
                .typ(typ)
                .kid("k1"),
        )
        .unwrap();
        Claims::new()
            .issuer(base.clone())
            .audience("api://orders")
            .expires_in(Duration::from_secs(60))
            .sign(&signer)
            .unwrap()
    };
    v.verify::<Value>(&make("at+jwt")).await.unwrap();
    assert!(matches!(
        v.verify::<Value>(&make("JWT")).await,
        Err(GuardError::Token(tessera_jose::Error::Type))
    ));
}

/// The README's guard example is `examples/service.rs`, which the build compiles: the two stay
/// the same.
#[test]
fn the_readme_example_is_the_compiled_one() {
    let readme = include_str!("../../../README.md");
    let example = include_str!("../examples/service.rs");
    let block = readme
        .split("### In your own service")
        .nth(1)
        .and_then(|s| s.split("```rust\n").nth(1))
        .and_then(|s| s.split("```\n").next())
        .expect("the README has the guard example");
    assert_eq!(
        block, example,
        "README.md and crates/guard/examples/service.rs differ"
    );
}
