//! `tessera serve`, `tessera client`, `tessera keys`, `tessera events` as an operator runs them:
//! configuration from file, environment and flags, the client life cycle beside a running
//! server, key rotation commands, audit events, and a graceful stop on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_tessera");

fn run(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    common::run_in(dir, env, args)
}

/// A client (`c`, audience `api://x`) of the store in `dir`: its credentials as JSON.
fn new_client(dir: &std::path::Path) -> Value {
    serde_json::from_str(&ok(
        dir,
        &[
            "client",
            "create",
            "--name",
            "c",
            "--audience",
            "api://x",
            "--json",
        ],
    ))
    .unwrap()
}

fn ok(dir: &std::path::Path, args: &[&str]) -> String {
    let (code, out, err) = run(dir, &[], args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

#[test]
fn configuration_sources_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.toml"),
        "listen = \"127.0.0.1:9001\"\ntoken_ttl = \"5m\"\n",
    )
    .unwrap();
    let master = tessera_jose::b64::encode([3u8; 32]);
    let (code, out, err) = run(
        dir.path(),
        &[
            ("TESSERA_TOKEN_TTL", "10m"),
            ("TESSERA_MASTER_KEY", &master),
        ],
        &[
            "serve",
            "--config",
            "t.toml",
            "--signing-alg",
            "EdDSA",
            "--database-url",
            "postgres://app:hunter2@db/x",
            "--print-config",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("listen = \"127.0.0.1:9001\""), "{out}");
    assert!(
        out.contains("token_ttl = \"600s\""),
        "the environment wins over the file: {out}"
    );
    assert!(out.contains("signing_alg = \"EdDSA\""), "flags win: {out}");
    assert!(!out.contains("hunter2") && !out.contains(&master), "{out}");
    // The password in a flag is warned about (never printed); the environment's master key is not.
    assert!(err.contains("--database-url puts a secret"), "{err}");
    assert!(
        !err.contains("hunter2") && !err.contains("master-key"),
        "{err}"
    );
    // A password in the query string is redacted too, and secrets come from files.
    std::fs::write(
        dir.path().join("db.url"),
        "postgres://db/x?password=hunter2\n",
    )
    .unwrap();
    let (code, out, err) = run(
        dir.path(),
        &[("TESSERA_DATABASE_URL_FILE", "db.url")],
        &["serve", "--print-config"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("password=<redacted>") && !out.contains("hunter2"),
        "{out}"
    );
    assert!(!err.contains("puts a secret"), "{err}");
    let (code, _, err) = run(
        dir.path(),
        &[],
        &[
            "serve",
            "--set",
            &format!("master_key={master}"),
            "--print-config",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("--master-key puts a secret") && !err.contains(&master),
        "{err}"
    );
    // Bad settings name themselves and their source.
    let (code, _, err) = run(
        dir.path(),
        &[("TESSERA_JWKS_MAX_AGE", "soon")],
        &["serve", "--print-config"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("TESSERA_JWKS_MAX_AGE"), "{err}");
    std::fs::write(dir.path().join("bad.toml"), "lisen = \"x\"\n").unwrap();
    let (code, _, err) = run(
        dir.path(),
        &[],
        &["serve", "--config", "bad.toml", "--print-config"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("`lisen`") && err.contains("unknown"), "{err}");
    let (code, _, err) = run(
        dir.path(),
        &[],
        &["serve", "--set", "max_body=12", "--print-config"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--max-body"), "{err}");
}

#[test]
fn clients_keys_and_events_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Clients can be registered before the service first runs, once the store exists.
    ok(d, &["init"]);
    let created: Value = serde_json::from_str(&ok(
        d,
        &[
            "client",
            "create",
            "--name",
            "orders",
            "--scope",
            "orders:read orders:write",
            "--audience",
            "api://orders",
            "--token-ttl",
            "10m",
            "--json",
        ],
    ))
    .unwrap();
    let id = created["client_id"].as_str().unwrap().to_owned();
    assert_eq!(
        created["client_secret"].as_str().unwrap().len(),
        43,
        "256 bits, base64url"
    );
    assert_eq!(created["token_ttl"], 600);
    // The master key file is owner-only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(d.join("tessera-data/master.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let list = ok(d, &["client", "list"]);
    assert!(list.contains(&id) && list.contains("enabled"), "{list}");
    let shown: Value = serde_json::from_str(&ok(d, &["client", "show", &id])).unwrap();
    assert_eq!(shown["scope"], "orders:read orders:write");
    assert!(shown.get("client_secret").is_none());
    let updated: Value = serde_json::from_str(&ok(
        d,
        &[
            "client",
            "update",
            &id,
            "--scope",
            "orders:read",
            "--audience",
            "api://a",
            "--audience",
            "api://b",
        ],
    ))
    .unwrap();
    assert_eq!(
        updated["audience"],
        serde_json::json!(["api://a", "api://b"])
    );
    assert_eq!(updated["dpop_bound"], false);
    // DPoP-bound tokens only (RFC 9449 §5.2): set on update, or on creation.
    let bound: Value =
        serde_json::from_str(&ok(d, &["client", "update", &id, "--dpop-bound", "true"])).unwrap();
    assert_eq!(bound["dpop_bound"], true);
    let text = ok(
        d,
        &[
            "client",
            "create",
            "--name",
            "b",
            "--audience",
            "api://x",
            "--dpop-bound",
        ],
    );
    assert!(text.contains("dpop_bound     yes"), "{text}");
    ok(d, &["client", "update", &id, "--dpop-bound", "false"]);
    ok(d, &["client", "disable", &id]);
    assert!(ok(d, &["client", "list"]).contains("disabled"));
    ok(d, &["client", "enable", &id]);
    let rotated: Value = serde_json::from_str(&ok(
        d,
        &["client", "rotate-secret", &id, "--grace", "24h", "--json"],
    ))
    .unwrap();
    assert_ne!(rotated["client_secret"], created["client_secret"]);
    ok(d, &["client", "revoke-tokens", &id]);
    // Bad input is a clear error.
    let (code, _, err) = run(
        d,
        &[],
        &[
            "client",
            "create",
            "--name",
            "x",
            "--audience",
            "api://x",
            "--token-ttl",
            "3h",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("max_token_ttl"), "{err}");
    let (code, _, err) = run(d, &[], &["client", "show", "nobody"]);
    assert_eq!(code, 2);
    assert!(err.contains("no client"), "{err}");
    // Keys: created at first use of the store by a server; here, by `keys rotate`.
    let first = ok(d, &["keys", "rotate"]);
    assert!(first.contains("key.created"), "{first}");
    let (code, _, err) = run(d, &[], &["keys", "rotate"]);
    assert_eq!(code, 2, "the next key is too new to sign");
    assert!(err.contains("can sign safely in"), "{err}");
    let forced = ok(d, &["keys", "rotate", "--force"]);
    assert!(forced.contains("key.activated"), "{forced}");
    let keys = ok(d, &["keys", "list"]);
    assert!(keys.contains("current") && keys.contains("next"), "{keys}");
    let forced2 = ok(d, &["keys", "rotate", "--force"]);
    assert!(forced2.contains("key.retired"), "{forced2}");
    let previous = ok(d, &["keys", "list", "--json"])
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|k| k["state"] == "previous")
        .unwrap();
    ok(d, &["keys", "retire", previous["kid"].as_str().unwrap()]);
    let current = ok(d, &["keys", "list", "--json"])
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|k| k["state"] == "current")
        .unwrap();
    let (code, _, err) = run(
        d,
        &[],
        &["keys", "retire", current["kid"].as_str().unwrap()],
    );
    assert_eq!(code, 2);
    assert!(err.contains("only a previous key"), "{err}");
    // Every change is an audit event, with a stable name.
    let events = ok(d, &["events", "--json"]);
    for kind in [
        "client.created",
        "client.updated",
        "client.disabled",
        "client.enabled",
        "client.secret_rotated",
        "client.tokens_revoked",
        "key.created",
        "key.activated",
        "key.retired",
        "key.removed",
    ] {
        assert!(events.contains(&format!("\"{kind}\"")), "{kind}: {events}");
    }
    ok(d, &["client", "delete", &id]);
    let (code, _, _) = run(d, &[], &["client", "delete", &id]);
    assert_eq!(code, 2);
}

/// `tessera serve` on a free loopback port in `dir`, with these environment variables and
/// extra arguments, once it listens; its stderr is kept for [`stop`].
fn start_serve(
    dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> (std::process::Child, u16) {
    start_serve_under(&[], dir, env, args)
}

/// [`start_serve`] run by a wrapper command (`prlimit --nofile=… --`), when `wrapper` is not
/// empty.
fn start_serve_under(
    wrapper: &[&str],
    dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> (std::process::Child, u16) {
    let port = common::free_port();
    let mut command = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest).arg(BIN);
            c
        }
        None => Command::new(BIN),
    };
    let child = command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    common::wait_listening(port, "tessera serve");
    (child, port)
}

/// SIGTERM, then the exit status and everything the server wrote to stderr.
fn stop(mut child: std::process::Child) -> (std::process::ExitStatus, String) {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    (status, err)
}

#[test]
fn serve_starts_prints_where_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (child, port) = start_serve(dir.path(), &[], &[]);
    // SIGTERM: a graceful stop, exit 0.
    let (status, err) = stop(child);
    assert!(status.success(), "{err}");
    assert!(
        err.contains(&format!("issuer     http://127.0.0.1:{port}")),
        "{err}"
    );
    assert!(
        err.contains("/.well-known/oauth-authorization-server"),
        "{err}"
    );
    assert!(err.contains("tessera client create"), "{err}");
    assert!(err.contains("shutting down"), "{err}");
    // A plain-http issuer: the sign-in cookies cannot be Secure or __Host-, and it says so.
    assert!(
        err.contains("the issuer is plain http") && err.contains("without Secure"),
        "{err}"
    );
    assert!(dir.path().join("tessera-data/tessera.db").exists());
    // Not https and not loopback: a warning.
    let (code, _, err) = run(
        dir.path(),
        &[],
        &[
            "serve",
            "--issuer",
            "http://auth.example.com",
            "--print-config",
        ],
    );
    assert_eq!(code, 0, "{err}");
}

/// `tessera verify --issuer URL` (discovery) and `--jwks-url URL` against a running server.
#[test]
fn verify_with_keys_from_the_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let (child, port) = start_serve(dir.path(), &[], &["--set", "poll_interval=100ms"]);
    let child = common::Reaped(child);
    let issuer = format!("http://127.0.0.1:{port}");
    let creds: Value = serde_json::from_str(&ok(
        dir.path(),
        &[
            "client",
            "create",
            "--name",
            "c",
            "--scope",
            "read",
            "--audience",
            "api://x",
            "--json",
        ],
    ))
    .unwrap();
    let out = Command::new("curl")
        .args(["-sf", "-u"])
        .arg(format!(
            "{}:{}",
            creds["client_id"].as_str().unwrap(),
            creds["client_secret"].as_str().unwrap()
        ))
        .args([
            "-d",
            "grant_type=client_credentials",
            &format!("{issuer}/oauth2/token"),
        ])
        .output()
        .unwrap();
    let token: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let token = token["access_token"].as_str().unwrap();
    let claims: Value = serde_json::from_str(&ok(
        dir.path(),
        &[
            "verify", token, "--issuer", &issuer, "--aud", "api://x", "--typ", "at+jwt",
        ],
    ))
    .unwrap();
    assert_eq!(claims["client_id"], creds["client_id"]);
    ok(
        dir.path(),
        &[
            "verify",
            token,
            "--jwks-url",
            &format!("{issuer}/.well-known/jwks.json"),
            "--aud",
            "api://x",
        ],
    );
    // The issuer must match the metadata exactly; a wrong audience is a rejection.
    let (code, _, err) = run(
        dir.path(),
        &[],
        &[
            "verify",
            token,
            "--issuer",
            &format!("{issuer}/"),
            "--aud",
            "api://x",
        ],
    );
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(
        dir.path(),
        &[],
        &["verify", token, "--issuer", &issuer, "--aud", "api://other"],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("the token's aud is `api://x`; expected `api://other`"),
        "{err}"
    );
    // Plain http to a non-loopback host is refused before any request.
    let (code, _, err) = run(
        dir.path(),
        &[],
        &[
            "verify",
            token,
            "--jwks-url",
            "http://auth.example.com/jwks",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("loopback"), "{err}");
    drop(child);
}

/// The debugger mounted by `tessera serve`: even with every log on (`RUST_LOG=trace`), what
/// is pasted into it (a token, a secret) never reaches the log.
#[test]
fn the_debugger_on_serve_logs_no_secret() {
    use std::io::{Read as _, Write as _};
    let dir = tempfile::tempdir().unwrap();
    let (child, port) = start_serve(dir.path(), &[("RUST_LOG", "trace")], &[]);
    let secret = "a-secret-pasted-into-the-debugger-0123456789";
    let token = ok(
        dir.path(),
        &[
            "sign",
            r#"{"sub":"u1"}"#,
            "--alg",
            "HS256",
            "--secret",
            secret,
            "--exp",
            "+1h",
        ],
    );
    let token = token.trim();
    let body = serde_json::json!({"token": token, "key": {"text": secret}}).to_string();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /debugger/api/verify HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nX-Tessera-Debugger: page\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""verified":true"#), "{answer}");
    let (_, err) = stop(child);
    // The request was logged (so logging was on), but not what it carried.
    assert!(
        err.contains("endpoint=\"debugger\"") || err.contains("endpoint=debugger"),
        "{err}"
    );
    assert!(!err.contains(secret), "the secret is in the log");
    let signature = token.rsplit('.').next().unwrap();
    assert!(!err.contains(signature), "the token is in the log");
}

/// Under a low open-file limit (`prlimit`), `serve` reports the limit and fits its connection
/// cap to it; one host holding far more idle connections than that neither exhausts the
/// descriptors nor keeps another host from being served.
#[test]
fn idle_connections_cannot_exhaust_the_descriptors() {
    let required = std::env::var_os("TESSERA_REQUIRE_INTEROP").is_some_and(|v| !v.is_empty());
    if Command::new("prlimit").arg("--version").output().is_err() {
        assert!(!required, "prlimit (util-linux) is required");
        eprintln!("skipping: no prlimit");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (child, port) = start_serve_under(
        &["prlimit", "--nofile=160:160", "--"],
        dir.path(),
        &[("RUST_LOG", "info")],
        &["--set", "max_connections_per_peer=60"],
    );
    // 400 idle connections from 127.0.0.1, far past the 160 descriptors.
    let held: Vec<std::net::TcpStream> = (0..400)
        .filter_map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // Another address is served at once.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap()
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    let connected = held.len();
    drop(held);
    // Stopped before any assertion, so a failure leaves no server behind.
    let (_, err) = stop(child);
    assert!(connected > 160, "{connected} connected");
    assert_eq!(status.ok(), Some(200), "{err}");
    assert!(err.contains("descriptors=160"), "{err}");
    assert!(err.contains("max_connections=120"), "{err}");
    assert!(!err.contains("accept failed"), "{err}");
    assert!(
        err.contains("was closed"),
        "the refusals are reported: {err}"
    );
}

/// A store made by an older tessera (the first schema) is refused by the operator commands,
/// which change nothing in it, and brought up to date only by `tessera migrate`.
#[test]
fn an_old_store_is_migrated_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = tempfile::tempdir().unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../store/migrations/sqlite/0001_init.sql"
        ),
        first.path().join("0001_init.sql"),
    )
    .unwrap();
    std::fs::create_dir(d.join("tessera-data")).unwrap();
    // The master key an older tessera made beside its database.
    let key = d.join("tessera-data/master.key");
    std::fs::write(&key, format!("{}\n", tessera_jose::b64::encode([5u8; 32]))).unwrap();
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let db = d.join("tessera-data/tessera.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let applied = || {
        rt.block_on(async {
            let pool = sqlx::SqlitePool::connect_with(
                sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(&db)
                    .create_if_missing(true),
            )
            .await
            .unwrap();
            let migrator = sqlx::migrate::Migrator::new(first.path()).await.unwrap();
            // Only on the first call: the store starts at the first schema.
            if sqlx::query("SELECT 1 FROM sqlite_master WHERE name = '_sqlx_migrations'")
                .fetch_optional(&pool)
                .await
                .unwrap()
                .is_none()
            {
                migrator.run(&pool).await.unwrap();
            }
            let versions: Vec<i64> =
                sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            pool.close().await;
            versions
        })
    };
    assert_eq!(applied(), [1]);
    for args in [&["client", "list"][..], &["keys", "list"], &["events"]] {
        let (code, _, err) = run(d, &[], args);
        assert_ne!(code, 0, "{args:?}");
        assert!(
            err.contains("schema is at migration 1") && err.contains("run `tessera migrate`"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(applied(), [1], "the operator commands changed nothing");
    let out = ok(d, &["migrate"]);
    assert!(out.starts_with("applied migrations 2, 3"), "{out}");
    assert_eq!(applied()[..3], [1, 2, 3]);
    ok(d, &["client", "list"]);
    let again: Value = serde_json::from_str(&ok(d, &["migrate", "--json"])).unwrap();
    assert_eq!(again["applied"], serde_json::json!([]));
}

/// `tessera` with a deadline: a process that does not exit within `secs` is killed and the
/// test fails (a refused start must exit at once, not serve).
fn run_bounded(
    dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
    secs: u64,
) -> (i32, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} did not exit within {secs}s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (status.code().unwrap_or(-1), err)
}

/// No operator command creates a store or a master key: pointed at a folder that holds no
/// store (a typo), each says so, fails, and leaves nothing behind. `tessera init` makes both,
/// and on an existing store checks the key.
#[test]
fn only_init_and_serve_create_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let commands: [&[&str]; 5] = [
        &["client", "list"],
        &["keys", "list"],
        &["events"],
        &["migrate"],
        &["client", "create", "--name", "x", "--audience", "api://x"],
    ];
    for args in commands {
        let mut full = args.to_vec();
        full.extend(["--data-dir", "typo"]);
        let (code, out, err) = run(d, &[], &full);
        assert_ne!(code, 0, "{args:?}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(
            err.contains("no Tessera store")
                && err.contains("typo")
                && err.contains("tessera init"),
            "{args:?}: {err}"
        );
        assert!(!d.join("typo").exists(), "{args:?} created the folder");
    }
    let out = ok(d, &["init", "--data-dir", "store"]);
    assert!(
        out.contains("created the store") && out.contains("check value"),
        "{out}"
    );
    assert!(d.join("store/tessera.db").exists() && d.join("store/master.key").exists());
    ok(d, &["client", "list", "--data-dir", "store"]);
    let again = ok(d, &["init", "--data-dir", "store"]);
    assert!(
        again.contains("exists") && again.contains("its own"),
        "{again}"
    );
}

/// A store refuses a process with another master key before it reads or writes anything, and
/// says which key it expects (by check value, never the key) and how to give it; a store whose
/// key file is gone does not get a new one.
#[test]
fn a_store_refuses_another_master_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let made: Value = serde_json::from_str(&ok(d, &["init", "--json"])).unwrap();
    assert_eq!(made["created"], true);
    let expected = made["check_value"].as_str().unwrap().to_owned();
    let other = tessera_jose::b64::encode([3u8; 32]);
    let env = [("TESSERA_MASTER_KEY", other.as_str())];
    let commands: [&[&str]; 4] = [
        &["client", "create", "--name", "x", "--audience", "api://x"],
        &["client", "list"],
        &["keys", "rotate"],
        &["init"],
    ];
    for args in commands {
        let (code, _, err) = run(d, &env, args);
        assert_ne!(code, 0, "{args:?}");
        assert!(
            err.contains("is not this store's")
                && err.contains(&expected)
                && err.contains("TESSERA_MASTER_KEY")
                && err.contains("TESSERA_MASTER_KEY_FILE"),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains(&other),
            "the key itself is never shown: {err}"
        );
    }
    // Nothing was written under the wrong key.
    assert_eq!(ok(d, &["client", "list", "--json"]).lines().count(), 0);
    // The service refuses to start with it, at once.
    let (code, err) = run_bounded(d, &env, &["serve", "--listen", "127.0.0.1:0"], 20);
    assert_ne!(code, 0);
    assert!(
        err.contains("is not this store's") && err.contains(&expected),
        "{err}"
    );
    // The store's key file moved away: neither the service nor a command makes another.
    std::fs::rename(d.join("tessera-data/master.key"), d.join("elsewhere.key")).unwrap();
    let (code, err) = run_bounded(d, &[], &["serve", "--listen", "127.0.0.1:0"], 20);
    assert_ne!(code, 0);
    assert!(err.contains("no master key"), "{err}");
    let (code, _, err) = run(d, &[], &["client", "list"]);
    assert_ne!(code, 0);
    assert!(err.contains("no master key"), "{err}");
    assert!(!d.join("tessera-data/master.key").exists());
    // Given back as a file setting, it is the store's key again.
    let key_file = d.join("elsewhere.key").display().to_string();
    let (code, _, err) = run(
        d,
        &[("TESSERA_MASTER_KEY_FILE", &key_file)],
        &["client", "list"],
    );
    assert_eq!(code, 0, "{err}");
}

/// One SQLite store has one node: a new issuer (here the default of another port) is taken,
/// with a warning that tokens issued before carry the old one. (On PostgreSQL a node with
/// another issuer is refused: `cluster.rs`.)
#[test]
fn a_single_node_store_takes_a_new_issuer_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = start_serve(dir.path(), &[], &[]);
    let (status, err) = stop(first);
    assert!(status.success(), "{err}");
    assert!(!err.contains("the issuer changed"), "{err}");
    let (second, _) = start_serve(dir.path(), &[], &[]);
    let (status, err) = stop(second);
    assert!(status.success(), "{err}");
    assert!(err.contains("the issuer changed"), "{err}");
}

/// A failed client authentication is logged by the server with the client id and why (unknown
/// client, wrong secret, disabled), never the secret; the client is told `invalid_client` only.
#[test]
fn failed_client_authentications_are_logged_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (child, port) = start_serve(d, &[], &[]);
    let creds: Value = new_client(d);
    let id = creds["client_id"].as_str().unwrap().to_owned();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/oauth2/token");
    let grant = |id: &str, secret: &str| rt.block_on(testkit::grant(&http, &url, id, secret)).0;
    let wrong = "not-the-secret-Zq9";
    assert_eq!(grant(&id, wrong), 401);
    assert_eq!(grant("nobody", "whatever-Xy7"), 401);
    ok(d, &["client", "disable", &id]);
    // The nodes see the change within poll_interval (500 ms).
    let secret = creds["client_secret"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while grant(&id, secret) != 401 {
        assert!(
            Instant::now() < deadline,
            "the disabled client still gets tokens"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (_, err) = stop(child);
    let line = |reason: &str, who: &str| {
        err.lines().any(|l| {
            l.contains("client authentication failed") && l.contains(reason) && l.contains(who)
        })
    };
    assert!(line("wrong_secret", &id), "{err}");
    assert!(line("unknown_client", "nobody"), "{err}");
    assert!(line("disabled", &id), "{err}");
    assert!(
        !err.contains(wrong) && !err.contains("whatever-Xy7"),
        "no secret in the log: {err}"
    );
}

/// `client disable|enable|delete|rotate-secret` say what they did.
#[test]
fn operator_commands_say_what_they_did() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init"]);
    let created: Value = new_client(d);
    let id = created["client_id"].as_str().unwrap();
    for (args, said) in [
        (vec!["client", "disable", id], "disabled: it gets no tokens"),
        (
            vec!["client", "enable", id],
            "enabled: it gets tokens again",
        ),
        (
            vec!["client", "rotate-secret", id, "--grace", "1h"],
            "the previous one works for 3600 s more",
        ),
        (
            vec!["client", "rotate-secret", id],
            "the previous one no longer works",
        ),
        (
            vec!["client", "delete", id],
            "deleted: its secret no longer works",
        ),
    ] {
        let (code, _, err) = run(d, &[], &args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(err.contains(id) && err.contains(said), "{args:?}: {err}");
    }
}

/// The small things an operator types: `--listen localhost:PORT` and `:PORT`, a lifetime
/// without its unit, a misspelt `TESSERA_*` variable.
#[test]
fn what_operators_type_is_read_as_they_mean_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let printed = ok(
        d,
        &["serve", "--print-config", "--listen", "localhost:9000"],
    );
    assert!(printed.contains("listen = \"127.0.0.1:9000\""), "{printed}");
    let printed = ok(d, &["serve", "--print-config", "--listen", ":9000"]);
    assert!(printed.contains("listen = \"0.0.0.0:9000\""), "{printed}");
    let (code, _, err) = run(
        d,
        &[],
        &["serve", "--print-config", "--listen", "nowhere:9000"],
    );
    assert_ne!(code, 0);
    assert!(err.contains("localhost:8080"), "{err}");
    // And it serves there.
    let port = common::free_port();
    let child = common::Reaped(
        Command::new(BIN)
            .args(["serve", "--listen", &format!("localhost:{port}")])
            .current_dir(d)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    common::wait_listening(port, "tessera serve on localhost");
    drop(child);
    // A lifetime without a unit.
    let (code, _, err) = run(
        d,
        &[],
        &[
            "client",
            "create",
            "--name",
            "c",
            "--audience",
            "api://x",
            "--token-ttl",
            "15",
        ],
    );
    assert_ne!(code, 0);
    assert!(err.contains("15s or 15m?"), "{err}");
    assert_eq!(ok(d, &["client", "list", "--json"]).lines().count(), 0);
    // A misspelt variable is named, with the setting it probably meant.
    let (code, _, err) = run(
        d,
        &[
            ("TESSERA_TOKEN_TLL", "5m"),
            ("TESSERA_NOTHING_LIKE_IT", "1"),
        ],
        &["serve", "--print-config"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("TESSERA_TOKEN_TLL is not a setting: did you mean TESSERA_TOKEN_TTL?"),
        "{err}"
    );
    assert!(
        err.contains("TESSERA_NOTHING_LIKE_IT is not a setting (see `tessera serve --help`)"),
        "{err}"
    );
}

/// What `serve` prints is meant to be pasted: its "first client" command reaches this server's
/// store (here a data folder with a space in its name), and the command that one prints gets a
/// token from this server (its issuer, as the store recorded it).
#[test]
fn the_commands_serve_prints_work_when_pasted() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = common::free_port();
    let mut child = Command::new(BIN)
        .args(["serve", "--data-dir", "my data", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .current_dir(d)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let _child = common::Reaped(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let command = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .expect("the banner's first-client line");
        if let Some(c) = line.trim().strip_prefix("first client: ") {
            break c.to_owned();
        }
    };
    assert!(command.contains("--data-dir 'my data'"), "{command}");
    let pasted = command.replacen("tessera ", &format!("'{BIN}' "), 1);
    let out = Command::new("sh")
        .args(["-c", &pasted])
        .current_dir(d)
        .env_clear()
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{pasted}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let curl = printed
        .lines()
        .find(|l| l.trim_start().starts_with("curl "))
        .unwrap_or_else(|| panic!("{printed}"));
    let url = curl.split_whitespace().last().unwrap();
    assert_eq!(url, format!("http://127.0.0.1:{port}/oauth2/token"));
    let creds = curl.split('\'').nth(1).unwrap();
    let (id, secret) = creds.split_once(':').unwrap();
    let (status, _) = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(testkit::grant(&reqwest::Client::new(), url, id, secret));
    assert_eq!(status, 200);
}

/// `--issuer http://host/auth`: the service answers under the path it advertises.
#[test]
fn an_issuer_with_a_path_is_served_under_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let issuer = format!("http://127.0.0.1:{port}/auth");
    let child = common::Reaped(
        Command::new(BIN)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--issuer",
                &issuer,
            ])
            .current_dir(dir.path())
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    common::wait_listening(port, "tessera serve");
    let doc: Value = tokio::runtime::Runtime::new().unwrap().block_on(async {
        reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(doc["issuer"], issuer.as_str());
    assert_eq!(doc["token_endpoint"], format!("{issuer}/oauth2/token"));
    drop(child);
}

/// `keys retire` of a key whose tokens are still valid says until when and wants `--force`.
#[test]
fn retiring_a_key_with_live_tokens_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (child, port) = start_serve(d, &[], &[]);
    let creds: Value = new_client(d);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let grant = || {
        rt.block_on(testkit::grant(
            &reqwest::Client::new(),
            &format!("http://127.0.0.1:{port}/oauth2/token"),
            creds["client_id"].as_str().unwrap(),
            creds["client_secret"].as_str().unwrap(),
        ))
    };
    let (_, token) = grant();
    // Two more, after the node has recorded the first (it polls every 500 ms).
    std::thread::sleep(Duration::from_millis(700));
    grant();
    grant();
    let kid =
        tessera_jose::dangerous::peek_header_unverified(token["access_token"].as_str().unwrap())
            .unwrap()
            .kid_value()
            .unwrap()
            .to_owned();
    // On shutdown the node records what the key signed.
    let (status, err) = stop(child);
    assert!(status.success(), "{err}");
    ok(d, &["keys", "rotate", "--force"]);
    ok(d, &["keys", "rotate", "--force"]);
    let (code, _, err) = run(d, &[], &["keys", "retire", &kid]);
    assert_ne!(code, 0);
    assert!(
        err.contains(&kid)
            && err.contains("signed 3 tokens that are still valid, the last until")
            && err.contains("--force"),
        "{err}"
    );
    let (code, _, err) = run(d, &[], &["keys", "retire", &kid, "--force"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("retired"), "{err}");
    let listed = ok(d, &["keys", "list"]);
    assert!(!listed.contains(&kid), "{listed}");
}

/// TLS files that are wrong are named, with what is wrong with them: missing, swapped, a key
/// that belongs to another certificate, an encrypted key.
#[test]
fn tls_configuration_errors_say_which_file_and_what() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (one, two) = (d.join("one"), d.join("two"));
    std::fs::create_dir_all(&one).unwrap();
    std::fs::create_dir_all(&two).unwrap();
    let (Some(a), Some(b)) = (
        testkit::test_certificate(&one),
        testkit::test_certificate(&two),
    ) else {
        return;
    };
    let s = |p: &std::path::Path| p.display().to_string();
    let encrypted = d.join("encrypted.pem");
    std::fs::write(
        &encrypted,
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
    )
    .unwrap();
    let cases = [
        (s(&d.join("missing.pem")), s(&a.key), "cannot read it"),
        (s(&a.key), s(&a.cert), "are tls_cert and tls_key swapped?"),
        (
            s(&a.cert),
            s(&b.key),
            "does not belong to the first certificate",
        ),
        (s(&a.cert), s(&encrypted), "is encrypted"),
    ];
    for (cert, key, says) in cases {
        let (code, err) = run_bounded(
            d,
            &[],
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--tls-cert",
                &cert,
                "--tls-key",
                &key,
            ],
            20,
        );
        assert_ne!(code, 0);
        assert!(err.contains(says), "{cert} {key}: {err}");
    }
}

/// `--log-format json`: every line is a JSON record, the warnings, the banner and a fatal error
/// included.
#[test]
fn json_logs_are_json_from_the_first_line_to_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let all_json = |err: &str| {
        for line in err.lines().filter(|l| !l.trim().is_empty()) {
            assert!(
                serde_json::from_str::<Value>(line).is_ok(),
                "not JSON: {line}\nin:\n{err}"
            );
        }
    };
    let (child, _) = start_serve(d, &[("TESSERA_TOKEN_TLL", "5m")], &["--log-format", "json"]);
    let (status, err) = stop(child);
    assert!(status.success(), "{err}");
    all_json(&err);
    assert!(
        err.contains("tessera serve is listening") && err.contains("first_client"),
        "{err}"
    );
    assert!(err.contains("TESSERA_TOKEN_TLL is not a setting"), "{err}");
    let (code, err) = run_bounded(
        d,
        &[],
        &[
            "serve",
            "--log-format",
            "json",
            "--tls-cert",
            "missing.pem",
            "--tls-key",
            "missing.pem",
        ],
        20,
    );
    assert_eq!(code, 2);
    all_json(&err);
    assert!(
        err.contains("tessera serve stopped") && err.contains("missing.pem"),
        "{err}"
    );
}

/// `client revoke-tokens` revokes what was issued before it to the millisecond: a token issued
/// in the same second, after the command, stays active.
#[test]
fn revoking_a_clients_tokens_spares_those_issued_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (child, port) = start_serve(d, &[], &[]);
    let creds: Value = serde_json::from_str(&ok(
        d,
        &[
            "client",
            "create",
            "--name",
            "c",
            "--audience",
            "api://x",
            "--introspect",
            "--json",
        ],
    ))
    .unwrap();
    let id = creds["client_id"].as_str().unwrap();
    let secret = creds["client_secret"].as_str().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let token = || {
        let (status, body) = rt.block_on(testkit::grant(
            &http,
            &format!("{base}/oauth2/token"),
            id,
            secret,
        ));
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    };
    let active = |t: &str| {
        rt.block_on(testkit::introspect(
            &http,
            &format!("{base}/oauth2/introspect"),
            id,
            secret,
            t,
        ))["active"]
            .as_bool()
            .unwrap()
    };
    let iat = |t: &str| {
        let payload = t.split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&tessera_jose::b64::decode(payload).unwrap()).unwrap();
        claims["iat"].as_i64().unwrap()
    };
    // The case that matters is a token issued in the very second of the cut-off; a slow
    // machine may cross into the next second, so try a few times until one lands in it.
    let mut same_second = 0;
    for _ in 0..8 {
        // Start early in a second, so the command and the next grant fit in it.
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_millis();
        std::thread::sleep(Duration::from_millis(u64::from(1010 - ms)));
        let before = token();
        let (code, _, said) = run(d, &[], &["client", "revoke-tokens", id]);
        assert_eq!(code, 0, "{said}");
        assert!(said.contains("up to") && said.contains(id), "{said}");
        let after = token();
        let shown: Value = serde_json::from_str(&ok(d, &["client", "show", id])).unwrap();
        let cut = shown["tokens_revoked_before_ms"].as_i64().unwrap();
        assert!(!active(&before), "issued before the command");
        assert!(active(&after), "issued after the command");
        if iat(&after) == cut.div_euclid(1000) {
            same_second += 1;
            if same_second == 2 {
                break;
            }
        }
    }
    stop(child);
    assert!(
        same_second > 0,
        "no token was issued in the second of a cut-off in 8 tries"
    );
}

/// A DPoP proof the token endpoint refuses says what it had and what this request expected;
/// `tessera dpop verify` says the same.
#[test]
fn dpop_rejections_say_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (child, port) = start_serve(d, &[], &[]);
    let child = common::Reaped(child);
    let creds: Value = new_client(d);
    let key = ok(d, &["jwk", "generate", "--alg", "ES256"]);
    std::fs::write(d.join("proof.jwk"), key).unwrap();
    let token_url = format!("http://127.0.0.1:{port}/oauth2/token");
    let wrong = format!("http://127.0.0.1:{port}/token");
    let proof = ok(
        d,
        &[
            "dpop",
            "proof",
            "--key",
            "proof.jwk",
            "--htm",
            "POST",
            "--htu",
            &wrong,
        ],
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let answer: Value = rt.block_on(async {
        reqwest::Client::new()
            .post(&token_url)
            .basic_auth(
                creds["client_id"].as_str().unwrap(),
                creds["client_secret"].as_str(),
            )
            .header("dpop", proof.trim())
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(answer["error"], "invalid_dpop_proof", "{answer}");
    assert_eq!(
        answer["error_description"],
        format!(
            "the DPoP proof is for another request (htm, htu): the proof's htu is `{wrong}`; this request is `{token_url}`"
        )
    );
    let (code, _, err) = run(
        d,
        &[],
        &[
            "dpop",
            "verify",
            proof.trim(),
            "--htm",
            "GET",
            "--htu",
            &wrong,
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("the proof's htm is `POST`; this request is `GET`"),
        "{err}"
    );
    let (code, out, _) = run(
        d,
        &[],
        &[
            "dpop",
            "verify",
            proof.trim(),
            "--htm",
            "POST",
            "--htu",
            &wrong,
            "--jkt",
            "not-this-key",
            "--json",
        ],
    );
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["code"], "dpop_binding");
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .ends_with("the access token is bound to `not-this-key` (cnf.jkt)"),
        "{v}"
    );
    drop(child);
}

/// A node configured with another signing algorithm than its store's is refused with the
/// command that changes it; `keys rotate --alg` changes it for every node, through a rotation.
#[test]
fn a_new_signing_algorithm_goes_through_a_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fast = [
        "--set",
        "jwks_max_age=1s",
        "--set",
        "key_margin=1s",
        "--set",
        "poll_interval=100ms",
    ];
    let (child, _) = start_serve(d, &[], &fast);
    stop(child);
    let (code, _, err) = run(
        d,
        &[],
        &["serve", "--listen", "127.0.0.1:0", "--signing-alg", "RS256"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("signing_alg is RS256 but this store's keys are ES256")
            && err.contains("tessera keys rotate --alg RS256"),
        "{err}"
    );
    let said = ok(d, &["keys", "rotate", "--alg", "RS256"]);
    assert!(
        said.contains("keys.algorithm_changed\tRS256") && said.contains("key.created"),
        "{said}"
    );
    let keys: Vec<Value> = ok(d, &["keys", "list", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The access-token chain's (the ID-token chain is RS256 throughout).
    let alg_of = |keys: &[Value], state: &str| {
        keys.iter()
            .find(|k| k["state"] == state && k["signs"] == "access tokens")
            .map(|k| k["alg"].as_str().unwrap().to_owned())
    };
    assert_eq!(alg_of(&keys, "current").as_deref(), Some("ES256"));
    assert_eq!(alg_of(&keys, "next").as_deref(), Some("RS256"));
    // The node now starts with RS256, and makes the RS256 key current once it has been
    // published for jwks_max_age + key_margin (2 s here), long before the rotation period.
    let mut args = vec!["--signing-alg", "RS256"];
    args.extend_from_slice(&fast);
    let (child, port) = start_serve(d, &[], &args);
    let creds: Value = new_client(d);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/oauth2/token");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = rt.block_on(testkit::grant(
            &http,
            &url,
            creds["client_id"].as_str().unwrap(),
            creds["client_secret"].as_str().unwrap(),
        ));
        assert_eq!(status, 200, "{body}");
        let token = body["access_token"].as_str().unwrap();
        let header: Value = serde_json::from_slice(
            &tessera_jose::b64::decode(token.split('.').next().unwrap()).unwrap(),
        )
        .unwrap();
        if header["alg"] == "RS256" {
            break;
        }
        assert!(Instant::now() < deadline, "still {header}");
        std::thread::sleep(Duration::from_millis(200));
    }
    stop(child);
    let keys: Vec<Value> = ok(d, &["keys", "list", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(alg_of(&keys, "current").as_deref(), Some("RS256"));
    assert_eq!(alg_of(&keys, "previous").as_deref(), Some("ES256"));
    // A symmetric algorithm is refused.
    let (code, _, err) = run(d, &[], &["keys", "rotate", "--alg", "HS256"]);
    assert_eq!(code, 2);
    assert!(err.contains("asymmetric"), "{err}");
}

/// `/metrics` on a listener of its own: the main listener no longer serves it; by default
/// only a service listening beyond loopback moves it (to 127.0.0.1:9464).
#[test]
fn metrics_can_have_a_listener_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let printed = ok(d, &["serve", "--print-config", "--listen", ":9000"]);
    assert!(
        printed.contains("metrics_listen = \"127.0.0.1:9464\""),
        "{printed}"
    );
    let printed = ok(d, &["serve", "--print-config"]);
    assert!(printed.contains("metrics_listen = \"main\""), "{printed}");
    let metrics_port = common::free_port();
    let (child, port) = start_serve(
        d,
        &[],
        &["--set", &format!("metrics_listen=127.0.0.1:{metrics_port}")],
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let get = |url: String| {
        rt.block_on(async {
            let r = reqwest::get(url).await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        })
    };
    let (status, _) = get(format!("http://127.0.0.1:{port}/metrics"));
    assert_eq!(status, 404, "not on the main listener");
    assert_eq!(get(format!("http://127.0.0.1:{port}/readyz")).0, 200);
    let (status, body) = get(format!("http://127.0.0.1:{metrics_port}/metrics"));
    assert_eq!(status, 200);
    assert!(body.contains("# TYPE"), "{body}");
    let (_, err) = stop(child);
    assert!(
        err.contains(&format!(
            "metrics    http://127.0.0.1:{metrics_port}/metrics"
        )),
        "{err}"
    );
    // off: nowhere.
    let (child, port) = start_serve(d, &[], &["--set", "metrics_listen=off"]);
    assert_eq!(get(format!("http://127.0.0.1:{port}/metrics")).0, 404);
    stop(child);
    let (code, _, err) = run(
        d,
        &[],
        &[
            "serve",
            "--print-config",
            "--set",
            "metrics_listen=somewhere",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("--metrics-listen") && err.contains("or main, or off"),
        "{err}"
    );
}

/// `client list` and `keys list`: aligned columns under a header on a terminal (a
/// pseudo-terminal from `script`), tab-separated lines when piped, JSON lines with --json.
#[test]
fn lists_are_columns_on_a_terminal_and_tabs_in_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init"]);
    let on_tty = |args: &str| {
        let out = Command::new("script")
            .args(["-qec", &format!("{BIN} {args}"), "/dev/null"])
            .current_dir(d)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("TERM", "dumb")
            .output()
            .expect("`script` (util-linux) runs the command on a pseudo-terminal");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).replace('\r', "")
    };
    assert!(on_tty("client list").contains("no clients yet"));
    let first = new_client(d);
    ok(
        d,
        &[
            "client",
            "create",
            "--name",
            "a longer name",
            "--audience",
            "api://y",
            "--scope",
            "read write",
        ],
    );
    let table = on_tty("client list");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("CLIENT ID"), "{table}");
    assert!(!table.contains('\t'), "{table}");
    // Columns line up: every row's name starts where the header's NAME does.
    let at = lines[0].find("NAME").unwrap();
    for row in &lines[1..] {
        let name = &row[at..];
        assert!(
            name.starts_with("c ") || name.starts_with("a longer name"),
            "{table}"
        );
    }
    let piped = ok(d, &["client", "list"]);
    assert_eq!(piped.lines().count(), 2, "{piped}");
    assert!(piped.lines().all(|l| l.split('\t').count() == 5), "{piped}");
    assert!(piped.contains(first["client_id"].as_str().unwrap()));
    assert_eq!(ok(d, &["client", "list", "--json"]).lines().count(), 2);
    ok(d, &["keys", "rotate"]);
    let keys = on_tty("keys list");
    assert!(
        keys.starts_with("KID") && keys.contains("LEAVES THE JWKS") && keys.contains("next"),
        "{keys}"
    );
    let piped = ok(d, &["keys", "list"]);
    assert!(
        piped.lines().all(|l| l.split('\t').nth(2) == Some("next")),
        "{piped}"
    );
}

/// `verify --issuer/--jwks-url` tells a refused connection, an HTTP error, a body that is not
/// JSON, metadata given as a JWK Set and an untrusted certificate apart; a private CA is
/// trusted with --ca-file, SSL_CERT_FILE or SSL_CERT_DIR.
#[test]
fn fetching_keys_says_what_went_wrong_and_trusts_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Some(cert) = testkit::test_certificate(d) else {
        return;
    };
    let s = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    let port = common::free_port();
    let issuer = format!("https://127.0.0.1:{port}");
    let child = common::Reaped(
        Command::new(BIN)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--issuer", &issuer, "--tls-cert", &s(&cert.cert)])
            .args(["--tls-key", &s(&cert.key)])
            .current_dir(d)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    common::wait_listening(port, "tessera serve over TLS");
    let creds = new_client(d);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(&cert.ca).unwrap()).unwrap(),
        )
        .build()
        .unwrap();
    let (status, body) = rt.block_on(testkit::grant(
        &http,
        &format!("{issuer}/oauth2/token"),
        creds["client_id"].as_str().unwrap(),
        creds["client_secret"].as_str().unwrap(),
    ));
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let verify = |env: &[(&str, &str)], extra: &[&str]| {
        let mut args = vec!["verify", token.as_str(), "--aud", "api://x"];
        args.extend_from_slice(extra);
        run(d, env, &args)
    };
    // Not trusted, then trusted three ways.
    let (code, _, err) = verify(&[], &["--issuer", &issuer]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "the certificate of 127.0.0.1:{port} is not trusted"
        )) && err.contains("--ca-file"),
        "{err}"
    );
    let ca = s(&cert.ca);
    assert_eq!(verify(&[], &["--issuer", &issuer, "--ca-file", &ca]).0, 0);
    assert_eq!(
        verify(&[("SSL_CERT_FILE", &ca)], &["--issuer", &issuer]).0,
        0
    );
    let ca_dir = d.join("ca-dir");
    std::fs::create_dir(&ca_dir).unwrap();
    std::fs::copy(&cert.ca, ca_dir.join("private-ca.pem")).unwrap();
    std::fs::write(ca_dir.join("README"), "not a certificate").unwrap();
    let (code, _, err) = verify(&[("SSL_CERT_DIR", &s(&ca_dir))], &["--issuer", &issuer]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = verify(&[], &["--issuer", &issuer, "--ca-file", "no-such.pem"]);
    assert_eq!(code, 2);
    assert!(err.contains("--ca-file no-such.pem"), "{err}");
    // The other causes, each in its own words.
    let fetch = |url: String| {
        let (code, _, err) = verify(&[], &["--jwks-url", &url, "--ca-file", &ca]);
        assert_eq!(code, 2, "{err}");
        err
    };
    let closed = common::free_port();
    let err = fetch(format!("http://127.0.0.1:{closed}/jwks"));
    assert!(
        err.contains(&format!("connection refused by 127.0.0.1:{closed}")),
        "{err}"
    );
    let err = fetch(format!("{issuer}/no-such-path"));
    assert!(err.contains("answered HTTP 404 Not Found"), "{err}");
    let err = fetch(format!("{issuer}/healthz"));
    assert!(
        err.contains("is not JSON (Content-Type text/plain"),
        "{err}"
    );
    let err = fetch(format!("{issuer}/.well-known/oauth-authorization-server"));
    assert!(
        err.contains("is authorization server metadata, not a JWK Set")
            && err.contains(&format!("{issuer}/.well-known/jwks.json")),
        "{err}"
    );
    let (code, _, err) = run(d, &[], &["verify", &token, "--ca-file", &ca]);
    assert_eq!(code, 2);
    assert!(err.contains("--ca-file applies to"), "{err}");
    drop(child);
}

/// `tessera rekey`: the store's master key rotated while a node runs (it turns unready and keeps
/// serving), then the nodes started with the new key: the same signing keys, the old client
/// secret works and is hashed again, the old key is refused.
#[test]
fn the_master_key_rotates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let help = ok(d, &["serve", "--help"]);
    assert!(
        help.contains("head -c 32 /dev/urandom")
            && help.contains("TESSERA_MASTER_KEY_FILE")
            && help.contains("tessera rekey --new-master-key-file NEW"),
        "{help}"
    );
    let (child, port) = start_serve(d, &[], &["--set", "poll_interval=100ms"]);
    let creds = new_client(d);
    let (id, secret) = (
        creds["client_id"].as_str().unwrap().to_owned(),
        creds["client_secret"].as_str().unwrap().to_owned(),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let grant = |base: &str| {
        rt.block_on(testkit::grant(
            &http,
            &format!("{base}/oauth2/token"),
            &id,
            &secret,
        ))
    };
    assert_eq!(grant(&base).0, 200);
    let jwks_before = rt.block_on(testkit::get_json(
        &http,
        &format!("{base}/.well-known/jwks.json"),
    ));
    std::fs::copy(d.join("tessera-data/master.key"), d.join("old.key")).unwrap();
    let said = ok(d, &["rekey", "--new-master-key-file", "new.key"]);
    assert!(
        said.contains("made a new master key in new.key")
            && said.contains("4 signing keys sealed under it"),
        "{said}"
    );
    // The node still has the old key: unready, and still serving what it has.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = rt.block_on(async {
            http.get(format!("{base}/readyz"))
                .send()
                .await
                .unwrap()
                .status()
        });
        if status == 503 {
            break;
        }
        assert!(Instant::now() < deadline, "the node stayed ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(grant(&base).0, 200);
    let (_, log) = stop(child);
    assert!(log.contains("master key was rotated"), "{log}");
    // The old key is refused from now on; the new one replaces it.
    let (code, _, err) = run(
        d,
        &[("TESSERA_MASTER_KEY_FILE", "old.key")],
        &["client", "list"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("is not this store's"), "{err}");
    std::fs::rename(d.join("new.key"), d.join("tessera-data/master.key")).unwrap();
    let (code, _, err) = run(
        d,
        &[],
        &["rekey", "--new-master-key-file", "tessera-data/master.key"],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("holds the store's current master key"),
        "{err}"
    );
    let (child, port) = start_serve(d, &[], &[]);
    let base = format!("http://127.0.0.1:{port}");
    assert_eq!(
        rt.block_on(testkit::get_json(
            &http,
            &format!("{base}/.well-known/jwks.json")
        )),
        jwks_before,
        "the same signing keys"
    );
    // The secret hashed under the old key works, twice (the second time under the new hash).
    let (status, body) = grant(&base);
    assert_eq!(status, 200, "{body}");
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(grant(&base).0, 200);
    let (_, log) = stop(child);
    assert_eq!(
        log.matches("client secret hashed again under the current master key")
            .count(),
        1,
        "{log}"
    );
    // A wrong secret is still wrong.
    let (child, port) = start_serve(d, &[], &[]);
    let (status, _) = rt.block_on(testkit::grant(
        &http,
        &format!("http://127.0.0.1:{port}/oauth2/token"),
        &id,
        "not-the-secret",
    ));
    assert_eq!(status, 401);
    stop(child);
}
