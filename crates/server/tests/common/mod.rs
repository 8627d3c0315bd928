//! Shared test setup: a service over an in-memory SQLite store (or any store), with an injected
//! clock, driven through `app(state)` with tower's `oneshot`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tessera_jose::jwt::Clock;
use tessera_server::admin::{Admin, ClientSpec, NewCredentials};
use tessera_server::config::Config;
use tessera_server::keys::Secrets;
use tessera_server::store::{SqliteStore, Store};
use tessera_server::{AppState, app};
use tower::ServiceExt as _;

// The PostgreSQL test database, a file of its own so that the CLI's tests use it too.
mod pg;
#[allow(unused_imports)] // not every test file uses it
pub use pg::PgDatabase;

pub const ISSUER: &str = "https://auth.test";
pub const T0: i64 = 1_800_000_000;

/// A clock the test moves.
#[derive(Clone)]
pub struct TestClock(pub Arc<AtomicI64>);

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl TestClock {
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

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
    let clock = TestClock(Arc::new(AtomicI64::new(T0)));
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
    let store: Arc<dyn Store> = Arc::new(SqliteStore::memory().await.unwrap());
    service_with(store, config(&[])).await
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
                Some((&c.client_id, &c.client_secret)),
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
                Some((&c.client_id, &c.client_secret)),
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

/// A test CA and a certificate for `localhost` and 127.0.0.1 signed by it.
pub struct TestCertificate {
    /// The leaf certificate (PEM).
    pub cert: std::path::PathBuf,
    /// Its private key (PEM).
    pub key: std::path::PathBuf,
    /// The CA certificate the client trusts (PEM).
    pub ca: std::path::PathBuf,
}

/// Makes a [`TestCertificate`] in `dir` with the `openssl` CLI; `None` (the test skips) without
/// it, unless `TESSERA_REQUIRE_INTEROP` is set, when its absence fails the test.
#[allow(dead_code)]
pub fn test_certificate(dir: &std::path::Path) -> Option<TestCertificate> {
    let p = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    std::fs::write(
        p("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let steps: [Vec<String>; 3] = [
        [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=tessera-test-ca",
            "-keyout",
            &p("ca.key"),
            "-out",
            &p("ca.pem"),
        ]
        .map(String::from)
        .to_vec(),
        [
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            &p("key.pem"),
            "-out",
            &p("leaf.csr"),
        ]
        .map(String::from)
        .to_vec(),
        [
            "x509",
            "-req",
            "-in",
            &p("leaf.csr"),
            "-CA",
            &p("ca.pem"),
            "-CAkey",
            &p("ca.key"),
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            &p("ext.cnf"),
            "-out",
            &p("cert.pem"),
        ]
        .map(String::from)
        .to_vec(),
    ];
    let made = steps.iter().all(|args| {
        std::process::Command::new("openssl")
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !made {
        let required = std::env::var_os("TESSERA_REQUIRE_INTEROP").is_some_and(|v| !v.is_empty());
        assert!(
            !required,
            "openssl is required to make the test certificate"
        );
        eprintln!("skipping: no openssl to make a certificate");
        return None;
    }
    Some(TestCertificate {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
        ca: dir.join("ca.pem"),
    })
}
