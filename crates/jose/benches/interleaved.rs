//! The standard workload measured as interleaved rounds: in each round, Tessera, the aws-lc-rs
//! floor and `jsonwebtoken` each run a fixed batch, in rotating order, so slow phases of a shared
//! machine hit all three alike. Reports median per-operation times and the median of the
//! per-round ratios, as a Markdown table.
//!
//! Run: `cargo bench -p tessera-jose --bench interleaved` (`-- --rounds N` to change the rounds).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::large_enum_variant,
    clippy::cast_precision_loss
)]

#[path = "setup.rs"]
mod setup;

use std::hint::black_box;
use std::time::{Duration, Instant};

/// A named operation under measurement.
type Op<'a> = (&'static str, Box<dyn FnMut() + 'a>);

/// Nanoseconds per call of `f`, over a batch sized to take about `target`.
fn batch_ns(f: &mut dyn FnMut(), iters: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(iters)
}

fn calibrate(f: &mut dyn FnMut(), target: Duration) -> u32 {
    let mut iters = 1u32;
    loop {
        let start = Instant::now();
        for _ in 0..iters {
            f();
        }
        if start.elapsed() >= target / 4 || iters >= 1 << 24 {
            let per = start.elapsed().as_nanos().max(1) as f64 / f64::from(iters);
            return ((target.as_nanos() as f64 / per) as u32).max(1);
        }
        iters *= 2;
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn fmt(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes `--bench`; accept `--rounds N` after `--`.
    let rounds = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(31usize);
    let filter = args
        .iter()
        .skip(1)
        .find(|a| !a.starts_with("--") && a.parse::<usize>().is_err());
    let batch = Duration::from_millis(20);

    println!(
        "| alg | op | tessera | floor (aws-lc-rs) | jsonwebtoken | tessera / floor | jsonwebtoken / tessera |"
    );
    println!("|---|---|---|---|---|---|---|");
    for case in setup::cases() {
        if filter.is_some_and(|f| !case.alg.name().contains(f.as_str())) {
            continue;
        }
        for op in ["sign", "verify"] {
            let mut fns: Vec<Op<'_>> = match op {
                "sign" => vec![
                    (
                        "tessera",
                        Box::new(|| drop(black_box(black_box(&case).tessera_sign()))),
                    ),
                    (
                        "floor",
                        Box::new(|| drop(black_box(black_box(&case).floor_sign()))),
                    ),
                ],
                _ => vec![
                    (
                        "tessera",
                        Box::new(|| drop(black_box(black_box(&case).tessera_verify()))),
                    ),
                    (
                        "floor",
                        Box::new(|| {
                            black_box(black_box(&case).floor_verify());
                        }),
                    ),
                ],
            };
            if case.peer.is_some() {
                if op == "sign" {
                    fns.push((
                        "jsonwebtoken",
                        Box::new(|| drop(black_box(black_box(&case).peer_sign()))),
                    ));
                } else {
                    fns.push((
                        "jsonwebtoken",
                        Box::new(|| drop(black_box(black_box(&case).peer_verify()))),
                    ));
                }
            }
            let iters: Vec<u32> = fns
                .iter_mut()
                .map(|(_, f)| calibrate(f.as_mut(), batch))
                .collect();
            let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); fns.len()];
            for round in 0..rounds {
                for k in 0..fns.len() {
                    let i = (round + k) % fns.len();
                    times[i].push(batch_ns(fns[i].1.as_mut(), iters[i]));
                }
            }
            let mut floor_ratio: Vec<f64> =
                times[0].iter().zip(&times[1]).map(|(t, f)| t / f).collect();
            let mut peer_ratio: Vec<f64> = if fns.len() == 3 {
                times[2].iter().zip(&times[0]).map(|(p, t)| p / t).collect()
            } else {
                Vec::new()
            };
            let med: Vec<f64> = times.iter_mut().map(|t| median(t)).collect();
            let peer_time = med.get(2).map_or("n/a".to_owned(), |p| fmt(*p));
            let peer_cell = if peer_ratio.is_empty() {
                "n/a (unsupported)".to_owned()
            } else {
                format!("{:.2}×", median(&mut peer_ratio))
            };
            println!(
                "| {} | {op} | {} | {} | {peer_time} | {:.2}× | {peer_cell} |",
                case.alg.name(),
                fmt(med[0]),
                fmt(med[1]),
                median(&mut floor_ratio),
            );
        }
    }
}
