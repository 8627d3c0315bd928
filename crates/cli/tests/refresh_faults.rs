//! Refresh tokens under faults, with real processes: `kill -9` of `tessera serve` in the middle
//! of a refresh load, and its PostgreSQL stopped and started under the load. Afterwards, for
//! every family, the last refresh token its client received still works, the family has one
//! live token (the same one for every holder), and nothing older works; while the database is
//! gone the service answers `503 temporarily_unavailable` with `Retry-After`, and it recovers
//! on its own. Nobody is logged out by either fault.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::free_port;

mod common;

use common::people::{families, http, people_and_app, tessera};

/// Families under load.
const FAMILIES: usize = 12;

/// `tessera serve` on `port`, the refresh grace long enough to outlast a restart.
fn serve(dir: &Path, store: &[&str], port: u16) -> Child {
    common::people::serve(
        dir,
        store,
        port,
        &["refresh_grace=60s", "poll_interval=100ms"],
    )
}

/// One refresh: the status, its `Retry-After`, the answer (`None` when nothing came back).
async fn refresh(
    http: &reqwest::Client,
    base: &str,
    client_id: &str,
    token: &str,
) -> Option<(u16, Option<String>, Value)> {
    let resp = http
        .post(format!("{base}/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", client_id),
        ])
        .send()
        .await
        .ok()?;
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    Some((status, retry, resp.json().await.unwrap_or(Value::Null)))
}

/// What the clients saw: each family's tokens as received, oldest first, and every answer
/// that was neither a token nor a dropped connection.
#[derive(Default)]
struct Seen {
    held: Vec<Vec<String>>,
    refused: Vec<String>,
    unavailable: Vec<(u16, Option<String>, Value)>,
}

/// A client per family refreshing in a loop (keeping what it receives, trying again on a
/// dropped connection or a 503) until `stop`.
fn load(
    base: String,
    client_id: String,
    first: Vec<String>,
    stop: Arc<AtomicBool>,
) -> (Arc<Mutex<Seen>>, tokio::task::JoinSet<()>) {
    let seen = Arc::new(Mutex::new(Seen {
        held: first.into_iter().map(|t| vec![t]).collect(),
        ..Seen::default()
    }));
    let mut set = tokio::task::JoinSet::new();
    for n in 0..FAMILIES {
        let (base, client_id, stop, seen) =
            (base.clone(), client_id.clone(), stop.clone(), seen.clone());
        set.spawn(async move {
            let http = http();
            // Bounded: at most 100,000 requests per family, and `stop`.
            for _ in 0..100_000 {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let last = seen.lock().unwrap().held[n].last().unwrap().clone();
                match refresh(&http, &base, &client_id, &last).await {
                    Some((200, _, v)) => {
                        let next = v["refresh_token"].as_str().unwrap().to_owned();
                        seen.lock().unwrap().held[n].push(next);
                    }
                    Some((503, retry, v)) => {
                        seen.lock().unwrap().unavailable.push((503, retry, v));
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    Some((s, _, v)) => {
                        seen.lock()
                            .unwrap()
                            .refused
                            .push(format!("family {n}: {s} {v}"));
                        return;
                    }
                    None => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
    }
    (seen, set)
}

/// The invariants after the faults: nobody was refused; for every family, the last token its
/// client received works, the family then has one live token that every holder of the last
/// one gets, and a token older than the last is theft.
async fn check_families(base: &str, client_id: &str, seen: &Seen) {
    assert!(seen.refused.is_empty(), "refused: {:?}", seen.refused);
    let http = http();
    for (n, held) in seen.held.iter().enumerate() {
        assert!(held.len() >= 2, "family {n} was never refreshed");
        let last = held.last().unwrap();
        let (s, _, first) = refresh(&http, base, client_id, last).await.unwrap();
        assert_eq!(s, 200, "family {n}: the last token received: {first}");
        let (s, _, again) = refresh(&http, base, client_id, last).await.unwrap();
        assert_eq!(s, 200, "family {n}: {again}");
        assert_eq!(
            first["refresh_token"], again["refresh_token"],
            "family {n}: one live token"
        );
        let older = &held[held.len() - 2];
        let (s, _, v) = refresh(&http, base, client_id, older).await.unwrap();
        assert_eq!(
            (s, v["error"].as_str()),
            (400, Some("invalid_grant")),
            "family {n}: an older token"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_in_the_middle_of_a_refresh_load() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tessera(d, &[], &["init"]);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut node = serve(d, &[], port);
    let client_id = people_and_app(d, &[], &[]);
    let first = families(&base, &client_id, FAMILIES).await;
    let stop = Arc::new(AtomicBool::new(false));
    let (seen, mut set) = load(base.clone(), client_id.clone(), first, stop.clone());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    node.kill().unwrap();
    node.wait().unwrap();
    let before = seen
        .lock()
        .unwrap()
        .held
        .iter()
        .map(Vec::len)
        .sum::<usize>();
    let mut node = serve(d, &[], port);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::Relaxed);
    while set.join_next().await.is_some() {}
    let seen = Arc::try_unwrap(seen).ok().unwrap().into_inner().unwrap();
    let after = seen.held.iter().map(Vec::len).sum::<usize>();
    assert!(after > before, "the load went on after the restart");
    check_families(&base, &client_id, &seen).await;
    node.kill().unwrap();
    node.wait().unwrap();
}

/// A PostgreSQL of the test's own (initdb in a temporary folder, run as the `postgres`
/// account when the test runs as root), so that stopping it disturbs no other test.
struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl PrivatePostgres {
    fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| Some(e.ok()?.path().join("bin")))
            .find(|b| b.join("initdb").exists())?;
        let dir = tempfile::tempdir().unwrap();
        let pg = Self {
            dir,
            bin,
            port: free_port(),
        };
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(pg.dir.path())
                .status()
                .ok()?
                .success();
            assert!(ok, "chown");
        }
        let data = pg.dir.path().join("data");
        let init = pg
            .run("initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
                "-D",
            ])
            .arg(&data)
            .output()
            .ok()?;
        assert!(
            init.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        pg.ctl("start");
        Some(pg)
    }

    fn run(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn ctl(&self, action: &str) {
        let d = self.dir.path();
        let mut c = self.run("pg_ctl");
        c.arg("-D").arg(d.join("data")).args(["-w", "-t", "30"]);
        if action == "start" {
            c.arg("-l").arg(d.join("log")).arg("-o").arg(format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                self.port,
                d.display()
            ));
        } else {
            c.args(["-m", "fast"]);
        }
        let out = c.arg(action).stdout(Stdio::null()).output().unwrap();
        assert!(
            out.status.success(),
            "pg_ctl {action}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .run("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_and_started_under_a_refresh_load() {
    let Some(pg) = PrivatePostgres::start() else {
        assert!(
            std::env::var_os("TESSERA_REQUIRE_POSTGRES").is_none(),
            "PostgreSQL's initdb and pg_ctl are required (TESSERA_REQUIRE_POSTGRES is set)"
        );
        eprintln!("skipped: no PostgreSQL binaries to run a private cluster");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let url = pg.url();
    let store = ["--database-url", url.as_str()];
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut node = serve(d, &store, port);
    let client_id = people_and_app(d, &store, &[]);
    let first = families(&base, &client_id, FAMILIES).await;
    let stop = Arc::new(AtomicBool::new(false));
    let (seen, mut set) = load(base.clone(), client_id.clone(), first, stop.clone());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    pg.ctl("stop");
    // Gone: the clients are told to come back (and nothing is refused for good).
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.lock().unwrap().unavailable.is_empty() {
        assert!(
            Instant::now() < deadline,
            "no 503 while the database was gone"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let during = seen
        .lock()
        .unwrap()
        .held
        .iter()
        .map(Vec::len)
        .sum::<usize>();
    pg.ctl("start");
    // Back on its own: the load makes progress again.
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen
        .lock()
        .unwrap()
        .held
        .iter()
        .map(Vec::len)
        .sum::<usize>()
        < during + FAMILIES
    {
        assert!(
            Instant::now() < deadline,
            "no recovery after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    while set.join_next().await.is_some() {}
    let seen = Arc::try_unwrap(seen).ok().unwrap().into_inner().unwrap();
    for (status, retry, v) in &seen.unavailable {
        assert_eq!(
            (*status, retry.as_deref(), v["error"].as_str()),
            (503, Some("1"), Some("temporarily_unavailable")),
            "{v}"
        );
    }
    check_families(&base, &client_id, &seen).await;
    node.kill().unwrap();
    node.wait().unwrap();
}
