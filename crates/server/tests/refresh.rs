//! Refresh tokens: rotation, the grace that keeps retries and races from logging anyone out,
//! reuse outside it taken for theft (the family and its access tokens revoked, an event with
//! the address), lifetimes, scope narrowing, what ends a family, RFC 7009 revocation, DPoP
//! binding, and the race of 8 concurrent refreshes of each of 1,000 families. The families are
//! made in the store as the code grant makes them (the code grant's own is tested over HTTP in
//! `authorize.rs`); the clock is the test's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{ISSUER, Service, T0};
use serde_json::Value;
use tessera_server::admin::{ClientSpec, NewCredentials, NewUser};
use tessera_server::grants::person::refresh_hash;
use tessera_store::{RefreshFamily, Session, Store};

struct Setup {
    s: Service,
    app: NewCredentials,
    api: NewCredentials,
    user_id: String,
}

async fn setup(extra: &[(&str, &str)], spec: ClientSpec) -> Setup {
    setup_on(common::service_set(extra).await, spec).await
}

/// The app (a client that may refresh, with `spec` on top), the API and Ada, on `s`.
async fn setup_on(s: Service, spec: ClientSpec) -> Setup {
    let app = s
        .admin
        .create_client(ClientSpec {
            name: Some("Orders App".into()),
            scopes: Some(vec!["orders:read".into(), "orders:write".into()]),
            audiences: Some(vec!["api://orders".into()]),
            redirect_uris: Some(vec!["https://app.example/cb".into()]),
            grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            ..spec
        })
        .await
        .unwrap();
    // The API, which introspects.
    let api = s.client("orders:read", &["api://orders"]).await;
    let user = s
        .admin
        .create_user(NewUser {
            username: "ada".into(),
            attributes: serde_json::Map::new(),
            groups: Vec::new(),
            password: None,
        })
        .await
        .unwrap();
    s.state.refresh().await.unwrap();
    Setup {
        s,
        app,
        api,
        user_id: user.id,
    }
}

/// A family as the code grant makes it, with its first token; session-bound unless `offline`
/// (then a session is made for it).
async fn family(t: &Setup, offline: bool, jkt: Option<String>) -> (String, RefreshFamily) {
    let now = t.s.state.now();
    family_ending(t, offline, jkt, now + 30 * 86_400, now + 90 * 86_400).await
}

/// The same, ending at these times (idle, absolute) unless used.
async fn family_ending(
    t: &Setup,
    offline: bool,
    jkt: Option<String>,
    idle_expires_at: i64,
    expires_at: i64,
) -> (String, RefreshFamily) {
    let store = t.s.state.store();
    let now = t.s.state.now();
    let session_hash = if offline {
        None
    } else {
        let id_hash = tessera_jose::b64::encode(tessera_jose::secret::random(32).unwrap());
        store
            .insert_session(&Session {
                id_hash: id_hash.clone(),
                user_id: t.user_id.clone(),
                created_ms: now * 1000,
                last_seen: now,
                address: "127.0.0.1".into(),
                user_agent: "test".into(),
                auth: String::new(),
            })
            .await
            .unwrap();
        Some(id_hash)
    };
    let f = RefreshFamily {
        id: tessera_jose::b64::encode(tessera_jose::secret::random(16).unwrap()),
        client_id: t.app.client_id.clone(),
        user_id: t.user_id.clone(),
        scopes: vec!["openid".into(), "orders:read".into()],
        resources: Vec::new(),
        session_hash,
        auth_time: now - 5,
        auth: String::new(),
        jkt,
        created_ms: now * 1000,
        generation: 0,
        grace_until_ms: 0,
        successor: String::new(),
        idle_expires_at,
        expires_at,
        revoked_at: None,
        revoked_reason: None,
    };
    let token = tessera_jose::b64::encode(tessera_jose::secret::random(32).unwrap());
    store
        .create_family(&f, &refresh_hash(&token))
        .await
        .unwrap();
    (token, f)
}

fn form(token: &str, extra: &str) -> String {
    format!(
        "grant_type=refresh_token&refresh_token={}{extra}",
        form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
    )
}

/// A refresh by the confidential app.
async fn refresh(t: &Setup, token: &str, extra: &str) -> (StatusCode, Value) {
    refresh_on(&t.s, &t.app, token, extra).await
}

/// A refresh by `app` at the node `s`.
async fn refresh_on(
    s: &Service,
    app: &NewCredentials,
    token: &str,
    extra: &str,
) -> (StatusCode, Value) {
    let (status, _, v) = s
        .post_form(
            "/oauth2/token",
            &form(token, extra),
            Some((&app.client_id, app.client_secret.as_deref().unwrap())),
        )
        .await;
    (status, v)
}

fn error(v: &Value) -> &str {
    v["error"].as_str().unwrap_or_default()
}

async fn active(t: &Setup, access: &str) -> bool {
    t.s.introspect(&t.api, access).await["active"] == true
}

#[tokio::test]
async fn rotation_with_grace_and_theft() {
    let t = setup(&[], ClientSpec::default()).await;
    let (t0, f) = family(&t, false, None).await;
    let (s, r1) = refresh(&t, &t0, "").await;
    assert_eq!(s, StatusCode::OK, "{r1}");
    let t1 = r1["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(t1, t0, "rotated");
    assert_eq!(t1.len(), 43, "256 random bits");
    assert_eq!(r1["scope"], "openid orders:read");
    let a1 = r1["access_token"].as_str().unwrap().to_owned();
    let claims = tessera_jose::dangerous::decode_unverified(&a1)
        .unwrap()
        .claims
        .unwrap();
    assert_eq!(claims["grant_id"], f.id.as_str());
    assert_eq!(claims["sub"], t.user_id.as_str());
    assert_eq!(claims["auth_time"], T0 - 5);
    let id = tessera_jose::dangerous::decode_unverified(r1["id_token"].as_str().unwrap())
        .unwrap()
        .claims
        .unwrap();
    assert!(id.get("nonce").is_none() && id["sid"].is_string(), "{id:?}");
    assert!(active(&t, &a1).await);

    // The answer was lost: the same token again, within the grace, gets the same live token.
    t.s.clock.advance(2);
    let (s, again) = refresh(&t, &t0, "").await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(
        again["refresh_token"],
        t1.as_str(),
        "one live token, held by both"
    );
    // The live token rotates on.
    let (s, r2) = refresh(&t, &t1, "").await;
    assert_eq!(s, StatusCode::OK, "{r2}");
    let t2 = r2["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        t.s.state
            .store()
            .family(&f.id)
            .await
            .unwrap()
            .unwrap()
            .generation,
        2
    );

    // t0 again, after its successor was used: theft. The family goes, with its access tokens.
    let (s, stolen) = refresh(&t, &t0, "").await;
    assert_eq!(
        (s, error(&stolen)),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    let (s, after) = refresh(&t, &t2, "").await;
    assert_eq!(
        (s, error(&after)),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    assert!(
        !active(&t, &a1).await,
        "the grant's access tokens are inactive"
    );
    assert!(!active(&t, r2["access_token"].as_str().unwrap()).await);
    let events = testkit::events_with(&t.s.admin, &["refresh_token_reuse"]).await;
    let reuse = events
        .iter()
        .find(|e| e.kind == "refresh_token_reuse")
        .expect("an event");
    assert_eq!(reuse.client_id.as_deref(), Some(t.app.client_id.as_str()));
    assert_eq!(reuse.detail["user_id"], t.user_id.as_str());
    assert_eq!(reuse.detail["grant_id"], f.id.as_str());
    assert!(reuse.detail.get("address").is_some() && reuse.detail.get("user_agent").is_some());
    // Unknown tokens and another client's are refused and change nothing.
    let (_, other) = family(&t, true, None).await;
    let (s, v) = refresh(&t, "not-a-token", "").await;
    assert_eq!((s, error(&v)), (StatusCode::BAD_REQUEST, "invalid_grant"));
    let second = t.s.client("orders:read", &["api://orders"]).await;
    let stranger =
        t.s.post_form(
            "/oauth2/token",
            &form("whatever", ""),
            Some((&second.client_id, second.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(
        error(&stranger.2),
        "unauthorized_client",
        "no refresh grant"
    );
    assert!(
        t.s.state
            .store()
            .family(&other.id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_none()
    );
}

#[tokio::test]
async fn the_grace_window_ends() {
    let t = setup(&[("refresh_grace", "5s")], ClientSpec::default()).await;
    let (t0, f) = family(&t, true, None).await;
    let (s, _) = refresh(&t, &t0, "").await;
    assert_eq!(s, StatusCode::OK);
    t.s.clock.advance(6);
    let (s, v) = refresh(&t, &t0, "").await;
    assert_eq!((s, error(&v)), (StatusCode::BAD_REQUEST, "invalid_grant"));
    let stored = t.s.state.store().family(&f.id).await.unwrap().unwrap();
    assert_eq!(stored.revoked_reason.as_deref(), Some("reuse"));
}

/// 8 concurrent refreshes of each of 1,000 families (`TESSERA_RACE_FAMILIES` scales it, to
/// 10,000 for the benchmark's figure): nobody refused, no family revoked, and every family left
/// with one live token that all 8 callers hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_of_a_thousand_families() {
    let t = Arc::new(setup(&[], ClientSpec::default()).await);
    let count: usize = std::env::var("TESSERA_RACE_FAMILIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let mut families = Vec::new();
    for i in 0..count {
        families.push(family(&t, i % 2 == 0, None).await);
    }
    // In waves of 50 families (400 requests at once, within the service's concurrency
    // limit), each family's 8 refreshes sent together.
    let mut held: Vec<Vec<String>> = vec![Vec::new(); families.len()];
    let deadline = std::time::Instant::now()
        + std::time::Duration::from_secs(240 * u64::try_from(count.div_ceil(1000)).unwrap());
    for wave in families.chunks(50).enumerate() {
        let (w, chunk) = wave;
        let mut set = tokio::task::JoinSet::new();
        for (i, (token, _)) in chunk.iter().enumerate() {
            let n = w * 50 + i;
            for _ in 0..8 {
                let (t, token) = (Arc::clone(&t), token.clone());
                set.spawn(async move {
                    let (s, v) = refresh(&t, &token, "").await;
                    (n, s, v["refresh_token"].as_str().map(str::to_owned), v)
                });
            }
        }
        while let Some(done) = set.join_next().await {
            assert!(std::time::Instant::now() < deadline, "too slow");
            let (n, s, live, v) = done.unwrap();
            assert_eq!(s, StatusCode::OK, "family {n}: {v}");
            held[n].push(live.unwrap());
        }
    }
    let store = t.s.state.store();
    for (n, (_, f)) in families.iter().enumerate() {
        assert_eq!(held[n].len(), 8);
        assert!(
            held[n].iter().all(|h| *h == held[n][0]),
            "family {n}: callers hold different tokens"
        );
        let stored = store.family(&f.id).await.unwrap().unwrap();
        assert_eq!(
            (stored.generation, stored.revoked_at),
            (1, None),
            "family {n}: one rotation, not revoked"
        );
    }
    // The live token works.
    let (s, _) = refresh(&t, &held[0][0], "").await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn a_refresh_narrows_the_scope_and_never_widens_it() {
    let t = setup(&[], ClientSpec::default()).await;
    let (t0, _) = family(&t, true, None).await;
    let (s, narrow) = refresh(&t, &t0, "&scope=orders%3Aread").await;
    assert_eq!(s, StatusCode::OK, "{narrow}");
    assert_eq!(narrow["scope"], "orders:read");
    assert!(narrow.get("id_token").is_none(), "no openid, no ID token");
    let t1 = narrow["refresh_token"].as_str().unwrap();
    let (s, wide) = refresh(&t, t1, "&scope=orders%3Aread+orders%3Awrite").await;
    assert_eq!(
        (s, error(&wide)),
        (StatusCode::BAD_REQUEST, "invalid_scope")
    );
    // The grant keeps what was granted.
    let (s, full) = refresh(&t, t1, "").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(full["scope"], "openid orders:read");
}

#[tokio::test]
async fn families_end_idle_and_absolute() {
    let t = setup(
        &[],
        ClientSpec {
            refresh_idle_ttl: Some(60),
            refresh_absolute_ttl: Some(150),
            ..Default::default()
        },
    )
    .await;
    // A family made now with the client's lifetimes (as the code grant makes it).
    let now = T0;
    let (mut token, f) = family_ending(&t, true, None, now + 60, now + 150).await;
    let store = t.s.state.store();
    // Used every 50 s, it lives on (each use moves the idle end) until the absolute end.
    for _ in 0..2 {
        t.s.clock.advance(50);
        let (s, v) = refresh(&t, &token, "").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        token = v["refresh_token"].as_str().unwrap().to_owned();
    }
    let stored = store.family(&f.id).await.unwrap().unwrap();
    assert_eq!(stored.idle_expires_at, (now + 150).min(now + 100 + 60));
    t.s.clock.advance(50);
    let (s, v) = refresh(&t, &token, "").await;
    assert_eq!((s, error(&v)), (StatusCode::BAD_REQUEST, "invalid_grant"));
    assert!(v["error_description"].as_str().unwrap().contains("expired"));
    // Unused for longer than the idle lifetime.
    let (t2, _) = family(&t, true, None).await;
    t.s.clock.advance(30 * 86_400);
    let (s, _) = refresh(&t, &t2, "").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

/// What ends a family: its session (unless offline), a forced logout, a consent removal, the
/// client's tokens revoked, a disabled account.
#[tokio::test]
async fn what_ends_a_family() {
    let t = setup(&[], ClientSpec::default()).await;
    let store = t.s.state.store();
    let (bound, bf) = family(&t, false, None).await;
    let (offline, _) = family(&t, true, None).await;
    store
        .delete_session(bf.session_hash.as_deref().unwrap())
        .await
        .unwrap();
    let (s, v) = refresh(&t, &bound, "").await;
    assert_eq!((s, error(&v)), (StatusCode::BAD_REQUEST, "invalid_grant"));
    let (s, v) = refresh(&t, &offline, "").await;
    assert_eq!(
        s,
        StatusCode::OK,
        "an offline family outlives the session: {v}"
    );
    let offline = v["refresh_token"].as_str().unwrap().to_owned();
    let listed = t.s.admin.user_grants("ada").await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    // The operator's forced logout ends every family begun before it.
    t.s.clock.advance(1);
    t.s.admin.logout_user("ada").await.unwrap();
    let (s, _) = refresh(&t, &offline, "").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(t.s.admin.user_grants("ada").await.unwrap().is_empty());
    // The client's tokens revoked.
    t.s.clock.advance(1);
    let (f3, _) = family(&t, true, None).await;
    t.s.clock.advance(1);
    t.s.admin.revoke_tokens(&t.app.client_id).await.unwrap();
    t.s.state.refresh().await.unwrap();
    let (s, _) = refresh(&t, &f3, "").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The operator revokes one grant by id.
    t.s.clock.advance(1);
    let (f4, g4) = family(&t, true, None).await;
    assert_eq!(
        t.s.admin
            .client_grants(&t.app.client_id)
            .await
            .unwrap()
            .len(),
        1
    );
    t.s.admin.revoke_grant(&g4.id).await.unwrap();
    assert!(t.s.admin.revoke_grant(&g4.id).await.is_err(), "once");
    let (s, _) = refresh(&t, &f4, "").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // A disabled account.
    t.s.clock.advance(1);
    let (f5, _) = family(&t, true, None).await;
    t.s.admin.set_user_enabled("ada", false).await.unwrap();
    let (s, _) = refresh(&t, &f5, "").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

/// RFC 7009: revoking a refresh token revokes its family and the grant's access tokens;
/// another client may not.
#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_family() {
    let t = setup(&[], ClientSpec::default()).await;
    let (t0, f) = family(&t, true, None).await;
    let (_, r) = refresh(&t, &t0, "").await;
    let access = r["access_token"].as_str().unwrap().to_owned();
    let t1 = r["refresh_token"].as_str().unwrap().to_owned();
    let body = format!("token={t1}&token_type_hint=refresh_token");
    let (s, _, v) =
        t.s.post_form(
            "/oauth2/revoke",
            &body,
            Some((&t.api.client_id, t.api.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(
        (s, error(&v)),
        (StatusCode::BAD_REQUEST, "unauthorized_client")
    );
    let (s, _, _) =
        t.s.post_form(
            "/oauth2/revoke",
            &body,
            Some((&t.app.client_id, t.app.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let stored = t.s.state.store().family(&f.id).await.unwrap().unwrap();
    assert_eq!(stored.revoked_reason.as_deref(), Some("revoked"));
    assert!(!active(&t, &access).await);
    let (s, _) = refresh(&t, &t1, "").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

/// A public client's family bound to its DPoP key (RFC 9449 §5) refreshes only with a proof
/// of that key.
#[tokio::test]
async fn a_public_clients_family_is_bound_to_its_dpop_key() {
    use tessera_jose::dpop::Proof;
    use tessera_jose::jwk::ThumbprintHash;
    use tessera_jose::{Jwk, JwsAlg};
    let t = setup(
        &[],
        ClientSpec {
            public: Some(true),
            ..Default::default()
        },
    )
    .await;
    let key = Jwk::generate(JwsAlg::ES256).unwrap();
    let other = Jwk::generate(JwsAlg::ES256).unwrap();
    let (t0, _) = family(&t, true, Some(key.thumbprint(ThumbprintHash::Sha256))).await;
    let send = |token: String, proof_key: Option<&Jwk>| {
        let mut req = Request::post("/oauth2/token")
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(k) = proof_key {
            let p = Proof::new(k, JwsAlg::ES256)
                .unwrap()
                .issued_at(T0)
                .sign("POST", &format!("{ISSUER}/oauth2/token"))
                .unwrap();
            req = req.header("dpop", p);
        }
        req.body(Body::from(format!(
            "{}&client_id={}",
            form(&token, ""),
            t.app.client_id
        )))
        .unwrap()
    };
    for k in [None, Some(&other)] {
        let (s, _, body) = t.s.send(send(t0.clone(), k)).await;
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (s, error(&v)),
            (StatusCode::BAD_REQUEST, "invalid_grant"),
            "{v}"
        );
    }
    let (s, _, body) = t.s.send(send(t0.clone(), Some(&key))).await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["token_type"], "DPoP");
}

/// Two nodes on one PostgreSQL, the same token presented to both at once: one rotation, both
/// callers served with the one live token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_rotate_a_family_once() {
    let Some(db) = common::PgDatabase::create().await else {
        return;
    };
    let pg = tessera_store::SqlStore::postgres(&db.url).await.unwrap();
    pg.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(pg);
    let a = common::service_with(Arc::clone(&store), common::config(&[])).await;
    let b = common::service_with(Arc::clone(&store), common::config(&[])).await;
    let t = setup_on(a, ClientSpec::default()).await;
    b.state.refresh().await.unwrap();
    t.s.state.refresh().await.unwrap();
    for _ in 0..20 {
        let (t0, f) = family(&t, true, None).await;
        let (ra, rb) = tokio::join!(refresh(&t, &t0, ""), refresh_on(&b, &t.app, &t0, ""));
        assert_eq!(
            (ra.0, rb.0),
            (StatusCode::OK, StatusCode::OK),
            "{} {}",
            ra.1,
            rb.1
        );
        assert_eq!(ra.1["refresh_token"], rb.1["refresh_token"]);
        let stored = store.family(&f.id).await.unwrap().unwrap();
        assert_eq!((stored.generation, stored.revoked_at), (1, None));
    }
    drop((t, b));
    db.drop_now().await;
}

/// Each token's bit in its status list, from the list the service publishes (verified with the
/// published keys as an API would).
async fn listed_valid(s: &Service, token: &str) -> bool {
    let claims: Value = serde_json::from_slice(
        &tessera_jose::b64::decode(token.split('.').nth(1).unwrap()).unwrap(),
    )
    .unwrap();
    let r = tessera_jose::status::StatusRef::from_claims(&claims)
        .unwrap()
        .expect("every access token has a status");
    let path = r.uri.strip_prefix(ISSUER).unwrap();
    let (status, headers, body) = s.get(path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        tessera_jose::status::MEDIA_TYPE,
        "the draft's media type"
    );
    let (_, _, jwks) = s.get("/.well-known/jwks.json").await;
    let set = tessera_jose::JwkSet::from_json(std::str::from_utf8(&jwks).unwrap()).unwrap();
    let verifier = tessera_jose::jwt::Verifier::builder(set)
        .algorithms_from_keys()
        .issuer(ISSUER)
        .skip_audience_check()
        .typ(tessera_jose::status::TYP)
        .clock(s.clock.clone())
        .build()
        .unwrap();
    let list = tessera_jose::status::verify_list(
        &verifier,
        std::str::from_utf8(&body).unwrap(),
        &r.uri,
        1 << 22,
    )
    .unwrap();
    assert_eq!(list.times.ttl, Some(10), "status_list_ttl's default");
    list.status(r.idx).unwrap().is_valid()
}

/// Every token's status list bit agrees with introspection.
async fn check(t: &Setup, tokens: &[(&str, String)], label: &str) {
    for (who, tok) in tokens {
        let active = t.s.introspect(&t.api, tok).await["active"] == true;
        assert_eq!(
            listed_valid(&t.s, tok).await,
            active,
            "after {label}: a token of {who} is {} at introspection",
            if active { "active" } else { "inactive" }
        );
    }
}

/// Token Status Lists say what introspection says, for every token, after each way of
/// revoking: RFC 7009, the client's tokens revoked, the client disabled and deleted, a grant
/// revoked, a consent removed, a forced logout, the account disabled and deleted. Before a
/// revocation, nothing is listed as revoked.
#[tokio::test]
async fn status_lists_agree_with_introspection() {
    let t = setup(&[], ClientSpec::default()).await;
    let s = &t.s;
    // A second user and a machine client whose tokens are revoked in their own ways.
    let bob = s
        .admin
        .create_user(NewUser {
            username: "bob".into(),
            attributes: serde_json::Map::new(),
            groups: Vec::new(),
            password: None,
        })
        .await
        .unwrap();
    let machine = s.client("orders:read", &["api://orders"]).await;
    let doomed = s.client("orders:read", &["api://orders"]).await;
    let mut tokens: Vec<(&str, String)> = Vec::new();
    let person_token = |v: &Value| v["access_token"].as_str().unwrap().to_owned();
    // Person tokens, each of its own grant.
    let mut grants = Vec::new();
    for _ in 0..4 {
        let (rt, f) = family(&t, true, None).await;
        let (st, v) = refresh(&t, &rt, "").await;
        assert_eq!(st, StatusCode::OK, "{v}");
        tokens.push(("ada", person_token(&v)));
        // The replaced token again, within the grace: no rotation, but a new access token
        // (its record is written on its own, not with a rotation).
        let (st, again) = refresh(&t, &rt, "").await;
        assert_eq!(st, StatusCode::OK, "{again}");
        assert_eq!(again["refresh_token"], v["refresh_token"]);
        tokens.push(("ada", person_token(&again)));
        grants.push(f);
    }
    for _ in 0..3 {
        tokens.push(("machine", s.token(&machine, "").await));
        tokens.push(("doomed", s.token(&doomed, "").await));
    }
    check(&t, &tokens, "issuing").await;
    assert!(
        {
            let mut all = true;
            for (_, tok) in &tokens {
                all &= listed_valid(s, tok).await;
            }
            all
        },
        "nothing listed before a revocation"
    );
    // Lists are rebuilt at most every second: each step waits that long (real time).
    let step = || tokio::time::sleep(std::time::Duration::from_millis(1100));
    // RFC 7009 of one machine token.
    let machine_at = tokens.iter().position(|(w, _)| *w == "machine").unwrap();
    let (st, _, _) = s
        .post_form(
            "/oauth2/revoke",
            &format!("token={}", tokens[machine_at].1),
            Some((
                &machine.client_id,
                machine.client_secret.as_deref().unwrap(),
            )),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    step().await;
    check(&t, &tokens, "RFC 7009").await;
    assert!(!listed_valid(s, &tokens[machine_at].1).await);
    // A grant revoked by the operator.
    s.admin.revoke_grant(&grants[0].id).await.unwrap();
    step().await;
    check(&t, &tokens, "a grant revoked").await;
    // The consent removed.
    s.clock.advance(1);
    s.state
        .store()
        .grant_consent(&tessera_store::Consent {
            user_id: t.user_id.clone(),
            client_id: t.app.client_id.clone(),
            scopes: vec!["orders:read".into()],
            granted_at: s.state.now() - 10,
            revoked_before_ms: None,
        })
        .await
        .unwrap();
    s.admin
        .revoke_consent("ada", &t.app.client_id)
        .await
        .unwrap();
    step().await;
    check(&t, &tokens, "a consent removed").await;
    // New person tokens after that, then a forced logout, then the account disabled.
    s.clock.advance(1);
    for _ in 0..2 {
        let (rt, _) = family(&t, true, None).await;
        let (st, v) = refresh(&t, &rt, "").await;
        assert_eq!(st, StatusCode::OK, "{v}");
        tokens.push(("ada", person_token(&v)));
    }
    check(&t, &tokens, "new tokens after the removal").await;
    s.clock.advance(1);
    s.admin.logout_user("ada").await.unwrap();
    step().await;
    check(&t, &tokens, "a forced logout").await;
    s.admin.set_user_enabled(&bob.id, false).await.unwrap();
    s.admin.delete_user(&bob.id).await.unwrap();
    s.admin.set_user_enabled("ada", false).await.unwrap();
    step().await;
    check(&t, &tokens, "accounts disabled and deleted").await;
    // The machine client's tokens revoked; the other client disabled, then deleted.
    s.clock.advance(1);
    s.admin.revoke_tokens(&machine.client_id).await.unwrap();
    s.admin.set_enabled(&doomed.client_id, false).await.unwrap();
    s.state.refresh().await.unwrap();
    step().await;
    check(&t, &tokens, "a client's tokens revoked, a client disabled").await;
    s.admin.delete_client(&doomed.client_id).await.unwrap();
    s.state.refresh().await.unwrap();
    step().await;
    for (who, tok) in &tokens {
        assert!(
            !listed_valid(s, tok).await,
            "every token of {who} listed revoked"
        );
    }
    // The aggregation endpoint, named by the metadata, lists the list.
    let (_, _, meta) = s.get("/.well-known/oauth-authorization-server").await;
    let meta: Value = serde_json::from_slice(&meta).unwrap();
    let agg = meta["status_list_aggregation_endpoint"].as_str().unwrap();
    let (st, _, body) = s.get(agg.strip_prefix(ISSUER).unwrap()).await;
    assert_eq!(st, StatusCode::OK);
    let lists: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        lists["status_lists"].as_array().unwrap().len(),
        1,
        "{lists}"
    );
    // Unknown lists are 404.
    for path in [
        "/oauth2/status-lists/99",
        "/oauth2/status-lists/x",
        "/oauth2/status-lists/-1",
    ] {
        assert_eq!(s.get(path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
}
