//! Connections and requests that hold on to the service: idle TLS connections that never
//! finish a handshake, many idle sockets from one address, slow request bodies. The service
//! keeps answering others through all of them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use tessera_server::config::Config;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

fn config(dir: &std::path::Path, extra: &[(&str, &str)]) -> Config {
    let mut flags: Vec<(String, String)> = vec![
        ("listen".into(), "127.0.0.1:0".into()),
        ("data_dir".into(), dir.display().to_string()),
    ];
    flags.extend(extra.iter().map(|(k, v)| ((*k).into(), (*v).into())));
    Config::load(None, Vec::new(), &flags).unwrap()
}

/// Whether the server closes `s` within `within` (end of stream or a reset).
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 64];
    loop {
        match tokio::time::timeout(within, s.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_tls_connections_are_closed_and_capped() {
    let dir = tempfile::tempdir().unwrap();
    let Some(certs) = common::test_certificate(dir.path()) else {
        return;
    };
    let data = dir.path().join("data");
    let cfg = config(
        &data,
        &[
            ("tls_cert", certs.cert.to_str().unwrap()),
            ("tls_key", certs.key.to_str().unwrap()),
            ("issuer", "https://localhost"),
            ("handshake_timeout", "1s"),
            ("max_connections_per_peer", "40"),
        ],
    );
    let server = tessera_server::start(cfg, None).await.unwrap();
    let port = server.addr.port();

    // A connection that never sends a ClientHello is closed once the handshake times out.
    let mut idle = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let t = Instant::now();
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await);
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );

    // Many idle sockets from one address: those past the per-peer cap are closed at once (the
    // admitted ones stay open until their handshake times out).
    let (closed_at_once, held) = count_closed(port, [127, 0, 0, 1], 120).await;
    assert!(
        (70..=80).contains(&closed_at_once),
        "{closed_at_once} of 120 closed at once with a cap of 40 per peer"
    );

    // Meanwhile another address is served over TLS.
    let root = reqwest::Certificate::from_pem(&std::fs::read(&certs.ca).unwrap()).unwrap();
    let other_peer = reqwest::Client::builder()
        .add_root_certificate(root)
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let url = format!("https://localhost:{port}/healthz");
    let r = other_peer.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);

    // Once the held sockets time out, the first address is served again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    drop(held);
    let root = reqwest::Certificate::from_pem(&std::fs::read(&certs.ca).unwrap()).unwrap();
    let same_peer = reqwest::Client::builder()
        .add_root_certificate(root)
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    assert_eq!(same_peer.get(&url).send().await.unwrap().status(), 200);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_hold_no_request_slot() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &[("max_concurrency", "1"), ("request_timeout", "3s")],
    );
    let server = tessera_server::start(cfg, None).await.unwrap();
    let addr = server.addr;
    // Three requests that announce a body and send only part of it.
    let mut slow = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(
            b"POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=",
        )
        .await
        .unwrap();
        slow.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Health and the API answer at once: the slow senders hold only their own connections.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let t = Instant::now();
    let r = http
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .post(format!("http://{addr}/oauth2/token"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "no client authentication");
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    // The slow ones end with 408 when the request timeout passes.
    let mut buf = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(6), slow[0].read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    server.shutdown().await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_folder_and_its_files_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = tessera_server::start(config(&data, &[]), None)
        .await
        .unwrap();
    server.shutdown().await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    for f in [
        "master.key",
        "tessera.db",
        "tessera.db-wal",
        "tessera.db-shm",
    ] {
        let p = data.join(f);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{f}");
        }
    }
    assert_eq!(mode(&data.join("tessera.db")), 0o600);
    // A master key others can read is refused, with the command that fixes it.
    std::fs::set_permissions(
        data.join("master.key"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    let err = tessera_server::start(config(&data, &[]), None)
        .await
        .err()
        .expect("a loose master key is refused");
    let msg = err.to_string();
    assert!(
        msg.contains("chmod 600") && msg.contains("master.key"),
        "{msg}"
    );
}

/// `count` idle connections from `from`, checked all at once: how many the server closed at
/// once, and the sockets.
async fn count_closed(port: u16, from: [u8; 4], count: usize) -> (usize, Vec<TcpStream>) {
    let mut held = Vec::new();
    for _ in 0..count {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind((from, 0).into()).unwrap();
        held.push(socket.connect(([127, 0, 0, 1], port).into()).await.unwrap());
    }
    let mut checks = tokio::task::JoinSet::new();
    for mut s in held {
        checks.spawn(async move {
            let closed = closed_within(&mut s, Duration::from_millis(300)).await;
            (closed, s)
        });
    }
    let (mut closed, mut open) = (0, Vec::new());
    while let Some(done) = checks.join_next().await {
        let (was_closed, s) = done.unwrap();
        closed += usize::from(was_closed);
        open.push(s);
    }
    (closed, open)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxy_is_not_held_to_the_per_peer_cap() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &[
            ("max_connections_per_peer", "5"),
            ("trusted_proxies", "127.0.0.3"),
        ],
    );
    let server = tessera_server::start(cfg, None).await.unwrap();
    let port = server.addr.port();
    // Anyone else: five, and the rest closed at once.
    let (closed, _others) = count_closed(port, [127, 0, 0, 1], 12).await;
    assert_eq!(closed, 7, "{closed} of 12 closed with a cap of 5 per peer");
    // The proxy carries many people's connections: all kept, and it is served.
    let (closed, _proxied) = count_closed(port, [127, 0, 0, 3], 12).await;
    assert_eq!(closed, 0, "{closed} of the proxy's 12 closed");
    let via_proxy = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 3]))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let r = via_proxy
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    server.shutdown().await;
}
