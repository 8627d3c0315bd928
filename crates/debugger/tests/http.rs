//! The debugger's API through `oneshot`: the access gate, every kind of bad input, the answers
//! (with the same codes as `tessera verify --json`). The mount in the token service is tested
//! with the service (`crates/server/tests/debugger.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tessera_debugger::{self as debugger, ACCESS_HEADER, Access};
use tessera_jose::jws::{Header, Signer};
use tessera_jose::jwt::{Claims, JwtSigner};
use tessera_jose::{Jwk, JwsAlg};
use tower::ServiceExt as _;

const KEY: &str = "test-access-key-0123456789abcdefghijklmnopq";
const SECRET: &str = "a-32-byte-long-secret-for-hs256!";

fn standalone() -> Router {
    debugger::router("", Access::Key(KEY.into()))
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, body)
}

fn post(path: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header(header::HOST, "127.0.0.1:4000")
        .header(header::CONTENT_TYPE, "application/json")
        .header(ACCESS_HEADER, KEY)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

async fn call(app: &Router, path: &str, body: Value) -> (StatusCode, Value) {
    let (status, _, v) = send(app, post(path, &body.to_string())).await;
    (status, v)
}

fn hs256(claims: Claims) -> String {
    let signer = JwtSigner::new(Signer::hmac(SECRET.as_bytes(), JwsAlg::HS256).unwrap());
    claims.sign(&signer).unwrap()
}

fn fresh() -> Claims {
    Claims::new()
        .issuer("https://issuer.example")
        .subject("u1")
        .issued_now()
        .expires_in(std::time::Duration::from_secs(240))
}

#[tokio::test]
async fn the_api_answers_only_the_page_with_its_key() {
    let app = standalone();
    let body = json!({"token": "a.b.c"}).to_string();
    let base = || {
        Request::post("/api/inspect")
            .header(header::HOST, "127.0.0.1:4000")
            .header(header::CONTENT_TYPE, "application/json")
    };
    // No key, a wrong key, a key of another length.
    for key in [None, Some("wrong"), Some(&KEY[..KEY.len() - 1])] {
        let mut req = base();
        if let Some(k) = key {
            req = req.header(ACCESS_HEADER, k);
        }
        let (status, _, v) = send(&app, req.body(Body::from(body.clone())).unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{key:?}");
        assert_eq!(v["error"]["code"], "access_denied");
    }
    // The key in the query string alone is not enough: the page sends it as a header.
    let req = Request::post(format!("/api/inspect?k={KEY}"))
        .header(header::HOST, "127.0.0.1:4000")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.clone()))
        .unwrap();
    assert_eq!(send(&app, req).await.0, StatusCode::UNAUTHORIZED);
    // A rebound DNS name pointing at loopback is refused even with the key.
    let req = Request::post("/api/inspect")
        .header(header::HOST, "attacker.example:4000")
        .header(header::CONTENT_TYPE, "application/json")
        .header(ACCESS_HEADER, KEY)
        .body(Body::from(body.clone()))
        .unwrap();
    let (status, _, v) = send(&app, req).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    for host in ["localhost:4000", "[::1]:4000", "127.0.0.1"] {
        let req = Request::post("/api/inspect")
            .header(header::HOST, host)
            .header(header::CONTENT_TYPE, "application/json")
            .header(ACCESS_HEADER, KEY)
            .body(Body::from(body.clone()))
            .unwrap();
        assert_eq!(send(&app, req).await.0, StatusCode::BAD_REQUEST, "{host}");
    }
    // A request the browser says another site's page made is refused, even with the key.
    for (site, status) in [
        ("cross-site", StatusCode::FORBIDDEN),
        ("same-site", StatusCode::FORBIDDEN),
        ("same-origin", StatusCode::BAD_REQUEST),
        ("none", StatusCode::BAD_REQUEST),
    ] {
        let req = Request::post("/api/inspect")
            .header(header::HOST, "127.0.0.1:4000")
            .header(header::CONTENT_TYPE, "application/json")
            .header(ACCESS_HEADER, KEY)
            .header("sec-fetch-site", site)
            .body(Body::from(body.clone()))
            .unwrap();
        assert_eq!(send(&app, req).await.0, status, "{site}");
    }
    // A form post (what a cross-site page can send without a preflight) is refused.
    let req = Request::post("/api/inspect")
        .header(header::HOST, "127.0.0.1:4000")
        .header(header::CONTENT_TYPE, "text/plain")
        .header(ACCESS_HEADER, KEY)
        .body(Body::from(body.clone()))
        .unwrap();
    let (status, _, v) = send(&app, req).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(v["error"]["code"], "unsupported_media_type");
    // A GET without the key learns nothing either.
    let req = Request::get("/api/inspect").body(Body::empty()).unwrap();
    assert_eq!(send(&app, req).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_page_and_assets_carry_a_strict_policy() {
    let app = standalone();
    for (path, kind) in [
        ("/", "text/html"),
        ("/app.js", "text/javascript"),
        ("/style.css", "text/css"),
        ("/icon.svg", "image/svg+xml"),
    ] {
        let resp = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let h = resp.headers();
        assert!(h[header::CONTENT_TYPE].to_str().unwrap().starts_with(kind));
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], debugger::CSP);
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        assert!(h.get(header::SET_COOKIE).is_none());
    }
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(debugger::CSP.contains(part), "{part}");
    }
    assert!(!debugger::CSP.contains("unsafe"));
    // The page has no inline script or style and loads nothing from elsewhere.
    let page = include_str!("../assets/index.html");
    assert!(!page.contains("<script>") && !page.contains("style="));
    let handler = page.split(" on").skip(1).find(|rest| {
        let name: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
        !name.is_empty() && rest[name.len()..].starts_with('=')
    });
    assert_eq!(handler, None, "an inline event handler");
    for attr in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(!page.contains(attr), "{attr}");
    }
    let script = include_str!("../assets/app.js");
    assert!(!script.contains("localStorage") && !script.contains("sessionStorage"));
    assert!(!script.contains("document.cookie") && !script.contains("innerHTML"));
    // Its one network call is to its own API, by a relative URL.
    let fetches: Vec<&str> = script.split("fetch(").skip(1).collect();
    assert_eq!(fetches.len(), 1);
    assert!(fetches.iter().all(|f| f.starts_with("'api/' +")));
    assert!(!script.contains("XMLHttpRequest") && !script.contains("WebSocket"));
    // The published crate carries the assets the binary embeds.
    let manifest = include_str!("../Cargo.toml");
    assert!(
        manifest.contains("\"assets/**\""),
        "Cargo.toml `include` lacks the assets"
    );
    // API answers are never cached.
    let (_, headers, _) = send(&app, post("/api/inspect", r#"{"token":"a.b.c"}"#)).await;
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn bad_input_gets_a_clear_error() {
    let app = standalone();
    let cases: &[(&str, &str, &str)] = &[
        ("/api/inspect", "not json", "invalid_request"),
        ("/api/inspect", "{}", "invalid_request"),
        ("/api/inspect", r#"{"token": 5}"#, "invalid_request"),
        (
            "/api/inspect",
            r#"{"token": "x", "extra": 1}"#,
            "invalid_request",
        ),
        ("/api/inspect", r#"{"token": "  "}"#, "token_missing"),
        ("/api/inspect", r#"{"token": "Bearer "}"#, "token_missing"),
        ("/api/inspect", r#"{"token": "one.two"}"#, "malformed"),
        ("/api/inspect", r#"{"token": "!!.e30.sig"}"#, "malformed"),
        (
            "/api/inspect",
            r#"{"token": "bm90IGpzb24.e30.c2ln"}"#,
            "malformed",
        ),
        ("/api/inspect", r#"{"token": "WzFd.e30.c2ln"}"#, "malformed"),
        ("/api/inspect", r#"{"token": "{not json"}"#, "malformed"),
        (
            "/api/inspect",
            r#"{"token": "{\"payload\": 1}"}"#,
            "malformed",
        ),
        ("/api/verify", r#"{"token": "a.b.c"}"#, "invalid_request"),
        (
            "/api/verify",
            r#"{"token": "a.b.c", "key": {"text": ""}}"#,
            "key_missing",
        ),
        (
            "/api/verify",
            r#"{"token": "a.b.c", "key": {"text": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"}}"#,
            "key_invalid",
        ),
        (
            "/api/verify",
            r#"{"token": "a.b.c", "key": {"text": "{\"kty\": \"EC\"}"}}"#,
            "key_invalid",
        ),
        (
            "/api/verify",
            r#"{"token": "a.b.c", "key": {"text": "{\"keys\": []}"}}"#,
            "key_invalid",
        ),
        (
            "/api/verify",
            r#"{"token": "a.b.c", "key": {"text": "{oops"}}"#,
            "key_invalid",
        ),
        (
            "/api/verify",
            r#"{"token": "a.b.c", "key": {"text": "a+b/c==", "encoding": "base64url"}}"#,
            "key_invalid",
        ),
        (
            "/api/verify",
            r#"{"token": "a.b.c", "key": {"text": "x", "encoding": "hex"}}"#,
            "invalid_request",
        ),
        (
            "/api/verify",
            r#"{"token": "a.b.c.d.e", "key": {"text": "x"}}"#,
            "token_kind",
        ),
        (
            "/api/decrypt",
            r#"{"token": "a.b.c", "key": {"text": "x"}}"#,
            "token_kind",
        ),
        ("/api/decrypt", r#"{"token": "a.b.c.d.e"}"#, "key_missing"),
        (
            "/api/encode",
            r#"{"header": "{", "payload": "{}", "key": {"text": "k"}}"#,
            "header_invalid",
        ),
        (
            "/api/encode",
            r#"{"header": "[]", "payload": "{}", "key": {"text": "k"}}"#,
            "header_invalid",
        ),
        (
            "/api/encode",
            r#"{"header": "{}", "payload": "{}", "key": {"text": "k"}}"#,
            "header_invalid",
        ),
        (
            "/api/encode",
            r#"{"header": "{\"alg\": \"none\"}", "payload": "{}", "key": {"text": "k"}}"#,
            "alg_none",
        ),
        (
            "/api/encode",
            r#"{"header": "{\"alg\": \"XS999\"}", "payload": "{}", "key": {"text": "k"}}"#,
            "alg_unknown",
        ),
        (
            "/api/encode",
            r#"{"header": "{\"alg\": \"HS256\"}", "payload": "[1]", "key": {"text": "k"}}"#,
            "payload_invalid",
        ),
        (
            "/api/encode",
            r#"{"header": "{\"alg\": \"HS256\"}", "payload": "{\"a\": 1, \"a\": 2}", "key": {"text": "k"}}"#,
            "payload_invalid",
        ),
        (
            "/api/encode",
            r#"{"header": "{\"alg\": \"HS256\", \"b64\": false}", "payload": "{}", "key": {"text": "a-32-byte-long-secret-for-hs256!"}}"#,
            "header_invalid",
        ),
        (
            "/api/encode",
            r#"{"header": "{\"alg\": \"HS256\"}", "payload": "{}", "key": {"text": "short"}}"#,
            "weak_secret",
        ),
        ("/api/keys", r#"{"alg": "nope"}"#, "alg_unknown"),
        ("/api/keys", r#"{"alg": "none"}"#, "alg_unknown"),
        ("/api/keys", r#"{}"#, "invalid_request"),
    ];
    for (path, body, code) in cases {
        let (status, _, v) = send(&app, post(path, body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}: {v}");
        assert_eq!(v["error"]["code"], *code, "{path} {body}: {v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.len() > 10, "{path} {body}: {v}");
    }
    // Too large a body.
    let big = json!({"token": "a".repeat(2 * debugger::MAX_BODY)}).to_string();
    assert_eq!(
        send(&app, post("/api/inspect", &big)).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let (status, v) = call(&app, "/api/inspect", json!({"token": "a".repeat(600_000)})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "limit_exceeded");
}

#[tokio::test]
async fn inspect_shows_parts_claims_and_warnings() {
    let app = standalone();
    let token = hs256(fresh());
    let (status, v) = call(
        &app,
        "/api/inspect",
        json!({"token": format!("  Bearer {token}\n")}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["kind"], "jws");
    assert_eq!(v["token"], token.as_str());
    let parts: Vec<&str> = token.split('.').collect();
    for (i, name) in ["header", "payload", "signature"].iter().enumerate() {
        assert_eq!(v["parts"][i]["name"], *name);
        assert_eq!(v["parts"][i]["text"], parts[i]);
    }
    assert_eq!(v["header"]["alg"], "HS256");
    assert_eq!(v["signature_bytes"], 32);
    let claims = v["claims"].as_array().unwrap();
    let exp = claims.iter().find(|c| c["name"] == "exp").unwrap();
    assert_eq!(exp["spec"], "RFC 7519 §4.1.4");
    assert!(exp["date"].is_number());
    // What cleaning the paste removed is said (verification elsewhere refuses it as pasted).
    let removed = json!([{"code": "scheme_removed", "message": "removed the `Bearer` scheme in front of the token"}]);
    assert_eq!(v["warnings"], removed);
    assert_eq!(v["cleaned"], removed);
    let (_, v) = call(&app, "/api/inspect", json!({"token": token})).await;
    assert_eq!(v["warnings"], json!([]));
    assert!(v.get("cleaned").is_none());

    // Warnings: alg none, no exp, key material in the header, duplicates (shown as written).
    let b64 = |s: &str| tessera_jose::b64::encode(s.as_bytes());
    let unsecured = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","jku":"https://evil.example/jwks"}"#),
        b64(r#"{"sub":"1","sub":"2"}"#)
    );
    let (_, v) = call(&app, "/api/inspect", json!({"token": unsecured})).await;
    let codes: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    for code in ["alg_none", "header_key", "duplicate_member", "missing_exp"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    assert_eq!(v["payload_text"], r#"{"sub":"1","sub":"2"}"#);
    // Expired, not yet valid, a date that is a string.
    let odd = format!(
        "{}.{}.c2ln",
        b64(r#"{"alg":"HS256"}"#),
        b64(r#"{"exp":1000,"nbf":99999999999,"iat":"yesterday"}"#)
    );
    let (_, v) = call(&app, "/api/inspect", json!({"token": odd})).await;
    let text = v["warnings"].to_string();
    for code in ["expired", "not_yet_valid", "date_not_number"] {
        assert!(text.contains(code), "{code} in {text}");
    }
    // A payload that is not JSON is shown as text.
    let raw = format!("{}.{}.c2ln", b64(r#"{"alg":"HS256"}"#), b64("hello"));
    let (_, v) = call(&app, "/api/inspect", json!({"token": raw})).await;
    assert_eq!(v["payload_kind"], "text");
    assert_eq!(v["payload_text"], "hello");
}

#[tokio::test]
async fn verify_reports_the_same_codes_as_the_cli() {
    let app = standalone();
    let token = hs256(fresh());
    let key = |text: &str| json!({"text": text});
    let (_, v) = call(
        &app,
        "/api/verify",
        json!({"token": token, "key": key(SECRET)}),
    )
    .await;
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["alg"], "HS256");
    assert_eq!(v["claims_checked"], true);
    // base64url of the same secret.
    let b = tessera_jose::b64::encode(SECRET.as_bytes());
    let (_, v) = call(
        &app,
        "/api/verify",
        json!({"token": token, "key": {"text": b, "encoding": "base64url"}}),
    )
    .await;
    assert_eq!(v["verified"], true, "{v}");
    // A wrong secret: the library's code; the secret is nowhere in the answer.
    let wrong = "another-32-byte-long-secret-here";
    let (status, v) = call(
        &app,
        "/api/verify",
        json!({"token": token, "key": key(wrong)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["verified"], false);
    assert_eq!(v["stage"], "signature");
    assert_eq!(v["code"], "signature_invalid");
    assert!(!v.to_string().contains(wrong));
    // Claim checks: issuer, audience, expiry with leeway.
    let (_, v) = call(
        &app,
        "/api/verify",
        json!({"token": token, "key": key(SECRET), "checks": {"iss": "https://other.example"}}),
    )
    .await;
    assert_eq!(
        (v["stage"].as_str(), v["code"].as_str()),
        (Some("claims"), Some("issuer")),
        "{v}"
    );
    let (_, v) = call(
        &app,
        "/api/verify",
        json!({"token": token, "key": key(SECRET), "checks": {"aud": "api://x"}}),
    )
    .await;
    assert_eq!(v["verified"], false, "{v}");
    let expired = hs256(
        Claims::new()
            .subject("u1")
            .issued_at(tessera_jose::jwt::NumericDate::from_secs(1_000))
            .expires_at(tessera_jose::jwt::NumericDate::from_secs(
                tessera_jose::jwt::NumericDate::now().secs() - 30,
            )),
    );
    let (_, v) = call(
        &app,
        "/api/verify",
        json!({"token": expired, "key": key(SECRET)}),
    )
    .await;
    assert_eq!(v["code"], "expired", "{v}");
    let (_, v) = call(
        &app,
        "/api/verify",
        json!({"token": expired, "key": key(SECRET), "checks": {"leeway": 120}}),
    )
    .await;
    assert_eq!(v["verified"], true, "{v}");
    // No exp: rejected unless the check is off.
    let forever = hs256(Claims::new().subject("u1"));
    let (_, v) = call(
        &app,
        "/api/verify",
        json!({"token": forever, "key": key(SECRET)}),
    )
    .await;
    assert_eq!(v["verified"], false, "{v}");
    let (_, v) = call(
        &app,
        "/api/verify",
        json!({"token": forever, "key": key(SECRET), "checks": {"require_exp": false}}),
    )
    .await;
    assert_eq!(v["verified"], true, "{v}");
    // A short secret is refused as weak; a published one verifies with a warning.
    let (_, v) = call(
        &app,
        "/api/verify",
        json!({"token": token, "key": key("secret")}),
    )
    .await;
    assert_eq!(
        (v["stage"].as_str(), v["code"].as_str()),
        (Some("key"), Some("weak_secret")),
        "{v}"
    );
    // A public key cannot verify as an HMAC secret (no algorithm confusion).
    let ec = Jwk::generate(JwsAlg::ES256).unwrap();
    let public = ec.to_public().unwrap().to_json();
    let (_, v) = call(
        &app,
        "/api/verify",
        json!({"token": token, "key": key(&public)}),
    )
    .await;
    assert_eq!(v["verified"], false, "{v}");
    assert_ne!(v["code"], Value::Null);
    // An encrypted private key: refused with a way forward, the password never asked for.
    let locked = ec.to_encrypted_pem(b"pw", 10_000).unwrap();
    let (status, v) = call(
        &app,
        "/api/verify",
        json!({"token": token, "key": key(&locked)}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "key_invalid");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("encrypted"),
        "{v}"
    );
    // A JWK Set: the token's kid picks the key.
    let other = Jwk::generate(JwsAlg::ES256).unwrap();
    let es = fresh()
        .sign(&JwtSigner::new(Signer::new(&ec, JwsAlg::ES256).unwrap()))
        .unwrap();
    let set = json!({"keys": [other.to_public().unwrap().to_value(), ec.to_public().unwrap().to_value()]});
    let (_, v) = call(
        &app,
        "/api/verify",
        json!({"token": es, "key": key(&set.to_string())}),
    )
    .await;
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["kid"], ec.kid().unwrap());
    // A PEM public key.
    let pem = ec.to_public().unwrap().to_public_pem().unwrap();
    let (_, v) = call(&app, "/api/verify", json!({"token": es, "key": key(&pem)})).await;
    assert_eq!(v["verified"], true, "{v}");
    // The JSON serialization (general, two signatures): decoded, and its signature checked.
    let hs = Signer::hmac(SECRET.as_bytes(), JwsAlg::HS256).unwrap();
    let es_signer = Signer::new(&ec, JwsAlg::ES256).unwrap();
    let general = tessera_jose::jws::JwsBuilder::new(br#"{"sub":"json"}"#)
        .signature(&hs, Header::empty(), None)
        .signature(
            &es_signer,
            Header::empty(),
            Some(Header::empty().param("note", "x")),
        )
        .general()
        .unwrap();
    let (status, i) = call(&app, "/api/inspect", json!({"token": general})).await;
    assert_eq!(status, StatusCode::OK, "{i}");
    assert_eq!(i["format"], "json");
    assert_eq!(i["signatures"].as_array().unwrap().len(), 2);
    assert_eq!(i["payload"]["sub"], "json");
    let (_, v) = call(
        &app,
        "/api/verify",
        json!({"token": general, "key": key(&pem)}),
    )
    .await;
    assert_eq!(
        (v["verified"].as_bool(), v["alg"].as_str()),
        (Some(true), Some("ES256")),
        "{v}"
    );
    assert_eq!(v["claims_checked"], false);
}

#[tokio::test]
async fn encode_keys_decrypt_and_examples_work_together() {
    let app = standalone();
    // Keys for every supported algorithm family, with thumbprint and PEM.
    for alg in [
        "HS256",
        "RS256",
        "ES384",
        "EdDSA",
        "ES256K",
        "ECDH-ES",
        "RSA-OAEP-256",
        "A256KW",
        "dir",
    ] {
        let (status, k) = call(&app, "/api/keys", json!({"alg": alg})).await;
        assert_eq!(status, StatusCode::OK, "{alg}: {k}");
        assert_eq!(k["thumbprint"].as_str().unwrap().len(), 43, "{alg}");
        assert!(Jwk::from_json(k["jwk"].as_str().unwrap()).is_ok(), "{alg}");
        if k["kty"] != "oct" {
            assert!(k["pem"].as_str().unwrap().contains("PRIVATE KEY"), "{alg}");
            assert!(
                k["public_pem"].as_str().unwrap().contains("PUBLIC KEY"),
                "{alg}"
            );
        } else {
            assert!(k["secret_base64url"].is_string(), "{alg}");
        }
    }
    // Encode with a generated key, verify with its public part.
    let (_, k) = call(&app, "/api/keys", json!({"alg": "ES256"})).await;
    let (status, e) = call(
        &app,
        "/api/encode",
        json!({
            "header": "{\"alg\": \"ES256\", \"typ\": \"at+jwt\"}",
            "payload": "{\"sub\": \"u9\", \"exp\": 4102444800}",
            "key": {"text": k["jwk"]},
        }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    let token = e["token"].as_str().unwrap();
    let (_, v) = call(
        &app,
        "/api/verify",
        json!({"token": token, "key": {"text": k["public_pem"]}}),
    )
    .await;
    assert_eq!(v["verified"], true, "{v}");
    // A public key cannot sign.
    let (status, e) = call(
        &app,
        "/api/encode",
        json!({"header": "{\"alg\": \"ES256\"}", "payload": "{}", "key": {"text": k["public_jwk"]}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["code"], "key_public");

    // The algorithms offered: what this build supports, never RSA1_5 or PBES2.
    let (status, a) = call(&app, "/api/algorithms", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    let names = a.to_string();
    for alg in [
        "\"HS256\"",
        "\"ES256\"",
        "\"EdDSA\"",
        "\"RSA-OAEP-256\"",
        "\"dir\"",
    ] {
        assert!(names.contains(alg), "{alg} in {names}");
    }
    assert!(
        !names.contains("RSA1_5") && !names.contains("PBES2"),
        "{names}"
    );
    // Every example decodes, and verifies or decrypts with the key it comes with.
    let (status, x) = call(&app, "/api/examples", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{x}");
    let examples = x["examples"].as_array().unwrap();
    assert!(examples.len() >= 7);
    for ex in examples {
        let (status, i) = call(&app, "/api/inspect", json!({"token": ex["token"]})).await;
        assert_eq!(status, StatusCode::OK, "{i}");
        if ex["kind"] == "jws" {
            let (_, v) = call(
                &app,
                "/api/verify",
                json!({"token": ex["token"], "key": ex["key"]}),
            )
            .await;
            assert_eq!(v["verified"], true, "{}: {v}", ex["label"]);
        } else {
            let mut body = json!({"token": ex["token"], "key": ex["key"]});
            if let Some(vk) = ex.get("verify_key") {
                body["verify_key"] = vk.clone();
            }
            let (_, d) = call(&app, "/api/decrypt", body).await;
            assert_eq!(d["decrypted"], true, "{}: {d}", ex["label"]);
            if ex.get("verify_key").is_some() {
                assert_eq!(d["plaintext_kind"], "jwt");
                assert_eq!(d["inner"]["header"]["alg"], "ES256");
                assert_eq!(d["inner_verification"]["verified"], true, "{d}");
            } else {
                assert_eq!(d["plaintext_kind"], "json");
            }
            // The wrong key: the uniform decryption failure.
            let wrong = Jwk::generate_jwe(tessera_jose::JweAlg::Dir)
                .unwrap()
                .to_json();
            let (_, d) = call(
                &app,
                "/api/decrypt",
                json!({"token": ex["token"], "key": {"text": wrong}}),
            )
            .await;
            assert_eq!(d["decrypted"], false, "{d}");
        }
    }
    // A password (PBES2).
    let enc = tessera_jose::jwe::Encrypter::password(
        b"correct horse battery staple",
        tessera_jose::JweAlg::Pbes2Hs256A128KW,
    )
    .unwrap();
    let jwe = tessera_jose::jwe::JweBuilder::new(b"{\"sub\":\"pw\"}", tessera_jose::Enc::A128Gcm)
        .protected(Header::empty())
        .recipient(&enc)
        .compact()
        .unwrap();
    let (_, d) = call(
        &app,
        "/api/decrypt",
        json!({"token": jwe, "password": "correct horse battery staple"}),
    )
    .await;
    assert_eq!(d["decrypted"], true, "{d}");
    assert_eq!(d["alg"], "PBES2-HS256+A128KW");
    let (_, d) = call(
        &app,
        "/api/decrypt",
        json!({"token": jwe, "password": "wrong"}),
    )
    .await;
    assert_eq!(d["decrypted"], false, "{d}");
    assert_eq!(d["code"], "decryption_failed");
}

#[tokio::test]
async fn a_certificate_verifies_what_its_key_signed() {
    // The certificate is made by the openssl CLI (installed by .ci/run for the interop tests).
    let dir = tempfile::tempdir().unwrap();
    let Some(certs) = testkit::test_certificate(dir.path()) else {
        return;
    };
    let (key, cert) = (certs.key, certs.cert);
    let signing = Jwk::import(&std::fs::read(&key).unwrap()).unwrap();
    let token = fresh()
        .sign(&JwtSigner::new(
            Signer::new(&signing, JwsAlg::ES256).unwrap(),
        ))
        .unwrap();
    let pem = std::fs::read_to_string(&cert).unwrap();
    let app = standalone();
    let (_, v) = call(
        &app,
        "/api/verify",
        json!({"token": token, "key": {"text": pem}}),
    )
    .await;
    assert_eq!(v["verified"], true, "{v}");
    // Another certificate's key does not.
    let other = Jwk::generate(JwsAlg::ES256).unwrap();
    let forged = fresh()
        .sign(&JwtSigner::new(Signer::new(&other, JwsAlg::ES256).unwrap()))
        .unwrap();
    let (_, v) = call(
        &app,
        "/api/verify",
        json!({"token": forged, "key": {"text": pem}}),
    )
    .await;
    assert_eq!(v["code"], "signature_invalid", "{v}");
}
