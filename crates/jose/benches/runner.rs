//! The interleaved measurement loop shared by the benchmark runners: each operation runs a
//! fixed batch per round, in rotating order, so slow phases of a shared machine hit all alike.
#![allow(dead_code, clippy::cast_precision_loss)]

use std::time::{Duration, Instant};

/// A named operation under measurement.
pub type Op<'a> = (&'static str, Box<dyn FnMut() + 'a>);

/// Nanoseconds per call of `f`, over a batch sized to take about `target`.
pub fn batch_ns(f: &mut dyn FnMut(), iters: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(iters)
}

/// Iterations of `f` that take about `target`.
pub fn calibrate(f: &mut dyn FnMut(), target: Duration) -> u32 {
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

/// The median (sorts `v`).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// A duration in nanoseconds, human-readable.
pub fn fmt(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

/// `--rounds N` after `--` (`cargo bench` passes `--bench` itself); 31 by default.
pub fn rounds_arg(args: &[String]) -> usize {
    args.iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(31)
}

/// Runs every operation `rounds` times in rotating order; returns each one's per-round times.
pub fn interleave(fns: &mut [Op<'_>], rounds: usize, batch: Duration) -> Vec<Vec<f64>> {
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
    times
}

/// The median of the per-round ratios `a / b`.
pub fn median_ratio(a: &[f64], b: &[f64]) -> f64 {
    let mut r: Vec<f64> = a.iter().zip(b).map(|(x, y)| x / y).collect();
    median(&mut r)
}
