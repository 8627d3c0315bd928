//! What Tessera's tests share, so that no crate keeps its own copy: a clock the test moves,
//! a fresh PostgreSQL database per test, an in-process issuer (`tessera serve` on loopback with
//! a client), test certificates made by the `openssl` CLI, free ports, and child processes that
//! die with the test, and (feature `browser`) headless Chromium through ChromeDriver. The
//! end-to-end tests that cross crates (the guard in front of the service) live in this crate's
//! `tests/`. Not published.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[cfg(feature = "browser")]
pub mod browser;
pub mod web;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use tessera_jose::jwt::Clock;
use tessera_server::admin::{Admin, ClientSpec, NewCredentials};
use tessera_server::config::Config;

/// The audit events once every kind in `kinds` is among them: the service writes them in the
/// background, after its answer, so a test that reads them at once may be early. Read again
/// every 20 ms for at most 5 s; then whatever is there (the test's assertions say what is
/// missing).
pub async fn events_with(admin: &Admin, kinds: &[&str]) -> Vec<tessera_store::Event> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let events = admin.events(0, 100_000).await.unwrap();
        let all = kinds.iter().all(|k| events.iter().any(|e| e.kind == *k));
        if all || std::time::Instant::now() >= deadline {
            return events;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A clock the test moves.
#[derive(Clone)]
pub struct TestClock(pub Arc<AtomicI64>);

impl TestClock {
    /// A clock at `t`.
    #[must_use]
    pub fn at(t: i64) -> Self {
        Self(Arc::new(AtomicI64::new(t)))
    }

    /// Moves it by `secs` (backwards when negative).
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }

    /// Sets it to `t`.
    pub fn set(&self, t: i64) {
        self.0.store(t, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// `tessera serve` in this process, on loopback (issuer `http://127.0.0.1`), with one client of
/// scope `orders:read` for `api://orders` that may introspect.
pub struct Issuer {
    /// The running service.
    pub server: tessera_server::Started,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Operator commands on its store.
    pub admin: Admin,
    /// The client's credentials.
    pub creds: NewCredentials,
    /// The data folder, kept as long as the issuer.
    pub dir: tempfile::TempDir,
}

impl Issuer {
    /// Starts it with these settings on top of the defaults above.
    pub async fn start(settings: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let flags: Vec<(String, String)> = [
            ("listen", "127.0.0.1:0"),
            ("issuer", "http://127.0.0.1"),
            ("data_dir", dir.path().to_str().unwrap()),
        ]
        .iter()
        .chain(settings)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let config = Config::load(None, Vec::new(), &flags).unwrap();
        let server = tessera_server::start(config.clone(), None).await.unwrap();
        let base = format!("http://{}", server.addr);
        let admin = Admin::open(config).await.unwrap();
        let creds = admin
            .create_client(ClientSpec {
                name: Some("api-client".into()),
                scopes: Some(vec!["orders:read".into()]),
                audiences: Some(vec!["api://orders".into()]),
                token_ttl: Some(60),
                introspect: Some(true),
                ..ClientSpec::default()
            })
            .await
            .unwrap();
        Self {
            server,
            base,
            admin,
            creds,
            dir,
        }
    }
}

/// A free loopback port (bound, then released for a server to take).
#[must_use]
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `what` listens on the loopback `port` (20 s at most).
pub fn wait_listening(port: u16, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} never listened"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A child process killed when the test ends, however it ends.
pub struct Reaped(pub std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A fresh PostgreSQL database per test, at `TESSERA_TEST_POSTGRES` (default
/// `postgres://postgres@127.0.0.1:5432/postgres`). Without a server it is `None` with a note,
/// unless `TESSERA_REQUIRE_POSTGRES` is set (as `.ci/run` does): then it fails.
/// A fresh PostgreSQL database for one test, dropped afterwards.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    /// Its URL.
    pub url: String,
}

impl PgDatabase {
    /// Creates the database (None, with a note, when PostgreSQL is unreachable and not required).
    pub async fn create() -> Option<Self> {
        let admin_url = std::env::var("TESSERA_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let pool = match sqlx::PgPool::connect(&admin_url).await {
            Ok(p) => p,
            Err(e) => {
                let required =
                    std::env::var_os("TESSERA_REQUIRE_POSTGRES").is_some_and(|v| !v.is_empty());
                assert!(
                    !required,
                    "PostgreSQL is required but unreachable at {admin_url}: {e}"
                );
                eprintln!("skipping: PostgreSQL unreachable at {admin_url}: {e}");
                return None;
            }
        };
        let name = format!(
            "tessera_test_{}",
            tessera_jose::b64::encode(tessera_jose::secret::random(9).unwrap())
                .to_lowercase()
                .replace(['-', '_'], "x")
        );
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .unwrap();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Some(Self {
            admin_url,
            name,
            url,
        })
    }

    /// Drops the database.
    pub async fn drop_now(self) {
        let pool = sqlx::PgPool::connect(&self.admin_url).await.unwrap();
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&pool)
        .await
        .unwrap();
    }
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

/// A `client_credentials` grant with `client_secret_basic` at `token_url`: the status, and the
/// answer as JSON (`null` when it is not JSON).
///
/// # Panics
/// When the request cannot be sent.
pub async fn grant(
    http: &reqwest::Client,
    token_url: &str,
    id: &str,
    secret: &str,
) -> (u16, serde_json::Value) {
    let resp = http
        .post(token_url)
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

/// An introspection with `client_secret_basic` at `url`: the answer.
///
/// # Panics
/// When the request fails or the answer is not JSON.
pub async fn introspect(
    http: &reqwest::Client,
    url: &str,
    id: &str,
    secret: &str,
    token: &str,
) -> serde_json::Value {
    http.post(url)
        .basic_auth(id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A GET whose answer is JSON.
///
/// # Panics
/// When the request fails or the answer is not JSON.
pub async fn get_json(http: &reqwest::Client, url: &str) -> serde_json::Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// Hashes of `password` made by the reference implementation of each kind a `user import`
/// takes (Python's `argon2-cffi` for argon2id and argon2i, `bcrypt`, `passlib` for
/// pbkdf2-sha256 and pbkdf2-sha512, as `.ci/run` installs them): `(kind, hash)`. `None` (the
/// test skips) without them, unless `TESSERA_REQUIRE_INTEROP` is set, when their absence fails
/// the test.
///
/// # Panics
/// When they are required and missing, or print something unexpected.
#[must_use]
pub fn reference_password_hashes(password: &str) -> Option<Vec<(String, String)>> {
    const SCRIPT: &str = r#"
import sys, argon2, bcrypt
from passlib.hash import pbkdf2_sha256, pbkdf2_sha512
pw = sys.stdin.read()
print("argon2id", argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=2).hash(pw))
print("argon2i", argon2.PasswordHasher(time_cost=2, memory_cost=512, parallelism=1, type=argon2.Type.I).hash(pw))
print("bcrypt", bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4)).decode())
print("pbkdf2-sha256", pbkdf2_sha256.using(rounds=1000).hash(pw))
print("pbkdf2-sha512", pbkdf2_sha512.using(rounds=1000).hash(pw))
"#;
    use std::io::Write as _;
    let child = std::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let out = child.ok().and_then(|mut c| {
        c.stdin.take()?.write_all(password.as_bytes()).ok()?;
        c.wait_with_output().ok()
    });
    let Some(out) = out.filter(|o| o.status.success()) else {
        let required = std::env::var_os("TESSERA_REQUIRE_INTEROP").is_some_and(|v| !v.is_empty());
        assert!(
            !required,
            "python3 with argon2-cffi, bcrypt and passlib is required (.ci/run installs them)"
        );
        eprintln!("skipping: no python3 with argon2-cffi, bcrypt and passlib");
        return None;
    };
    let text = String::from_utf8(out.stdout).unwrap();
    let hashes: Vec<(String, String)> = text
        .lines()
        .map(|l| {
            let (kind, hash) = l.split_once(' ').unwrap();
            (kind.to_owned(), hash.to_owned())
        })
        .collect();
    assert_eq!(hashes.len(), 5, "{text}");
    Some(hashes)
}

/// Signs in through a Tessera `/login` as a browser would (the form, its cookie and CSRF token,
/// then the POST from `origin`): the session cookie, as `name=value`.
///
/// # Panics
/// When the sign-in does not succeed.
pub async fn sign_in(
    base: &str,
    origin: &str,
    user: &str,
    password: &str,
    user_agent: &str,
) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = http.get(format!("{base}/login")).send().await.unwrap();
    let form_cookie = form.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let body = form.text().await.unwrap();
    let at = body.find("name=\"csrf\" value=\"").unwrap() + 19;
    let done = http
        .post(format!("{base}/login"))
        .header("cookie", form_cookie)
        .header("origin", origin)
        .header("user-agent", user_agent)
        .form(&[
            ("csrf", &body[at..at + 43]),
            ("username", user),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303, "signed in");
    done.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.contains("tessera-session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The status of `GET /account` with a session cookie: 200 signed in, 303 (to `/login`) not.
///
/// # Panics
/// When the request cannot be sent.
pub async fn account_status(base: &str, cookie: &str) -> u16 {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}/account"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
