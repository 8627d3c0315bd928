//! Key rotation never breaks a verifier: with an injected clock, a simulated resource server
//! that caches the JWKS exactly as long as its `max-age` says verifies every token issued across
//! several rotations, and never meets an unknown `kid` or loses a key it still needs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use common::{ISSUER, config, service_with};
use serde_json::Value;
use tessera_jose::JwkSet;
use tessera_jose::jwt::{FixedClock, Verifier};
use tessera_store::{KeyPurpose, SqlStore, Store};

/// A resource server: fetches the JWKS, keeps it for `max-age`, verifies with it.
struct ResourceServer {
    jwks: Option<(JwkSet, i64)>,
    fetches: usize,
}

impl ResourceServer {
    async fn verify(&mut self, s: &common::Service, token: &str, now: i64) -> Result<(), String> {
        let fresh = self.jwks.as_ref().is_some_and(|(_, until)| now < *until);
        if !fresh {
            let (_, headers, body) = s.get("/.well-known/jwks.json").await;
            let max_age: i64 = headers["cache-control"]
                .to_str()
                .unwrap()
                .rsplit('=')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let set = JwkSet::from_json(std::str::from_utf8(&body).unwrap()).unwrap();
            self.jwks = Some((set, now + max_age));
            self.fetches += 1;
        }
        let set = self.jwks.as_ref().unwrap().0.clone();
        let v = Verifier::builder(set)
            .algorithms_from_keys()
            .issuer(ISSUER)
            .audience("api://x")
            .typ("at+jwt")
            .clock(FixedClock(now))
            .build()
            .unwrap();
        v.verify::<Value>(token)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[tokio::test]
async fn a_cached_jwks_always_has_the_keys_it_needs() {
    // Rotation every hour, JWKS max-age 5 minutes, tokens of up to 15 minutes.
    let store: Arc<dyn Store> = Arc::new(SqlStore::memory().await.unwrap());
    let s = service_with(
        store,
        config(&[
            ("rotation_period", "1h"),
            ("jwks_max_age", "5m"),
            ("max_token_ttl", "15m"),
        ]),
    )
    .await;
    let c = s.client("read", &["api://x"]).await;
    let mut rs = ResourceServer {
        jwks: None,
        fetches: 0,
    };
    let mut issued: Vec<(String, i64)> = Vec::new();
    let mut kids = HashSet::new();
    // Seven hours in 20-second steps: tokens issued all along, verified at random later times
    // (up to their expiry), the life cycle ticking as a node would.
    let step = 20;
    for i in 0..(7 * 3600 / step) {
        s.clock.advance(step);
        let now = s.clock.0.load(std::sync::atomic::Ordering::SeqCst);
        if i % 2 == 0 {
            s.state.rotate_tick().await.unwrap();
        }
        let token = s.token(&c, "").await;
        let kid = tessera_jose::dangerous::peek_header_unverified(&token)
            .unwrap()
            .kid_value()
            .unwrap()
            .to_owned();
        kids.insert(kid);
        issued.push((token, now));
        // Verify every token issued in the last 15 minutes (all still valid).
        for (t, at) in issued.iter().rev().take_while(|(_, at)| now - at < 900) {
            rs.verify(&s, t, now)
                .await
                .unwrap_or_else(|e| panic!("token issued at {at} rejected at {now}: {e}"));
        }
        issued.retain(|(_, at)| now - at < 900);
    }
    assert!(kids.len() >= 6, "rotated {} times", kids.len());
    assert!(rs.fetches > 50);
    // Retired keys leave the JWKS once their tokens have expired: at most current, next, and
    // the previous ones still needed.
    let keys = s.admin.keys().await.unwrap();
    let access = keys.iter().filter(|k| k.purpose == KeyPurpose::Access);
    assert!(access.count() <= 4, "{keys:?}");
    let kinds = ["key.created", "key.activated", "key.retired", "key.removed"];
    let events = testkit::events_with(&s.admin, &kinds).await;
    for kind in kinds {
        assert!(events.iter().any(|e| e.kind == kind), "{kind}");
    }
}

#[tokio::test]
async fn one_node_rotates_under_the_lease() {
    let store: Arc<dyn Store> = Arc::new(SqlStore::memory().await.unwrap());
    let a = service_with(
        Arc::clone(&store),
        config(&[("rotation_period", "1h"), ("jwks_max_age", "5m")]),
    )
    .await;
    let b = service_with(
        store,
        config(&[("rotation_period", "1h"), ("jwks_max_age", "5m")]),
    )
    .await;
    // Both saw the same bootstrap: one current key, one next, for access and for ID tokens.
    let keys = a.admin.keys().await.unwrap();
    for purpose in [KeyPurpose::Access, KeyPurpose::IdToken] {
        let chain: Vec<_> = keys.iter().filter(|k| k.purpose == purpose).collect();
        assert_eq!(chain.len(), 2, "{keys:?}");
    }
    a.clock.advance(3600 + 400);
    b.clock.advance(3600 + 400);
    let ea = a.state.rotate_tick().await.unwrap();
    let eb = b.state.rotate_tick().await.unwrap();
    // Exactly one of them rotated (the other found the lease taken or nothing left to do).
    assert!(ea.is_empty() != eb.is_empty(), "{ea:?} {eb:?}");
    b.state.refresh().await.unwrap();
    a.state.refresh().await.unwrap();
    let ca = a.state.keys().current.as_ref().map(|(k, _)| k.clone());
    let cb = b.state.keys().current.as_ref().map(|(k, _)| k.clone());
    assert_eq!(ca, cb, "every node signs with the same current key");
}
