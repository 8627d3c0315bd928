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

#[path = "runner.rs"]
mod runner;
#[path = "setup.rs"]
mod setup;

use std::hint::black_box;
use std::time::Duration;

use runner::{Op, fmt, median, rounds_arg};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds = rounds_arg(&args);
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
            let mut times = runner::interleave(&mut fns, rounds, batch);
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
