//! The master key and the store: a store keeps the check value of the key it was made with, and
//! a process with another key is refused before it reads or writes anything; a store made
//! before check values were kept has its key's value recorded once its signing keys are seen
//! to open under it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use tessera_server::keys::{Secrets, bind};
use tessera_store::{MASTER_KEY_CHECK, SqlStore, Store};

#[tokio::test]
async fn a_store_made_before_check_values_is_bound_to_the_key_of_its_signing_keys() {
    let store: Arc<dyn Store> = Arc::new(SqlStore::memory().await.unwrap());
    // A service made the signing keys (under the test master key, 42 × 32) and no check value
    // was recorded, as before this version.
    let s = common::service_with(Arc::clone(&store), common::config(&[])).await;
    assert!(!s.admin.keys().await.unwrap().is_empty());
    assert_eq!(store.fact(MASTER_KEY_CHECK).await.unwrap(), None);
    let right = Secrets::from_master(&[42u8; 32]);
    let wrong = Secrets::from_master(&[1u8; 32]);
    assert_ne!(right.check_value(), wrong.check_value());
    // Another key does not open the signing keys: refused, and nothing is recorded.
    let err = bind(store.as_ref(), &wrong, "TESSERA_MASTER_KEY")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("does not open this store's signing keys")
            && err.contains("TESSERA_MASTER_KEY"),
        "{err}"
    );
    assert_eq!(store.fact(MASTER_KEY_CHECK).await.unwrap(), None);
    // The store's own key is recorded, and from then on the check value decides.
    bind(store.as_ref(), &right, "master.key").await.unwrap();
    assert_eq!(
        store.fact(MASTER_KEY_CHECK).await.unwrap().as_deref(),
        Some(right.check_value())
    );
    bind(store.as_ref(), &right, "master.key").await.unwrap();
    let err = bind(store.as_ref(), &wrong, "TESSERA_MASTER_KEY")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("is not this store's")
            && err.contains(right.check_value())
            && err.contains(wrong.check_value()),
        "{err}"
    );
}

#[tokio::test]
async fn an_empty_store_takes_the_first_key_that_binds_it() {
    let store: Arc<dyn Store> = Arc::new(SqlStore::memory().await.unwrap());
    let first = Secrets::from_master(&[7u8; 32]);
    let second = Secrets::from_master(&[8u8; 32]);
    bind(store.as_ref(), &first, "a").await.unwrap();
    assert!(bind(store.as_ref(), &second, "b").await.is_err());
    bind(store.as_ref(), &first, "a").await.unwrap();
}

/// A signing key stored under another master key (what a command with the wrong key used to
/// write) does not take the node down silently: the refresh fails with a message that names the
/// key, the node keeps serving what it had, and `/readyz` says it is not ready until the store
/// is mended.
#[tokio::test]
async fn a_current_key_that_does_not_open_makes_the_node_unready() {
    let store: Arc<dyn Store> = Arc::new(SqlStore::memory().await.unwrap());
    let s = common::service_with(Arc::clone(&store), common::config(&[])).await;
    let c = s.client("read", &["api://x"]).await;
    assert_eq!(s.get("/readyz").await.0, axum::http::StatusCode::OK);
    let keys = store.keys().await.unwrap();
    let mut old = keys
        .iter()
        .find(|k| {
            k.state == tessera_store::KeyState::Current
                && k.purpose == tessera_store::KeyPurpose::Access
        })
        .unwrap()
        .clone();
    let jwk = tessera_jose::Jwk::generate(tessera_jose::JwsAlg::ES256).unwrap();
    let foreign = Secrets::from_master(&[1u8; 32]);
    let intruder = tessera_store::StoredKey {
        kid: "intruder".into(),
        private_jwe: foreign.seal(&jwk).unwrap(),
        public_jwk: jwk.to_public().unwrap().to_json(),
        state: tessera_store::KeyState::Current,
        ..old.clone()
    };
    old.state = tessera_store::KeyState::Previous;
    store.update_key(&old).await.unwrap();
    store.insert_key(&intruder).await.unwrap();
    let err = s.state.refresh().await.unwrap_err().to_string();
    assert!(
        err.contains("intruder") && err.contains("does not open with this node's master key"),
        "{err}"
    );
    let (status, _, body) = s.get("/readyz").await;
    assert_eq!(status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
    assert!(String::from_utf8_lossy(&body).contains("cannot refresh"));
    // Tokens are still issued, with the key it had.
    let token = s.token(&c, "").await;
    let header = tessera_jose::dangerous::peek_header_unverified(&token).unwrap();
    assert_eq!(header.kid_value(), Some(old.kid.as_str()));
    // Mended: the intruder removed, the old key current again.
    store.delete_key("intruder").await.unwrap();
    old.state = tessera_store::KeyState::Current;
    store.update_key(&old).await.unwrap();
    s.state.refresh().await.unwrap();
    assert_eq!(s.get("/readyz").await.0, axum::http::StatusCode::OK);
}

/// `tessera rekey` (the admin function) seals the key of people's second factors again under
/// the new master key: a one-time-code secret and a recovery code's hash made under the old
/// key still open and match under the new one; asking again with the new key as the old one
/// is refused and changes nothing.
#[tokio::test]
async fn second_factors_outlive_a_new_master_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = |key: Option<&std::path::Path>| {
        let mut flags = vec![(
            "data_dir".to_owned(),
            dir.path().to_str().unwrap().to_owned(),
        )];
        if let Some(k) = key {
            flags.push(("master_key_file".to_owned(), k.to_str().unwrap().to_owned()));
        }
        tessera_server::config::Config::load(None, Vec::new(), &flags).unwrap()
    };
    let old = tessera_server::admin::open_store(&config(None), true)
        .await
        .unwrap();
    let sealed = old.secrets.seal_factor(b"12345678901234567890").unwrap();
    let hash = old.secrets.factor_hash("recovery", "abcdefghij");
    drop(old);
    let new_key = dir.path().join("new.key");
    tessera_server::admin::rekey(&config(None), &new_key)
        .await
        .unwrap();
    let new = tessera_server::admin::open_store(&config(Some(&new_key)), false)
        .await
        .unwrap();
    assert_eq!(
        &*new.secrets.open_factor(&sealed).unwrap(),
        b"12345678901234567890"
    );
    assert_eq!(new.secrets.factor_hash("recovery", "abcdefghij"), hash);
    drop(new);
    // Again, the new key as both: refused, and the factor key still opens.
    let again = tessera_server::admin::rekey(&config(Some(&new_key)), &new_key).await;
    assert!(again.is_err());
    let new = tessera_server::admin::open_store(&config(Some(&new_key)), false)
        .await
        .unwrap();
    assert_eq!(new.secrets.factor_hash("recovery", "abcdefghij"), hash);
}
