//! Connection limits: how many connections may be open at once, in all and from one peer, the
//! file descriptor limit they must fit in, and the back-off of a failing accept loop.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Descriptors kept for everything but client connections (the database, log files, outgoing
/// connections, the listener): a quarter of the limit, at most 256.
const RESERVED_DESCRIPTORS: u64 = 256;

/// Raises the soft open-file limit to the hard one and returns `max` lowered, if need be, so
/// that that many connections fit with room to spare. Both limits are logged.
#[must_use]
pub fn fit_to_descriptors(max: usize) -> usize {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            let cap = fit(limit, max);
            if cap < max {
                tracing::warn!(
                    descriptors = limit,
                    max_connections = cap,
                    "the open-file limit is low: max_connections lowered to fit (raise the hard limit, e.g. LimitNOFILE=)"
                );
            } else {
                tracing::info!(
                    descriptors = limit,
                    max_connections = cap,
                    "connection limits"
                );
            }
            cap
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read or raise the open-file limit");
            max
        }
    }
}

/// How many of `max` connections fit under an open-file limit, with room kept for the rest.
#[must_use]
pub fn fit(limit: u64, max: usize) -> usize {
    let reserved = (limit / 4).min(RESERVED_DESCRIPTORS);
    let fits = usize::try_from(limit.saturating_sub(reserved).max(16)).unwrap_or(usize::MAX);
    max.min(fits)
}

/// Open connections, counted in all and per peer address.
#[derive(Clone)]
pub struct Connections {
    inner: Arc<Inner>,
}

struct Inner {
    max: usize,
    per_peer: usize,
    /// The total, and each peer's count (a peer leaves the map at zero).
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One admitted connection; dropping it frees its place.
pub struct Slot {
    inner: Arc<Inner>,
    peer: IpAddr,
}

impl Connections {
    /// Limits of `max` connections in all and `per_peer` from one address.
    #[must_use]
    pub fn new(max: usize, per_peer: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                max,
                per_peer,
                open: Mutex::new((0, HashMap::new())),
            }),
        }
    }

    /// A place for a new connection from `peer`, or `None` when a limit is reached. A trusted
    /// proxy (`proxy`) carries many people's connections: only the total caps it.
    #[must_use]
    pub fn admit(&self, peer: IpAddr, proxy: bool) -> Option<Slot> {
        let mut open = self.inner.open.lock().ok()?;
        let (total, peers) = &mut *open;
        let mine = peers.get(&peer).copied().unwrap_or(0);
        if *total >= self.inner.max || (mine >= self.inner.per_peer && !proxy) {
            return None;
        }
        *total += 1;
        peers.insert(peer, mine + 1);
        Some(Slot {
            inner: Arc::clone(&self.inner),
            peer,
        })
    }

    /// Connections open now.
    #[must_use]
    pub fn open(&self) -> usize {
        self.inner.open.lock().map_or(0, |o| o.0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Ok(mut open) = self.inner.open.lock() else {
            return;
        };
        let (total, peers) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(n) = peers.get_mut(&self.peer) {
            *n -= 1;
            if *n == 0 {
                peers.remove(&self.peer);
            }
        }
    }
}

/// Exponential back-off of the accept loop: 10 ms doubling to 1 s, reset by a success.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// The wait after another failure, and whether it is worth a log line (the first failure
    /// and each time the wait grows; not once per failure at the ceiling).
    pub fn failed(&mut self) -> (Duration, bool) {
        let exp = self.failures.min(7);
        self.failures = self.failures.saturating_add(1);
        let wait = Duration::from_millis(10 << exp).min(Duration::from_secs(1));
        (wait, exp < 7 || self.failures.is_multiple_of(60))
    }

    /// A success: the next failure starts over.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_capped_in_all_and_per_peer() {
        let c = Connections::new(3, 2);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let a1 = c.admit(a, false).unwrap();
        let _a2 = c.admit(a, false).unwrap();
        assert!(c.admit(a, false).is_none(), "per peer");
        let b1 = c.admit(b, false).unwrap();
        assert!(c.admit(b, false).is_none(), "in all");
        assert_eq!(c.open(), 3);
        drop(a1);
        assert!(c.admit(a, false).is_some());
        drop(b1);
        assert_eq!(c.open(), 1, "the slot admitted above was dropped at once");
    }

    #[test]
    fn a_trusted_proxy_is_capped_only_in_all() {
        let c = Connections::new(4, 1);
        let proxy: IpAddr = [10, 0, 0, 9].into();
        let held: Vec<Slot> = (0..3).map(|_| c.admit(proxy, true).unwrap()).collect();
        assert_eq!(held.len(), 3);
        // Its count still counts for another peer's total, and the total still caps it.
        let other = c.admit([10, 0, 0, 1].into(), false).unwrap();
        assert!(c.admit(proxy, true).is_none(), "in all");
        drop(other);
        assert!(c.admit(proxy, true).is_some());
    }

    #[test]
    fn backoff_grows_to_a_second_and_resets() {
        let mut b = Backoff::default();
        let waits: Vec<u128> = (0..10).map(|_| b.failed().0.as_millis()).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000]);
        b.reset();
        assert_eq!(b.failed(), (Duration::from_millis(10), true));
    }

    #[test]
    fn connections_fit_the_open_file_limit() {
        assert_eq!(fit(1_048_576, 8192), 8192);
        assert_eq!(fit(4096, 8192), 4096 - 256);
        assert_eq!(fit(1024, 8192), 768);
        assert_eq!(fit(200, 8192), 150);
        assert_eq!(fit(8, 8192), 16, "a floor, however low the limit");
        assert_eq!(fit(u64::MAX, 10), 10);
    }

    #[test]
    fn the_limit_fits_the_descriptors() {
        let fitted = fit_to_descriptors(usize::MAX);
        assert!((16..usize::MAX).contains(&fitted));
        assert_eq!(fit_to_descriptors(10), 10);
    }
}
