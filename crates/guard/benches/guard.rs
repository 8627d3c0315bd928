//! Guard overhead per request (find the token, verify it with a warm key cache, check the
//! route's scope) against the bare `Verifier::verify` on the WORKLOAD token (ES256 and HS256),
//! interleaved in one run: medians of 31 rounds, and the median of the per-round ratios. Then
//! parallel scaling of cache hits (1 vs 2 tasks on one shared guard) to show no contended lock.
//!
//!     cargo bench -p tessera-guard --bench guard
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use axum::http::{HeaderMap, HeaderValue, Uri, header};
use serde::{Deserialize, Serialize};
use tessera_guard::{CacheOptions, Guard, Keys, RemoteVerifier};
use tessera_jose::jws::{Header, Signer};
use tessera_jose::jwt::{JwtSigner, Verifier};
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
}

fn token(key: &Jwk, alg: JwsAlg) -> String {
    let t = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
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
                Guard::builder(Keys::Remote(r)).build()
            })
        });
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {tok}")).unwrap(),
        );
        let uri: Uri = "/orders".parse().unwrap();
        let scopes = vec!["orders:read".to_owned()];
        let n: u32 = if alg == JwsAlg::HS256 { 2000 } else { 300 };
        let time_bare = || {
            let t = Instant::now();
            for _ in 0..n {
                black_box(bare.verify::<Workload>(black_box(&tok)).unwrap());
            }
            t.elapsed().as_secs_f64() / f64::from(n)
        };
        let time_guard = |g: &Guard| {
            rt.block_on(async {
                let t = Instant::now();
                for _ in 0..n {
                    black_box(g.check("GET", &uri, &headers, &scopes).await.unwrap());
                }
                t.elapsed().as_secs_f64() / f64::from(n)
            })
        };
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
}
