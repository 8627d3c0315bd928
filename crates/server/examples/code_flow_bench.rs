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
//! 3. refresh rotations per second (`BENCH=refresh` runs only this part): 64 offline families
//!    per server (code flow with `offline_access`; the peer asks consent for it each time), then
//!    32 concurrent clients (`BENCH_CLIENTS`), each refreshing its families in turn and using each answer's
//!    refresh token for the next request, for 5 s per server per round; every answer checked
//!    (200, a new refresh token); Tessera on SQLite, on PostgreSQL when `BENCH_PG_URL` names a
//!    server (a database is made there and dropped), its default RS256 ID tokens and a client
//!    with `--id-token-alg ES256`, and the peer (rotation on), interleaved, RUNS rounds, medians
//!    of rotations/s, and p50/p99 of the client-observed latency.
//!
//! 4. a soak (`BENCH=soak`, SECONDS in place of USERS, default 600): Tessera on SQLite under
//!    a steady mix at RATE requests/s (CODES' place, default 300): a third `client_credentials`
//!    grants, a third refreshes of 64 offline families (each answer's token used next), a third
//!    introspections; every answer checked, errors counted, and the process's resident memory
//!    every 30 s (flat is the goal: nothing grows with the requests served).
//!
//!   cargo run --release -p tessera-server --example code_flow_bench -- [USERS] [CODES] [RUNS] [PEER_DIR]
//!
//! Tessera runs in this process on a runtime of its own (two worker threads), the clients on
//! another; the peer runs in its own node process. Loopback only; every loop is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/cpu.rs"]
mod support;

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
    authorize_url_with(path, client, challenge, &[("scope", "openid")])
}

/// The same with more parameters (`scope`, `prompt`).
fn authorize_url_with(path: &str, client: &str, challenge: &str, more: &[(&str, &str)]) -> String {
    format!(
        "{path}?{}",
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("response_type", "code"),
                ("client_id", client),
                ("redirect_uri", REDIRECT),
                ("state", "bench"),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
            ])
            .extend_pairs(more)
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

/// A Tessera issuer on a runtime of its own, with a public client, two public clients that may
/// refresh (RS256 and ES256 ID tokens), and USERS people.
struct Tessera {
    _server: tessera_server::Started,
    base: String,
    client: String,
    refresh_clients: [String; 2],
    admin: Admin,
    _dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

fn start_tessera(alg: &str, users: usize) -> Tessera {
    start_tessera_on(alg, users, None)
}

/// [`start_tessera`] on a PostgreSQL database (`database_url`) instead of SQLite.
fn start_tessera_on(alg: &str, users: usize, database_url: Option<&str>) -> Tessera {
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
    .chain(database_url.map(|u| ("database_url", u)).iter())
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    // `TESSERA_*` settings in the environment apply to the benchmark's services (e.g.
    // `TESSERA_STATUS_LISTS=off` to see what the status-list records cost).
    let env = std::env::vars().filter(|(k, _)| k.starts_with("TESSERA_"));
    let config = Config::load(None, env, &flags).unwrap();
    let (server, base, admin, client, refresh_clients) = rt.block_on(async {
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
        let mut refresh_clients = Vec::new();
        for id_alg in ["RS256", "ES256"] {
            refresh_clients.push(
                admin
                    .create_client(ClientSpec {
                        name: Some(format!("Bench Refresh {id_alg}")),
                        public: Some(true),
                        redirect_uris: Some(vec![REDIRECT.into()]),
                        grant_types: Some(vec![
                            "authorization_code".into(),
                            "refresh_token".into(),
                        ]),
                        id_token_alg: Some(id_alg.into()),
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .client_id,
            );
        }
        // The ES256 ID-token chain signs at once (a client registered it a moment ago).
        admin.rotate(true).await.unwrap();
        let refresh_clients: [String; 2] = refresh_clients.try_into().unwrap();
        (server, base, admin, client, refresh_clients)
    });
    Tessera {
        _server: server,
        base,
        client,
        refresh_clients,
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
    tessera_codes_for(t, &t.client, &[("scope", "openid")], n, challenge).await
}

/// The same for `client` with these parameters.
async fn tessera_codes_for(
    t: &Tessera,
    client: &str,
    more: &[(&str, &str)],
    n: usize,
    challenge: &str,
) -> Vec<String> {
    let mut a = Agent::new(&t.base, ISSUER);
    let r = a
        .get(&authorize_url_with(
            "/oauth2/authorize",
            client,
            challenge,
            more,
        ))
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
            .get(&authorize_url_with(
                "/oauth2/authorize",
                client,
                challenge,
                more,
            ))
            .await;
        codes.push(code_of(&r.location));
    }
    codes
}

/// The peer: devInteractions' login and consent once, then `n` codes.
async fn peer_codes(base: &str, password: &str, n: usize, challenge: &str) -> Vec<String> {
    peer_codes_with(base, password, n, challenge, &[("scope", "openid")]).await
}

/// The same with these parameters; with `prompt=consent` every code goes through the consent
/// page (oidc-provider grants `offline_access` only so).
async fn peer_codes_with(
    base: &str,
    password: &str,
    n: usize,
    challenge: &str,
    more: &[(&str, &str)],
) -> Vec<String> {
    let mut a = Agent::new(base, base);
    let each_time = more.iter().any(|(k, v)| *k == "prompt" && *v == "consent");
    let mut codes = Vec::with_capacity(n);
    // Follows the peer's redirects until it sends the browser to the client; on its login and
    // consent pages, posts their forms.
    let mut next = authorize_url_with("/auth", "public-client", challenge, more);
    for _ in 0..12 {
        let r = a.get(&next).await;
        if r.status == 303 || r.status == 302 {
            if r.location.starts_with(REDIRECT) {
                codes.push(code_of(&r.location));
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
    let deadline = Instant::now() + Duration::from_secs(300);
    while codes.len() < n {
        assert!(Instant::now() < deadline, "peer codes: out of time");
        let mut url = authorize_url_with("/auth", "public-client", challenge, more);
        for _ in 0..8 {
            let r = a.get(&url).await;
            if each_time && r.status == 200 {
                let at = r.body.find("action=\"").unwrap() + 8;
                let action = r.body[at..at + r.body[at..].find('"').unwrap()].to_owned();
                url = a.post(&action, &[("prompt", "consent")]).await.location;
                continue;
            }
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

/// Redeems every code with CONCURRENCY clients; the seconds it took, and the answers.
async fn exchange(
    base: &str,
    token_path: &str,
    client: &str,
    verifier: &str,
    codes: Vec<String>,
) -> (f64, Vec<serde_json::Value>) {
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
            let mut answers = Vec::new();
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
                answers.push(body);
            }
            answers
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.extend(t.await.unwrap());
    }
    (start.elapsed().as_secs_f64(), answers)
}

/// Families per server for the refresh part, and how long each server is loaded per round.
const FAMILIES: usize = 64;
const ROTATE_FOR: Duration = Duration::from_secs(5);

/// How many clients refresh at once (`BENCH_CLIENTS`, default CONCURRENCY; at most FAMILIES).
fn refresh_clients() -> usize {
    std::env::var("BENCH_CLIENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CONCURRENCY)
        .clamp(1, FAMILIES)
}

/// Redeems the codes ([`exchange`]): each family's first refresh token.
async fn refresh_tokens(
    base: &str,
    token_path: &str,
    client: &str,
    verifier: &str,
    codes: Vec<String>,
) -> Vec<String> {
    exchange(base, token_path, client, verifier, codes)
        .await
        .1
        .into_iter()
        .map(|body| {
            body["refresh_token"]
                .as_str()
                .unwrap_or_else(|| panic!("no refresh token: {body}"))
                .to_owned()
        })
        .collect()
}

/// CONCURRENCY clients refresh the families for ROTATE_FOR, each answer's token used for the
/// next request: the rotations per second and every request's latency (ms). The families
/// come back with their live tokens.
async fn rotate(
    base: &str,
    token_path: &str,
    client: &str,
    families: &mut Vec<String>,
) -> (f64, Vec<f64>) {
    let http = reqwest::Client::new();
    let start = Instant::now();
    let mut tasks = Vec::new();
    let per = families.len() / refresh_clients();
    for mine in families.chunks(per.max(1)) {
        let (http, url, client) = (
            http.clone(),
            format!("{base}{token_path}"),
            client.to_owned(),
        );
        let mut mine = mine.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            // Bounded in time and in count.
            for i in 0..1_000_000usize {
                if start.elapsed() >= ROTATE_FOR {
                    break;
                }
                let k = i % mine.len();
                let sent = Instant::now();
                let resp = http
                    .post(&url)
                    .form(&[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", mine[k].as_str()),
                        ("client_id", client.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap();
                let status = resp.status();
                let body: serde_json::Value = resp.json().await.unwrap();
                latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(status, 200, "{url}: {body}");
                let next = body["refresh_token"].as_str().unwrap().to_owned();
                assert_ne!(next, mine[k], "rotated");
                assert!(body["access_token"].is_string() && body["id_token"].is_string());
                mine[k] = next;
            }
            (mine, latencies)
        }));
    }
    let mut all = Vec::new();
    let mut live = Vec::new();
    for t in tasks {
        let (mine, latencies) = t.await.unwrap();
        live.extend(mine);
        all.extend(latencies);
    }
    let secs = start.elapsed().as_secs_f64();
    *families = live;
    (all.len() as f64 / secs, all)
}

/// Part 3: refresh rotations per second on each server, interleaved rounds.
fn refresh_part(runs: usize, peer: Option<&str>) {
    let sqlite = start_tessera("ES256", 1);
    let pg_admin = std::env::var("BENCH_PG_URL").ok();
    let db = format!("tessera_refresh_bench_{}", std::process::id());
    let pg = pg_admin.as_ref().map(|url| {
        let created = std::process::Command::new("psql")
            .args([url.as_str(), "-q", "-c", &format!("CREATE DATABASE {db}")])
            .status()
            .unwrap();
        assert!(created.success(), "psql CREATE DATABASE");
        let (base, _) = url.rsplit_once('/').unwrap();
        start_tessera_on("ES256", 1, Some(&format!("{base}/{db}")))
    });
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (verifier, challenge) = pkce();
    let offline = [("scope", "openid offline_access")];
    // (name, base, token path, client, families)
    let mut servers: Vec<(String, String, &str, String, Vec<String>)> = Vec::new();
    client_rt.block_on(async {
        for (store, t) in [("SQLite", Some(&sqlite)), ("PostgreSQL", pg.as_ref())] {
            let Some(t) = t else { continue };
            for (k, id_alg) in ["RS256", "ES256"].iter().enumerate() {
                let client = &t.refresh_clients[k];
                let codes = tessera_codes_for(t, client, &offline, FAMILIES, &challenge).await;
                let families =
                    refresh_tokens(&t.base, "/oauth2/token", client, &verifier, codes).await;
                servers.push((
                    format!("Tessera, {store}, ID tokens {id_alg}"),
                    t.base.clone(),
                    "/oauth2/token",
                    client.clone(),
                    families,
                ));
            }
        }
        if let Some(peer) = peer {
            let more = [("scope", "openid offline_access"), ("prompt", "consent")];
            let codes =
                peer_codes_with(peer, "peer-password-for-bench", FAMILIES, &challenge, &more).await;
            let families = refresh_tokens(peer, "/token", "public-client", &verifier, codes).await;
            servers.push((
                "oidc-provider (rotation on, ID tokens RS256, opaque access token)".into(),
                peer.to_owned(),
                "/token",
                "public-client".into(),
                families,
            ));
        }
    });
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); servers.len()];
    let mut latencies: Vec<Vec<f64>> = vec![Vec::new(); servers.len()];
    client_rt.block_on(async {
        for round in 0..runs {
            for (k, (_, base, path, client, families)) in servers.iter_mut().enumerate() {
                let (rate, mut lat) = rotate(base, path, client, families).await;
                rates[k].push(rate);
                latencies[k].append(&mut lat);
            }
            println!(
                "round {round}: {:?}",
                rates
                    .iter()
                    .map(|r| r.last().map(|x| x.round()))
                    .collect::<Vec<_>>()
            );
        }
    });
    println!(
        "\n## Refresh rotations per second ({FAMILIES} families, {} clients, {}s per server per round, median of {runs} rounds)\n",
        refresh_clients(),
        ROTATE_FOR.as_secs()
    );
    let peer_rate = peer.map(|_| median(rates.last_mut().unwrap()));
    println!("| server | rotations/s | vs peer | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|");
    for (k, (name, ..)) in servers.iter().enumerate() {
        let rate = median(&mut rates[k]);
        let vs = peer_rate.map_or_else(|| "(no peer)".into(), |p| format!("{:.2}×", rate / p));
        println!(
            "| {name} | {rate:.0} | {vs} | {:.2} | {:.2} |",
            percentile(&mut latencies[k], 0.5),
            percentile(&mut latencies[k], 0.99)
        );
    }
    drop(pg);
    if let Some(url) = pg_admin {
        let _ = std::process::Command::new("psql")
            .args([
                url.as_str(),
                "-q",
                "-c",
                &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
            ])
            .status();
    }
}

fn median(v: &mut [f64]) -> f64 {
    percentile(v, 0.5)
}

/// CPU seconds (user and system) a process has used so far (`self` or a pid).
fn cpu_secs(pid: &str) -> f64 {
    support::cpu_secs(std::path::Path::new(&format!("/proc/{pid}/stat"))).unwrap_or(0.0)
}

/// This process's resident memory, MiB (Linux).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Part 4: the soak.
fn soak(seconds: u64, rate: u64) {
    let t = start_tessera("ES256", 1);
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let service = client_rt.block_on(async {
        let api = t
            .admin
            .create_client(ClientSpec {
                name: Some("Soak API".into()),
                scopes: Some(vec!["orders:read".into()]),
                audiences: Some(vec!["api://orders".into()]),
                introspect: Some(true),
                ..Default::default()
            })
            .await
            .unwrap();
        (api.client_id, api.client_secret.unwrap())
    });
    let (verifier, challenge) = pkce();
    let families = client_rt.block_on(async {
        let codes = tessera_codes_for(
            &t,
            &t.refresh_clients[0],
            &[("scope", "openid offline_access")],
            FAMILIES,
            &challenge,
        )
        .await;
        refresh_tokens(
            &t.base,
            "/oauth2/token",
            &t.refresh_clients[0],
            &verifier,
            codes,
        )
        .await
    });
    let families = std::sync::Arc::new(std::sync::Mutex::new(families));
    let errors = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let served = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    println!("| after s | requests | errors | RSS MiB |\n|---:|---:|---:|---:|");
    client_rt.block_on(async {
        let http = reqwest::Client::new();
        let start = Instant::now();
        let mut ticker =
            tokio::time::interval(Duration::from_secs(1) / u32::try_from(rate.max(1)).unwrap());
        let mut next_report = 30;
        let mut access = String::new();
        // Bounded in count (rate × seconds) and in time.
        for n in 0..rate.saturating_mul(seconds) {
            ticker.tick().await;
            if start.elapsed().as_secs() >= seconds + 60 {
                break;
            }
            if start.elapsed().as_secs() >= next_report {
                println!(
                    "| {next_report} | {} | {} | {:.1} |",
                    served.load(std::sync::atomic::Ordering::Relaxed),
                    errors.load(std::sync::atomic::Ordering::Relaxed),
                    rss_mib()
                );
                next_report += 30;
            }
            let (http, base, families, errors, served) = (
                http.clone(),
                t.base.clone(),
                families.clone(),
                errors.clone(),
                served.clone(),
            );
            let (id, secret) = service.clone();
            let refresh_client = t.refresh_clients[0].clone();
            let kind = n % 3;
            let mut grant_ok = true;
            if kind == 0 || access.is_empty() {
                let (s, v) =
                    testkit::grant(&http, &format!("{base}/oauth2/token"), &id, &secret).await;
                grant_ok = s == 200 && v["access_token"].is_string();
                if grant_ok {
                    access = v["access_token"].as_str().unwrap_or_default().to_owned();
                }
            }
            let token = access.clone();
            tokio::spawn(async move {
                let ok = match kind {
                    1 => {
                        let mut taken = families.lock().unwrap().pop();
                        let Some(old) = taken.take() else { return };
                        let resp = http
                            .post(format!("{base}/oauth2/token"))
                            .form(&[
                                ("grant_type", "refresh_token"),
                                ("refresh_token", old.as_str()),
                                ("client_id", refresh_client.as_str()),
                            ])
                            .send()
                            .await;
                        let body: Option<serde_json::Value> = match resp {
                            Ok(r) if r.status() == 200 => r.json().await.ok(),
                            _ => None,
                        };
                        match body.and_then(|b| b["refresh_token"].as_str().map(str::to_owned)) {
                            Some(next) => {
                                families.lock().unwrap().insert(0, next);
                                true
                            }
                            None => {
                                families.lock().unwrap().insert(0, old);
                                false
                            }
                        }
                    }
                    2 => {
                        let v = testkit::introspect(
                            &http,
                            &format!("{base}/oauth2/introspect"),
                            &id,
                            &secret,
                            &token,
                        )
                        .await;
                        v["active"] == true
                    }
                    _ => grant_ok,
                };
                served.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if !ok {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        println!(
            "| end | {} | {} | {:.1} |",
            served.load(std::sync::atomic::Ordering::Relaxed),
            errors.load(std::sync::atomic::Ordering::Relaxed),
            rss_mib()
        );
    });
}

/// The peer, from a prepared copy of its folder (npm ci done there), on 127.0.0.1:3100.
fn start_peer(dir: &str) -> std::process::Child {
    let child = std::process::Command::new("node")
        .arg("server-oidc.mjs")
        .current_dir(dir)
        .env("PORT", "3100")
        .env("PEER_PASSWORD", "peer-password-for-bench")
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
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let users: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let codes: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(400);
    let runs: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(3);
    let peer_dir = args.get(4).cloned();
    if std::env::var("BENCH").as_deref() == Ok("soak") {
        soak(
            args.get(1).and_then(|a| a.parse().ok()).unwrap_or(600),
            args.get(2).and_then(|a| a.parse().ok()).unwrap_or(300),
        );
        return;
    }
    if std::env::var("BENCH").as_deref() == Ok("refresh") {
        let peer = peer_dir.map(|d| start_peer(&d));
        refresh_part(runs, peer.as_ref().map(|_| "http://127.0.0.1:3100"));
        if let Some(mut p) = peer {
            let _ = p.kill();
            let _ = p.wait();
        }
        return;
    }
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
    let peer = peer_dir.map(|d| start_peer(&d));
    let (verifier, challenge) = pkce();
    let mut rates: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    // CPU seconds spent during the exchanges: this process (Tessera and the client), and the
    // peer's process (the client's share is this process's, as for Tessera).
    let mut cpu = [0.0f64; 3];
    let mut peer_client_cpu = 0.0f64;
    let peer_pid = peer.as_ref().map(|p| p.id().to_string());
    client_rt.block_on(async {
        for round in 0..runs {
            // Codes live 60 s and the peer's development store holds 1,000 entries: codes are
            // made and redeemed in batches, BATCHES per server per round, interleaved.
            let mut secs = [0.0f64; 3];
            for _ in 0..BATCHES {
                for (k, t) in [&es, &rs].iter().enumerate() {
                    let c = tessera_codes(t, codes, &challenge).await;
                    let before = cpu_secs("self");
                    secs[k] += exchange(&t.base, "/oauth2/token", &t.client, &verifier, c)
                        .await
                        .0;
                    cpu[k] += cpu_secs("self") - before;
                }
                if let Some(pid) = &peer_pid {
                    let c =
                        peer_codes("http://127.0.0.1:3100", peer_password, codes, &challenge).await;
                    let (before, client_before) = (cpu_secs(pid), cpu_secs("self"));
                    secs[2] += exchange(
                        "http://127.0.0.1:3100",
                        "/token",
                        "public-client",
                        &verifier,
                        c,
                    )
                    .await
                    .0;
                    cpu[2] += cpu_secs(pid) - before;
                    peer_client_cpu += cpu_secs("self") - client_before;
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
    // CPU per exchange: where the time goes on these two shared cores.
    let n = (codes * BATCHES * runs) as f64;
    println!(
        "\nCPU per exchange (user + system, all rounds): Tessera ES256 {:.2} ms and RS256 {:.2} ms (server and client, one process); oidc-provider {:.2} ms (its process) + {:.2} ms (the client)",
        cpu[0] * 1000.0 / n,
        cpu[1] * 1000.0 / n,
        cpu[2] * 1000.0 / n,
        peer_client_cpu * 1000.0 / n
    );
    drop(es.admin);
    drop(rs.admin);
}
