//! The standard workload (`shared/bench/WORKLOAD.md`) under criterion: sign and verify one JWT
//! per algorithm with Tessera, the bare aws-lc-rs primitive (the floor) and the `jsonwebtoken`
//! crate (aws-lc-rs backend), the three in one criterion group.
//!
//! Run: `cargo bench -p tessera-jose --bench workload`, then `python3 scripts/bench_report.py`.
//! On a noisy machine prefer the interleaved runner (`--bench interleaved`), which measures the
//! ratios round by round.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::large_enum_variant
)]

#[path = "setup.rs"]
mod setup;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

fn workload(c: &mut Criterion) {
    for case in setup::cases() {
        let name = case.alg.name();
        let mut g = c.benchmark_group(format!("{name}/sign"));
        g.bench_function("tessera", |b| b.iter(|| black_box(&case).tessera_sign()));
        g.bench_function("floor", |b| b.iter(|| black_box(&case).floor_sign()));
        if case.peer.is_some() {
            g.bench_function("jsonwebtoken", |b| b.iter(|| black_box(&case).peer_sign()));
        }
        g.finish();
        let mut g = c.benchmark_group(format!("{name}/verify"));
        g.bench_function("tessera", |b| b.iter(|| black_box(&case).tessera_verify()));
        g.bench_function("floor", |b| b.iter(|| black_box(&case).floor_verify()));
        if case.peer.is_some() {
            g.bench_function("jsonwebtoken", |b| {
                b.iter(|| black_box(&case).peer_verify())
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(2))
        .sample_size(60);
    targets = workload
}
criterion_main!(benches);
