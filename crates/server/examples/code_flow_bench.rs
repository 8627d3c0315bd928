//! The authorization code flow, timed:
//!
//! 1. steps: USERS scripted people go through the whole flow one after another over plain
//!    HTTP on loopback (authorize → sign-in page → sign-in → authorize again → consent → code →
//!    token); each step's time as the client sees it, p50 and p99 per step, the password step
//!    (one Argon2id hash) apart;
//! 2. code-to-token exchanges per second: batches of CODES codes (default 400: the peer's
//!    development store keeps at most 1,000 entries and evicts codes beyond), each obtained first
//!    (one signed-in person, consent on record) then redeemed by 32 concurrent clients, five
//!    batches per server per round; Tessera (its default ES256,
//!    then with `signing_alg = RS256`) and the peer (panva's oidc-provider from
//!    `../shared/bench/peer-oidc-provider/server-oidc.mjs`, PEER_DIR, started here on
//!    127.0.0.1:3100 if `node` and its `node_modules` are there), interleaved, RUNS rounds,
//!    medians. Every answer is checked (200 with an access token and an ID token).
//!
//!   cargo run --release -p tessera-server --example code_flow_bench -- [USERS] [CODES] [RUNS] [PEER_DIR]
//!
//! Tessera runs in this process on a runtime of its own (two worker threads), the clients on
//! another; the peer runs in its own node process. Loopback only; every loop is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tessera_server::admin::{Admin, ClientSpec, NewUser};
use tessera_server::config::Config;
use testkit::web::{hidden, hidden_fields};

const PW: &str = "correct horse battery staple";
const REDIRECT: &str = "http://127.0.0.1:3101/cb";
const CONCURRENCY: usize = 32;
/// Batches of codes per server per round.
const BATCHES: usize = 5;
/// Tessera's issuer in this benchmark (its pages check that forms come from this origin).
const ISSUER: &str = "http://127.0.0.1";

/// An HTTP client with a cookie jar (names only: every cookie goes with every request to the
/// one origin it talks to) that follows no redirect.
struct Agent {
    http: reqwest::Client,
    base: String,
    /// The `Origin` its form posts carry (the issuer's, for Tessera's same-origin check).
    origin: String,
    jar: HashMap<String, String>,
}

struct Answer {
    status: u16,
    location: String,
    body: String,
}

impl Agent {
    fn new(base: &str, origin: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
            origin: origin.to_owned(),
            jar: HashMap::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Answer {
        let cookies: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let resp = req
            .header("cookie", cookies.join("; "))
            .header("origin", &self.origin)
            .send()
            .await
            .unwrap();
        for v in resp.headers().get_all("set-cookie") {
            let text = v.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty()
                    || text.contains("Max-Age=0")
                    || text.contains("expires=Thu, 01 Jan 1970")
                {
                    self.jar.remove(k);
                } else {
                    self.jar.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        Answer {
            status: resp.status().as_u16(),
            location: resp
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default(),
            body: resp.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        let r = self.http.get(self.url(path));
        self.send(r).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let r = self.http.post(self.url(path)).form(form);
        self.send(r).await
    }
}

fn pkce() -> (String, String) {
    let verifier = tessera_jose::b64::encode(tessera_jose::secret::random(32).unwrap());
    let challenge = tessera_jose::b64::encode(tessera_jose::secret::sha2(256, verifier.as_bytes()));
    (verifier, challenge)
}

fn authorize_url(path: &str, client: &str, challenge: &str) -> String {
    format!(
        "{path}?{}",
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("response_type", "code"),
                ("client_id", client),
                ("redirect_uri", REDIRECT),
                ("scope", "openid"),
                ("state", "bench"),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
            ])
            .finish()
    )
}

fn code_of(location: &str) -> String {
    assert!(location.starts_with(REDIRECT), "not a code: {location}");
    let query = location.split_once('?').unwrap().1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned()
}

/// A Tessera issuer on a runtime of its own, with a public client and USERS people.
struct Tessera {
    _server: tessera_server::Started,
    base: String,
    client: String,
    admin: Admin,
    _dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

fn start_tessera(alg: &str, users: usize) -> Tessera {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let flags: Vec<(String, String)> = [
        ("listen", "127.0.0.1:0"),
        ("issuer", ISSUER),
        ("data_dir", dir.path().to_str().unwrap()),
        ("signing_alg", alg),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let config = Config::load(None, Vec::new(), &flags).unwrap();
    let (server, base, admin, client) = rt.block_on(async {
        let server = tessera_server::start(config.clone(), None).await.unwrap();
        let base = format!("http://{}", server.addr);
        let admin = Admin::open(config).await.unwrap();
        let first = admin
            .create_user(NewUser {
                username: "person0".into(),
                password: Some(zeroize::Zeroizing::new(PW.into())),
                attributes: serde_json::Map::new(),
                groups: vec![],
            })
            .await
            .unwrap();
        // The others share the first one's hash (imported: no thousand hashes to wait for).
        let hash = first.password_hash.unwrap();
        let lines: Vec<String> = (1..users)
            .map(|i| {
                serde_json::json!({"username": format!("person{i}"), "password_hash": hash})
                    .to_string()
            })
            .collect();
        if !lines.is_empty() {
            admin.import_users(&lines.join("\n")).await.unwrap();
        }
        let client = admin
            .create_client(ClientSpec {
                name: Some("Bench App".into()),
                public: Some(true),
                redirect_uris: Some(vec![REDIRECT.into()]),
                ..Default::default()
            })
            .await
            .unwrap()
            .client_id;
        (server, base, admin, client)
    });
    Tessera {
        _server: server,
        base,
        client,
        admin,
        _dir: dir,
        _rt: rt,
    }
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

/// Part 1: each step of the flow for `users` people, one after another.
async fn steps(t: &Tessera, users: usize) {
    let names = [
        "authorize → sign-in",
        "sign-in page",
        "sign-in (password)",
        "authorize → consent page",
        "consent → code",
        "code → tokens",
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let deadline = Instant::now() + Duration::from_secs(600);
    for i in 0..users {
        assert!(Instant::now() < deadline, "steps: out of time");
        let mut a = Agent::new(&t.base, ISSUER);
        let (verifier, challenge) = pkce();
        let mut timed =
            |k: usize, start: Instant| times[k].push(start.elapsed().as_secs_f64() * 1000.0);
        let s = Instant::now();
        let r = a
            .get(&authorize_url("/oauth2/authorize", &t.client, &challenge))
            .await;
        timed(0, s);
        assert_eq!(r.status, 303);
        let s = Instant::now();
        let form = a.get(&r.location).await;
        timed(1, s);
        assert_eq!(form.status, 200);
        let (csrf, next) = (hidden(&form.body, "csrf"), hidden(&form.body, "next"));
        let s = Instant::now();
        let user = format!("person{i}");
        let done = a
            .post(
                "/login",
                &[
                    ("csrf", &csrf),
                    ("username", &user),
                    ("password", PW),
                    ("next", &next),
                ],
            )
            .await;
        timed(2, s);
        assert_eq!(done.status, 303, "{}", done.body);
        let s = Instant::now();
        let consent = a.get(&done.location).await;
        timed(3, s);
        assert_eq!(consent.status, 200);
        let mut fields = hidden_fields(&consent.body, "/oauth2/consent");
        fields.push(("decision".into(), "allow".into()));
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let s = Instant::now();
        let allowed = a.post("/oauth2/consent", &pairs).await;
        timed(4, s);
        let code = code_of(&allowed.location);
        let s = Instant::now();
        let tokens = a
            .post(
                "/oauth2/token",
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("client_id", &t.client),
                    ("code_verifier", &verifier),
                ],
            )
            .await;
        timed(5, s);
        assert_eq!(tokens.status, 200, "{}", tokens.body);
    }
    println!("\n## Each step, {users} people one after another (client-observed, loopback, ms)\n");
    println!("| step | p50 | p99 |");
    println!("|---|---:|---:|");
    for (name, v) in names.iter().zip(times.iter_mut()) {
        println!(
            "| {name} | {:.2} | {:.2} |",
            percentile(v, 0.5),
            percentile(v, 0.99)
        );
    }
}

/// Tessera: a signed-in person with consent on record, then `n` codes.
async fn tessera_codes(t: &Tessera, n: usize, challenge: &str) -> Vec<String> {
    let mut a = Agent::new(&t.base, ISSUER);
    let r = a
        .get(&authorize_url("/oauth2/authorize", &t.client, challenge))
        .await;
    let form = a.get(&r.location).await;
    let done = a
        .post(
            "/login",
            &[
                ("csrf", &hidden(&form.body, "csrf")),
                ("username", "person0"),
                ("password", PW),
                ("next", &hidden(&form.body, "next")),
            ],
        )
        .await;
    let consent = a.get(&done.location).await;
    if consent.status == 200 {
        let mut fields = hidden_fields(&consent.body, "/oauth2/consent");
        fields.push(("decision".into(), "allow".into()));
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        a.post("/oauth2/consent", &pairs).await;
    }
    let mut codes = Vec::with_capacity(n);
    for _ in 0..n {
        let r = a
            .get(&authorize_url("/oauth2/authorize", &t.client, challenge))
            .await;
        codes.push(code_of(&r.location));
    }
    codes
}

/// The peer: devInteractions' login and consent once, then `n` codes.
async fn peer_codes(base: &str, password: &str, n: usize, challenge: &str) -> Vec<String> {
    let mut a = Agent::new(base, base);
    // Follows the peer's redirects until it sends the browser to the client; on its login and
    // consent pages, posts their forms.
    let mut next = authorize_url("/auth", "public-client", challenge);
    for _ in 0..12 {
        let r = a.get(&next).await;
        if r.status == 303 || r.status == 302 {
            if r.location.starts_with(REDIRECT) {
                break;
            }
            next = r.location;
            continue;
        }
        assert_eq!(r.status, 200, "{}", r.body);
        let action = {
            let at = r.body.find("action=\"").unwrap() + 8;
            r.body[at..at + r.body[at..].find('"').unwrap()].to_owned()
        };
        let posted = if r.body.contains("name=\"password\"") {
            a.post(
                &action,
                &[
                    ("prompt", "login"),
                    ("login", "alice"),
                    ("password", password),
                ],
            )
            .await
        } else {
            a.post(&action, &[("prompt", "consent")]).await
        };
        next = posted.location;
    }
    let mut codes = Vec::with_capacity(n);
    let deadline = Instant::now() + Duration::from_secs(300);
    while codes.len() < n {
        assert!(Instant::now() < deadline, "peer codes: out of time");
        let mut url = authorize_url("/auth", "public-client", challenge);
        for _ in 0..6 {
            let r = a.get(&url).await;
            assert!(
                r.status == 303 || r.status == 302,
                "{} {}",
                r.status,
                r.body
            );
            if r.location.starts_with(REDIRECT) {
                codes.push(code_of(&r.location));
                break;
            }
            url = r.location;
        }
    }
    codes
}

/// Redeems every code with CONCURRENCY clients; the seconds it took.
async fn exchange(
    base: &str,
    token_path: &str,
    client: &str,
    verifier: &str,
    codes: Vec<String>,
) -> f64 {
    let http = reqwest::Client::new();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(codes));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (http, queue) = (http.clone(), queue.clone());
        let (url, client, verifier) = (
            format!("{base}{token_path}"),
            client.to_owned(),
            verifier.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(code) = queue.lock().unwrap().pop() else {
                    break;
                };
                let resp = http
                    .post(&url)
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", code.as_str()),
                        ("redirect_uri", REDIRECT),
                        ("client_id", client.as_str()),
                        ("code_verifier", verifier.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap();
                let status = resp.status();
                let body: serde_json::Value = resp.json().await.unwrap();
                assert_eq!(status, 200, "{url}: {body}");
                assert!(
                    body["access_token"].is_string() && body["id_token"].is_string(),
                    "{body}"
                );
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed().as_secs_f64()
}

fn median(v: &mut [f64]) -> f64 {
    percentile(v, 0.5)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let users: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let codes: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(400);
    let runs: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(3);
    let peer_dir = args.get(4).cloned();
    let es = start_tessera("ES256", users);
    let rs = start_tessera("RS256", 1);
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    client_rt.block_on(steps(&es, users));

    // The peer, from a prepared copy of its folder (npm ci done there).
    let peer_password = "peer-password-for-bench";
    let peer = peer_dir.map(|d| {
        let child = std::process::Command::new("node")
            .arg("server-oidc.mjs")
            .current_dir(&d)
            .env("PORT", "3100")
            .env("PEER_PASSWORD", peer_password)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("node server-oidc.mjs");
        let start = Instant::now();
        while std::net::TcpStream::connect("127.0.0.1:3100").is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the peer did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        child
    });
    let (verifier, challenge) = pkce();
    let mut rates: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    client_rt.block_on(async {
        for round in 0..runs {
            // Codes live 60 s and the peer's development store holds 1,000 entries: codes are
            // made and redeemed in batches, BATCHES per server per round, interleaved.
            let mut secs = [0.0f64; 3];
            for _ in 0..BATCHES {
                for (k, t) in [&es, &rs].iter().enumerate() {
                    let c = tessera_codes(t, codes, &challenge).await;
                    secs[k] += exchange(&t.base, "/oauth2/token", &t.client, &verifier, c).await;
                }
                if peer.is_some() {
                    let c =
                        peer_codes("http://127.0.0.1:3100", peer_password, codes, &challenge).await;
                    secs[2] += exchange(
                        "http://127.0.0.1:3100",
                        "/token",
                        "public-client",
                        &verifier,
                        c,
                    )
                    .await;
                }
            }
            for k in 0..3 {
                if secs[k] > 0.0 {
                    rates[k].push((codes * BATCHES) as f64 / secs[k]);
                }
            }
            println!(
                "round {round}: {:?}",
                rates.iter().map(|r| r.last().copied()).collect::<Vec<_>>()
            );
        }
    });
    if let Some(mut p) = peer {
        let _ = p.kill();
        let _ = p.wait();
    }
    let [es_r, rs_r, peer_r] = &mut rates;
    let (es_m, rs_m) = (median(es_r), median(rs_r));
    println!(
        "\n## Code → tokens exchanges per second ({BATCHES} × {codes} codes per round, {CONCURRENCY} concurrent clients, median of {runs} rounds)\n"
    );
    println!("| server | exchanges/s | vs peer |");
    println!("|---|---:|---:|");
    if peer_r.is_empty() {
        println!("| Tessera, ES256 (default) | {es_m:.0} | (no peer) |");
        println!("| Tessera, RS256 | {rs_m:.0} | (no peer) |");
    } else {
        let p = median(peer_r);
        println!(
            "| Tessera, ES256 (default) | {es_m:.0} | {:.2}× |",
            es_m / p
        );
        println!("| Tessera, RS256 | {rs_m:.0} | {:.2}× |", rs_m / p);
        println!("| oidc-provider (ID token RS256, opaque access token) | {p:.0} | 1.00× |");
    }
    drop(es.admin);
    drop(rs.admin);
}
