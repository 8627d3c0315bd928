//! The middleware through `oneshot`: every RFC 6750 and RFC 9449 error case with its exact status
//! and `WWW-Authenticate` header, scopes per route, DPoP binding and downgrade, nonces, and the
//! verified claims reaching the handler.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use serde_json::{Value, json};
use tessera_guard::{AccessToken, Claims, Guard, Keys};
use tessera_jose::dpop::{Proof, ProofVerifier};
use tessera_jose::jwk::ThumbprintHash;
use tessera_jose::jws::{Header, Signer};
use tessera_jose::jwt::{JwtSigner, Verifier};
use tessera_jose::{Jwk, JwkSet, JwsAlg};
use tower::ServiceExt as _;

const ISS: &str = "https://auth.example.com";
const ORIGIN: &str = "https://api.example.com";

struct Setup {
    issuer_key: Jwk,
    guard: Guard,
}

fn setup(nonce: bool) -> Setup {
    let issuer_key = Jwk::generate(JwsAlg::ES256).unwrap();
    let verifier = Verifier::builder(JwkSet::from(issuer_key.to_public().unwrap()))
        .algorithms([JwsAlg::ES256])
        .issuer(ISS)
        .audience("api://orders")
        .typ("at+jwt")
        .build()
        .unwrap();
    let mut b = Guard::builder(Keys::Local(Box::new(verifier)))
        .realm("orders")
        .dpop(ORIGIN, ProofVerifier::builder().build().unwrap());
    if nonce {
        b = b.require_dpop_nonce(Duration::from_secs(300));
    }
    Setup {
        issuer_key,
        guard: b.build(),
    }
}

#[derive(serde::Deserialize)]
struct OrderClaims {
    sub: String,
}

fn app(g: &Guard) -> Router {
    Router::new()
        .route(
            "/orders",
            get(|t: AccessToken| async move { format!("orders for {}", t.subject().unwrap_or("?")) })
                .route_layer(g.layer(["orders:read"])),
        )
        .route(
            "/admin",
            get(|Claims(c): Claims<OrderClaims>| async move { format!("admin {}", c.sub) })
                .route_layer(g.layer(["orders:read", "orders:admin"])),
        )
}

fn access_token(s: &Setup, scope: &str, extra: Value) -> String {
    let signer = JwtSigner::with_header(
        Signer::new(&s.issuer_key, JwsAlg::ES256).unwrap(),
        Header::new(JwsAlg::ES256).typ("at+jwt"),
    )
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut claims = json!({"iss": ISS, "aud": "api://orders", "sub": "svc-1", "client_id": "svc-1",
        "scope": scope, "iat": now, "exp": now + 300, "jti": "t1"});
    if let (Value::Object(c), Value::Object(e)) = (&mut claims, extra) {
        c.extend(e);
    }
    signer.sign(&claims).unwrap()
}

async fn call(
    app: &Router,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Vec<String>, Option<String>, String) {
    let mut req = Request::get(path).header("host", "api.example.com");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let challenges = resp
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let nonce = resp
        .headers()
        .get("dpop-nonce")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = String::from_utf8(
        axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    (status, challenges, nonce, body)
}

const DPOP_ALGS: &str = "DPoP algs=\"ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256\"";

#[tokio::test]
async fn bearer_tokens_per_rfc6750() {
    let s = setup(false);
    let app = app(&s.guard);
    let good = access_token(&s, "orders:read", json!({}));
    // A valid token reaches the handler.
    let (status, _, _, body) = call(
        &app,
        "/orders",
        &[("authorization", &format!("Bearer {good}"))],
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "orders for svc-1")
    );
    // No token: 401, challenges without error (RFC 6750 §3.1).
    let (status, ch, _, _) = call(&app, "/orders", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(ch, ["Bearer realm=\"orders\"", DPOP_ALGS]);
    // An unknown scheme counts as no token.
    let (status, ch, _, _) = call(&app, "/orders", &[("authorization", "Basic YTpi")]).await;
    assert_eq!(
        (status, ch[0].as_str()),
        (StatusCode::UNAUTHORIZED, "Bearer realm=\"orders\"")
    );
    // A bad token: 401 invalid_token, the same description whatever is wrong with it.
    for bad in [
        "garbage",
        &good[..good.len() - 3],
        &access_token(&s, "orders:read", json!({"iss": "https://evil"})),
    ] {
        let (status, ch, _, _) = call(
            &app,
            "/orders",
            &[("authorization", &format!("Bearer {bad}"))],
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            ch[0],
            "Bearer realm=\"orders\", error=\"invalid_token\", error_description=\"the access token is invalid\""
        );
    }
    let expired = access_token(&s, "orders:read", json!({"exp": 1_000_000_000}));
    let (_, ch, _, _) = call(
        &app,
        "/orders",
        &[("authorization", &format!("Bearer {expired}"))],
    )
    .await;
    assert_eq!(
        ch[0],
        "Bearer realm=\"orders\", error=\"invalid_token\", error_description=\"the access token expired\""
    );
    // Malformed requests: 400 invalid_request.
    for value in ["Bearer", "Bearer a b", "Bearer  ", "Bearer t\u{e9}"] {
        let req = Request::get("/orders").header("authorization", value.as_bytes());
        let resp = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{value}");
        assert!(
            resp.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("error=\"invalid_request\"")
        );
    }
    let two = Request::get("/orders")
        .header("authorization", format!("Bearer {good}"))
        .header("authorization", format!("Bearer {good}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.clone().oneshot(two).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    // The query string is not a token source unless enabled.
    let (status, _, _, _) = call(&app, &format!("/orders?access_token={good}"), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Insufficient scope: 403 naming the required scopes.
    let (status, ch, _, _) = call(
        &app,
        "/admin",
        &[("authorization", &format!("Bearer {good}"))],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        ch[0],
        "Bearer realm=\"orders\", error=\"insufficient_scope\", error_description=\"the access token lacks a required scope\", scope=\"orders:read orders:admin\""
    );
    // `scp` arrays count as scopes; the typed extractor gets the claims.
    let admin = access_token(
        &s,
        "",
        json!({"scope": null, "scp": ["orders:read", "orders:admin"]}),
    );
    let (status, _, _, body) = call(
        &app,
        "/admin",
        &[("authorization", &format!("Bearer {admin}"))],
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "admin svc-1"));
}

#[tokio::test]
async fn cookies_and_query_only_when_enabled() {
    let s = setup(false);
    let verifier = Verifier::builder(JwkSet::from(s.issuer_key.to_public().unwrap()))
        .algorithms([JwsAlg::ES256])
        .issuer(ISS)
        .audience("api://orders")
        .build()
        .unwrap();
    let g = Guard::builder(Keys::Local(Box::new(verifier)))
        .cookie("at")
        .allow_query_token()
        .build();
    let app = app(&g);
    let good = access_token(&s, "orders:read", json!({}));
    assert_eq!(
        call(&app, "/orders", &[("cookie", &format!("x=1; at={good}"))])
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        call(&app, &format!("/orders?access_token={good}"), &[])
            .await
            .0,
        StatusCode::OK
    );
    // Two sources at once is a malformed request.
    let (status, _, _, _) = call(
        &app,
        &format!("/orders?access_token={good}"),
        &[("cookie", &format!("at={good}"))],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn dpop_bound_tokens_per_rfc9449() {
    let s = setup(false);
    let app = app(&s.guard);
    let client_key = Jwk::generate(JwsAlg::ES256).unwrap();
    let jkt = client_key.thumbprint(ThumbprintHash::Sha256);
    let bound = access_token(&s, "orders:read", json!({"cnf": {"jkt": jkt}}));
    let proof = |htm: &str, path: &str, token: &str| {
        Proof::new(&client_key, JwsAlg::ES256)
            .unwrap()
            .access_token(token)
            .sign(htm, &format!("{ORIGIN}{path}"))
            .unwrap()
    };
    // A bound token with its proof reaches the handler.
    let p = proof("GET", "/orders", &bound);
    let (status, _, _, body) = call(
        &app,
        "/orders",
        &[("authorization", &format!("DPoP {bound}")), ("dpop", &p)],
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "orders for svc-1")
    );
    // The same proof again: a replay.
    let (status, ch, _, _) = call(
        &app,
        "/orders",
        &[("authorization", &format!("DPoP {bound}")), ("dpop", &p)],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        ch,
        [format!(
            "{DPOP_ALGS}, error=\"invalid_dpop_proof\", error_description=\"the proof was used before\""
        )]
    );
    // Downgrade: a bound token presented as a bearer token.
    let (status, ch, _, _) = call(
        &app,
        "/orders",
        &[("authorization", &format!("Bearer {bound}"))],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(ch[0].contains("error=\"invalid_token\""), "{ch:?}");
    // No proof, two proofs, a proof for another request, another token, another key.
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (vec![], "a DPoP proof is required"),
        (
            vec![
                ("dpop", proof("GET", "/orders", &bound)),
                ("dpop", proof("GET", "/orders", &bound)),
            ],
            "more than one DPoP proof",
        ),
        (
            vec![("dpop", proof("POST", "/orders", &bound))],
            "the proof is for another request",
        ),
        (
            vec![("dpop", proof("GET", "/other", &bound))],
            "the proof is for another request",
        ),
        (
            vec![("dpop", proof("GET", "/orders", "another-token"))],
            "the proof is for another access token",
        ),
        (
            vec![(
                "dpop",
                Proof::new(&Jwk::generate(JwsAlg::ES256).unwrap(), JwsAlg::ES256)
                    .unwrap()
                    .access_token(&bound)
                    .sign("GET", &format!("{ORIGIN}/orders"))
                    .unwrap(),
            )],
            "the proof key is not the one the token is bound to",
        ),
        (
            vec![("dpop", "not.a.proof".into())],
            "the DPoP proof is invalid",
        ),
    ];
    for (extra, description) in cases {
        let auth = format!("DPoP {bound}");
        let mut headers: Vec<(&str, &str)> = vec![("authorization", &auth)];
        headers.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
        let (status, ch, _, _) = call(&app, "/orders", &headers).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{description}");
        assert_eq!(
            ch,
            [format!(
                "{DPOP_ALGS}, error=\"invalid_dpop_proof\", error_description=\"{description}\""
            )]
        );
    }
    // The DPoP scheme with a token that is not bound.
    let plain = access_token(&s, "orders:read", json!({}));
    let (status, ch, _, _) = call(
        &app,
        "/orders",
        &[
            ("authorization", &format!("DPoP {plain}")),
            ("dpop", &proof("GET", "/orders", &plain)),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(ch[0].contains("error=\"invalid_token\""));
}

#[tokio::test]
async fn dpop_nonces() {
    let s = setup(true);
    let app = app(&s.guard);
    let client_key = Jwk::generate(JwsAlg::EdDSA).unwrap();
    let bound = access_token(
        &s,
        "orders:read",
        json!({"cnf": {"jkt": client_key.thumbprint(ThumbprintHash::Sha256)}}),
    );
    let auth = format!("DPoP {bound}");
    let first = Proof::new(&client_key, JwsAlg::EdDSA)
        .unwrap()
        .access_token(&bound)
        .sign("GET", &format!("{ORIGIN}/orders"))
        .unwrap();
    let (status, ch, nonce, _) = call(
        &app,
        "/orders",
        &[("authorization", &auth), ("dpop", &first)],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        ch,
        [format!(
            "{DPOP_ALGS}, error=\"use_dpop_nonce\", error_description=\"Authorization server requires nonce in DPoP proof\""
        )]
    );
    let nonce = nonce.expect("a DPoP-Nonce header");
    let second = Proof::new(&client_key, JwsAlg::EdDSA)
        .unwrap()
        .access_token(&bound)
        .nonce(nonce)
        .sign("GET", &format!("{ORIGIN}/orders"))
        .unwrap();
    let (status, _, _, _) = call(
        &app,
        "/orders",
        &[("authorization", &auth), ("dpop", &second)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

fn token_with_typ(s: &Setup, typ: Option<&str>) -> String {
    let mut header = Header::new(JwsAlg::ES256);
    if let Some(t) = typ {
        header = header.typ(t);
    }
    let signer =
        JwtSigner::with_header(Signer::new(&s.issuer_key, JwsAlg::ES256).unwrap(), header).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    signer
        .sign(
            &json!({"iss": ISS, "aud": "api://orders", "sub": "svc-1", "scope": "orders:read",
            "iat": now, "exp": now + 300}),
        )
        .unwrap()
}

#[tokio::test]
async fn only_typed_access_tokens_by_default() {
    // The verifier the caller gives does not check typ: the guard does, by default.
    let issuer_key = Jwk::generate(JwsAlg::ES256).unwrap();
    let verifier = || {
        Verifier::builder(JwkSet::from(issuer_key.to_public().unwrap()))
            .algorithms([JwsAlg::ES256])
            .issuer(ISS)
            .audience("api://orders")
            .build()
            .unwrap()
    };
    let s = Setup {
        issuer_key: issuer_key.clone(),
        guard: Guard::builder(Keys::Local(Box::new(verifier()))).build(),
    };
    let strict = app(&s.guard);
    let lax = app(&Guard::builder(Keys::Local(Box::new(verifier())))
        .accept_untyped_tokens()
        .build());
    for (typ, typed) in [
        (Some("at+jwt"), true),
        (Some("application/AT+JWT"), true),
        (Some("JWT"), false),
        (None, false),
    ] {
        let token = token_with_typ(&s, typ);
        let auth = format!("Bearer {token}");
        let (status, ch, _, _) = call(&strict, "/orders", &[("authorization", &auth)]).await;
        if typed {
            assert_eq!(status, StatusCode::OK, "{typ:?}");
        } else {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{typ:?}");
            assert!(ch[0].contains("not an access token"), "{ch:?}");
        }
        let (status, _, _, _) = call(&lax, "/orders", &[("authorization", &auth)]).await;
        assert_eq!(status, StatusCode::OK, "{typ:?}");
    }
}

#[tokio::test]
async fn confirmation_methods_the_guard_cannot_check_are_refused() {
    let s = setup(false);
    let app = app(&s.guard);
    for cnf in [
        json!({"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}),
        json!({"jwk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}}),
        json!({"jkt": "abc", "x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}),
        json!({"kid": "k1"}),
        json!({}),
        json!({"jkt": 5}),
    ] {
        let token = access_token(&s, "orders:read", json!({ "cnf": cnf }));
        let (status, ch, _, _) = call(
            &app,
            "/orders",
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{cnf}");
        assert!(ch[0].contains("cannot check"), "{cnf}: {ch:?}");
    }
}

#[tokio::test]
async fn dpop_htu_is_the_public_origin_and_the_original_path() {
    let s = setup(false);
    // The API is nested under /v1: the handler sees /orders, the client called /v1/orders.
    let nested = Router::new().nest("/v1", app(&s.guard));
    let client_key = Jwk::generate(JwsAlg::ES256).unwrap();
    let jkt = client_key.thumbprint(ThumbprintHash::Sha256);
    let bound = access_token(&s, "orders:read", json!({"cnf": {"jkt": jkt}}));
    let proof = |htu: &str| {
        Proof::new(&client_key, JwsAlg::ES256)
            .unwrap()
            .access_token(&bound)
            .sign("GET", htu)
            .unwrap()
    };
    let auth = format!("DPoP {bound}");
    let ok = proof(&format!("{ORIGIN}/v1/orders"));
    let (status, _, _, body) = call(
        &nested,
        "/v1/orders",
        &[("authorization", &auth), ("dpop", &ok)],
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "orders for svc-1")
    );
    // The stripped path, or an origin taken from a Host header the client chose, is refused.
    for htu in [
        format!("{ORIGIN}/orders"),
        "http://evil.example/v1/orders".to_owned(),
        "http://api.example.com/v1/orders".to_owned(),
    ] {
        let p = proof(&htu);
        let mut req = Request::get("/v1/orders")
            .header("host", "evil.example")
            .header("authorization", &auth)
            .header("dpop", &p);
        req = req.header("x-forwarded-host", "evil.example");
        let resp = nested
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{htu}");
        let ch = resp.headers()["www-authenticate"].to_str().unwrap();
        assert!(ch.contains("another request"), "{htu}: {ch}");
    }
}

/// A `Write` into a shared buffer, for reading what the guard logged.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The client is told little; the operator's debug log says what the token had beside what was
/// expected.
#[tokio::test(flavor = "current_thread")]
async fn rejections_are_explained_in_the_debug_log() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let s = setup(false);
    let app = app(&s.guard);
    let other = access_token(&s, "orders:read", json!({"aud": "api://billing"}));
    let (status, challenges, _, _) = call(
        &app,
        "/orders",
        &[("authorization", &format!("Bearer {other}"))],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        !challenges.iter().any(|c| c.contains("api://orders")),
        "the client is not told what is expected: {challenges:?}"
    );
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("access token rejected")
            && log.contains("the token's aud is `api://billing`; expected `api://orders`"),
        "{log}"
    );
}

/// RFC 9470: a route that requires a level or a recent sign-in answers a token that falls
/// short with 401 `insufficient_user_authentication` naming what would do; the scope check
/// comes first, and a token that satisfies the route reaches the handler.
#[tokio::test]
async fn step_up_per_rfc9470() {
    const MFA: &str = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
    const PR: &str = "http://schemas.openid.net/pape/policies/2007/06/phishing-resistant";
    let s = setup(false);
    let app = Router::new()
        .route(
            "/transfer",
            get(|| async { "moved" }).route_layer(
                s.guard
                    .layer(["orders:write"])
                    .require_acr([PR, MFA])
                    .require_auth_within(Duration::from_secs(300)),
            ),
        )
        .route(
            "/recent",
            get(|| async { "recent" }).route_layer(
                s.guard
                    .layer(["orders:read"])
                    .require_auth_within(Duration::from_secs(60)),
            ),
        );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let bearer = |t: &str| format!("Bearer {t}");
    let both = format!(
        "Bearer realm=\"orders\", error=\"insufficient_user_authentication\", error_description=\"a stronger or more recent sign-in is required\", acr_values=\"{PR} {MFA}\", max_age=300"
    );
    // A password sign-in: the level falls short.
    let pwd = access_token(
        &s,
        "orders:write",
        json!({"acr": "urn:tessera:acr:password", "amr": ["pwd"], "auth_time": now - 10}),
    );
    let (status, ch, _, _) = call(&app, "/transfer", &[("authorization", &bearer(&pwd))]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(ch[0], both);
    assert!(ch[1].starts_with("DPoP algs="), "{ch:?}");
    assert!(ch[1].contains("error=\"insufficient_user_authentication\""));
    // Two factors, recently: through.
    let mfa = access_token(
        &s,
        "orders:write",
        json!({"acr": MFA, "amr": ["pwd", "otp", "mfa"], "auth_time": now - 10}),
    );
    let (status, _, _, body) = call(&app, "/transfer", &[("authorization", &bearer(&mfa))]).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "moved"));
    // Two factors, but long ago: max_age falls short.
    let old = access_token(
        &s,
        "orders:write",
        json!({"acr": MFA, "auth_time": now - 301}),
    );
    let (status, ch, _, _) = call(&app, "/transfer", &[("authorization", &bearer(&old))]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(ch[0], both);
    // A machine's token has no sign-in at all.
    let machine = access_token(&s, "orders:write", json!({}));
    let (status, _, _, _) = call(&app, "/transfer", &[("authorization", &bearer(&machine))]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The scope is checked first: 403 insufficient_scope, not a step-up.
    let no_scope = access_token(&s, "orders:read", json!({"acr": MFA, "auth_time": now}));
    let (status, ch, _, _) =
        call(&app, "/transfer", &[("authorization", &bearer(&no_scope))]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(ch[0].contains("insufficient_scope"));
    // Recency alone: max_age without acr_values.
    let fresh = access_token(&s, "orders:read", json!({"auth_time": now - 10}));
    let (status, ch, _, _) = call(&app, "/recent", &[("authorization", &bearer(&fresh))]).await;
    assert_eq!(status, StatusCode::OK, "{ch:?}");
    let stale = access_token(&s, "orders:read", json!({"auth_time": now - 61}));
    let (status, ch, _, _) = call(&app, "/recent", &[("authorization", &bearer(&stale))]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        ch[0],
        "Bearer realm=\"orders\", error=\"insufficient_user_authentication\", error_description=\"a stronger or more recent sign-in is required\", max_age=60"
    );
    // An auth_time in the future (beyond a minute of skew) is not recent, it is wrong.
    let future = access_token(&s, "orders:read", json!({"auth_time": now + 3600}));
    let (status, _, _, _) = call(&app, "/recent", &[("authorization", &bearer(&future))]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
