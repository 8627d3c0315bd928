//! Prometheus metrics, rendered as text: requests by endpoint and status, grants by outcome (and
//! by client when the `metrics_client_labels` setting asks: a label per client grows with the
//! clients), latency histograms by endpoint, key states, store errors.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Histogram bucket bounds, seconds.
const BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];

/// The counters.
#[derive(Default)]
pub struct Metrics {
    /// Whether grants are counted per client.
    client_labels: bool,
    requests: Mutex<HashMap<(&'static str, u16), u64>>,
    grants: Mutex<HashMap<(String, &'static str), u64>>,
    latency: Mutex<HashMap<&'static str, Histogram>>,
    store_errors: AtomicU64,
    generation_checks: AtomicU64,
    connections_refused: AtomicU64,
}

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Metrics {
    /// Counters that label grants by client when `client_labels`.
    #[must_use]
    pub fn new(client_labels: bool) -> Self {
        Self {
            client_labels,
            ..Self::default()
        }
    }

    /// Records a finished request.
    pub fn request(&self, endpoint: &'static str, status: u16, took: Duration) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((endpoint, status)).or_default() += 1;
        }
        let secs = took.as_secs_f64();
        if let Ok(mut m) = self.latency.lock() {
            let h = m.entry(endpoint).or_default();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if secs <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += secs;
        }
    }

    /// Records a grant's outcome (`issued` or an OAuth error code).
    pub fn grant(&self, client_id: &str, outcome: &'static str) {
        if let Ok(mut m) = self.grants.lock() {
            // Unknown client ids are bounded into one label: an attacker cannot grow the map.
            let client = if self.client_labels { client_id } else { "" };
            *m.entry((client.to_owned(), outcome)).or_default() += 1;
        }
    }

    /// Counts a store error.
    pub fn store_error(&self) {
        self.store_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a connection closed over a connection cap; returns the count so far.
    pub fn connection_refused(&self) -> u64 {
        self.connections_refused.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Counts a look at the store's change generation.
    pub fn generation_check(&self) {
        self.generation_checks.fetch_add(1, Ordering::Relaxed);
    }

    /// Looks at the store's change generation so far (the poller's and failed
    /// authentications').
    #[must_use]
    pub fn generation_checks(&self) -> u64 {
        self.generation_checks.load(Ordering::Relaxed)
    }

    /// The text exposition format.
    #[must_use]
    pub fn render(
        &self,
        keys: &[(
            String,
            String,
            tessera_store::KeyState,
            tessera_store::KeyPurpose,
        )],
    ) -> String {
        let mut out = String::new();
        out.push_str("# HELP tessera_requests_total Requests by endpoint and status.\n# TYPE tessera_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            let mut rows: Vec<_> = m.iter().collect();
            rows.sort();
            for ((endpoint, status), n) in rows {
                let _ = writeln!(
                    out,
                    "tessera_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP tessera_grants_total Token grants by outcome (and client, when configured).\n# TYPE tessera_grants_total counter\n");
        if let Ok(m) = self.grants.lock() {
            let mut rows: Vec<_> = m.iter().collect();
            rows.sort();
            for ((client, outcome), n) in rows {
                let _ = if self.client_labels {
                    writeln!(
                        out,
                        "tessera_grants_total{{client_id=\"{}\",outcome=\"{outcome}\"}} {n}",
                        label(client)
                    )
                } else {
                    writeln!(out, "tessera_grants_total{{outcome=\"{outcome}\"}} {n}")
                };
            }
        }
        out.push_str("# HELP tessera_request_duration_seconds Request latency by endpoint.\n# TYPE tessera_request_duration_seconds histogram\n");
        if let Ok(m) = self.latency.lock() {
            let mut rows: Vec<_> = m.iter().collect();
            rows.sort_by_key(|(e, _)| **e);
            for (endpoint, h) in rows {
                for (i, bound) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "tessera_request_duration_seconds_bucket{{endpoint=\"{endpoint}\",le=\"{bound}\"}} {}",
                        h.counts[i]
                    );
                }
                let _ = writeln!(
                    out,
                    "tessera_request_duration_seconds_bucket{{endpoint=\"{endpoint}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "tessera_request_duration_seconds_sum{{endpoint=\"{endpoint}\"}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "tessera_request_duration_seconds_count{{endpoint=\"{endpoint}\"}} {}",
                    h.count
                );
            }
        }
        out.push_str("# HELP tessera_signing_keys Signing keys by what they sign and state.\n# TYPE tessera_signing_keys gauge\n");
        for purpose in [
            tessera_store::KeyPurpose::Access,
            tessera_store::KeyPurpose::IdToken,
        ] {
            for state in ["next", "current", "previous"] {
                let n = keys
                    .iter()
                    .filter(|(_, _, s, p)| s.name() == state && *p == purpose)
                    .count();
                let _ = writeln!(
                    out,
                    "tessera_signing_keys{{signs=\"{}\",state=\"{state}\"}} {n}",
                    purpose.name()
                );
            }
        }
        out.push_str("# HELP tessera_store_errors_total Store operations that failed.\n# TYPE tessera_store_errors_total counter\n");
        let _ = writeln!(
            out,
            "tessera_store_errors_total {}",
            self.store_errors.load(Ordering::Relaxed)
        );
        out.push_str("# HELP tessera_store_generation_checks_total Looks at the store's change generation (polling, failed authentications).\n# TYPE tessera_store_generation_checks_total counter\n");
        let _ = writeln!(
            out,
            "tessera_store_generation_checks_total {}",
            self.generation_checks.load(Ordering::Relaxed)
        );
        out.push_str("# HELP tessera_connections_refused_total Connections closed at once over max_connections or max_connections_per_peer.\n# TYPE tessera_connections_refused_total counter\n");
        let _ = writeln!(
            out,
            "tessera_connections_refused_total {}",
            self.connections_refused.load(Ordering::Relaxed)
        );
        out
    }
}

/// A label value escaped for the exposition format.
fn label(v: &str) -> String {
    v.chars()
        .flat_map(|c| match c {
            '\\' => vec!['\\', '\\'],
            '"' => vec!['\\', '"'],
            '\n' => vec!['\\', 'n'],
            c => vec![c],
        })
        .collect()
}
