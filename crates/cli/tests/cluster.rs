//! Two `tessera serve` processes on one PostgreSQL database: a client created with the CLI gets
//! tokens from both; a token revoked through one is inactive on the other at once; both sign
//! with the same key and only one of them created it; `kill -9` of a node and a restart lose
//! nothing that was acknowledged; another master key or issuer is refused; a current key that
//! cannot be opened makes both nodes unready until it is mended. Both nodes publish the same
//! Token Status Lists, which say what introspection says, before and after a restart.
//!
//! PostgreSQL: `TESSERA_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`);
//! the test creates its own database and drops it. Without a server it skips, unless
//! `TESSERA_REQUIRE_POSTGRES` is set (as `.ci/run` does): then it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

use common::free_port;

const BIN: &str = env!("CARGO_BIN_EXE_tessera");

struct Node {
    child: Child,
    base: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(url: &str, master: &str, dir: &std::path::Path, port: u16) -> Node {
    let child = Command::new(BIN)
        .args([
            "serve",
            "--database-url",
            url,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args([
            "--issuer",
            "http://tessera.test",
            "--set",
            "poll_interval=100ms",
        ])
        .env_clear()
        .env("TESSERA_MASTER_KEY", master)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Node {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

fn admin(url: &str, master: &str, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .args(["--database-url", url])
        .env_clear()
        .env("TESSERA_MASTER_KEY", master)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `tessera serve` on the store that must refuse to start (`issuer` empty: the default): its
/// error output, once it has exited (at most 20 s).
async fn refused_node(url: &str, master: &str, dir: &std::path::Path, issuer: &str) -> String {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--database-url", url, "--listen"])
        .arg(format!("127.0.0.1:{}", free_port()));
    if !issuer.is_empty() {
        cmd.args(["--issuer", issuer]);
    }
    let mut node = cmd
        .env_clear()
        .env("TESSERA_MASTER_KEY", master)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = node.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = node.kill();
            let _ = node.wait();
            panic!("a node that should have been refused kept running");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut node.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!status.success(), "{err}");
    err
}

async fn ready(http: &reqwest::Client, node: &Node) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = http.get(format!("{}/readyz", node.base)).send().await
            && r.status() == 200
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} never became ready",
            node.base
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn token(http: &reqwest::Client, node: &Node, id: &str, secret: &str) -> Option<String> {
    let (status, v) =
        testkit::grant(http, &format!("{}/oauth2/token", node.base), id, secret).await;
    (status == 200).then(|| v["access_token"].as_str().map(str::to_owned))?
}

/// The status list a token names, as `node` publishes it (verified with `node`'s keys): the
/// list's bytes and whether the token is valid in it.
async fn listed(http: &reqwest::Client, node: &Node, tok: &str) -> (Vec<u8>, bool) {
    let claims: Value =
        serde_json::from_slice(&tessera_jose::b64::decode(tok.split('.').nth(1).unwrap()).unwrap())
            .unwrap();
    let r = tessera_jose::status::StatusRef::from_claims(&claims)
        .unwrap()
        .unwrap();
    let path = r.uri.strip_prefix("http://tessera.test").unwrap();
    let get = |p: String| async move {
        http.get(format!("{}{p}", node.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let set = tessera_jose::JwkSet::from_json(&get("/.well-known/jwks.json".into()).await).unwrap();
    let verifier = tessera_jose::jwt::Verifier::builder(set)
        .algorithms_from_keys()
        .issuer("http://tessera.test")
        .skip_audience_check()
        .typ(tessera_jose::status::TYP)
        .build()
        .unwrap();
    let list =
        tessera_jose::status::verify_list(&verifier, &get(path.to_owned()).await, &r.uri, 1 << 22)
            .unwrap();
    let valid = list.status(r.idx).unwrap().is_valid();
    (list.list.as_bytes().to_vec(), valid)
}

/// Both nodes publish the same list for `tok`, in which `tok` is `valid` (a node rebuilds a
/// list at most every second: asked again for up to 5 s).
async fn lists_agree(http: &reqwest::Client, nodes: [&Node; 2], tok: &str, valid: bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (a, va) = listed(http, nodes[0], tok).await;
        let (b, vb) = listed(http, nodes[1], tok).await;
        if a == b && va == valid && vb == valid {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the nodes' status lists disagree or do not say {valid} ({va}, {vb})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn active(http: &reqwest::Client, node: &Node, id: &str, secret: &str, tok: &str) -> bool {
    let url = format!("{}/oauth2/introspect", node.base);
    testkit::introspect(http, &url, id, secret, tok).await["active"] == true
}

#[tokio::test]
async fn two_nodes_on_one_postgres() {
    let Some(db) = testkit::PgDatabase::create().await else {
        return;
    };
    let url = db.url.clone();
    let master = tessera_jose::b64::encode([9u8; 32]);
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let (pa, pb) = (free_port(), free_port());
    // Both nodes start at once on an empty database: only one creates the keys.
    let mut a = start(&url, &master, dir.path(), pa);
    let b = start(&url, &master, dir.path(), pb);
    ready(&http, &a).await;
    ready(&http, &b).await;
    let keys = admin(&url, &master, &["keys", "list"]);
    for signs in ["access tokens", "ID tokens"] {
        let chain: Vec<&str> = keys.lines().filter(|l| l.ends_with(signs)).collect();
        assert_eq!(
            (
                chain.len(),
                chain.iter().filter(|l| l.contains("\tcurrent\t")).count()
            ),
            (2, 1),
            "one current and one next key for {signs}:\n{keys}"
        );
    }
    assert_eq!(keys.lines().count(), 4, "{keys}");
    // A third node, or an operator, with another master key is refused before it writes
    // anything: the store names the key it expects (by check value).
    let other = tessera_jose::b64::encode([10u8; 32]);
    let refused = Command::new(BIN)
        .args(["client", "list", "--database-url", &url])
        .env_clear()
        .env("TESSERA_MASTER_KEY", &other)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && err.contains("is not this store's"),
        "{err}"
    );
    let err = refused_node(&url, &other, dir.path(), "http://tessera.test").await;
    assert!(err.contains("is not this store's"), "{err}");
    // A node with the store's key but another issuer (here: the default, its own address)
    // would reject the others' tokens: refused, saying which issuer the store has.
    let err = refused_node(&url, &master, dir.path(), "").await;
    assert!(
        err.contains("http://tessera.test") && err.contains("issuer") && err.contains("default"),
        "{err}"
    );
    assert_eq!(
        admin(&url, &master, &["keys", "list"]),
        keys,
        "nothing changed"
    );
    // Over TLS, as managed PostgreSQL services require (the machine's server has ssl = on).
    assert_eq!(
        admin(
            &format!("{url}?sslmode=require"),
            &master,
            &["keys", "list"]
        ),
        keys
    );
    // A client created with the CLI beside the running nodes gets tokens from both.
    let creds: Value = serde_json::from_str(&admin(
        &url,
        &master,
        &[
            "client",
            "create",
            "--name",
            "svc",
            "--scope",
            "read",
            "--audience",
            "api://x",
            "--introspect",
            "--json",
        ],
    ))
    .unwrap();
    let (id, secret) = (
        creds["client_id"].as_str().unwrap(),
        creds["client_secret"].as_str().unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    let (ta, tb) = loop {
        if let (Some(x), Some(y)) = (
            token(&http, &a, id, secret).await,
            token(&http, &b, id, secret).await,
        ) {
            break (x, y);
        }
        assert!(
            Instant::now() < deadline,
            "the new client never got tokens from both nodes"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let kid = |t: &str| {
        tessera_jose::dangerous::peek_header_unverified(t)
            .unwrap()
            .kid_value()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        kid(&ta),
        kid(&tb),
        "both nodes sign with the same current key"
    );
    // Revoked through A: inactive on B at once.
    assert!(active(&http, &b, id, secret, &ta).await);
    lists_agree(&http, [&a, &b], &ta, true).await;
    let r = http
        .post(format!("{}/oauth2/revoke", a.base))
        .basic_auth(id, Some(secret))
        .form(&[("token", ta.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!active(&http, &b, id, secret, &ta).await);
    assert!(active(&http, &b, id, secret, &tb).await);
    // Both nodes' status lists say so too, and agree.
    lists_agree(&http, [&a, &b], &ta, false).await;
    lists_agree(&http, [&a, &b], &tb, true).await;
    // kill -9 of A, and a restart: the revocation, the client and the keys are all there.
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let a2 = start(&url, &master, dir.path(), pa);
    ready(&http, &a2).await;
    assert!(!active(&http, &a2, id, secret, &ta).await);
    assert!(active(&http, &a2, id, secret, &tb).await);
    // The status lists survive the restart.
    lists_agree(&http, [&a2, &b], &ta, false).await;
    lists_agree(&http, [&a2, &b], &tb, true).await;
    let t2 = token(&http, &a2, id, secret).await.unwrap();
    assert_eq!(kid(&t2), kid(&tb));
    let events = admin(&url, &master, &["events", "--json"]);
    assert_eq!(
        events
            .lines()
            .filter(|l| l.contains("\"key.created\""))
            .count(),
        4,
        "one current and one next key per chain, made once: {events}"
    );
    // A person signs in on one node; the session works on the other; the operator's forced
    // logout ends it on both at once.
    let out = Command::new(BIN)
        .args([
            "user",
            "create",
            "ada",
            "--password-env",
            "PW",
            "--database-url",
            &url,
        ])
        .env_clear()
        .env("TESSERA_MASTER_KEY", &master)
        .env("PW", "correct horse battery staple")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cookie = testkit::sign_in(
        &a2.base,
        "http://tessera.test",
        "ada",
        "correct horse battery staple",
        "test",
    )
    .await;
    for node in [&a2, &b] {
        assert_eq!(
            testkit::account_status(&node.base, &cookie).await,
            200,
            "{}",
            node.base
        );
    }
    admin(&url, &master, &["user", "logout", "ada"]);
    for node in [&a2, &b] {
        assert_eq!(
            testkit::account_status(&node.base, &cookie).await,
            303,
            "{}",
            node.base
        );
    }
    // Readiness: a current key that no node can open (here its sealed private key damaged in
    // the database, as a key written under another master key would be) makes both nodes
    // unready while they keep serving with what they had; mended, both are ready again.
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let sealed: String = sqlx::query_scalar(
        "SELECT private_jwe FROM signing_keys WHERE state = 'current' AND purpose = 'access'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let damaged = format!("{}AAAA", &sealed[..sealed.len() - 4]);
    set_current_key(&pool, &damaged).await;
    for node in [&a2, &b] {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let r = http
                .get(format!("{}/readyz", node.base))
                .send()
                .await
                .unwrap();
            if r.status() == 503 {
                assert!(r.text().await.unwrap().contains("cannot refresh"));
                break;
            }
            assert!(Instant::now() < deadline, "{} stayed ready", node.base);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert!(
        token(&http, &b, id, secret).await.is_some(),
        "still serving"
    );
    set_current_key(&pool, &sealed).await;
    ready(&http, &a2).await;
    ready(&http, &b).await;
    pool.close().await;
    drop(a2);
    drop(b);
    drop(a);
    db.drop_now().await;
}

/// Writes the current access-token key's sealed private key, and moves the change generation so the nodes
/// reload it.
async fn set_current_key(pool: &sqlx::PgPool, sealed: &str) {
    sqlx::query(
        "UPDATE signing_keys SET private_jwe = $1 WHERE state = 'current' AND purpose = 'access'",
    )
    .bind(sealed)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("UPDATE generation SET value = value + 1")
        .execute(pool)
        .await
        .unwrap();
}
