//! The guard in front of an axum service, with tokens from `tessera serve`
//! (`client_credentials`) and keys discovered from it over HTTP: several forced key rotations on
//! the server happen while requests flow, and not one is rejected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tessera_guard::{AccessToken, CacheOptions, Guard, Keys, RemoteVerifier};
use tessera_jose::JwsAlg;
use tessera_jose::jwt::Verifier;
use tessera_server::admin::{Admin, ClientSpec};
use tessera_server::config::Config;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_on_the_server_rejects_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let flags: Vec<(String, String)> = [
        ("listen", "127.0.0.1:0"),
        ("issuer", "http://127.0.0.1"),
        ("data_dir", dir.path().to_str().unwrap()),
        ("poll_interval", "50ms"),
        ("key_margin", "1s"),
        ("jwks_max_age", "1s"),
        ("rotation_period", "2s"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let config = Config::load(None, Vec::new(), &flags).unwrap();
    let server = tessera_server::start(config.clone(), None).await.unwrap();
    let base = format!("http://{}", server.addr);
    let admin = Admin::open(config).await.unwrap();
    let creds = admin
        .create_client(ClientSpec {
            name: Some("api-client".into()),
            scopes: Some(vec!["orders:read".into()]),
            audiences: Some(vec!["api://orders".into()]),
            token_ttl: Some(60),
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The API: keys discovered from the issuer's metadata. Its metadata names the configured
    // issuer, which the guard checks exactly; jwks_uri points at the server.
    let jwks = RemoteVerifier::new(
        &format!("{base}/.well-known/jwks.json"),
        CacheOptions {
            min_ttl: Duration::from_millis(0),
            ..CacheOptions::default()
        },
        |set| {
            Verifier::builder(set)
                .algorithms([JwsAlg::ES256])
                .issuer("http://127.0.0.1")
                .audience("api://orders")
                .typ("at+jwt")
                .build()
        },
    )
    .unwrap();
    let guard = Guard::builder(Keys::Remote(jwks.clone())).build();
    let api = Router::new().route(
        "/orders",
        get(|t: AccessToken| async move { t.subject().unwrap_or("").to_owned() })
            .route_layer(guard.layer(["orders:read"])),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, api).await.unwrap() });
    let http = reqwest::Client::new();
    let mut kids = std::collections::HashSet::new();
    let (mut ok, mut rejected) = (0, 0);
    let started = std::time::Instant::now();
    // About 12 seconds of traffic; the server rotates every 2 s (publishing each key a
    // max-age plus its margin before it signs), plus forced rotations from the operator side.
    let mut forced = 0;
    while started.elapsed() < Duration::from_secs(12) {
        let token: serde_json::Value = http
            .post(format!("{base}/oauth2/token"))
            .basic_auth(&creds.client_id, Some(&creds.client_secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = token["access_token"].as_str().unwrap().to_owned();
        kids.insert(
            tessera_jose::dangerous::peek_header_unverified(&token)
                .unwrap()
                .kid_value()
                .unwrap()
                .to_owned(),
        );
        let resp = http
            .get(format!("{api_base}/orders"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        if resp.status() == 200 {
            ok += 1;
        } else {
            rejected += 1;
            eprintln!("rejected: {:?}", resp.headers().get("www-authenticate"));
        }
        if started.elapsed() > Duration::from_secs(4 * (forced + 1)) && forced < 2 {
            // An operator's rotation (it waits for the next key's publication like the timer).
            if admin.rotate(false).await.is_ok() {
                forced += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(rejected, 0, "{ok} accepted");
    assert!(ok > 100, "{ok}");
    assert!(
        kids.len() >= 2,
        "the signing key changed during the run: {kids:?}"
    );
    assert!(jwks.fetches() >= 2);
    server.shutdown().await;
}
