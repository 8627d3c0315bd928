//! The guard's two ways of seeing revocations, against an issuer on loopback whose answers the
//! test controls: status lists (valid, revoked, suspended, a token without a status, a list
//! URI outside the issuer, an index past the end, the list gone: refused with 503 unless
//! fail-open, a stale list used within its bound) and introspection (an active answer kept no
//! longer than the bound, an inactive one never kept as active, the issuer down: 503 unless
//! fail-open).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::routing::{get, post};
use serde_json::json;
use tessera_guard::{
    CacheOptions, Guard, Introspection, IntrospectionOptions, Keys, Rejection, RemoteVerifier,
    StatusLists, StatusOptions,
};
use tessera_jose::jws::{Header, Signer};
use tessera_jose::jwt::JwtSigner;
use tessera_jose::status::{ListTimes, Status, StatusList};
use tessera_jose::{Jwk, JwkSet, JwsAlg};

#[derive(Default)]
struct Issuer {
    /// The list's token, or None: the list answers 500.
    list: Mutex<Option<String>>,
    active: AtomicBool,
    introspections: AtomicU32,
    down: AtomicBool,
}

struct Setup {
    base: String,
    key: Jwk,
    issuer: Arc<Issuer>,
}

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

async fn issuer() -> Setup {
    let key = Jwk::generate(JwsAlg::ES256).unwrap().with_kid("k1");
    let jwks = JwkSet::from(key.to_public().unwrap()).to_json();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let state = Arc::new(Issuer::default());
    let (s1, s2, b) = (Arc::clone(&state), Arc::clone(&state), base.clone());
    let app = Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(move || {
                let b = b.clone();
                async move {
                    axum::Json(json!({"issuer": b, "jwks_uri": format!("{b}/jwks"),
                        "introspection_endpoint": format!("{b}/introspect")}))
                }
            }),
        )
        .route("/jwks", get(move || async move { jwks.clone() }))
        .route(
            "/status/1",
            get(move || async move {
                match s1.list.lock().unwrap().clone() {
                    Some(t) => (StatusCode::OK, t),
                    None => (StatusCode::INTERNAL_SERVER_ERROR, String::new()),
                }
            }),
        )
        .route(
            "/introspect",
            post(move |headers: HeaderMap| async move {
                s2.introspections.fetch_add(1, Ordering::SeqCst);
                assert!(headers.contains_key(header::AUTHORIZATION));
                if s2.down.load(Ordering::SeqCst) {
                    return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({})));
                }
                (
                    StatusCode::OK,
                    axum::Json(json!({"active": s2.active.load(Ordering::SeqCst)})),
                )
            }),
        );
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    Setup {
        base,
        key,
        issuer: state,
    }
}

impl Setup {
    fn signer(&self, typ: &str) -> JwtSigner {
        JwtSigner::with_header(
            Signer::new(&self.key, JwsAlg::ES256).unwrap(),
            Header::new(JwsAlg::ES256).typ(typ),
        )
        .unwrap()
    }

    /// Publishes a list of 64 tokens with these statuses set, cacheable for `ttl` seconds.
    fn publish(&self, set: &[(u64, Status)], ttl: u64) {
        let mut list = StatusList::new(2, 64).unwrap();
        for (i, s) in set {
            list.set(*i, *s).unwrap();
        }
        let t = now();
        let token = tessera_jose::status::sign_list(
            &self.signer(tessera_jose::status::TYP),
            Some(&self.base),
            &format!("{}/status/1", self.base),
            &list,
            &ListTimes {
                iat: t,
                exp: Some(t + 600),
                ttl: Some(ttl),
            },
        )
        .unwrap();
        *self.issuer.list.lock().unwrap() = Some(token);
    }

    fn token(&self, status: Option<(u64, String)>) -> String {
        let t = now();
        let mut claims = json!({"iss": self.base, "aud": "api://orders", "sub": "s", "client_id": "c",
            "iat": t, "exp": t + 300, "jti": "j"});
        if let Some((idx, uri)) = status {
            claims["status"] = json!({"status_list": {"idx": idx, "uri": uri}});
        }
        self.signer("at+jwt").sign(&claims).unwrap()
    }

    /// A token whose `status` has another mechanism only.
    fn other_mechanism(&self) -> String {
        let t = now();
        let claims = json!({"iss": self.base, "aud": "api://orders", "sub": "s", "client_id": "c",
            "iat": t, "exp": t + 300, "jti": "j", "status": {"identifier_list": {"id": "1"}}});
        self.signer("at+jwt").sign(&claims).unwrap()
    }

    fn at(&self, idx: u64) -> String {
        self.token(Some((idx, format!("{}/status/1", self.base))))
    }

    async fn keys(&self) -> RemoteVerifier {
        RemoteVerifier::access_tokens(&self.base, "api://orders", CacheOptions::default())
            .await
            .unwrap()
    }

    async fn guard_with_lists(&self, options: StatusOptions) -> Guard {
        let lists = StatusLists::discover(&self.base, CacheOptions::default(), options)
            .await
            .unwrap();
        Guard::builder(Keys::Remote(self.keys().await))
            .status_lists(lists)
            .build()
    }

    async fn guard_with_introspection(&self, options: IntrospectionOptions) -> Guard {
        let i = Introspection::discover(&self.base, "api", "s3cret:&", options)
            .await
            .unwrap();
        assert!(!format!("{i:?}").contains("s3cret"), "no secret in Debug");
        Guard::builder(Keys::Remote(self.keys().await))
            .introspection(i)
            .build()
    }
}

async fn check(g: &Guard, token: &str) -> Result<(), Rejection> {
    let mut h = HeaderMap::new();
    h.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    let uri: Uri = "/orders".parse().unwrap();
    g.check("GET", &uri, &h, &[]).await.map(|_| ())
}

#[tokio::test]
async fn status_lists_refuse_what_is_not_valid_and_fail_closed() {
    let s = issuer().await;
    s.publish(&[(3, Status::INVALID), (5, Status::SUSPENDED)], 1);
    let g = s.guard_with_lists(StatusOptions::default()).await;
    assert_eq!(check(&g, &s.at(1)).await, Ok(()));
    let revoked = Err(Rejection::InvalidToken("the access token was revoked"));
    assert_eq!(check(&g, &s.at(3)).await, revoked);
    assert_eq!(check(&g, &s.at(5)).await, revoked, "suspended is not valid");
    assert_eq!(
        check(&g, &s.token(None)).await,
        Err(Rejection::InvalidToken("the access token has no status"))
    );
    let unusable = Err(Rejection::InvalidToken(
        "the access token's status cannot be checked",
    ));
    assert_eq!(check(&g, &s.at(64)).await, unusable, "past the end");
    // Another status mechanism only: no status list to check here; a guard that does not
    // check lists takes the token.
    assert_eq!(
        check(&g, &s.other_mechanism()).await,
        Err(Rejection::InvalidToken("the access token has no status"))
    );
    let plain = Guard::builder(Keys::Remote(s.keys().await)).build();
    assert_eq!(check(&plain, &s.other_mechanism()).await, Ok(()));
    assert_eq!(check(&plain, &s.at(3)).await, Ok(()), "lists not checked");
    // A list elsewhere is never fetched.
    for uri in [
        "https://evil.example/status/1".to_owned(),
        format!("{}x/status/1", s.base),
    ] {
        assert_eq!(check(&g, &s.token(Some((1, uri)))).await, unusable);
    }
    // Revoked at the issuer: refused once the cached list is older than its ttl (1 s).
    s.publish(&[(1, Status::INVALID)], 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(check(&g, &s.at(1)).await, revoked);
    assert_eq!(check(&g, &s.at(3)).await, Ok(()), "and un-revoked");
    // A list that does not verify (another key signed it): the issuer's fault, not the
    // token's: 503 for a guard without a list in hand.
    let forged_key = Jwk::generate(JwsAlg::ES256).unwrap().with_kid("k1");
    let t = now();
    let forged = tessera_jose::status::sign_list(
        &JwtSigner::with_header(
            Signer::new(&forged_key, JwsAlg::ES256).unwrap(),
            Header::new(JwsAlg::ES256).typ(tessera_jose::status::TYP),
        )
        .unwrap(),
        Some(&s.base),
        &format!("{}/status/1", s.base),
        &StatusList::new(2, 64).unwrap(),
        &ListTimes {
            iat: t,
            exp: Some(t + 600),
            ttl: Some(1),
        },
    )
    .unwrap();
    let good = s.issuer.list.lock().unwrap().replace(forged);
    let fresh = s.guard_with_lists(StatusOptions::default()).await;
    assert_eq!(check(&fresh, &s.at(3)).await, Err(Rejection::Unavailable));
    *s.issuer.list.lock().unwrap() = good;
    // The list gone: the stale one serves within stale_if_error; past it, 503.
    *s.issuer.list.lock().unwrap() = None;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(check(&g, &s.at(3)).await, Ok(()), "stale within the bound");
    let strict = s
        .guard_with_lists(StatusOptions {
            stale_if_error: Duration::ZERO,
            ..StatusOptions::default()
        })
        .await;
    assert_eq!(check(&strict, &s.at(3)).await, Err(Rejection::Unavailable));
    let lax = s
        .guard_with_lists(StatusOptions {
            fail_open: true,
            allow_missing: true,
            ..StatusOptions::default()
        })
        .await;
    assert_eq!(check(&lax, &s.at(3)).await, Ok(()), "fail open");
    assert_eq!(check(&lax, &s.token(None)).await, Ok(()), "allow_missing");
}

#[tokio::test]
async fn introspection_answers_are_kept_briefly_and_inactive_never_as_active() {
    let s = issuer().await;
    s.issuer.active.store(true, Ordering::SeqCst);
    let g = s
        .guard_with_introspection(IntrospectionOptions {
            cache_for: Duration::from_millis(500),
            ..IntrospectionOptions::default()
        })
        .await;
    let t = s.token(None);
    assert_eq!(check(&g, &t).await, Ok(()));
    assert_eq!(check(&g, &t).await, Ok(()));
    assert_eq!(s.issuer.introspections.load(Ordering::SeqCst), 1, "kept");
    s.issuer.active.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let revoked = Err(Rejection::InvalidToken("the access token was revoked"));
    assert_eq!(check(&g, &t).await, revoked, "asked again after the bound");
    s.issuer.active.store(true, Ordering::SeqCst);
    assert_eq!(check(&g, &t).await, revoked, "inactive is kept as inactive");
    assert_eq!(s.issuer.introspections.load(Ordering::SeqCst), 2);
    // The issuer down: 503, or accepted with fail_open.
    s.issuer.down.store(true, Ordering::SeqCst);
    let other = s.token(Some((1, "x".into())));
    assert_eq!(check(&g, &other).await, Err(Rejection::Unavailable));
    let lax = s
        .guard_with_introspection(IntrospectionOptions {
            fail_open: true,
            ..IntrospectionOptions::default()
        })
        .await;
    assert_eq!(check(&lax, &other).await, Ok(()));
}
