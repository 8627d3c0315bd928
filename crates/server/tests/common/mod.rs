//! Shared test setup: a service over an in-memory SQLite store (or any store), with an injected
//! clock, driven through `app(state)` with tower's `oneshot`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tessera_server::admin::{Admin, ClientSpec, NewCredentials};
use tessera_server::config::Config;
use tessera_server::keys::Secrets;
use tessera_server::{AppState, app};
use tessera_store::{SqlStore, Store};
use tower::ServiceExt as _;

#[allow(unused_imports)] // not every test file uses each
pub use testkit::{PgDatabase, TestClock, test_certificate};

pub const ISSUER: &str = "https://auth.test";
pub const T0: i64 = 1_800_000_000;

pub struct Service {
    pub state: AppState,
    pub clock: TestClock,
    pub admin: Admin,
    pub config: Config,
}

pub fn config(extra: &[(&str, &str)]) -> Config {
    let mut flags: Vec<(String, String)> = vec![("issuer".into(), ISSUER.into())];
    flags.extend(extra.iter().map(|(k, v)| ((*k).into(), (*v).into())));
    Config::load(None, Vec::new(), &flags).unwrap()
}

pub async fn service_with(store: Arc<dyn Store>, config: Config) -> Service {
    let clock = TestClock::at(T0);
    let master = [42u8; 32];
    let state = AppState::new(
        Arc::clone(&store),
        Secrets::from_master(&master),
        config.clone(),
        Some(Arc::new(clock.clone())),
    )
    .await
    .unwrap();
    state.rotate_tick().await.unwrap();
    let admin = Admin::new(
        store,
        Secrets::from_master(&master),
        config.clone(),
        Arc::new(clock.clone()),
    );
    Service {
        state,
        clock,
        admin,
        config,
    }
}

pub async fn service() -> Service {
    service_set(&[]).await
}

/// A service over a fresh in-memory store with these settings.
pub async fn service_set(extra: &[(&str, &str)]) -> Service {
    let store: Arc<dyn Store> = Arc::new(SqlStore::memory().await.unwrap());
    service_with(store, config(extra)).await
}

impl Service {
    pub async fn client(&self, scopes: &str, audiences: &[&str]) -> NewCredentials {
        let c = self
            .admin
            .create_client(ClientSpec {
                name: Some("test".into()),
                scopes: Some(
                    scopes
                        .split(' ')
                        .filter(|s| !s.is_empty())
                        .map(Into::into)
                        .collect(),
                ),
                audiences: Some(audiences.iter().map(|a| (*a).into()).collect()),
                token_ttl: None,
                dpop_bound: None,
                introspect: Some(true),
                ..Default::default()
            })
            .await
            .unwrap();
        self.state.refresh().await.unwrap();
        c
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let resp = app(self.state.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        (status, headers, body)
    }

    pub async fn post_form(
        &self,
        path: &str,
        body: &str,
        basic: Option<(&str, &str)>,
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
        let mut req =
            Request::post(path).header("content-type", "application/x-www-form-urlencoded");
        if let Some((id, secret)) = basic {
            req = req.header("authorization", basic_header(id, secret));
        }
        let (s, h, b) = self
            .send(req.body(Body::from(body.to_owned())).unwrap())
            .await;
        let v = if b.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&b).unwrap_or(Value::Null)
        };
        (s, h, v)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// A token for the client (client_secret_basic).
    pub async fn token(&self, c: &NewCredentials, extra: &str) -> String {
        let (s, _, v) = self
            .post_form(
                "/oauth2/token",
                &format!("grant_type=client_credentials{extra}"),
                Some((&c.client_id, c.client_secret.as_deref().unwrap())),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn introspect(&self, c: &NewCredentials, token: &str) -> Value {
        let (s, _, v) = self
            .post_form(
                "/oauth2/introspect",
                &format!("token={token}"),
                Some((&c.client_id, c.client_secret.as_deref().unwrap())),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }
}

pub fn basic_header(id: &str, secret: &str) -> String {
    let enc = |s: &str| form_urlencode(s);
    let raw = format!("{}:{}", enc(id), enc(secret));
    format!("Basic {}", std_b64(raw.as_bytes()))
}

fn form_urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn std_b64(bytes: &[u8]) -> String {
    let url = tessera_jose::b64::encode(bytes);
    let mut s: String = url
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !s.len().is_multiple_of(4) {
        s.push('=');
    }
    s
}
