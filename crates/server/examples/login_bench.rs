//! Sign-in throughput against the physical limit, in one run on one machine:
//!
//! 1. the bare limit: Argon2id verifications per second at the service's parameters, one
//!    thread per core, straight through the `argon2` crate;
//! 2. the service: complete sign-ins per second through `POST /login` (CSRF, throttle check,
//!    account lookup, the hash on the pool, the session written; the form is loaded once),
//!    from CLIENTS_PER_CORE client tasks per core (default 4: enough that a turn on the pool
//!    never waits for a client) on loopback;
//!
//!    the two in turn, ROUNDS times (default 5), SECONDS each (default 4): the ratio of each
//!    round, and the median;
//! 3. a flood: 1,000 concurrent sign-ins at once; every answer counted by status, the peak RSS
//!    of the process (server and client) read before and after.
//!
//!   cargo run --release -p tessera-server --example login_bench -- [SECONDS [ROUNDS [CLIENTS_PER_CORE]]]
//!
//! Loopback only; every loop is bounded in count and time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/cpu.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tessera_server::admin::{Admin, NewUser};
use tessera_server::config::Config;
use tessera_server::users::{Argon2Params, password};

const PW: &str = "correct horse battery staple";

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Argon2id verifications per second, one thread per core.
fn bare(seconds: u64, cores: usize) -> f64 {
    let hash = password::hash(Argon2Params::default(), PW).unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let (hash, done) = (hash.clone(), Arc::clone(&done));
            std::thread::spawn(move || {
                // Memory reused from one verification to the next, as the service's pool does.
                let mut memory = password::Memory::new();
                while start.elapsed() < Duration::from_secs(seconds) {
                    password::verify_with(&hash, PW, Argon2Params::default(), &mut memory).unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// The sign-in form once: its cookie and CSRF token (a person loads the page once and may
/// send it more than once).
async fn form(http: &reqwest::Client, base: &str) -> Option<(String, String)> {
    let form = http.get(format!("{base}/login")).send().await.ok()?;
    let cookie = form
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .to_owned();
    let body = form.text().await.ok()?;
    let at = body.find("name=\"csrf\" value=\"")?;
    Some((cookie, body[at + 19..at + 19 + 43].to_owned()))
}

/// One complete sign-in (CSRF, throttle, account, hash, session): the status of the POST.
async fn sign_in(http: &reqwest::Client, base: &str, (cookie, csrf): &(String, String)) -> u16 {
    http.post(format!("{base}/login"))
        .header("cookie", cookie)
        .header("origin", "http://127.0.0.1")
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "ada"),
            ("password", PW),
        ])
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

/// 1,000 sign-ins at once: how many got each status (0: no answer within 30 s).
async fn flood(http: &reqwest::Client, base: &str, page: &(String, String)) -> BTreeMap<u16, u32> {
    let flood: Vec<_> = (0..1000)
        .map(|_| {
            let (http, base, page) = (http.clone(), base.to_owned(), page.clone());
            tokio::spawn(async move {
                tokio::time::timeout(Duration::from_secs(30), sign_in(&http, &base, &page))
                    .await
                    .unwrap_or(0)
            })
        })
        .collect();
    let mut answers: BTreeMap<u16, u32> = BTreeMap::new();
    for t in flood {
        *answers.entry(t.await.unwrap()).or_default() += 1;
    }
    answers
}

/// Complete sign-ins per second through `POST /login` from `clients` tasks for `seconds`.
async fn through_service(
    http: &reqwest::Client,
    base: &str,
    page: &(String, String),
    seconds: u64,
    clients: usize,
) -> f64 {
    let ok = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, base, ok) = (http.clone(), base.to_owned(), Arc::clone(&ok));
            let page = page.clone();
            tokio::spawn(async move {
                while start.elapsed() < Duration::from_secs(seconds) {
                    if sign_in(&http, &base, &page).await == 303 {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    ok.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// CPU seconds (user and system) of this process's threads so far, by what they do: the
/// service's hashing turns, its other threads (async workers and the SQLite connections'
/// threads), and everything else (the client's runtime, the bare threads).
fn cpu_by_part() -> [f64; 3] {
    let mut parts = [0.0; 3];
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return parts;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let Some(secs) = support::cpu_secs(&path.join("stat")) else {
            continue;
        };
        let part = if comm.starts_with("tessera-hash") {
            0
        } else if comm.starts_with("srv-") || comm.starts_with("sqlx-sqlite") {
            1
        } else {
            2
        };
        parts[part] += secs;
    }
    parts
}

/// The median, sorting `v` (the lowest is then first).
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or_default()
}

#[tokio::main]
async fn main() {
    // `--flood URL`: only the flood, against a `tessera serve` of its own (scripts/login_flood.sh
    // reads that process's peak RSS), whose issuer is http://127.0.0.1 and whose user `ada` has
    // this benchmark's password.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--flood") {
        let base = args.get(2).expect("--flood http://127.0.0.1:PORT");
        assert!(base.starts_with("http://127.0.0.1:"), "loopback only");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(4096)
            .build()
            .unwrap();
        let page = form(&http, base).await.expect("the sign-in form");
        let started = Instant::now();
        let answers = flood(&http, base, &page).await;
        println!(
            "flood of 1000 concurrent sign-ins in {:.1} s: answers {answers:?} (0 = no answer or a timeout)",
            started.elapsed().as_secs_f64()
        );
        return;
    }
    let arg = |i: usize, default: u64| -> u64 {
        args.get(i)
            .and_then(|s| s.parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or(default)
    };
    let (seconds, rounds, per_core) = (arg(1, 4), arg(2, 5), arg(3, 4));
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    println!(
        "cores: {cores}; Argon2id: {:?}; {rounds} rounds of {seconds} s bare then {seconds} s through the service, {per_core} client tasks per core",
        Argon2Params::default()
    );

    let dir = tempfile::tempdir().unwrap();
    let flags: Vec<(String, String)> = [
        ("listen", "127.0.0.1:0"),
        ("issuer", "http://127.0.0.1"),
        ("data_dir", dir.path().to_str().unwrap()),
        ("max_concurrency", "2048"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let config = Config::load(None, Vec::new(), &flags).unwrap();
    // The service on a runtime of its own whose threads are named for the CPU accounting (the
    // hashing turns are the service's own `tessera-hash` threads).
    let service_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name("srv-worker")
        .enable_all()
        .build()
        .unwrap();
    let server = service_rt
        .spawn(tessera_server::start(config.clone(), None))
        .await
        .unwrap()
        .unwrap();
    let base = format!("http://{}", server.addr);
    Admin::open(config)
        .await
        .unwrap()
        .create_user(NewUser {
            username: "ada".into(),
            password: Some(zeroize::Zeroizing::new(PW.into())),
            ..NewUser::default()
        })
        .await
        .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(4096)
        .build()
        .unwrap();
    // Warm up, then measure: the bare limit and the service in turn, so that both see the same
    // machine (its speed moves by a fifth from minute to minute on these shared cores).
    let page = form(&http, &base).await.unwrap();
    for _ in 0..cores {
        assert_eq!(sign_in(&http, &base, &page).await, 303);
    }
    let (mut limits, mut services, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut cpu = [0.0f64; 3];
    let mut idle = 0.0;
    for round in 1..=rounds {
        let limit = tokio::task::spawn_blocking(move || bare(seconds, cores))
            .await
            .unwrap();
        let before = cpu_by_part();
        let idle_before = support::idle_secs().unwrap_or_default();
        let logins = through_service(&http, &base, &page, seconds, cores * per_core as usize).await;
        for (total, (now, then)) in cpu.iter_mut().zip(cpu_by_part().iter().zip(before)) {
            *total += now - then;
        }
        idle += support::idle_secs().unwrap_or_default() - idle_before;
        println!(
            "round {round}: bare {limit:.1}/s, sign-ins {logins:.1}/s, sign-ins / bare {:.3}",
            logins / limit
        );
        limits.push(limit);
        services.push(logins);
        ratios.push(logins / limit);
    }
    let (limit, logins, ratio) = (
        median(&mut limits),
        median(&mut services),
        median(&mut ratios),
    );
    println!("bare Argon2id verifications: {limit:.1}/s (median)");
    println!("sign-ins through /login: {logins:.1}/s (median)");
    println!(
        "sign-ins / bare hashes: {ratio:.3} (median of the rounds' ratios; goal >= 0.90), lowest {:.3}; per core: {:.1} sign-ins/s",
        ratios.first().copied().unwrap_or_default(),
        logins / cores as f64
    );

    let all: f64 = cpu.iter().sum();
    if all > 0.0 {
        println!(
            "CPU while signing in: hashing turns {:.1}%, the rest of the service {:.1}%, the client {:.1}% (of {all:.1} CPU s over {:.0} s on {cores} cores); the service's own share besides the hash: {:.1}%",
            100.0 * cpu[0] / all,
            100.0 * cpu[1] / all,
            100.0 * cpu[2] / all,
            (seconds * rounds) as f64,
            100.0 * cpu[1] / (cpu[0] + cpu[1])
        );
        println!(
            "idle while signing in: {idle:.1} core-seconds ({:.1}% of the cores' time)",
            100.0 * idle / ((seconds * rounds) as f64 * cores as f64)
        );
    }

    // The flood: 1,000 at once.
    let before = peak_rss_kib();
    let started = Instant::now();
    let answers = flood(&http, &base, &page).await;
    let after = peak_rss_kib();
    println!(
        "flood of 1000 concurrent sign-ins in {:.1} s: answers {answers:?} (0 = no answer or a timeout)",
        started.elapsed().as_secs_f64()
    );
    println!(
        "peak RSS: {:.1} MiB before the flood, {:.1} MiB after (server and client in one process; the pool may hold {} x 19 MiB)",
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        cores
    );
    server.shutdown().await;
    service_rt.shutdown_background();
}
