//! Guard overhead per request (find the token, verify it with a warm key cache, check the
//! route's scope) against the bare `Verifier::verify` on the WORKLOAD token (ES256 and HS256),
//! interleaved in one run: medians of 31 rounds, and the median of the per-round ratios. Then
//! parallel scaling of cache hits (1 vs 2 tasks on one shared guard) to show no contended lock.
//! Then the Token Status List check on a cache hit (the same token with a `status` claim,
//! through the remote guard with and without status lists), and the size of status list
//! tokens for 100,000 and 1,000,000 tokens.
//!
//!     cargo bench -p tessera-guard --bench guard
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use axum::http::{HeaderMap, HeaderValue, Uri, header};
use serde::{Deserialize, Serialize};
use tessera_guard::{CacheOptions, Guard, Keys, RemoteVerifier, StatusLists, StatusOptions};
use tessera_jose::jws::{Header, Signer};
use tessera_jose::jwt::{JwtSigner, Verifier};
use tessera_jose::status::{ListTimes, Status, StatusList};
use tessera_jose::{Jwk, JwkSet, JwsAlg};

const ISS: &str = "https://auth.example.com";
const AUD: &str = "api://orders";

#[derive(Serialize, Deserialize)]
struct Workload {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    nbf: i64,
    iat: i64,
    jti: String,
    scope: String,
    roles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<tessera_jose::status::StatusClaim>,
}

fn token(key: &Jwk, alg: JwsAlg) -> String {
    token_with(key, alg, None)
}

/// The WORKLOAD token, with a `status` claim when given.
fn token_with(key: &Jwk, alg: JwsAlg, status: Option<tessera_jose::status::StatusClaim>) -> String {
    let t = now();
    let claims = Workload {
        iss: ISS.into(),
        sub: "user-8f14e45f".into(),
        aud: AUD.into(),
        exp: t + 3600,
        nbf: t - 10,
        iat: t - 10,
        jti: "4b1f0c2e-9c3a-4d7e-8a51-1f2b3c4d5e6f".into(),
        scope: "orders:read orders:write profile".into(),
        roles: vec!["admin".into(), "billing".into()],
        status,
    };
    let header = Header::new(alg).typ("JWT").kid("k1");
    JwtSigner::with_header(Signer::new(key, alg).unwrap(), header)
        .unwrap()
        .sign(&claims)
        .unwrap()
}

fn verifier(set: JwkSet, alg: JwsAlg) -> Result<Verifier, tessera_jose::Error> {
    Verifier::builder(set)
        .algorithms([alg])
        .issuer(ISS)
        .audience(AUD)
        .build()
}

/// A request with `token` for `GET /orders` needing `orders:read`.
fn request(token: &str) -> (HeaderMap, Uri, Vec<String>) {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    (
        headers,
        "/orders".parse().unwrap(),
        vec!["orders:read".to_owned()],
    )
}

/// Seconds per `Guard::check` of `token`, over `n` checks.
fn time_checks(rt: &tokio::runtime::Runtime, g: &Guard, token: &str, n: u32) -> f64 {
    let (headers, uri, scopes) = request(token);
    rt.block_on(async {
        let t = Instant::now();
        for _ in 0..n {
            black_box(g.check("GET", &uri, &headers, &scopes).await.unwrap());
        }
        t.elapsed().as_secs_f64() / f64::from(n)
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "| alg | bare verify | guard (local keys) | guard (remote, warm cache) | guard / bare (local) | guard / bare (remote) |"
    );
    println!("|---|---|---|---|---|---|");
    for alg in [JwsAlg::ES256, JwsAlg::HS256] {
        let key = Jwk::generate(alg).unwrap().with_kid("k1");
        let public = key.to_public().unwrap_or_else(|_| key.clone());
        let tok = token(&key, alg);
        let bare = verifier(JwkSet::from(public.clone()), alg).unwrap();
        let local = Guard::builder(Keys::Local(Box::new(
            verifier(JwkSet::from(public.clone()), alg).unwrap(),
        )))
        // The WORKLOAD token is `typ: JWT`.
        .accept_untyped_tokens()
        .build();
        // A loopback JWKS for the remote guard (HMAC secrets are never published: local only).
        let remote = (alg != JwsAlg::HS256).then(|| {
            let jwks = JwkSet::from(public.clone()).to_json();
            rt.block_on(async move {
                let app = axum::Router::new().route(
                    "/jwks",
                    axum::routing::get(move || {
                        let body = jwks.clone();
                        async move { ([(header::CACHE_CONTROL, "max-age=3600")], body) }
                    }),
                );
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let url = format!("http://{}/jwks", l.local_addr().unwrap());
                tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
                let r = RemoteVerifier::new(&url, CacheOptions::default(), move |set| {
                    verifier(set, alg)
                })
                .unwrap();
                Guard::builder(Keys::Remote(r))
                    .accept_untyped_tokens()
                    .build()
            })
        });
        let (headers, uri, scopes) = request(&tok);
        let n: u32 = if alg == JwsAlg::HS256 { 2000 } else { 300 };
        let time_bare = || {
            let t = Instant::now();
            for _ in 0..n {
                black_box(bare.verify::<Workload>(black_box(&tok)).unwrap());
            }
            t.elapsed().as_secs_f64() / f64::from(n)
        };
        let time_guard = |g: &Guard| time_checks(&rt, g, &tok, n);
        time_bare();
        time_guard(&local);
        if let Some(r) = &remote {
            time_guard(r);
        }
        let (mut b, mut l, mut r, mut lr, mut rr) = (vec![], vec![], vec![], vec![], vec![]);
        for round in 0..31 {
            let (tb, tl, tr);
            if round % 2 == 0 {
                tb = time_bare();
                tl = time_guard(&local);
                tr = remote.as_ref().map(&time_guard);
            } else {
                tr = remote.as_ref().map(&time_guard);
                tl = time_guard(&local);
                tb = time_bare();
            }
            b.push(tb);
            l.push(tl);
            lr.push(tl / tb);
            if let Some(tr) = tr {
                r.push(tr);
                rr.push(tr / tb);
            }
        }
        let us = |v: f64| format!("{:.2} µs", v * 1e6);
        let (rv, rratio) = if r.is_empty() {
            (
                "n/a (secrets are not published)".to_owned(),
                "n/a".to_owned(),
            )
        } else {
            (us(median(r)), format!("{:.2}x", median(rr)))
        };
        println!(
            "| {} | {} | {} | {} | {:.2}x | {} |",
            alg.name(),
            us(median(b)),
            us(median(l)),
            rv,
            median(lr),
            rratio
        );
        if let Some(g) = &remote {
            let per_task = 500usize;
            let run = |tasks: usize| {
                let t = Instant::now();
                rt.block_on(async {
                    let handles: Vec<_> = (0..tasks)
                        .map(|_| {
                            let (g, headers, uri, scopes) =
                                (g.clone(), headers.clone(), uri.clone(), scopes.clone());
                            tokio::spawn(async move {
                                for _ in 0..per_task {
                                    black_box(
                                        g.check("GET", &uri, &headers, &scopes).await.unwrap(),
                                    );
                                }
                            })
                        })
                        .collect();
                    for h in handles {
                        h.await.unwrap();
                    }
                });
                (tasks * per_task) as f64 / t.elapsed().as_secs_f64()
            };
            let one = median((0..5).map(|_| run(1)).collect());
            let two = median((0..5).map(|_| run(2)).collect());
            println!(
                "\n{}: cache hits per second, 1 task {one:.0}, 2 tasks on 2 worker threads {two:.0} ({:.2}x)\n",
                alg.name(),
                two / one
            );
        }
    }
    status_check(&rt);
    list_sizes();
}

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// The status check on a cache hit: one ES256 token with a `status` claim, through the
/// remote guard without and with status lists (list and keys served on loopback, warm).
fn status_check(rt: &tokio::runtime::Runtime) {
    let alg = JwsAlg::ES256;
    let key = Jwk::generate(alg).unwrap().with_kid("k1");
    let public = key.to_public().unwrap();
    let jwks = JwkSet::from(public).to_json();
    let l = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let uri = format!("{base}/status/1");
    let mut list = StatusList::new(1, 1 << 20).unwrap();
    for i in (0..1 << 20).step_by(997) {
        list.set(i, Status::INVALID).unwrap();
    }
    let list_signer = JwtSigner::with_header(
        Signer::new(&key, alg).unwrap(),
        Header::new(alg).typ(tessera_jose::status::TYP).kid("k1"),
    )
    .unwrap();
    let t = now();
    let times = ListTimes {
        iat: t,
        exp: Some(t + 7200),
        ttl: Some(3600),
    };
    let list_token =
        tessera_jose::status::sign_list(&list_signer, Some(ISS), &uri, &list, &times).unwrap();
    let app = axum::Router::new()
        .route(
            "/jwks",
            axum::routing::get(move || {
                let body = jwks.clone();
                async move { ([(header::CACHE_CONTROL, "max-age=3600")], body) }
            }),
        )
        .route(
            "/status/1",
            axum::routing::get(move || {
                let body = list_token.clone();
                async move { body }
            }),
        );
    rt.spawn(async move { axum::serve(l, app).await.unwrap() });
    let tok = token_with(
        &key,
        alg,
        Some(tessera_jose::status::StatusClaim {
            status_list: tessera_jose::status::StatusRef {
                idx: 4242,
                uri: uri.clone(),
            },
        }),
    );
    let jwks_url = format!("{base}/jwks");
    let (plain, checked) = rt.block_on(async {
        let keys = RemoteVerifier::new(&jwks_url, CacheOptions::default(), move |set| {
            verifier(set, alg)
        })
        .unwrap();
        let list_keys = RemoteVerifier::new(&jwks_url, CacheOptions::default(), move |set| {
            Verifier::builder(set)
                .algorithms([alg])
                .issuer(ISS)
                .skip_audience_check()
                .typ(tessera_jose::status::TYP)
                .build()
        })
        .unwrap();
        let lists = StatusLists::new(&base, list_keys, StatusOptions::default()).unwrap();
        (
            Guard::builder(Keys::Remote(keys.clone()))
                .accept_untyped_tokens()
                .build(),
            Guard::builder(Keys::Remote(keys))
                .accept_untyped_tokens()
                .status_lists(lists)
                .build(),
        )
    });
    let time = |g: &Guard| time_checks(rt, g, &tok, 300);
    time(&plain);
    time(&checked);
    let (mut p, mut c, mut r) = (vec![], vec![], vec![]);
    for round in 0..31 {
        let (tp, tc) = if round % 2 == 0 {
            let tp = time(&plain);
            (tp, time(&checked))
        } else {
            let tc = time(&checked);
            (time(&plain), tc)
        };
        p.push(tp);
        c.push(tc);
        r.push(tc / tp);
    }
    println!(
        "| ES256, token with a status claim | guard (remote, warm) | + status list (cache hit) | ratio |"
    );
    println!("|---|---|---|---|");
    println!(
        "| medians of 31 rounds | {:.2} µs | {:.2} µs | {:.3}x |\n",
        median(p) * 1e6,
        median(c) * 1e6,
        median(r)
    );
}

/// Status list token sizes (ES256, 1 bit per token) by list size and share revoked, the
/// revoked indices spread at random as the service allocates them.
fn list_sizes() {
    let key = Jwk::generate(JwsAlg::ES256).unwrap();
    let signer = JwtSigner::with_header(
        Signer::new(&key, JwsAlg::ES256).unwrap(),
        Header::new(JwsAlg::ES256).typ(tessera_jose::status::TYP),
    )
    .unwrap();
    println!("| tokens in the list | revoked | list (bytes, raw) | status list token (bytes) |");
    println!("|---:|---:|---:|---:|");
    for size in [100_000usize, 1_000_000, 1 << 20] {
        for share in [0.0, 0.001, 0.01, 0.1] {
            let mut list = StatusList::new(1, size).unwrap();
            let revoked = (size as f64 * share) as usize;
            let mut seed = 0x9e37_79b9_7f4a_7c15u64;
            let mut set = 0;
            while set < revoked {
                // xorshift: spread like the service's keyed permutation.
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let i = seed % size as u64;
                if list.get(i) == Some(Status::VALID) {
                    list.set(i, Status::INVALID).unwrap();
                    set += 1;
                }
            }
            let t = now();
            let token = tessera_jose::status::sign_list(
                &signer,
                Some(ISS),
                "https://auth.example.com/oauth2/status-lists/1",
                &list,
                &ListTimes {
                    iat: t,
                    exp: Some(t + 310),
                    ttl: Some(10),
                },
            )
            .unwrap();
            println!(
                "| {size} | {:.1} % | {} | {} |",
                share * 100.0,
                list.as_bytes().len(),
                token.len()
            );
        }
    }
}
