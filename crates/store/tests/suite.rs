//! The store's test suite, run against SQLite and against PostgreSQL. The PostgreSQL run creates
//! its own database on the server at `TESSERA_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and drops it afterwards; it fails instead of
//! skipping when the server is missing and `TESSERA_REQUIRE_POSTGRES` is set (as `.ci/run` does).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use serde_json::json;
use tessera_store::{
    AuthCode, Client, Consent, Coordination as _, Event, Factor, KeyPurpose, KeyState, Location,
    Migrations, Schema, Session, SqlStore, Store, StoreError, StoredKey, User,
};
use testkit::PgDatabase;

/// A SQLite store at `path`, migrated.
async fn sqlite(path: &Path) -> SqlStore {
    let store = SqlStore::sqlite(path).await.unwrap();
    store.migrate().await.unwrap();
    store
}

/// A PostgreSQL store at `url`, migrated.
async fn postgres(url: &str) -> SqlStore {
    let store = SqlStore::postgres(url).await.unwrap();
    store.migrate().await.unwrap();
    store
}

fn client(id: &str) -> Client {
    Client {
        id: id.into(),
        name: "n".into(),
        secret_hash: vec![1; 32],
        old_secret_hash: None,
        old_secret_until: None,
        scopes: vec!["a".into(), "b".into()],
        audiences: vec!["api://x".into()],
        token_ttl: 900,
        enabled: true,
        tokens_revoked_before_ms: None,
        created_at: 10,
        updated_at: 10,
        dpop_bound: false,
        introspect: false,
        version: 0,
        public: false,
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        grant_types: vec!["client_credentials".into()],
        first_party: false,
        web_origins: Vec::new(),
        require_par: false,
        backchannel_logout_uri: None,
        claim_map: Vec::new(),
        id_token_alg: None,
        pairwise: false,
        sector_identifier: None,
        refresh_idle_ttl: None,
        refresh_absolute_ttl: None,
        require_acr: None,
    }
}

async fn suite(store: &dyn Store) {
    // Clients: insert, read, update, list, delete; every change moves the generation.
    let g0 = store.generation().await.unwrap();
    let mut c = client("c1");
    store.insert_client(&c).await.unwrap();
    assert!(store.generation().await.unwrap() > g0);
    assert_eq!(store.client("c1").await.unwrap(), Some(c.clone()));
    assert_eq!(store.client("nope").await.unwrap(), None);
    c.scopes = vec!["z".into()];
    c.old_secret_hash = Some(vec![2; 32]);
    c.old_secret_until = Some(99);
    c.enabled = false;
    c.tokens_revoked_before_ms = Some(50);
    c.dpop_bound = true;
    c.introspect = true;
    let stale = store.client("c1").await.unwrap().unwrap();
    store.update_client(&c).await.unwrap();
    c.version += 1;
    assert_eq!(store.client("c1").await.unwrap(), Some(c.clone()));
    // An update made from a copy read before another change landed is refused, and loses
    // nothing of that change.
    let mut late = stale.clone();
    late.name = "from a stale read".into();
    assert!(matches!(
        store.update_client(&late).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.client("c1").await.unwrap(), Some(c.clone()));
    assert!(matches!(
        store.update_client(&client("ghost")).await,
        Err(StoreError::NotFound(_))
    ));
    store.insert_client(&client("c2")).await.unwrap();
    assert_eq!(store.clients().await.unwrap().len(), 2);
    assert!(
        store.insert_client(&client("c2")).await.is_err(),
        "ids are unique"
    );
    // Revocation: jti deny list, client cutoffs, disabled and deleted clients.
    assert!(!store.is_revoked("j1", "c2", 100).await.unwrap());
    store.revoke_jti("j1", "c2", 1000).await.unwrap();
    store.revoke_jti("j1", "c2", 1000).await.unwrap();
    assert!(store.is_revoked("j1", "c2", 100).await.unwrap());
    assert!(
        store.is_revoked("j2", "c1", 100).await.unwrap(),
        "c1 is disabled"
    );
    c.enabled = true;
    store.update_client(&c).await.unwrap();
    c.version += 1;
    assert!(
        store.is_revoked("j2", "c1", 50).await.unwrap(),
        "issued at the cutoff"
    );
    assert!(!store.is_revoked("j2", "c1", 51).await.unwrap());
    assert!(store.delete_client("c1").await.unwrap());
    assert!(!store.delete_client("c1").await.unwrap());
    assert!(
        store.is_revoked("j3", "c1", 100).await.unwrap(),
        "deleted client"
    );
    assert_eq!(store.purge_revocations(999).await.unwrap(), 0);
    assert_eq!(store.purge_revocations(1001).await.unwrap(), 1);
    // Keys.
    let mut k = StoredKey {
        kid: "k1".into(),
        alg: "ES256".into(),
        purpose: KeyPurpose::Access,
        state: KeyState::Next,
        private_jwe: "sealed".into(),
        public_jwk: "{}".into(),
        created_at: 5,
        activated_at: None,
        retired_at: None,
        remove_after: None,
        signed_until: None,
    };
    store.insert_key(&k).await.unwrap();
    k.state = KeyState::Current;
    k.activated_at = Some(6);
    store.update_key(&k).await.unwrap();
    let keys = store.keys().await.unwrap();
    assert_eq!(
        (keys.len(), keys[0].state, keys[0].activated_at),
        (1, KeyState::Current, Some(6))
    );
    // An ID-token key keeps its purpose.
    let id_key = StoredKey {
        kid: "k-id".into(),
        alg: "RS256".into(),
        purpose: KeyPurpose::IdToken,
        created_at: 7,
        ..k.clone()
    };
    store.insert_key(&id_key).await.unwrap();
    let keys = store.keys().await.unwrap();
    assert_eq!(
        keys.iter()
            .map(|k| (k.kid.as_str(), k.purpose))
            .collect::<Vec<_>>(),
        [("k1", KeyPurpose::Access), ("k-id", KeyPurpose::IdToken)]
    );
    store.delete_key("k-id").await.unwrap();
    // A master key rotation replaces the sealed private key, and moves the generation.
    let g = store.generation().await.unwrap();
    let sealed = [
        ("k1".to_owned(), "sealed-anew".to_owned()),
        ("ghost".to_owned(), "x".to_owned()),
    ];
    assert_eq!(store.reseal_keys(&sealed).await.unwrap(), 1);
    assert!(store.generation().await.unwrap() > g);
    assert_eq!(store.keys().await.unwrap()[0].private_jwe, "sealed-anew");
    // Counts of signed tokens add up by expiry minute; the live ones are those of the minute
    // of `now` and later.
    store
        .add_signed_counts("k1", &[(10, 2), (11, 3)])
        .await
        .unwrap();
    store.add_signed_counts("k1", &[(11, 4)]).await.unwrap();
    assert_eq!(
        store.live_signed_count("k1", 10 * 60 + 59).await.unwrap(),
        9
    );
    assert_eq!(store.live_signed_count("k1", 11 * 60).await.unwrap(), 7);
    assert_eq!(store.live_signed_count("k1", 12 * 60).await.unwrap(), 0);
    assert_eq!(store.live_signed_count("other", 0).await.unwrap(), 0);
    // What the key signed is only ever raised; a retired key's removal moves with it.
    let g = store.generation().await.unwrap();
    store.key_signed_until("k1", 500, 60).await.unwrap();
    store.key_signed_until("k1", 400, 60).await.unwrap();
    let keys = store.keys().await.unwrap();
    assert_eq!(
        (keys[0].signed_until, keys[0].remove_after),
        (Some(500), None)
    );
    k.state = KeyState::Previous;
    k.remove_after = Some(520);
    store.update_key(&k).await.unwrap();
    store.key_signed_until("k1", 700, 60).await.unwrap();
    store.key_signed_until("k1", 600, 60).await.unwrap();
    let keys = store.keys().await.unwrap();
    assert_eq!(
        (keys[0].signed_until, keys[0].remove_after),
        (Some(700), Some(760))
    );
    assert!(store.generation().await.unwrap() > g, "update_key bumps");
    // A rotation's step: the current key retires and the next signs, in one write that moves
    // the generation once (no reader can see the store without a current key between them).
    let mut current = k.clone();
    current.kid = "k2".into();
    current.state = KeyState::Current;
    let mut next = k.clone();
    next.kid = "k3".into();
    next.state = KeyState::Next;
    store.insert_key(&current).await.unwrap();
    store.insert_key(&next).await.unwrap();
    current.state = KeyState::Previous;
    current.retired_at = Some(30);
    next.state = KeyState::Current;
    next.activated_at = Some(30);
    let g = store.generation().await.unwrap();
    store.promote_key(Some(&current), &next).await.unwrap();
    assert_eq!(store.generation().await.unwrap(), g + 1);
    let states: Vec<(String, KeyState)> = store
        .keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| (k.kid, k.state))
        .collect();
    assert!(
        states.contains(&("k2".into(), KeyState::Previous)),
        "{states:?}"
    );
    assert!(
        states.contains(&("k3".into(), KeyState::Current)),
        "{states:?}"
    );
    for kid in ["k1", "k2", "k3"] {
        store.delete_key(kid).await.unwrap();
    }
    assert!(store.keys().await.unwrap().is_empty());
    // Events, in order, from a time.
    for (at, kind) in [(1, "a"), (2, "b"), (3, "c")] {
        store
            .record(&Event {
                at,
                kind: kind.into(),
                client_id: Some("c2".into()),
                detail: json!({"n": at}),
            })
            .await
            .unwrap();
    }
    let events = store.events(2, 10).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["b", "c"]
    );
    assert_eq!(events[0].detail, json!({"n": 2}));
    // A burst in one transaction, in order.
    let burst: Vec<Event> = (4..7)
        .map(|at| Event {
            at,
            kind: format!("k{at}"),
            client_id: None,
            detail: json!({}),
        })
        .collect();
    store.record_all(&burst).await.unwrap();
    let events = store.events(4, 10).await.unwrap();
    assert_eq!(events, burst);
    // A burst longer than one statement carries, in order.
    let long: Vec<Event> = (0..600)
        .map(|i| Event {
            at: 10_000 + i,
            kind: format!("long{i}"),
            client_id: (i % 3 == 0).then(|| format!("c{i}")),
            detail: json!({"i": i, "text": "a $1 that is not a parameter"}),
        })
        .collect();
    store.record_all(&long).await.unwrap();
    assert_eq!(store.events(10_000, 1_000).await.unwrap(), long);
    // Leases: one holder at a time until it expires; the holder renews.
    assert!(store.lease("rot", "a", 100, 130).await.unwrap());
    assert!(!store.lease("rot", "b", 110, 140).await.unwrap());
    assert!(store.lease("rot", "a", 120, 150).await.unwrap());
    assert!(!store.lease("rot", "b", 149, 180).await.unwrap());
    assert!(store.lease("rot", "b", 151, 180).await.unwrap());
    // Only its holder gives a lease up; then another takes it before it expires.
    store.release_lease("rot", "a").await.unwrap();
    assert!(!store.lease("rot", "a", 160, 190).await.unwrap());
    store.release_lease("rot", "b").await.unwrap();
    assert!(store.lease("rot", "a", 160, 190).await.unwrap());
    store.ping().await.unwrap();
    // Facts: the first value recorded stays.
    assert_eq!(store.fact("master_key_check").await.unwrap(), None);
    assert_eq!(
        store.record_fact("master_key_check", "one").await.unwrap(),
        "one"
    );
    assert_eq!(
        store.record_fact("master_key_check", "two").await.unwrap(),
        "one"
    );
    assert_eq!(
        store.fact("master_key_check").await.unwrap().as_deref(),
        Some("one")
    );
    store.set_fact("issuer", "a").await.unwrap();
    store.set_fact("issuer", "b").await.unwrap();
    assert_eq!(store.fact("issuer").await.unwrap().as_deref(), Some("b"));
    users(store).await;
}

fn user(id: &str, name: &str) -> User {
    User {
        id: id.into(),
        username: name.into(),
        username_key: name.to_lowercase(),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        attributes: json!({"email": "ada@example.com", "email_verified": true, "custom": {"n": 1}})
            .as_object()
            .unwrap()
            .clone(),
        groups: vec!["admins".into(), "people with spaces".into()],
        enabled: true,
        logged_out_before_ms: None,
        created_at: 10,
        updated_at: 10,
        version: 0,
    }
}

/// Accounts: unique username keys, optimistic updates, an import that is all or nothing.
async fn users(store: &dyn Store) {
    let g = store.generation().await.unwrap();
    let mut ada = user("u1", "Ada");
    store.insert_user(&ada).await.unwrap();
    assert_eq!(store.user("u1").await.unwrap(), Some(ada.clone()));
    assert_eq!(
        store.user_by_username("ada").await.unwrap(),
        Some(ada.clone())
    );
    assert_eq!(
        store.user_by_username("Ada").await.unwrap(),
        None,
        "by key only"
    );
    assert_eq!(store.generation().await.unwrap(), g, "no cache holds users");
    // The same username key is taken, whoever asks.
    let err = store.insert_user(&user("u2", "ADA")).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("ADA")),
        "{err:?}"
    );
    let stale = ada.clone();
    ada.enabled = false;
    ada.logged_out_before_ms = Some(1234);
    ada.password_hash = None;
    store.update_user(&ada).await.unwrap();
    ada.version += 1;
    assert_eq!(store.user("u1").await.unwrap(), Some(ada.clone()));
    assert!(matches!(
        store.update_user(&stale).await,
        Err(StoreError::Conflict(_))
    ));
    // An import is one transaction: a taken username in it leaves nothing behind.
    let batch = [user("u3", "grace"), user("u4", "ada"), user("u5", "linus")];
    let err = store.import_users(&batch).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("`ada`")),
        "{err:?}"
    );
    assert_eq!(
        store.users().await.unwrap().len(),
        1,
        "nothing half-imported"
    );
    store
        .import_users(&[user("u3", "grace"), user("u5", "linus")])
        .await
        .unwrap();
    let names: Vec<String> = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["Ada", "grace", "linus"]);
    assert!(store.delete_user("u3").await.unwrap());
    assert!(!store.delete_user("u3").await.unwrap());
    assert_eq!(store.user("u3").await.unwrap(), None);
    sessions(store).await;
    grants(store).await;
    factors(store).await;
    sign_in_reads(store).await;
}

/// A sign-in's one read: the account, whether it has a factor to ask for, the two throttle
/// counters; each part there or not independently of the others.
async fn sign_in_reads(store: &dyn Store) {
    let mut hedy = user("si1", "Hedy");
    hedy.username_key = "hedy".into();
    store.insert_user(&hedy).await.unwrap();
    let read = store
        .sign_in_read(Some("hedy"), ["u:hedy", "a:10.0.0.9"])
        .await
        .unwrap();
    assert_eq!(read.user, Some(hedy.clone()));
    assert_eq!((read.throttles, read.second_factors), ([None, None], 0));
    // No account (also no key: a username that does not normalise), counters still read.
    store
        .throttle_failure("u:nobody", 4_000, 60_000)
        .await
        .unwrap();
    store
        .throttle_failure("a:10.0.0.9", 5_000, 60_000)
        .await
        .unwrap();
    store
        .throttle_failure("a:10.0.0.9", 6_000, 60_000)
        .await
        .unwrap();
    for key in [Some("nobody"), None] {
        let read = store
            .sign_in_read(key, ["u:nobody", "a:10.0.0.9"])
            .await
            .unwrap();
        assert_eq!(read.user, None);
        assert_eq!(read.second_factors, 0);
        assert_eq!(read.throttles, [Some((1, 4_000)), Some((2, 6_000))]);
    }
    // Recovery codes alone are no second step; an unconfirmed code or a passkey is counted
    // (the service reads the factors to decide).
    let factor = |id: &str, kind: &str| Factor {
        id: id.into(),
        user_id: "si1".into(),
        kind: kind.into(),
        name: "n".into(),
        secret: "s".into(),
        counter: 0,
        confirmed: false,
        created_at: 10,
        last_used: None,
        data: "{}".into(),
    };
    store
        .replace_factors("si1", "recovery", &[factor("sr1", "recovery")])
        .await
        .unwrap();
    let read = store
        .sign_in_read(Some("hedy"), ["a:10.0.0.9", "u:hedy"])
        .await
        .unwrap();
    assert_eq!(read.second_factors, 0);
    assert_eq!(read.throttles, [Some((2, 6_000)), None]);
    store.insert_factor(&factor("st1", "totp")).await.unwrap();
    store
        .insert_factor(&factor("sp1", "passkey"))
        .await
        .unwrap();
    let read = store
        .sign_in_read(Some("hedy"), ["u:hedy", "u:hedy"])
        .await
        .unwrap();
    assert_eq!(read.second_factors, 2);
    assert_eq!(read.user.map(|u| u.id), Some("si1".into()));
    // Another person's factors are not counted.
    let mut ida = user("si2", "Ida");
    ida.username_key = "ida".into();
    store.insert_user(&ida).await.unwrap();
    let read = store
        .sign_in_read(Some("ida"), ["u:ida", "a:x"])
        .await
        .unwrap();
    assert_eq!(
        (read.user.map(|u| u.id), read.second_factors),
        (Some("si2".into()), 0)
    );
}

/// Sessions: found by hash, touched, listed newest first, ended one, all but one, or idle;
/// the throttle counts failures and starts over after a quiet while.
/// One throttle counter (read as the service does, two at a time).
async fn throttle(store: &dyn Store, key: &str) -> Option<(i64, i64)> {
    let [counter, _] = store.throttles([key, key]).await.unwrap();
    counter
}

async fn sessions(store: &dyn Store) {
    let s = |hash: &str, user: &str, created_ms: i64| Session {
        id_hash: hash.into(),
        user_id: user.into(),
        created_ms,
        last_seen: created_ms / 1000,
        address: "127.0.0.1".into(),
        user_agent: "test".into(),
        auth: String::new(),
    };
    for (h, u, t) in [
        ("h1", "u1", 1_000),
        ("h2", "u1", 2_000),
        ("h3", "u5", 3_000),
    ] {
        store.insert_session(&s(h, u, t)).await.unwrap();
    }
    assert_eq!(
        store.session("h1").await.unwrap(),
        Some(s("h1", "u1", 1_000))
    );
    store.touch_session("h1", 50).await.unwrap();
    store.touch_session("h1", 40).await.unwrap();
    assert_eq!(store.session("h1").await.unwrap().unwrap().last_seen, 50);
    let mine: Vec<String> = store
        .sessions_of("u1")
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id_hash)
        .collect();
    assert_eq!(mine, ["h2", "h1"]);
    assert_eq!(store.delete_sessions_of("u1", Some("h2")).await.unwrap(), 1);
    assert!(store.session("h1").await.unwrap().is_none());
    assert!(store.delete_session("h2").await.unwrap());
    assert!(!store.delete_session("h2").await.unwrap());
    assert_eq!(store.purge_sessions(4).await.unwrap(), 1, "h3 idle since 3");
    assert!(throttle(store, "a:x").await.is_none());
    store.throttle_failure("a:x", 1_000, 60_000).await.unwrap();
    store.throttle_failure("a:x", 2_000, 60_000).await.unwrap();
    assert_eq!(throttle(store, "a:x").await, Some((2, 2_000)));
    store
        .throttle_failure("a:x", 100_000, 60_000)
        .await
        .unwrap();
    assert_eq!(
        throttle(store, "a:x").await,
        Some((1, 100_000)),
        "started over"
    );
    store.throttle_clear("a:x").await.unwrap();
    assert!(throttle(store, "a:x").await.is_none());
    store.throttle_failure("a:y", 5_000, 60_000).await.unwrap();
    store.throttle_failure("a:z", 9_000, 60_000).await.unwrap();
    assert_eq!(store.purge_throttle(6_000).await.unwrap(), 1);
    assert!(throttle(store, "a:y").await.is_none());
    assert!(throttle(store, "a:z").await.is_some());
    // Two counters in one read, in the order asked; the same key twice; none.
    store.throttle_failure("u:q", 7_000, 60_000).await.unwrap();
    assert_eq!(
        store.throttles(["u:q", "a:z"]).await.unwrap(),
        [Some((1, 7_000)), Some((1, 9_000))]
    );
    assert_eq!(
        store.throttles(["a:y", "u:q"]).await.unwrap(),
        [None, Some((1, 7_000))]
    );
    assert_eq!(
        store.throttles(["u:q", "u:q"]).await.unwrap(),
        [Some((1, 7_000)), Some((1, 7_000))]
    );
    assert_eq!(
        store.throttles(["a:y", "u:none"]).await.unwrap(),
        [None, None]
    );
}

/// Codes are redeemed once (a replay sees the first redemption and what it issued); consents
/// grow, are removed with a cut-off, and end the person's tokens with a forced logout or a
/// disabled account.
/// Second factors: a TOTP step and a recovery code are used once, a passkey's counter only
/// moves forward (0 stays allowed for authenticators that do not count), challenges are
/// answered once and not after they expire, a session's level can be raised.
async fn factors(store: &dyn Store) {
    let f = |id: &str, kind: &str, counter: i64| Factor {
        id: id.into(),
        user_id: "fu".into(),
        kind: kind.into(),
        name: "n".into(),
        secret: "s".into(),
        counter,
        confirmed: kind != "totp",
        created_at: 10,
        last_used: None,
        data: "{}".into(),
    };
    store.insert_factor(&f("t1", "totp", 0)).await.unwrap();
    store.insert_factor(&f("p1", "passkey", 0)).await.unwrap();
    store.insert_factor(&f("p2", "passkey", 5)).await.unwrap();
    assert_eq!(store.factors_of("fu").await.unwrap().len(), 3);
    assert!(!store.factor("t1").await.unwrap().unwrap().confirmed);
    // A TOTP step: forward once; the same or an earlier step not again. Use confirms it.
    assert!(store.advance_factor("t1", 100, 20).await.unwrap());
    assert!(!store.advance_factor("t1", 100, 21).await.unwrap());
    assert!(!store.advance_factor("t1", 99, 21).await.unwrap());
    let t = store.factor("t1").await.unwrap().unwrap();
    assert!(t.confirmed && t.counter == 100 && t.last_used == Some(20));
    // A passkey that does not count (0 → 0) passes; one that counts must grow.
    assert!(store.advance_factor("p1", 0, 22).await.unwrap());
    assert!(store.advance_factor("p1", 0, 23).await.unwrap());
    assert!(!store.advance_factor("p2", 5, 23).await.unwrap());
    assert!(!store.advance_factor("p2", 3, 23).await.unwrap());
    assert!(store.advance_factor("p2", 6, 23).await.unwrap());
    // Recovery codes: replaced as a set; each used once.
    store
        .replace_factors(
            "fu",
            "recovery",
            &[f("r1", "recovery", 0), f("r2", "recovery", 0)],
        )
        .await
        .unwrap();
    store
        .replace_factors("fu", "recovery", &[f("r3", "recovery", 0)])
        .await
        .unwrap();
    assert!(store.factor("r1").await.unwrap().is_none());
    assert!(store.advance_factor("r3", 1, 30).await.unwrap());
    assert!(!store.advance_factor("r3", 1, 31).await.unwrap());
    assert!(
        store
            .replace_factors("fu", "recovery", &[f("x", "totp", 0)])
            .await
            .is_err()
    );
    assert!(!store.delete_factor("other", "p1").await.unwrap());
    assert!(store.delete_factor("fu", "p1").await.unwrap());
    assert_eq!(
        store.delete_factors("fu", Some("passkey")).await.unwrap(),
        1
    );
    // The operator's requirement.
    assert!(!store.mfa_required("fu").await.unwrap());
    store.set_mfa_required("fu", true).await.unwrap();
    store.set_mfa_required("fu", true).await.unwrap();
    assert!(store.mfa_required("fu").await.unwrap());
    store.set_mfa_required("fu", false).await.unwrap();
    assert!(!store.mfa_required("fu").await.unwrap());
    assert_eq!(store.delete_factors("fu", None).await.unwrap(), 2);
    // Challenges: once, and not after they expire.
    store
        .insert_challenge("c1", "register", "fu", 100)
        .await
        .unwrap();
    store
        .insert_challenge("c2", "login", "", 100)
        .await
        .unwrap();
    assert_eq!(
        store.take_challenge("c1", 50).await.unwrap(),
        Some(("register".into(), "fu".into()))
    );
    assert_eq!(store.take_challenge("c1", 50).await.unwrap(), None);
    assert_eq!(store.take_challenge("c2", 101).await.unwrap(), None);
    store
        .insert_challenge("c3", "login", "", 100)
        .await
        .unwrap();
    assert_eq!(store.purge_challenges(101).await.unwrap(), 1);
    // A session's level, raised in place.
    let s = Session {
        id_hash: "fs".into(),
        user_id: "fu".into(),
        created_ms: 1_000,
        last_seen: 1,
        address: "127.0.0.1".into(),
        user_agent: "t".into(),
        auth: r#"{"amr":["pwd"]}"#.into(),
    };
    store.insert_session(&s).await.unwrap();
    assert_eq!(store.session("fs").await.unwrap().unwrap().auth, s.auth);
    assert!(
        store
            .set_session_auth("fs", r#"{"amr":["pwd"],"extra":["otp"]}"#)
            .await
            .unwrap()
    );
    assert!(!store.set_session_auth("nope", "{}").await.unwrap());
    assert!(
        store
            .session("fs")
            .await
            .unwrap()
            .unwrap()
            .auth
            .contains("otp")
    );
    store.delete_session("fs").await.unwrap();
}

async fn grants(store: &dyn Store) {
    let mut c2 = client("app");
    c2.redirect_uris = vec![
        "https://app.example/cb".into(),
        "http://127.0.0.1/cb".into(),
    ];
    c2.grant_types = vec!["authorization_code".into()];
    c2.public = true;
    c2.web_origins = vec!["https://app.example".into()];
    c2.require_par = true;
    c2.backchannel_logout_uri = Some("https://app.example/bc".into());
    c2.claim_map = vec!["rename:email=mail".into(), "add:groups".into()];
    store.insert_client(&c2).await.unwrap();
    assert_eq!(store.client("app").await.unwrap(), Some(c2.clone()));
    let code = AuthCode {
        code_hash: "k1".into(),
        client_id: "app".into(),
        user_id: "g1".into(),
        session_hash: "s1".into(),
        redirect_uri: "https://app.example/cb".into(),
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        nonce: Some("n-0S6_WzA2Mj".into()),
        scopes: vec!["openid".into(), "email".into()],
        resources: vec![],
        auth_time: 100,
        auth: r#"{"amr":["pwd","otp"]}"#.into(),
        expires_at: 160,
        used_at: None,
        issued_jti: None,
    };
    store.insert_code(&code).await.unwrap();
    assert_eq!(
        store.redeem_code("nope", 110, "j0", None).await.unwrap(),
        Err(None)
    );
    let got = store
        .redeem_code("k1", 110, "jti-1", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.used_at, Some(110));
    assert_eq!(got.nonce, code.nonce);
    assert_eq!(got.auth, code.auth);
    assert_eq!(got.issued_jti.as_deref(), Some("jti-1"));
    let again = store
        .redeem_code("k1", 111, "jti-2", None)
        .await
        .unwrap()
        .unwrap_err()
        .unwrap();
    assert_eq!(again.issued_jti.as_deref(), Some("jti-1"));
    assert_eq!(again.used_at, Some(110), "the first redemption stays");
    // A pushed request: found until it expires or gives a code.
    store
        .push_request("u1", "app", "response_type=code", 150)
        .await
        .unwrap();
    assert_eq!(
        store.pushed_request("u1", 150).await.unwrap(),
        Some(("app".to_owned(), "response_type=code".to_owned(), 150))
    );
    assert_eq!(
        store.pushed_request("u1", 151).await.unwrap(),
        None,
        "expired"
    );
    assert!(store.use_pushed_request("u1").await.unwrap());
    assert!(!store.use_pushed_request("u1").await.unwrap(), "once");
    assert_eq!(store.pushed_request("u1", 140).await.unwrap(), None, "used");
    assert_eq!(store.purge_codes(161).await.unwrap(), 2);
    assert_eq!(
        store.redeem_code("k1", 200, "j3", None).await.unwrap(),
        Err(None)
    );

    // Consents, and whether a person's token still holds.
    let mut grace = user("g1", "Grace");
    store.insert_user(&grace).await.unwrap();
    assert!(
        !store
            .user_token_revoked("g1", "app", 1_000, None)
            .await
            .unwrap()
    );
    // A code's grant holds while its session exists and the person's access does.
    store
        .insert_session(&tessera_store::Session {
            id_hash: "gs1".into(),
            user_id: "g1".into(),
            created_ms: 900,
            last_seen: 1,
            address: "127.0.0.1".into(),
            user_agent: "test".into(),
            auth: String::new(),
        })
        .await
        .unwrap();
    let holds = |session: &'static str, user: &'static str, client: &'static str, at: i64| {
        store.code_grant_holds(session, user, client, at)
    };
    assert!(holds("gs1", "g1", "app", 1_000).await.unwrap());
    assert!(
        !holds("gone", "g1", "app", 1_000).await.unwrap(),
        "no session"
    );
    assert!(
        !holds("gs1", "nobody", "app", 1_000).await.unwrap(),
        "no account"
    );
    assert!(
        store
            .user_token_revoked("nobody", "app", 1_000, None)
            .await
            .unwrap()
    );
    let consent = Consent {
        user_id: "g1".into(),
        client_id: "app".into(),
        scopes: vec!["openid".into()],
        granted_at: 5,
        revoked_before_ms: None,
    };
    store.grant_consent(&consent).await.unwrap();
    store
        .grant_consent(&Consent {
            scopes: vec!["openid".into(), "email".into()],
            granted_at: 6,
            ..consent.clone()
        })
        .await
        .unwrap();
    let got = store.consent("g1", "app").await.unwrap().unwrap();
    assert_eq!(got.scopes, ["openid", "email"]);
    assert_eq!(store.consents_of("g1").await.unwrap().len(), 1);
    assert!(store.revoke_consent("g1", "app", 2_000).await.unwrap());
    assert!(
        !store.revoke_consent("g1", "app", 3_000).await.unwrap(),
        "once"
    );
    assert!(store.consents_of("g1").await.unwrap().is_empty());
    assert!(
        store
            .user_token_revoked("g1", "app", 2_000, None)
            .await
            .unwrap()
    );
    assert!(
        !store
            .user_token_revoked("g1", "app", 2_001, None)
            .await
            .unwrap()
    );
    assert!(
        !holds("gs1", "g1", "app", 2_000).await.unwrap(),
        "consent removed"
    );
    assert!(holds("gs1", "g1", "app", 2_001).await.unwrap());
    assert!(
        !store
            .user_token_revoked("g1", "other", 1_000, None)
            .await
            .unwrap()
    );
    // Consent again: the cut-off stays (older tokens stay dead).
    store.grant_consent(&consent).await.unwrap();
    assert!(
        store
            .user_token_revoked("g1", "app", 2_000, None)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .consent("g1", "app")
            .await
            .unwrap()
            .unwrap()
            .revoked_before_ms,
        Some(2_000)
    );
    grace.logged_out_before_ms = Some(5_000);
    store.update_user(&grace).await.unwrap();
    grace.version += 1;
    assert!(
        store
            .user_token_revoked("g1", "other", 5_000, None)
            .await
            .unwrap()
    );
    assert!(
        !store
            .user_token_revoked("g1", "other", 5_001, None)
            .await
            .unwrap()
    );
    assert!(
        !holds("gs1", "g1", "other", 5_000).await.unwrap(),
        "forced logout"
    );
    assert!(holds("gs1", "g1", "other", 5_001).await.unwrap());
    grace.enabled = false;
    store.update_user(&grace).await.unwrap();
    assert!(
        !holds("gs1", "g1", "other", 9_000).await.unwrap(),
        "disabled"
    );
    grace.version += 1;
    grace.enabled = true;
    store.update_user(&grace).await.unwrap();
    assert!(holds("gs1", "g1", "other", 9_000).await.unwrap());
    assert!(store.delete_session("gs1").await.unwrap());
    assert!(
        !holds("gs1", "g1", "other", 9_000).await.unwrap(),
        "signed out"
    );
    grace.version += 1;
    grace.enabled = false;
    store.update_user(&grace).await.unwrap();
    assert!(
        store
            .user_token_revoked("g1", "other", 9_000, None)
            .await
            .unwrap()
    );
    // Pairwise subjects: one per (sector, person), the first recorded wins a race, found back
    // by subject within its sector only, gone with the account.
    let sub = |sector: &'static str, candidate: &'static str| {
        store.pairwise_subject(sector, "g1", candidate, 10)
    };
    assert_eq!(sub("app.example", "cand-1").await.unwrap(), "cand-1");
    assert_eq!(sub("app.example", "cand-2").await.unwrap(), "cand-1");
    assert_eq!(sub("other.example", "cand-3").await.unwrap(), "cand-3");
    let user = |sector: &'static str, subject: &'static str| store.pairwise_user(sector, subject);
    assert_eq!(
        user("app.example", "cand-1").await.unwrap().as_deref(),
        Some("g1")
    );
    assert_eq!(user("other.example", "cand-1").await.unwrap(), None);
    assert_eq!(user("app.example", "cand-2").await.unwrap(), None);
    assert!(store.delete_user("g1").await.unwrap());
    assert_eq!(user("app.example", "cand-1").await.unwrap(), None);
    assert!(store.delete_client("app").await.unwrap());
}

/// Where there is no store, the operator's open says so and creates nothing; the service's
/// (or `tessera init`'s) makes the whole schema.
#[tokio::test]
async fn a_missing_store_is_reported_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("typo");
    let location = Location::DataDir(&folder);
    let missing = tessera_store::open(location, Migrations::Require).await;
    assert!(
        matches!(&missing, Err(StoreError::NoStore(at)) if at.contains("typo")),
        "{:?}",
        missing.err()
    );
    assert!(!folder.exists(), "nothing was created");
    assert!(matches!(
        tessera_store::connect(location, false).await,
        Err(StoreError::NoStore(_))
    ));
    let raw = tessera_store::connect(location, true).await.unwrap();
    assert_eq!(raw.schema().await.unwrap(), Schema::Empty);
    // An empty database is no store either.
    assert!(matches!(
        tessera_store::open(location, Migrations::Require).await,
        Err(StoreError::NoStore(_))
    ));
    let store = tessera_store::open(location, Migrations::Apply)
        .await
        .unwrap();
    assert_eq!(raw.schema().await.unwrap(), Schema::Current);
    assert_eq!(store.generation().await.unwrap(), 0);
    tessera_store::open(location, Migrations::Require)
        .await
        .unwrap();
}

/// Status list blocks: taken concurrently (as nodes and requests do), they never overlap; a
/// full or closed list gives way to a new one; records of a list are purged with it.
async fn status_blocks(store: Arc<dyn Store>, one_writer: bool) {
    use tessera_store::{StatusListInfo, TokenStatus};
    let new = |now: i64| StatusListInfo {
        id: 0,
        capacity: 64,
        perm_key: "k".into(),
        created_at: now,
        closes_at: now + 100,
        expires_at: now + 200,
    };
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let store = Arc::clone(&store);
        tasks.spawn(async move { store.take_status_block(1000, 8, &new(1000)).await.unwrap() });
    }
    let mut taken = Vec::new();
    while let Some(b) = tasks.join_next().await {
        taken.push(b.unwrap());
    }
    let mut ranges: Vec<(i64, i64, i64)> =
        taken.iter().map(|b| (b.list.id, b.start, b.end)).collect();
    ranges.sort_unstable();
    for w in ranges.windows(2) {
        assert!(w[0].0 != w[1].0 || w[0].2 <= w[1].1, "overlap: {ranges:?}");
    }
    // 12 blocks of 8 in lists of 64, each within its list. SQLite (one writer) fills the
    // first list, then makes one more; PostgreSQL nodes racing may each make a list, and the
    // newest open one is used first, which only spreads tokens wider.
    assert!(ranges.iter().all(|r| r.2 <= 64), "{ranges:?}");
    let lists: std::collections::BTreeSet<i64> = ranges.iter().map(|r| r.0).collect();
    let first = *lists.iter().next().unwrap();
    if one_writer {
        assert_eq!(
            ranges.iter().filter(|r| r.0 == first).count(),
            8,
            "{ranges:?}"
        );
        assert_eq!(lists.len(), 2, "{ranges:?}");
    }
    // A closed list gives way too.
    let later = store.take_status_block(1100, 8, &new(1100)).await.unwrap();
    assert!(!lists.contains(&later.list.id));
    assert_eq!(later.start, 0);
    store
        .record_status(&TokenStatus {
            list_id: first,
            seq: 0,
            jti: "j".into(),
            client_id: "nobody".into(),
            user_id: None,
            grant_id: None,
            issued_ms: 1_000_000,
        })
        .await
        .unwrap();
    // A client that does not exist is not a deleted one: nothing is listed.
    assert!(store.revoked_seqs(first).await.unwrap().is_empty());
    store.revoke_jti("j", "nobody", 5000).await.unwrap();
    assert_eq!(store.revoked_seqs(first).await.unwrap(), [0]);
    // A redemption writes its token's record in its own commit, with the code's person: only
    // for the call that redeems the code, and only for the code's client.
    let sue = user("su1", "Sue");
    store.insert_user(&sue).await.unwrap();
    let list = later.list.id;
    let record = |seq: i64, jti: &str, client: &str| TokenStatus {
        list_id: list,
        seq,
        jti: jti.into(),
        client_id: client.into(),
        user_id: None,
        grant_id: Some("family-1".into()),
        issued_ms: 1_100_000,
    };
    for (hash, client) in [("c-sue", "app"), ("c-other", "app")] {
        store
            .insert_code(&tessera_store::AuthCode {
                code_hash: hash.into(),
                client_id: client.into(),
                user_id: "su1".into(),
                session_hash: "s1".into(),
                redirect_uri: "https://app.example/cb".into(),
                code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
                nonce: None,
                scopes: vec!["openid".into()],
                resources: vec![],
                auth_time: 1100,
                auth: String::new(),
                expires_at: 1160,
                used_at: None,
                issued_jti: None,
            })
            .await
            .unwrap();
    }
    let redeemed = store
        .redeem_code("c-sue", 1101, "jti-sue", Some(&record(1, "jti-sue", "app")))
        .await
        .unwrap();
    assert!(redeemed.is_ok());
    // A replay writes nothing; neither does a redemption by another client.
    assert!(
        store
            .redeem_code(
                "c-sue",
                1102,
                "jti-replay",
                Some(&record(2, "jti-replay", "app"))
            )
            .await
            .unwrap()
            .is_err()
    );
    assert!(
        store
            .redeem_code(
                "c-other",
                1102,
                "jti-thief",
                Some(&record(3, "jti-thief", "thief"))
            )
            .await
            .unwrap()
            .is_ok()
    );
    store.revoke_jti("jti-replay", "app", 5000).await.unwrap();
    store.revoke_jti("jti-thief", "thief", 5000).await.unwrap();
    assert!(store.revoked_seqs(list).await.unwrap().is_empty());
    // Sue's account disabled: her token (by the code's person) is listed.
    store
        .update_user(&User {
            enabled: false,
            ..sue
        })
        .await
        .unwrap();
    assert_eq!(store.revoked_seqs(list).await.unwrap(), [1]);
    let published = store.status_lists(1150).await.unwrap().len();
    assert_eq!(published, lists.len() + 1);
    assert_eq!(
        store.purge_status_lists(1250).await.unwrap(),
        u64::try_from(lists.len()).unwrap()
    );
    assert!(store.status_list(first).await.unwrap().is_none());
    assert!(
        store.revoked_seqs(first).await.unwrap().is_empty(),
        "records purged"
    );
    assert_eq!(store.status_lists(1250).await.unwrap().len(), 1);
}

#[tokio::test]
async fn sqlite_status_blocks() {
    let dir = tempfile::tempdir().unwrap();
    status_blocks(Arc::new(sqlite(&dir.path().join("t.db")).await), true).await;
}

#[tokio::test]
async fn postgres_status_blocks() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    status_blocks(Arc::new(postgres(&db.url).await), false).await;
    db.drop_now().await;
}

#[tokio::test]
async fn sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(&dir.path().join("t.db")).await;
    suite(&store).await;
    // WAL mode, and what was written survives a reopen.
    drop(store);
    let again: Arc<dyn Store> = Arc::new(sqlite(&dir.path().join("t.db")).await);
    assert_eq!(again.clients().await.unwrap().len(), 1);
    assert!(dir.path().join("t.db-wal").exists() || dir.path().join("t.db").exists());
}

#[tokio::test]
async fn postgres_store() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let store = postgres(&db.url).await;
    suite(&store).await;
    drop(store);
    db.drop_now().await;
}

/// A database of the first schema, with a client in it: opening it for an operator command
/// refuses it and changes nothing; the explicit step upgrades it in place, keeping the client
/// with the later columns at their defaults; a migration from a newer build is refused.
async fn schema_one_upgrades<DB: sqlx::Database>(
    backend: &str,
    pool: &sqlx::Pool<DB>,
    location: Location<'_>,
) where
    for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Connection: sqlx::migrate::Migrate,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> Vec<u8>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let first = tempfile::tempdir().unwrap();
    std::fs::copy(
        format!(
            "{}/migrations/{backend}/0001_init.sql",
            env!("CARGO_MANIFEST_DIR")
        ),
        first.path().join("0001_init.sql"),
    )
    .unwrap();
    sqlx::migrate::Migrator::new(first.path())
        .await
        .unwrap()
        .run(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO clients (id, name, secret_hash, scopes, audiences, token_ttl, enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind("c_old".to_owned())
    .bind("old".to_owned())
    .bind(vec![1u8; 32])
    .bind("a b".to_owned())
    .bind("api://x".to_owned())
    .bind(900i64)
    .bind(1i64)
    .bind(5i64)
    .bind(6i64)
    .execute(pool)
    .await
    .unwrap();
    // A cut-off of the first schema, in seconds: every token issued in second 50 was revoked.
    sqlx::query(
        "INSERT INTO clients (id, name, secret_hash, scopes, audiences, token_ttl, enabled, tokens_revoked_before, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind("c_cut".to_owned())
    .bind("cut".to_owned())
    .bind(vec![1u8; 32])
    .bind("a".to_owned())
    .bind("api://x".to_owned())
    .bind(900i64)
    .bind(1i64)
    .bind(50i64)
    .bind(5i64)
    .bind(6i64)
    .execute(pool)
    .await
    .unwrap();
    let refused = tessera_store::open(location, Migrations::Require).await;
    assert!(
        matches!(refused, Err(StoreError::Behind { applied: 1, known }) if known >= 3),
        "{:?}",
        refused.err()
    );
    let raw = tessera_store::connect(location, false).await.unwrap();
    assert!(matches!(
        raw.schema().await.unwrap(),
        Schema::Behind { applied: 1, .. }
    ));
    let applied = raw.migrate().await.unwrap();
    assert_eq!(applied.first(), Some(&2), "{applied:?}");
    assert!(raw.migrate().await.unwrap().is_empty(), "applied once");
    assert_eq!(raw.schema().await.unwrap(), Schema::Current);
    let store = tessera_store::open(location, Migrations::Require)
        .await
        .unwrap();
    let mut expected = client("c_old");
    expected.name = "old".into();
    (expected.created_at, expected.updated_at) = (5, 6);
    assert_eq!(store.client("c_old").await.unwrap(), Some(expected));
    // The cut-off became the last millisecond of its second: the same tokens stay revoked.
    let cut = store.client("c_cut").await.unwrap().unwrap();
    assert_eq!(cut.tokens_revoked_before_ms, Some(50_999));
    assert!(store.is_revoked("j", "c_cut", 50_999).await.unwrap());
    assert!(!store.is_revoked("j", "c_cut", 51_000).await.unwrap());
    assert!(!store.is_revoked("j", "c_old", 51_000).await.unwrap());
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (9999, 'from a newer tessera', TRUE, $1, 0)",
    )
    .bind(vec![0u8; 48])
    .execute(pool)
    .await
    .unwrap();
    let refused = tessera_store::open(location, Migrations::Require).await;
    assert!(
        matches!(refused, Err(StoreError::Ahead { applied: 9999, .. })),
        "{:?}",
        refused.err()
    );
}

#[tokio::test]
async fn sqlite_schema_one_upgrades() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tessera.db");
    let pool = sqlx::SqlitePool::connect_with(
        sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true),
    )
    .await
    .unwrap();
    schema_one_upgrades("sqlite", &pool, Location::DataDir(dir.path())).await;
}

#[tokio::test]
async fn postgres_schema_one_upgrades() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    schema_one_upgrades("postgres", &pool, Location::Postgres(&db.url)).await;
    pool.close().await;
    db.drop_now().await;
}

/// Whatever fails the generation's bump (here a trigger, as a crash would between two
/// statements) undoes the write with it: no node can hold a change it was never told about.
async fn a_write_and_its_generation_are_one(store: &dyn Store) {
    let g = store.generation().await.unwrap();
    assert!(store.insert_client(&client("c_lost")).await.is_err());
    assert_eq!(store.client("c_lost").await.unwrap(), None);
    assert_eq!(store.generation().await.unwrap(), g);
}

#[tokio::test]
async fn sqlite_bumps_the_generation_in_the_writes_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = sqlite(&path).await;
    let raw =
        sqlx::SqlitePool::connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(&path))
            .await
            .unwrap();
    sqlx::query(
        "CREATE TRIGGER no_bump BEFORE UPDATE ON generation BEGIN SELECT RAISE(ABORT, 'no bump'); END",
    )
    .execute(&raw)
    .await
    .unwrap();
    a_write_and_its_generation_are_one(&store).await;
}

#[tokio::test]
async fn postgres_bumps_the_generation_in_the_writes_transaction() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let store = postgres(&db.url).await;
    let raw = sqlx::PgPool::connect(&db.url).await.unwrap();
    for statement in [
        "CREATE FUNCTION no_bump() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'no bump'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER no_bump BEFORE UPDATE ON generation FOR EACH ROW EXECUTE FUNCTION no_bump()",
    ] {
        sqlx::query(statement).execute(&raw).await.unwrap();
    }
    a_write_and_its_generation_are_one(&store).await;
    drop((store, raw));
    db.drop_now().await;
}

/// Managed PostgreSQL services need TLS (`sslmode=require` / `verify-full`): the store speaks
/// it (the machine's PostgreSQL has `ssl = on`), and a connection that fails says why at once,
/// instead of a pool timeout.
#[tokio::test]
async fn postgres_over_tls_and_failures_that_say_why() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let store = postgres(&format!("{}?sslmode=require", db.url)).await;
    store.ping().await.unwrap();
    let raw = sqlx::PgPool::connect(&format!("{}?sslmode=require", db.url))
        .await
        .unwrap();
    let ssl: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert!(ssl, "the connection is encrypted");
    // verify-full: the server's certificate (the machine's self-signed one, for localhost) is
    // checked against the CA given with sslrootcert; without it, the message says what to do.
    let cert: String = sqlx::query_scalar("SHOW ssl_cert_file")
        .fetch_one(&raw)
        .await
        .unwrap();
    raw.close().await;
    drop(store);
    let by_name = db.url.replace("127.0.0.1", "localhost");
    let store = postgres(&format!("{by_name}?sslmode=verify-full&sslrootcert={cert}")).await;
    store.ping().await.unwrap();
    drop(store);
    let err = SqlStore::postgres(&format!("{by_name}?sslmode=verify-full"))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("certificate is not trusted") && err.contains("sslrootcert=FILE"),
        "{err}"
    );
    let started = std::time::Instant::now();
    let unknown = db.url.rsplit_once('/').unwrap().0.to_owned() + "/no_such_database_here";
    let err = SqlStore::postgres(&unknown)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("does not exist"), "{err}");
    let closed = format!(
        "postgres://postgres@127.0.0.1:{}/postgres",
        testkit::free_port()
    );
    let err = SqlStore::postgres(&closed).await.err().unwrap().to_string();
    assert!(err.to_lowercase().contains("refused"), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "no pool timeout"
    );
    db.drop_now().await;
}
