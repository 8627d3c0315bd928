//! The debugger mounted in the token service: only on a loopback issuer (or when asked), and
//! answering only at the issuer's own `Host`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tessera_jose::JwsAlg;
use tessera_jose::jws::Signer;
use tessera_jose::jwt::{Claims, JwtSigner};

#[tokio::test]
async fn the_token_service_mounts_it_on_a_loopback_issuer_only() {
    let get = async |s: &common::Service, path: &str| {
        let (status, headers, _) = s.get(path).await;
        (status, headers)
    };
    let send = async |s: &common::Service, req: Request<Body>| {
        let (status, headers, body) = s.send(req).await;
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (status, headers, v)
    };
    // https://auth.test is not loopback: off unless turned on.
    let remote = common::service_set(&[]).await;
    assert_eq!(get(&remote, "/debugger/").await.0, StatusCode::NOT_FOUND);
    let on = common::service_set(&[("debugger", "on")]).await;
    let (status, headers) = get(&on, "/debugger/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_SECURITY_POLICY],
        tessera_debugger::CSP
    );
    let (status, headers) = get(&on, "/debugger").await;
    assert_eq!(status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(headers[header::LOCATION], "/debugger/");
    // The service's own endpoints keep their stricter policy.
    let (_, headers) = get(&on, "/.well-known/jwks.json").await;
    assert_eq!(
        headers[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'; frame-ancestors 'none'"
    );
    // A loopback issuer: on by default, off when set.
    let local = common::service_set(&[("issuer", "http://127.0.0.1:8080")]).await;
    assert_eq!(get(&local, "/debugger/").await.0, StatusCode::OK);
    let off =
        common::service_set(&[("issuer", "http://127.0.0.1:8080"), ("debugger", "off")]).await;
    assert_eq!(get(&off, "/debugger/").await.0, StatusCode::NOT_FOUND);
    // The mounted API wants the page's header and JSON, and answers.
    let req = Request::post("/debugger/api/inspect")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"token":"a.b.c"}"#))
        .unwrap();
    assert_eq!(send(&local, req).await.0, StatusCode::UNAUTHORIZED);
    let signer = JwtSigner::new(Signer::hmac(&[7; 32], JwsAlg::HS256).unwrap());
    let token = Claims::new().subject("u1").sign(&signer).unwrap();
    let inspect = |host: &str| {
        Request::post("/debugger/api/inspect")
            .header(header::CONTENT_TYPE, "application/json")
            .header(tessera_debugger::ACCESS_HEADER, "page")
            .header(header::HOST, host)
            .body(Body::from(json!({"token": token}).to_string()))
            .unwrap()
    };
    let (status, _, v) = send(&local, inspect("127.0.0.1:8080")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["header"]["alg"], "HS256");
    assert_eq!(
        send(&local, inspect("localhost:8080")).await.0,
        StatusCode::OK
    );
    // Another Host (DNS rebinding: a site's name pointed at this address) is refused.
    let (status, _, v) = send(&local, inspect("evil.example")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    // Turned on for a public issuer: only that issuer's host.
    assert_eq!(send(&on, inspect("auth.test")).await.0, StatusCode::OK);
    assert_eq!(
        send(&on, inspect("127.0.0.1")).await.0,
        StatusCode::FORBIDDEN
    );
    // Listening on every interface with a loopback issuer name: off unless turned on.
    let public = common::service_set(&[
        ("issuer", "http://localhost:8080"),
        ("listen", "0.0.0.0:8080"),
    ])
    .await;
    assert_eq!(get(&public, "/debugger/").await.0, StatusCode::NOT_FOUND);
}
