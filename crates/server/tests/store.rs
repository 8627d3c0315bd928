//! The store's test suite, run against SQLite and against PostgreSQL. The PostgreSQL run creates
//! its own database on the server at `TESSERA_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and drops it afterwards; it fails instead of
//! skipping when the server is missing and `TESSERA_REQUIRE_POSTGRES` is set (as `.ci/run` does).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::PgDatabase;
use serde_json::json;
use tessera_server::store::{Client, Event, KeyState, PgStore, SqliteStore, Store, StoredKey};

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
        tokens_revoked_before: None,
        created_at: 10,
        updated_at: 10,
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
    c.tokens_revoked_before = Some(50);
    store.update_client(&c).await.unwrap();
    assert_eq!(store.client("c1").await.unwrap(), Some(c.clone()));
    assert!(store.update_client(&client("ghost")).await.is_err());
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
        state: KeyState::Next,
        private_jwe: "sealed".into(),
        public_jwk: "{}".into(),
        created_at: 5,
        activated_at: None,
        retired_at: None,
        remove_after: None,
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
    store.delete_key("k1").await.unwrap();
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
    // Leases: one holder at a time until it expires; the holder renews.
    assert!(store.lease("rot", "a", 100, 130).await.unwrap());
    assert!(!store.lease("rot", "b", 110, 140).await.unwrap());
    assert!(store.lease("rot", "a", 120, 150).await.unwrap());
    assert!(!store.lease("rot", "b", 149, 180).await.unwrap());
    assert!(store.lease("rot", "b", 151, 180).await.unwrap());
    store.ping().await.unwrap();
}

#[tokio::test]
async fn sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
    suite(&store).await;
    // WAL mode, and what was written survives a reopen.
    drop(store);
    let again: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&dir.path().join("t.db")).await.unwrap());
    assert_eq!(again.clients().await.unwrap().len(), 1);
    assert!(dir.path().join("t.db-wal").exists() || dir.path().join("t.db").exists());
}

#[tokio::test]
async fn postgres_store() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let store = PgStore::connect(&db.url).await.unwrap();
    suite(&store).await;
    drop(store);
    db.drop_now().await;
}
