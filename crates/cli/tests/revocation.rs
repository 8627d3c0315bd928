//! Revocation that reaches APIs, with real processes: `tessera serve` (status lists with a 2 s
//! `ttl`) and an API behind two guards, run by this test over loopback HTTP as an API service
//! runs them: `/orders` checks Token Status Lists, `/payments` introspects (answers kept 1 s).
//! For each way of revoking a token — RFC 7009, `client revoke-tokens`, `client disable`,
//! `user revoke-grant`, a refresh token replayed (theft), `user logout`, `user disable` — the token is accepted until it is
//! revoked, and refused after, within the list's `ttl` (plus the service's one-second rebuild)
//! on `/orders` and within the cache bound on `/payments`; another client's token stays
//! accepted; the lists survive a `kill -9` and restart of the service; `tessera verify
//! --check-status` says the same. The measured times are printed (`--nocapture`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use serde_json::Value;
use tessera_guard::{
    CacheOptions, Guard, Introspection, IntrospectionOptions, Keys, RemoteVerifier, StatusLists,
    StatusOptions,
};
use testkit::free_port;

mod common;

use common::people::{BIN, code_flows, http, people_and_app, tessera};

/// The lists' `ttl`, seconds: 2, or `TESSERA_TEST_STATUS_TTL` (to measure the default, 10).
fn ttl() -> u64 {
    std::env::var("TESSERA_TEST_STATUS_TTL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
}
/// How long the introspecting guard keeps an active answer.
const CACHE: Duration = Duration::from_secs(1);

fn serve(dir: &Path, port: u16) -> Child {
    let ttl = format!("status_list_ttl={}s", ttl());
    // A short refresh grace, so that a replayed refresh token is theft a second later.
    common::people::serve(
        dir,
        &[],
        port,
        &[&ttl, "poll_interval=100ms", "refresh_grace=1s"],
    )
}

/// A machine client of the orders API: (client_id, secret).
fn machine(dir: &Path, name: &str, introspect: bool) -> (String, String) {
    let mut args = vec![
        "client",
        "create",
        "--name",
        name,
        "--scope",
        "orders:read",
        "--audience",
        "api://orders",
        "--json",
    ];
    if introspect {
        args.push("--introspect");
    }
    let v: Value = serde_json::from_str(&tessera(dir, &[], &args)).unwrap();
    (
        v["client_id"].as_str().unwrap().to_owned(),
        v["client_secret"].as_str().unwrap().to_owned(),
    )
}

/// The API: `/orders` behind a guard that checks status lists, `/payments` behind one that
/// introspects. Its base URL.
async fn api(issuer: &str, introspector: &(String, String)) -> String {
    let keys = RemoteVerifier::access_tokens(issuer, "api://orders", CacheOptions::default())
        .await
        .unwrap();
    let lists = StatusLists::discover(issuer, CacheOptions::default(), StatusOptions::default())
        .await
        .unwrap();
    let introspection = Introspection::discover(
        issuer,
        &introspector.0,
        &introspector.1,
        IntrospectionOptions {
            cache_for: CACHE,
            ..IntrospectionOptions::default()
        },
    )
    .await
    .unwrap();
    let by_list = Guard::builder(Keys::Remote(keys.clone()))
        .status_lists(lists)
        .build();
    let by_introspection = Guard::builder(Keys::Remote(keys))
        .introspection(introspection)
        .build();
    let none: [&str; 0] = [];
    let app = Router::new()
        .route(
            "/orders",
            get(|| async { "orders" }).route_layer(by_list.layer(none)),
        )
        .route(
            "/payments",
            get(|| async { "payments" }).route_layer(by_introspection.layer(none)),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

async fn status(http: &reqwest::Client, api: &str, path: &str, token: &str) -> u16 {
    http.get(format!("{api}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn accepted_by_both(http: &reqwest::Client, api: &str, token: &str, what: &str) {
    for path in ["/orders", "/payments"] {
        assert_eq!(
            status(http, api, path, token).await,
            200,
            "{what} at {path}"
        );
    }
}

/// How long after `since` each guard first refused `token` (polled every 20 ms, for at most
/// 15 s past the lists' ttl): (status list, introspection).
async fn refused_after(
    http: &reqwest::Client,
    api: &str,
    token: &str,
    since: Instant,
) -> (Duration, Duration) {
    let (mut by_list, mut by_introspection) = (None, None);
    while by_list.is_none() || by_introspection.is_none() {
        assert!(
            since.elapsed() < Duration::from_secs(15 + ttl()),
            "not refused in time: list {by_list:?}, introspection {by_introspection:?}"
        );
        if by_list.is_none() && status(http, api, "/orders", token).await == 401 {
            by_list = Some(since.elapsed());
        }
        if by_introspection.is_none() && status(http, api, "/payments", token).await == 401 {
            by_introspection = Some(since.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (by_list.unwrap(), by_introspection.unwrap())
}

/// A refresh by the public app: the status and the answer.
async fn refresh(http: &reqwest::Client, base: &str, app: &str, token: &str) -> (u16, Value) {
    let resp = http
        .post(format!("{base}/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", app),
        ])
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn grant(http: &reqwest::Client, base: &str, c: &(String, String)) -> String {
    let (s, v) = testkit::grant(http, &format!("{base}/oauth2/token"), &c.0, &c.1).await;
    assert_eq!(s, 200, "{v}");
    v["access_token"].as_str().unwrap().to_owned()
}

fn claim(token: &str, name: &str) -> String {
    let claims: Value = serde_json::from_slice(
        &tessera_jose::b64::decode(token.split('.').nth(1).unwrap()).unwrap(),
    )
    .unwrap();
    claims[name].as_str().unwrap_or_default().to_owned()
}

/// `tessera verify --check-status`: its exit code and output.
fn verify_status(issuer: &str, token: &str) -> (i32, String) {
    let out = Command::new(BIN)
        .args(["verify", "--issuer", issuer, "--aud", "api://orders"])
        .args(["--check-status", "--json", token])
        .env_clear()
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_refused_by_apis_within_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // The store and the people first, then the service.
    tessera(d, &[], &["init"]);
    let app = people_and_app(d, &[], &["--audience", "api://orders"]);
    let api_client = machine(d, "orders API", true);
    let (a, b, c, control) = (
        machine(d, "a", false),
        machine(d, "b", false),
        machine(d, "c", false),
        machine(d, "control", false),
    );
    let mut service = testkit::Reaped(serve(d, port));
    let api = api(&base, &api_client).await;
    let http = http();
    let control_token = grant(&http, &base, &control).await;
    let flows = code_flows(&base, &app, 3).await;
    let mut person: Vec<String> = flows
        .iter()
        .map(|v| v["access_token"].as_str().unwrap().to_owned())
        .collect();
    // The third family refreshes once: its new access token dies when the replaced refresh
    // token is used again past the grace (theft: the family is revoked).
    let replaced = flows[2]["refresh_token"].as_str().unwrap().to_owned();
    let (s, v) = refresh(&http, &base, &app, &replaced).await;
    assert_eq!(s, 200, "{v}");
    person[2] = v["access_token"].as_str().unwrap().to_owned();
    let (a1, b1, c1) = (
        grant(&http, &base, &a).await,
        grant(&http, &base, &b).await,
        grant(&http, &base, &c).await,
    );
    for (t, what) in [
        (&a1, "a"),
        (&b1, "b"),
        (&c1, "c"),
        (&control_token, "control"),
    ] {
        accepted_by_both(&http, &api, t, what).await;
    }
    for t in &person {
        accepted_by_both(&http, &api, t, "a person's token").await;
    }
    // Each way, in turn: accepted right before, refused within the bound after.
    let mut measured = Vec::new();
    let ways: Vec<(&str, &String)> = vec![
        ("RFC 7009", &a1),
        ("client revoke-tokens", &b1),
        ("client disable", &c1),
        ("user revoke-grant", &person[0]),
        ("refresh token reuse (theft)", &person[2]),
        ("user logout", &person[1]),
    ];
    for (way, token) in ways {
        accepted_by_both(&http, &api, token, way).await;
        match way {
            "RFC 7009" => {
                let r = http
                    .post(format!("{base}/oauth2/revoke"))
                    .basic_auth(&a.0, Some(&a.1))
                    .form(&[("token", token.as_str())])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
            }
            "client revoke-tokens" => {
                tessera(d, &[], &["client", "revoke-tokens", &b.0]);
            }
            "client disable" => {
                tessera(d, &[], &["client", "disable", &c.0]);
            }
            "user revoke-grant" => {
                tessera(d, &[], &["user", "revoke-grant", &claim(token, "grant_id")]);
            }
            "refresh token reuse (theft)" => {
                tokio::time::sleep(Duration::from_millis(1200)).await;
                let (s, v) = refresh(&http, &base, &app, &replaced).await;
                assert_eq!(s, 400, "a replayed refresh token is refused: {v}");
            }
            _ => {
                tessera(d, &[], &["user", "logout", "ada"]);
            }
        }
        let done = Instant::now();
        measured.push((way, refused_after(&http, &api, token, done).await));
        accepted_by_both(&http, &api, &control_token, "another client's token").await;
    }
    // A new sign-in after the logout, then the account disabled.
    let fresh = code_flows(&base, &app, 1).await;
    let fresh = fresh[0]["access_token"].as_str().unwrap().to_owned();
    accepted_by_both(&http, &api, &fresh, "a token after the logout").await;
    tessera(d, &[], &["user", "disable", "ada"]);
    let done = Instant::now();
    measured.push((
        "user disable",
        refused_after(&http, &api, &fresh, done).await,
    ));
    for (way, (list, introspection)) in &measured {
        eprintln!(
            "revocation to refusal, {way}: status list {} ms (ttl {} s), introspection {} ms (cache {} ms)",
            list.as_millis(),
            ttl(),
            introspection.as_millis(),
            CACHE.as_millis()
        );
        // The list: at most its ttl in the guard, plus a second of the service's rebuild,
        // plus scheduling slack; introspection: the cache bound plus slack.
        assert!(
            *list <= Duration::from_secs(ttl() + 1) + Duration::from_millis(1500),
            "{way}: {list:?}"
        );
        assert!(
            *introspection <= CACHE + Duration::from_millis(1500),
            "{way}: {introspection:?}"
        );
    }
    // The command line says the same.
    let (code, out) = verify_status(&base, &a1);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("revoked"), "{out}");
    let (code, out) = verify_status(&base, &control_token);
    assert_eq!(code, 0, "{out}");
    // kill -9 and a restart: the lists are rebuilt from the store and say the same.
    service.0.kill().unwrap();
    service.0.wait().unwrap();
    let _service = testkit::Reaped(serve(d, port));
    tokio::time::sleep(Duration::from_secs(ttl() + 1)).await;
    for t in [&a1, &b1, &c1, &person[0], &person[1], &person[2], &fresh] {
        assert_eq!(status(&http, &api, "/orders", t).await, 401);
    }
    assert_eq!(status(&http, &api, "/orders", &control_token).await, 200);
    let (code, out) = verify_status(&base, &b1);
    assert_eq!(code, 1, "after the restart: {out}");
    let (code, out) = verify_status(&base, &control_token);
    assert_eq!(code, 0, "after the restart: {out}");
}
