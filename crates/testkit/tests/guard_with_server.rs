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
use testkit::Issuer;

/// The API: `GET /orders` (scope `orders:read`, answers the subject) behind a guard whose keys
/// come from the issuer's JWKS, built by `guard`. Returns the URL of `/orders` and the key
/// cache.
async fn orders_api(
    issuer_base: &str,
    guard: impl FnOnce(Keys, &str) -> Guard,
) -> (String, RemoteVerifier) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let jwks = RemoteVerifier::new(
        &format!("{issuer_base}/.well-known/jwks.json"),
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
    let guard = guard(Keys::Remote(jwks.clone()), &origin);
    let api = Router::new().route(
        "/orders",
        get(|t: AccessToken| async move { t.subject().unwrap_or("").to_owned() })
            .route_layer(guard.layer(["orders:read"])),
    );
    let url = format!("{origin}/orders");
    tokio::spawn(async move { axum::serve(listener, api).await.unwrap() });
    (url, jwks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_on_the_server_rejects_nothing() {
    let Issuer {
        server,
        base,
        admin,
        creds,
        dir: _dir,
    } = Issuer::start(&[
        ("poll_interval", "50ms"),
        ("key_margin", "1s"),
        ("jwks_max_age", "1s"),
        ("rotation_period", "2s"),
    ])
    .await;
    // The API: keys from the issuer's JWKS, checked for this issuer exactly.
    let (orders, jwks) = orders_api(&base, |keys, _| Guard::builder(keys).build()).await;
    let http = reqwest::Client::new();
    let mut kids = std::collections::HashSet::new();
    let (mut ok, mut rejected) = (0, 0);
    let started = std::time::Instant::now();
    // About 12 seconds of traffic; the server rotates every 2 s (publishing each key a
    // max-age plus its margin before it signs), plus forced rotations from the operator side.
    let mut forced = 0;
    while started.elapsed() < Duration::from_secs(12) {
        let (_, token) = testkit::grant(
            &http,
            &format!("{base}/oauth2/token"),
            &creds.client_id,
            creds.client_secret.as_deref().unwrap(),
        )
        .await;
        let token = token["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("{token}"))
            .to_owned();
        kids.insert(
            tessera_jose::dangerous::peek_header_unverified(&token)
                .unwrap()
                .kid_value()
                .unwrap()
                .to_owned(),
        );
        let resp = http.get(&orders).bearer_auth(&token).send().await.unwrap();
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

/// DPoP end to end (RFC 9449): the client proves a key to `tessera serve` and gets a token bound
/// to it; the guard accepts that token only with a fresh proof by the same key for the request,
/// and refuses it as a plain Bearer token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dpop_bound_tokens_from_the_server() {
    use tessera_jose::Jwk;
    use tessera_jose::dpop::{Proof, ProofVerifier};

    let Issuer {
        server,
        base,
        creds,
        dir: _dir,
        ..
    } = Issuer::start(&[]).await;
    let (api_url, _) = orders_api(&base, |keys, origin| {
        Guard::builder(keys)
            .dpop(origin, ProofVerifier::builder().build().unwrap())
            .build()
    })
    .await;
    let http = reqwest::Client::new();

    // The token request carries a proof for the token endpoint the issuer publishes.
    let key = Jwk::generate(JwsAlg::ES256).unwrap();
    let token: serde_json::Value = http
        .post(format!("{base}/oauth2/token"))
        .basic_auth(
            &creds.client_id,
            Some(creds.client_secret.as_deref().unwrap()),
        )
        .header(
            "dpop",
            Proof::new(&key, JwsAlg::ES256)
                .unwrap()
                .sign("POST", "http://127.0.0.1/oauth2/token")
                .unwrap(),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(token["token_type"], "DPoP", "{token}");
    let token = token["access_token"].as_str().unwrap();
    let call = |scheme: &'static str, proof: Option<String>| {
        let mut req = http
            .get(&api_url)
            .header("authorization", format!("{scheme} {token}"));
        if let Some(p) = proof {
            req = req.header("dpop", p);
        }
        async move { req.send().await.unwrap() }
    };
    let for_api = |k: &Jwk| {
        Proof::new(k, JwsAlg::ES256)
            .unwrap()
            .access_token(token)
            .sign("GET", &api_url)
            .unwrap()
    };
    // With a proof by the bound key: accepted.
    let r = call("DPoP", Some(for_api(&key))).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), creds.client_id);
    // As a Bearer token (downgrade), or with a proof by another key: refused.
    let r = call("Bearer", None).await;
    assert_eq!(r.status(), 401);
    let thief = Jwk::generate(JwsAlg::ES256).unwrap();
    let r = call("DPoP", Some(for_api(&thief))).await;
    assert_eq!(r.status(), 401);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("invalid_dpop_proof"), "{challenge}");
    server.shutdown().await;
}
