//! The endpoints through `app(state)` with `oneshot`: grants, introspection, revocation, the
//! JWKS and metadata, and a table of malformed and hostile requests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{ISSUER, T0, service};
use serde_json::{Value, json};
use tessera_jose::jwt::{FixedClock, Verifier};
use tessera_jose::{JwkSet, JwsAlg};
use tessera_server::admin::ClientSpec;

#[tokio::test]
async fn client_credentials_issues_rfc9068_tokens() {
    let s = service().await;
    let c = s
        .client(
            "orders:read orders:write",
            &["api://orders", "api://billing"],
        )
        .await;
    // client_secret_basic, all scopes by default, the first audience.
    let (status, headers, v) = s
        .post_form(
            "/oauth2/token",
            "grant_type=client_credentials",
            Some((&c.client_id, c.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 900);
    assert_eq!(v["scope"], "orders:read orders:write");
    // Verified with the published JWKS, as a resource server would.
    let (_, _, jwks) = s.get("/.well-known/jwks.json").await;
    let set = JwkSet::from_json(std::str::from_utf8(&jwks).unwrap()).unwrap();
    let verifier = Verifier::builder(set)
        .algorithms([JwsAlg::ES256])
        .issuer(ISSUER)
        .audience("api://orders")
        .typ("at+jwt")
        .clock(FixedClock(T0))
        .build()
        .unwrap();
    let token = v["access_token"].as_str().unwrap();
    let verified = verifier.verify::<Value>(token).unwrap();
    let claims = verified.claims();
    assert_eq!(claims["sub"], c.client_id.as_str());
    assert_eq!(claims["client_id"], c.client_id.as_str());
    assert_eq!(claims["aud"], "api://orders");
    assert_eq!(claims["iat"], T0);
    assert_eq!(claims["exp"], T0 + 900);
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 20));
    let header = verified.header().unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert!(header.kid.is_some());
    // client_secret_post, a subset of the scopes, another audience by resource indicator.
    let body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope=orders:read&resource=api%3A%2F%2Fbilling",
        c.client_id,
        c.client_secret.as_deref().unwrap()
    );
    let (status, _, v) = s.post_form("/oauth2/token", &body, None).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["scope"], "orders:read");
    let claims = tessera_jose::dangerous::decode_unverified(v["access_token"].as_str().unwrap())
        .unwrap()
        .claims
        .unwrap();
    assert_eq!(claims["aud"], "api://billing");
    // Unknown scope and unknown resource are errors, never silently dropped.
    for (extra, code) in [
        ("&scope=orders:read%20admin", "invalid_scope"),
        ("&resource=api%3A%2F%2Fother", "invalid_target"),
    ] {
        let (status, _, v) = s
            .post_form(
                "/oauth2/token",
                &format!("grant_type=client_credentials{extra}"),
                Some((&c.client_id, c.client_secret.as_deref().unwrap())),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(v["error"], code);
    }
}

#[tokio::test]
async fn client_authentication_failures() {
    let s = service().await;
    let c = s.client("a", &["api://x"]).await;
    // Wrong secret through the header: 401 with a Basic challenge.
    let (status, headers, v) = s
        .post_form(
            "/oauth2/token",
            "grant_type=client_credentials",
            Some((&c.client_id, "wrong")),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"], "invalid_client");
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    // Unknown client through the body.
    let (status, _, v) = s
        .post_form(
            "/oauth2/token",
            "grant_type=client_credentials&client_id=nobody&client_secret=x",
            None,
        )
        .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    // No credentials at all: 401 with a challenge.
    let (status, headers, _) = s
        .post_form("/oauth2/token", "grant_type=client_credentials", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.contains_key("www-authenticate"));
    // Two methods at once.
    let body = format!(
        "grant_type=client_credentials&client_secret={}",
        c.client_secret.as_deref().unwrap()
    );
    let (status, _, v) = s
        .post_form(
            "/oauth2/token",
            &body,
            Some((&c.client_id, c.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    // A disabled client gets nothing; enabled again, it does.
    s.admin.set_enabled(&c.client_id, false).await.unwrap();
    s.state.refresh().await.unwrap();
    let (status, _, _) = s
        .post_form(
            "/oauth2/token",
            "grant_type=client_credentials",
            Some((&c.client_id, c.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    s.admin.set_enabled(&c.client_id, true).await.unwrap();
    s.state.refresh().await.unwrap();
    s.token(&c, "").await;
    // A rotated secret: both work during the grace period, only the new one without it.
    let rotated = s.admin.rotate_secret(&c.client_id, 3600).await.unwrap();
    s.state.refresh().await.unwrap();
    s.token(&c, "").await;
    s.token(&rotated, "").await;
    let again = s.admin.rotate_secret(&c.client_id, 0).await.unwrap();
    s.state.refresh().await.unwrap();
    s.token(&again, "").await;
    let (status, _, _) = s
        .post_form(
            "/oauth2/token",
            "grant_type=client_credentials",
            Some((
                &rotated.client_id,
                rotated.client_secret.as_deref().unwrap(),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Repeated failures are an audit event.
    for _ in 0..5 {
        s.post_form(
            "/oauth2/token",
            "grant_type=client_credentials",
            Some((&c.client_id, "bad")),
        )
        .await;
    }
    // Audit events are written in the background: wait for them (bounded).
    let events = testkit::events_with(&s.admin, &["client.auth_failed"]).await;
    assert!(
        events.iter().any(|e| e.kind == "client.auth_failed"),
        "{events:?}"
    );
    assert!(events.iter().any(|e| e.kind == "client.secret_rotated"));
}

/// What an operator changes beside the running server (`tessera client`, another node) works at
/// the next request, not at the next poll: a failed authentication looks at the store's change
/// generation once. (This service has no poller: nothing else refreshes it.)
#[tokio::test]
async fn changes_beside_the_server_authenticate_at_once() {
    let s = service().await;
    let grant = |id: &str, secret: &str| {
        let (id, secret) = (id.to_owned(), secret.to_owned());
        let s = &s;
        async move {
            s.post_form(
                "/oauth2/token",
                "grant_type=client_credentials",
                Some((&id, &secret)),
            )
            .await
            .0
        }
    };
    let c = s
        .admin
        .create_client(ClientSpec {
            name: Some("new".into()),
            scopes: Some(vec!["a".into()]),
            audiences: Some(vec!["api://x".into()]),
            token_ttl: None,
            dpop_bound: None,
            introspect: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        grant(&c.client_id, c.client_secret.as_deref().unwrap()).await,
        StatusCode::OK
    );
    let rotated = s.admin.rotate_secret(&c.client_id, 0).await.unwrap();
    assert_eq!(
        grant(&c.client_id, rotated.client_secret.as_deref().unwrap()).await,
        StatusCode::OK
    );
    assert_eq!(
        grant(&c.client_id, c.client_secret.as_deref().unwrap()).await,
        StatusCode::UNAUTHORIZED
    );
    s.admin.set_enabled(&c.client_id, false).await.unwrap();
    s.state.refresh().await.unwrap();
    assert_eq!(
        grant(&c.client_id, rotated.client_secret.as_deref().unwrap()).await,
        StatusCode::UNAUTHORIZED
    );
    s.admin.set_enabled(&c.client_id, true).await.unwrap();
    assert_eq!(
        grant(&c.client_id, rotated.client_secret.as_deref().unwrap()).await,
        StatusCode::OK
    );
    assert_eq!(grant("tc_nobody", "x").await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn introspection_and_revocation() {
    let s = service().await;
    let c = s.client("read", &["api://x"]).await;
    let other = s.client("read", &["api://x"]).await;
    let token = s.token(&c, "").await;
    let v = s.introspect(&other, &token).await;
    assert_eq!(v["active"], true);
    assert_eq!(v["client_id"], c.client_id.as_str());
    assert_eq!(v["scope"], "read");
    assert_eq!(v["token_type"], "Bearer");
    // Anything else is exactly {"active": false}.
    let inactive = json!({"active": false});
    for bad in ["garbage", "a.b.c", &token[..token.len() - 2]] {
        assert_eq!(s.introspect(&c, bad).await, inactive);
    }
    // Expired.
    s.clock.advance(901);
    assert_eq!(s.introspect(&c, &token).await, inactive);
    s.clock.advance(-901);
    // Another client cannot revoke it; its owner can, and then it is inactive.
    let (status, _, v) = s
        .post_form(
            "/oauth2/revoke",
            &format!("token={token}"),
            Some((&other.client_id, other.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unauthorized_client"))
    );
    assert_eq!(s.introspect(&c, &token).await["active"], true);
    let (status, headers, _) = s
        .post_form(
            "/oauth2/revoke",
            &format!("token={token}&token_type_hint=access_token"),
            Some((&c.client_id, c.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(s.introspect(&c, &token).await, inactive);
    // Revoking garbage is fine (RFC 7009 §2.2).
    let (status, _, _) = s
        .post_form(
            "/oauth2/revoke",
            "token=garbage",
            Some((&c.client_id, c.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // revoke-tokens: every token issued before now is inactive; later ones are active.
    let t1 = s.token(&c, "").await;
    s.admin.revoke_tokens(&c.client_id).await.unwrap();
    assert_eq!(s.introspect(&other, &t1).await, inactive);
    // Disabled or deleted clients' tokens are inactive.
    let d = s.client("read", &["api://x"]).await;
    let td = s.token(&d, "").await;
    assert_eq!(s.introspect(&c, &td).await["active"], true);
    s.admin.set_enabled(&d.client_id, false).await.unwrap();
    assert_eq!(s.introspect(&c, &td).await, inactive);
    s.admin.delete_client(&d.client_id).await.unwrap();
    assert_eq!(s.introspect(&c, &td).await, inactive);
    // Introspection needs client authentication.
    let (status, _, v) = s
        .post_form("/oauth2/introspect", &format!("token={token}"), None)
        .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
}

#[tokio::test]
async fn jwks_and_metadata() {
    // Grants counted per client, as configured (the default has no client label: below).
    let s = common::service_set(&[("metrics_client_labels", "on")]).await;
    let (status, headers, body) = s.get("/.well-known/jwks.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "public, max-age=300");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let set: Value = serde_json::from_slice(&body).unwrap();
    // The current and the next key of each chain are published (access tokens ES256, ID
    // tokens RS256); no private member.
    let keys = set["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 4);
    assert!(
        keys.iter()
            .all(|k| k.get("d").is_none() && k["use"] == "sig")
    );
    for alg in ["ES256", "RS256"] {
        assert_eq!(keys.iter().filter(|k| k["alg"] == alg).count(), 2, "{alg}");
    }
    let (status, headers, body) = s
        .send(
            Request::get("/.well-known/jwks.json")
                .header("if-none-match", &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty() && headers.contains_key("etag"));
    let (_, _, a) = s.get("/.well-known/oauth-authorization-server").await;
    let (_, _, b) = s.get("/.well-known/openid-configuration").await;
    assert_eq!(a, b);
    let m: Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(m["issuer"], ISSUER);
    assert_eq!(m["token_endpoint"], format!("{ISSUER}/oauth2/token"));
    assert_eq!(m["jwks_uri"], format!("{ISSUER}/.well-known/jwks.json"));
    assert_eq!(
        m["grant_types_supported"],
        json!(["authorization_code", "client_credentials", "refresh_token"])
    );
    assert_eq!(s.get("/healthz").await.0, StatusCode::OK);
    assert_eq!(s.get("/readyz").await.0, StatusCode::OK);
    let c = s.client("a", &["api://x"]).await;
    s.token(&c, "").await;
    let (_, _, metrics) = s.get("/metrics").await;
    let text = String::from_utf8(metrics).unwrap();
    assert!(
        text.contains("tessera_requests_total{endpoint=\"jwks\",status=\"200\"}"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "tessera_grants_total{{client_id=\"{}\",outcome=\"issued\"}} 1",
            c.client_id
        )),
        "{text}"
    );
    assert!(text.contains("tessera_signing_keys{signs=\"access\",state=\"current\"} 1"));
    assert!(text.contains("tessera_signing_keys{signs=\"id\",state=\"current\"} 1"));
    assert!(text.contains("tessera_request_duration_seconds_bucket{endpoint=\"token\""));
}

/// Malformed and hostile requests: each gets its status and RFC error, never a 500.
#[tokio::test]
async fn bad_input_table() {
    let s = service().await;
    let c = s.client("a", &["api://x"]).await;
    let auth = common::basic_header(&c.client_id, c.client_secret.as_deref().unwrap());
    let big = "x".repeat(20_000);
    // (path, content type, authorization, body, status, error)
    type Case<'a> = (
        &'a str,
        &'a str,
        Option<&'a str>,
        String,
        StatusCode,
        Option<&'a str>,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            "/oauth2/token",
            "application/json",
            Some(&auth),
            r#"{"grant_type":"client_credentials"}"#.into(),
            StatusCode::BAD_REQUEST,
            Some("invalid_request"),
        ),
        (
            "/oauth2/token",
            "application/x-www-form-urlencoded",
            Some(&auth),
            "grant_type=client_credentials&grant_type=client_credentials".into(),
            StatusCode::BAD_REQUEST,
            Some("invalid_request"),
        ),
        (
            "/oauth2/token",
            "application/x-www-form-urlencoded",
            Some(&auth),
            "grant_type=password&username=a&password=b".into(),
            StatusCode::BAD_REQUEST,
            Some("unsupported_grant_type"),
        ),
        (
            "/oauth2/token",
            "application/x-www-form-urlencoded",
            Some(&auth),
            "scope=a".into(),
            StatusCode::BAD_REQUEST,
            Some("invalid_request"),
        ),
        (
            "/oauth2/token",
            "application/x-www-form-urlencoded",
            Some(&auth),
            "grant_type=client_credentials&scope=".into(),
            StatusCode::OK,
            None,
        ),
        (
            "/oauth2/token",
            "application/x-www-form-urlencoded",
            Some(&auth),
            format!("grant_type=client_credentials&x={big}"),
            StatusCode::PAYLOAD_TOO_LARGE,
            Some("invalid_request"),
        ),
        (
            "/oauth2/token",
            "application/x-www-form-urlencoded",
            Some("Basic !!!"),
            "grant_type=client_credentials".into(),
            StatusCode::BAD_REQUEST,
            Some("invalid_request"),
        ),
        (
            "/oauth2/token",
            "application/x-www-form-urlencoded",
            Some("Bearer abc"),
            "grant_type=client_credentials".into(),
            StatusCode::BAD_REQUEST,
            Some("invalid_request"),
        ),
        (
            "/oauth2/token",
            "application/x-www-form-urlencoded",
            Some(&auth),
            "grant_type=client_credentials&scope=a%20%22".into(),
            StatusCode::BAD_REQUEST,
            Some("invalid_scope"),
        ),
        (
            "/oauth2/token",
            "",
            Some(&auth),
            "grant_type=client_credentials".into(),
            StatusCode::BAD_REQUEST,
            Some("invalid_request"),
        ),
        (
            "/oauth2/introspect",
            "application/x-www-form-urlencoded",
            Some(&auth),
            "".into(),
            StatusCode::BAD_REQUEST,
            Some("invalid_request"),
        ),
        (
            "/oauth2/introspect",
            "application/x-www-form-urlencoded",
            Some(&auth),
            "token=a&token=b".into(),
            StatusCode::BAD_REQUEST,
            Some("invalid_request"),
        ),
        (
            "/oauth2/introspect",
            "text/plain",
            Some(&auth),
            "token=a".into(),
            StatusCode::BAD_REQUEST,
            Some("invalid_request"),
        ),
        (
            "/oauth2/revoke",
            "application/x-www-form-urlencoded",
            Some(&auth),
            "token_type_hint=access_token".into(),
            StatusCode::BAD_REQUEST,
            Some("invalid_request"),
        ),
        (
            "/oauth2/revoke",
            "application/x-www-form-urlencoded",
            Some(&auth),
            "token=x&token_type_hint=id_token".into(),
            StatusCode::BAD_REQUEST,
            Some("unsupported_token_type"),
        ),
        (
            "/oauth2/revoke",
            "application/x-www-form-urlencoded",
            None,
            "token=x".into(),
            StatusCode::UNAUTHORIZED,
            Some("invalid_client"),
        ),
    ];
    for (path, ct, authz, body, status, error) in cases {
        let mut req = Request::post(path);
        if !ct.is_empty() {
            req = req.header("content-type", ct);
        }
        if let Some(a) = authz {
            req = req.header("authorization", a);
        }
        let (got, _, bytes) = s.send(req.body(Body::from(body.clone())).unwrap()).await;
        let short: String = body.chars().take(60).collect();
        assert_eq!(
            got,
            status,
            "{path} {ct} {short}: {}",
            String::from_utf8_lossy(&bytes)
        );
        if let Some(code) = error {
            let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            assert_eq!(v["error"], code, "{path} {short}");
            assert!(v.get("error_description").is_some());
        }
    }
    // Non-UTF-8 bytes, a GET on a POST endpoint, an unknown path.
    let (got, _, _) = s
        .send(
            Request::post("/oauth2/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("authorization", &auth)
                .body(Body::from(vec![0xff, 0xfe]))
                .unwrap(),
        )
        .await;
    assert_eq!(got, StatusCode::BAD_REQUEST);
    assert_eq!(
        s.get("/oauth2/token").await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(s.get("/admin").await.0, StatusCode::NOT_FOUND);
    // Security headers on every response.
    let (_, h, _) = s.get("/healthz").await;
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
}

/// DPoP at the token endpoint (RFC 9449 §5): a valid proof binds the access token to its key
/// (`cnf.jkt`, `token_type: DPoP`), introspection says so (§6.2), and every bad proof is
/// `invalid_dpop_proof` (400) with no token.
#[tokio::test]
async fn dpop_bound_access_tokens() {
    use tessera_jose::Jwk;
    use tessera_jose::dpop::Proof;
    use tessera_jose::jwk::ThumbprintHash;

    let s = service().await;
    let c = s.client("read", &["api://x"]).await;
    let key = Jwk::generate(JwsAlg::ES256).unwrap();
    let endpoint = format!("{ISSUER}/oauth2/token");
    let proof = |htm: &str, htu: &str, iat: i64| {
        Proof::new(&key, JwsAlg::ES256)
            .unwrap()
            .issued_at(iat)
            .sign(htm, htu)
            .unwrap()
    };
    let request = |proofs: &[&str]| {
        let mut req = Request::post("/oauth2/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .header(
                "authorization",
                common::basic_header(&c.client_id, c.client_secret.as_deref().unwrap()),
            );
        for p in proofs {
            req = req.header("dpop", *p);
        }
        req.body(Body::from("grant_type=client_credentials"))
            .unwrap()
    };
    let good = proof("POST", &endpoint, T0);
    let (status, _, body) = s.send(request(&[&good])).await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["token_type"], "DPoP");
    let token = v["access_token"].as_str().unwrap();
    let jkt = key.thumbprint(ThumbprintHash::Sha256);
    let claims = tessera_jose::dangerous::decode_unverified(token)
        .unwrap()
        .claims
        .unwrap();
    assert_eq!(claims["cnf"], json!({"jkt": jkt}));
    let i = s.introspect(&c, token).await;
    assert_eq!(
        (&i["active"], &i["token_type"], &i["cnf"]),
        (&json!(true), &json!("DPoP"), &json!({"jkt": jkt}))
    );
    // Without a proof: a Bearer token, no cnf.
    let plain = s.token(&c, "").await;
    let i = s.introspect(&c, &plain).await;
    assert_eq!((&i["token_type"], i.get("cnf")), (&json!("Bearer"), None));
    // Bad proofs: replayed, another URI or method, stale, two at once, garbage.
    let other = proof("POST", "https://elsewhere.test/oauth2/token", T0);
    let get = proof("GET", &endpoint, T0);
    let stale = proof("POST", &endpoint, T0 - 3600);
    let fresh = proof("POST", &endpoint, T0);
    for (proofs, what) in [
        (vec![good.as_str()], "used before"),
        (vec![other.as_str()], "another request"),
        (vec![get.as_str()], "another request"),
        (vec![stale.as_str()], "too old"),
        (vec![fresh.as_str(), fresh.as_str()], "more than one"),
        (vec!["e30.e30.e30"], "typ is not dpop+jwt"),
        (vec!["not-a-proof"], "malformed"),
    ] {
        let (status, _, body) = s.send(request(&proofs)).await;
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (status, v["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_dpop_proof")),
            "{what}: {v}"
        );
        assert!(
            v["error_description"].as_str().unwrap().contains(what),
            "{what}: {v}"
        );
    }
    // A client whose tokens must be DPoP-bound gets none without a proof, and a bound one with.
    s.admin
        .update_client(
            &c.client_id,
            ClientSpec {
                dpop_bound: Some(true),
                introspect: Some(true),
                ..ClientSpec::default()
            },
        )
        .await
        .unwrap();
    // (A running server's poller picks the change up; this one has none.)
    s.state.refresh().await.unwrap();
    let (status, _, v) = s
        .post_form(
            "/oauth2/token",
            "grant_type=client_credentials",
            Some((&c.client_id, c.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_dpop_proof")),
        "{v}"
    );
    let (status, _, body) = s.send(request(&[&proof("POST", &endpoint, T0)])).await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((status, &v["token_type"]), (StatusCode::OK, &json!("DPoP")));
    // The metadata names the proof algorithms.
    let (_, _, body) = s.get("/.well-known/oauth-authorization-server").await;
    let m: Value = serde_json::from_slice(&body).unwrap();
    let algs = m["dpop_signing_alg_values_supported"].as_array().unwrap();
    assert!(algs.contains(&json!("ES256")) && !algs.contains(&json!("HS256")));
}

/// Introspection remembers the tokens that verified with the current keys: a token seen again
/// skips its signature check (expiry and revocation are still checked, above), and a token whose
/// key was removed stops verifying at once, cached or not.
#[tokio::test]
async fn verified_tokens_are_remembered_per_key_ring() {
    let s = service().await;
    let c = s.client("read", &["api://x"]).await;
    let token = s.token(&c, "").await;
    assert!(s.state.keys().verified.is_empty());
    for _ in 0..3 {
        assert_eq!(s.introspect(&c, &token).await["active"], true);
        assert_eq!(s.state.keys().verified.len(), 1);
    }
    // A tampered copy is not the cached token.
    // (The last character of an ES256 signature holds 2 bits: A, Q, g or w.)
    let last = if token.ends_with('A') { 'Q' } else { 'A' };
    let tampered = format!("{}{last}", &token[..token.len() - 1]);
    assert_eq!(s.introspect(&c, &tampered).await["active"], false);
    // The key that signed it rotated out and removed.
    let kid = tessera_jose::dangerous::peek_header_unverified(&token)
        .unwrap()
        .kid_value()
        .unwrap()
        .to_owned();
    s.admin.rotate(true).await.unwrap();
    s.admin.retire(&kid, true).await.unwrap();
    s.state.refresh().await.unwrap();
    assert_eq!(s.introspect(&c, &token).await, json!({"active": false}));
}

/// A client made without `--introspect`.
async fn plain_client(
    s: &common::Service,
    audience: &str,
) -> tessera_server::admin::NewCredentials {
    let c = s
        .admin
        .create_client(ClientSpec {
            name: Some("plain".into()),
            scopes: Some(vec!["read".into()]),
            audiences: Some(vec![audience.into()]),
            ..ClientSpec::default()
        })
        .await
        .unwrap();
    s.state.refresh().await.unwrap();
    c
}

#[tokio::test]
async fn introspection_needs_the_permission_and_answers_only_for_the_callers_audiences() {
    let s = service().await;
    let issuer = s.client("read", &["api://x", "api://y"]).await;
    let token = s.token(&issuer, "").await;
    // No permission by default: refused, whatever the token.
    let plain = plain_client(&s, "api://x").await;
    assert!(!plain.introspect);
    let (status, _, v) = s
        .post_form(
            "/oauth2/introspect",
            &format!("token={token}"),
            Some((&plain.client_id, plain.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("unauthorized_client"))
    );
    // Granted: an answer for tokens meant for its audiences only.
    s.admin
        .update_client(
            &plain.client_id,
            ClientSpec {
                introspect: Some(true),
                ..ClientSpec::default()
            },
        )
        .await
        .unwrap();
    s.state.refresh().await.unwrap();
    assert_eq!(s.introspect(&plain, &token).await["active"], true);
    let elsewhere = plain_client(&s, "api://z").await;
    s.admin
        .update_client(
            &elsewhere.client_id,
            ClientSpec {
                introspect: Some(true),
                ..ClientSpec::default()
            },
        )
        .await
        .unwrap();
    s.state.refresh().await.unwrap();
    assert_eq!(
        s.introspect(&elsewhere, &token).await,
        json!({"active": false})
    );
    // A token for several audiences (RFC 8707 resources) is meant for each of them.
    let both = s
        .token(&issuer, "&resource=api%3A%2F%2Fy&resource=api%3A%2F%2Fx")
        .await;
    assert_eq!(s.introspect(&plain, &both).await["active"], true);
    let only_y = s.token(&issuer, "&resource=api%3A%2F%2Fy").await;
    assert_eq!(
        s.introspect(&plain, &only_y).await,
        json!({"active": false})
    );
}

#[tokio::test]
async fn tokens_of_a_disabled_client_stay_inactive_when_it_is_enabled_again() {
    let s = service().await;
    let c = s.client("read", &["api://x"]).await;
    let rs = s.client("read", &["api://x"]).await;
    let before = s.token(&c, "").await;
    assert_eq!(s.introspect(&rs, &before).await["active"], true);
    s.admin.set_enabled(&c.client_id, false).await.unwrap();
    s.state.refresh().await.unwrap();
    s.clock.advance(5);
    s.admin.set_enabled(&c.client_id, true).await.unwrap();
    s.state.refresh().await.unwrap();
    assert_eq!(s.introspect(&rs, &before).await, json!({"active": false}));
    // Tokens issued after the client is enabled again are active.
    s.clock.advance(1);
    let after = s.token(&c, "").await;
    assert_eq!(s.introspect(&rs, &after).await["active"], true);
}

#[tokio::test]
async fn lifetimes_are_clamped_to_the_servers_maximum_at_issuance() {
    // A client made under a configuration that allowed 30 days, served by one that allows 1 h.
    let dir = tempfile::tempdir().unwrap();
    let store = tessera_store::open(
        tessera_store::Location::DataDir(dir.path()),
        tessera_store::Migrations::Apply,
    )
    .await
    .unwrap();
    let generous = common::config(&[("token_ttl", "30d"), ("max_token_ttl", "30d")]);
    let s = common::service_with(std::sync::Arc::clone(&store), generous).await;
    let c = s.client("read", &["api://x"]).await;
    assert_eq!(c.token_ttl, 30 * 86_400);
    let strict = common::config(&[("max_token_ttl", "1h")]);
    let s = common::service_with(store, strict).await;
    let (status, _, v) = s
        .post_form(
            "/oauth2/token",
            "grant_type=client_credentials",
            Some((&c.client_id, c.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["expires_in"], 3600);
    let claims = tessera_jose::dangerous::decode_unverified(v["access_token"].as_str().unwrap())
        .unwrap()
        .claims
        .unwrap();
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    // What the current key signed reaches the store, and its retirement waits for it.
    s.state.record_signed().await.unwrap();
    let keys = s.state.store().keys().await.unwrap();
    let current = keys
        .iter()
        .find(|k| {
            k.state == tessera_store::KeyState::Current
                && k.purpose == tessera_store::KeyPurpose::Access
        })
        .unwrap();
    assert!(current.signed_until.unwrap() >= claims["exp"].as_i64().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_bad_credentials_costs_a_few_store_reads() {
    use tower::ServiceExt as _;
    let s = service().await;
    let good = s.client("read", &["api://x"]).await;
    let before = s.state.metrics().generation_checks();
    let mut calls = Vec::new();
    for i in 0..200 {
        let req = Request::post("/oauth2/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .header(
                "authorization",
                common::basic_header(&format!("tc_nobody{i}"), "wrong"),
            )
            .body(Body::from("grant_type=client_credentials"))
            .unwrap();
        let app = tessera_server::app(s.state.clone());
        calls.push(tokio::spawn(async move {
            app.oneshot(req).await.unwrap().status()
        }));
    }
    for c in calls {
        assert_eq!(c.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    let checks = s.state.metrics().generation_checks() - before;
    eprintln!("{checks} store reads for 200 failed authentications");
    assert!(checks <= 20, "{checks} store reads for 200 failures");
    // A client created after those still works at its first request.
    let late = s
        .admin
        .create_client(ClientSpec {
            name: Some("late".into()),
            scopes: Some(vec!["read".into()]),
            audiences: Some(vec!["api://x".into()]),
            ..ClientSpec::default()
        })
        .await
        .unwrap();
    s.token(&late, "").await;
    s.token(&good, "").await;
}

#[tokio::test]
async fn concurrent_client_changes_are_all_kept() {
    let s = service().await;
    let c = s.client("read", &["api://x"]).await;
    let id = c.client_id.as_str();
    let spec = |f: fn(&mut ClientSpec)| {
        let mut sp = ClientSpec::default();
        f(&mut sp);
        sp
    };
    // Five operators change five different things at once: each change is applied on top of
    // the others (a stale write is refused by the store and redone), none is lost.
    let (a, b, c2, d, e) = tokio::join!(
        s.admin
            .update_client(id, spec(|sp| sp.name = Some("renamed".into()))),
        s.admin
            .update_client(id, spec(|sp| sp.token_ttl = Some(120))),
        s.admin
            .update_client(id, spec(|sp| sp.dpop_bound = Some(true))),
        s.admin.update_client(
            id,
            spec(|sp| sp.scopes = Some(vec!["read".into(), "write".into()]))
        ),
        s.admin.revoke_tokens(id),
    );
    for r in [a, b, c2, d] {
        r.unwrap();
    }
    e.unwrap();
    let stored = s.admin.client(id).await.unwrap();
    assert_eq!(stored.name, "renamed");
    assert_eq!(stored.token_ttl, 120);
    assert!(stored.dpop_bound && stored.introspect);
    assert_eq!(stored.scopes, ["read", "write"]);
    assert!(stored.tokens_revoked_before_ms.is_some());
    assert_eq!(stored.version, 5);
}

/// An issuer with a path is served under it: its endpoints, its OpenID Connect discovery
/// document under the path, its RFC 8414 metadata with the path after the well-known segment
/// (§3.1), and every URL in them agrees; nothing is served at the root but health and metrics.
#[tokio::test]
async fn an_issuer_with_a_path_is_served_under_it() {
    let s = common::service_set(&[("issuer", "https://auth.test/auth/")]).await;
    let c = s.client("read", &["api://x"]).await;
    let (status, _, v) = s
        .post_form(
            "/auth/oauth2/token",
            "grant_type=client_credentials",
            Some((&c.client_id, c.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let token = v["access_token"].as_str().unwrap();
    let claims = tessera_jose::dangerous::decode_unverified(token)
        .unwrap()
        .claims
        .unwrap();
    assert_eq!(claims["iss"], "https://auth.test/auth");
    let (status, _, _) = s
        .post_form(
            "/oauth2/token",
            "grant_type=client_credentials",
            Some((&c.client_id, c.client_secret.as_deref().unwrap())),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not at the root");
    for path in [
        "/.well-known/oauth-authorization-server/auth",
        "/auth/.well-known/openid-configuration",
    ] {
        let (status, _, body) = s.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let doc: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(doc["issuer"], "https://auth.test/auth");
        assert_eq!(doc["token_endpoint"], "https://auth.test/auth/oauth2/token");
        assert_eq!(
            doc["jwks_uri"],
            "https://auth.test/auth/.well-known/jwks.json"
        );
    }
    assert_eq!(s.get("/auth/.well-known/jwks.json").await.0, StatusCode::OK);
    assert_eq!(
        s.get("/.well-known/jwks.json").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(s.get("/readyz").await.0, StatusCode::OK);
    let (_, _, metrics) = s.get("/metrics").await;
    let metrics = String::from_utf8_lossy(&metrics);
    assert!(metrics.contains("endpoint=\"token\""), "{metrics}");
    // Paths that would be read as route patterns, or are not plain, are refused.
    for bad in [
        "https://auth.test/a{b}",
        "https://auth.test/a//b",
        "https://auth.test/a/../b",
    ] {
        let err = tessera_server::config::Config::load(
            None,
            Vec::new(),
            &[("issuer".to_owned(), bad.to_owned())],
        )
        .err()
        .unwrap();
        assert!(err.0.contains("plain segments"), "{bad}: {err}");
    }
}

/// Errors name the scope or resource at fault; parameters OAuth does not have but people send
/// (`scopes`, `audience`) are ignored as RFC 6749 §3.2 says, and the answer says so.
#[tokio::test]
async fn errors_name_what_is_at_fault_and_misspellings_are_pointed_out() {
    let s = service().await;
    let c = s.client("read write", &["api://x", "api://y"]).await;
    let basic = Some((c.client_id.as_str(), c.client_secret.as_deref().unwrap()));
    let (status, _, v) = s
        .post_form(
            "/oauth2/token",
            "grant_type=client_credentials&scope=read%20admin",
            basic,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"], "invalid_scope");
    assert!(
        v["error_description"].as_str().unwrap().contains("`admin`"),
        "{v}"
    );
    let (status, _, v) = s
        .post_form(
            "/oauth2/token",
            "grant_type=client_credentials&resource=api%3A%2F%2Fz",
            basic,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"], "invalid_target");
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .contains("`api://z`"),
        "{v}"
    );
    let (status, _, v) = s
        .post_form(
            "/oauth2/token",
            "grant_type=client_credentials&scopes=read&audience=api%3A%2F%2Fy",
            basic,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        v["scope"], "read write",
        "scopes= was ignored: the default scope"
    );
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains("`scopes`") && warnings.contains("did you mean `scope`"),
        "{warnings}"
    );
    assert!(
        warnings.contains("`audience`") && warnings.contains("resource (RFC 8707)"),
        "{warnings}"
    );
    // A plain request has no warnings member.
    let (_, _, v) = s
        .post_form("/oauth2/token", "grant_type=client_credentials", basic)
        .await;
    assert!(v.get("warnings").is_none(), "{v}");
}

/// By default the metrics have no label per client: their size does not grow with the clients.
#[tokio::test]
async fn metrics_have_no_label_per_client_by_default() {
    let s = service().await;
    let c = s.client("a", &["api://x"]).await;
    s.token(&c, "").await;
    let (_, _, metrics) = s.get("/metrics").await;
    let text = String::from_utf8(metrics).unwrap();
    assert!(
        text.contains("tessera_grants_total{outcome=\"issued\"} 1"),
        "{text}"
    );
    assert!(!text.contains(&c.client_id), "{text}");
}
