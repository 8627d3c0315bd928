//! Runs one workload operation N times, for instruction counting under
//! `valgrind --tool=callgrind` (deterministic, unlike wall time on a shared machine):
//! `cargo build --release --example workload_count` then
//! `valgrind --tool=callgrind target/release/examples/workload_count HS256 verify tessera 2000`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::large_enum_variant
)]

#[path = "../benches/setup.rs"]
mod setup;

use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (alg, op, imp) = (args[1].as_str(), args[2].as_str(), args[3].as_str());
    let n: usize = args.get(4).and_then(|n| n.parse().ok()).unwrap_or(1000);
    let alg = tessera_jose::JwsAlg::from_name(alg).unwrap();
    let key = match alg.family() {
        tessera_jose::alg::Family::RsaPkcs1 | tessera_jose::alg::Family::RsaPss => {
            tessera_jose::Jwk::generate_rsa(2048).unwrap()
        }
        _ => tessera_jose::Jwk::generate(alg).unwrap().without_alg(),
    };
    let case = setup::Case::new(alg, &key);
    for _ in 0..n {
        match (op, imp) {
            ("sign", "tessera") => drop(black_box(case.tessera_sign())),
            ("sign", "floor") => drop(black_box(case.floor_sign())),
            ("sign", _) => drop(black_box(case.peer_sign())),
            ("verify", "tessera") => drop(black_box(case.tessera_verify())),
            ("verify", "floor") => {
                black_box(case.floor_verify());
            }
            _ => drop(black_box(case.peer_verify())),
        }
    }
}
