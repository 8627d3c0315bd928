//! The shared state: the store, the derived secrets, and the caches that keep the hot path off
//! the database (clients and keys), refreshed when the store's change generation moves.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tessera_jose::dpop::ProofVerifier;
use tessera_jose::jwt::{Clock, SystemClock};

use crate::config::Config;
use crate::error::Error;
use crate::keys::{KeyRing, Policy, Secrets, SharedClock};
use crate::metrics::Metrics;
use tessera_store::{Client, Event, Store};

/// Everything a request handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    secrets: Secrets,
    config: Config,
    clock: SharedClock,
    clients: RwLock<Arc<HashMap<String, Arc<Client>>>>,
    /// The web origins of the enabled clients (CORS).
    web_origins: RwLock<Arc<std::collections::HashSet<String>>>,
    keys: RwLock<Arc<KeyRing>>,
    generation: AtomicI64,
    /// One reload at a time (the poller, and authentication failures that look in the store).
    refreshing: tokio::sync::Mutex<()>,
    /// When the last look at the store's change generation started.
    last_check: Mutex<Option<std::time::Instant>>,
    /// Why the last refresh of the caches failed, until one succeeds (then `/readyz` fails).
    stale: Mutex<Option<String>>,
    metrics: Metrics,
    events: tokio::sync::mpsc::UnboundedSender<Event>,
    failures: Mutex<HashMap<String, (i64, u32, &'static str)>>,
    node: String,
    grants: Vec<Box<dyn crate::grants::Grant>>,
    /// Checks the DPoP proofs of token requests (RFC 9449 §5), with this node's replay cache.
    dpop: ProofVerifier,
    /// The endpoints' URLs under the issuer.
    urls: crate::paths::Urls,
    /// The headers of the API's responses (and of any that reaches the edge without a policy).
    security: crate::security::Policy,
    /// Password work, on a bounded pool.
    passwords: crate::users::Passwords,
    /// Token Status Lists: the block of indices this node hands out, the lists it built.
    status_lists: crate::tokens::status::StatusLists,
}

impl AppState {
    /// Builds the state and loads the caches. Events are written by a background task.
    ///
    /// # Errors
    /// [`Error`] when the store cannot be read or a key cannot be opened.
    pub async fn new(
        store: Arc<dyn Store>,
        secrets: Secrets,
        config: Config,
        clock: Option<Arc<dyn Clock>>,
    ) -> Result<Self, Error> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
        let writer = Arc::clone(&store);
        tokio::spawn(async move {
            // What arrived while the last write ran goes in one transaction: one durable write
            // for a burst, not one per event.
            let mut batch = Vec::new();
            while rx.recv_many(&mut batch, 256).await > 0 {
                if let Err(err) = writer.record_all(&batch).await {
                    tracing::error!(error = %err, count = batch.len(), "cannot record audit events");
                }
                batch.clear();
            }
        });
        let node = tessera_jose::b64::encode(tessera_jose::secret::random(9)?);
        let clock = SharedClock(clock.unwrap_or_else(|| Arc::new(SystemClock)));
        let dpop = ProofVerifier::builder().clock(clock.clone()).build()?;
        let config_issuer = config.issuer.clone();
        let passwords = crate::users::Passwords::sized_to_machine(
            config.argon2,
            std::time::Duration::from_secs(2),
        )
        .map_err(|e| Error::Invalid(e.to_string()))?;
        let client_labels = config.metrics_client_labels;
        let state = Self {
            inner: Arc::new(Inner {
                store,
                secrets,
                config,
                clock,
                clients: RwLock::new(Arc::new(HashMap::new())),
                web_origins: RwLock::new(Arc::new(std::collections::HashSet::new())),
                keys: RwLock::new(Arc::new(KeyRing::empty())),
                generation: AtomicI64::new(-1),
                refreshing: tokio::sync::Mutex::new(()),
                last_check: Mutex::new(None),
                stale: Mutex::new(None),
                metrics: Metrics::new(client_labels),
                events: tx,
                failures: Mutex::new(HashMap::new()),
                node,
                grants: crate::grants::grants(),
                dpop,
                urls: crate::paths::Urls::new(&config_issuer),
                security: crate::security::Policy::api(),
                passwords,
                status_lists: crate::tokens::status::StatusLists::default(),
            }),
        };
        state.reload().await?;
        Ok(state)
    }

    /// Token Status Lists.
    #[must_use]
    pub fn status_lists(&self) -> &crate::tokens::status::StatusLists {
        &self.inner.status_lists
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    /// The derived secrets.
    #[must_use]
    pub fn secrets(&self) -> &Secrets {
        &self.inner.secrets
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The current Unix time (injected in tests).
    #[must_use]
    pub fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    /// Password work (sign-in, password changes), on this node's bounded pool.
    #[must_use]
    pub fn passwords(&self) -> &crate::users::Passwords {
        &self.inner.passwords
    }

    /// The current Unix time in milliseconds (the injected clock's second in tests).
    #[must_use]
    pub fn now_millis(&self) -> i64 {
        self.inner.clock.now_millis()
    }

    /// The clock.
    #[must_use]
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// The API's security headers.
    #[must_use]
    pub fn security(&self) -> &crate::security::Policy {
        &self.inner.security
    }

    /// The endpoints' URLs under the issuer.
    #[must_use]
    pub fn urls(&self) -> &crate::paths::Urls {
        &self.inner.urls
    }

    /// The DPoP proof verifier of the token endpoint.
    #[must_use]
    pub fn dpop(&self) -> &ProofVerifier {
        &self.inner.dpop
    }

    /// The metrics.
    #[must_use]
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The grant handlers.
    #[must_use]
    pub fn grants(&self) -> &[Box<dyn crate::grants::Grant>] {
        &self.inner.grants
    }

    /// This node's id (lease holder).
    #[must_use]
    pub fn node(&self) -> &str {
        &self.inner.node
    }

    /// A cached client.
    #[must_use]
    pub fn client(&self, id: &str) -> Option<Arc<Client>> {
        let map = self
            .inner
            .clients
            .read()
            .map_or_else(|p| Arc::clone(&p.into_inner()), |g| Arc::clone(&g));
        map.get(id).cloned()
    }

    /// Whether `origin` is a web origin of an enabled client (CORS).
    #[must_use]
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.inner
            .web_origins
            .read()
            .is_ok_and(|set| set.contains(origin))
    }

    /// The cached keys.
    #[must_use]
    pub fn keys(&self) -> Arc<KeyRing> {
        self.inner
            .keys
            .read()
            .map_or_else(|p| Arc::clone(&p.into_inner()), |g| Arc::clone(&g))
    }

    /// The key life-cycle policy.
    #[must_use]
    pub fn policy(&self) -> Policy {
        let c = &self.inner.config;
        Policy {
            rotation_period: secs(c.rotation_period),
            jwks_max_age: secs(c.jwks_max_age),
            max_token_ttl: secs(c.max_token_ttl),
            alg: c.signing_alg.unwrap_or(crate::keys::DEFAULT_ALG),
            margin: secs(c.key_margin),
        }
    }

    /// Queues an audit event (written by a background task; also logged).
    pub fn event(&self, kind: &str, client_id: Option<&str>, detail: serde_json::Value) {
        tracing::info!(event = kind, client_id = client_id.unwrap_or("-"), "audit");
        let e = Event {
            at: self.now(),
            kind: kind.into(),
            client_id: client_id.map(str::to_owned),
            detail,
        };
        let _ = self.inner.events.send(e);
    }

    /// Counts a failed client authentication (by the client, all unknown ids as one): the
    /// first in a minute for each reason is logged with the presented id and why (never the
    /// secret), the fifth is an audit event. A flood logs a line a minute per client and
    /// reason, not one per request.
    pub fn auth_failed(&self, presented_id: &str, why: crate::oauth::AuthFailure) {
        let known = why != crate::oauth::AuthFailure::UnknownClient;
        let key = if known { presented_id } else { "unknown" };
        let now = self.now();
        let (count, new_reason) = {
            let Ok(mut map) = self.inner.failures.lock() else {
                return;
            };
            if map.len() > 10_000 {
                map.retain(|_, (start, ..)| now - *start < 60);
            }
            let entry = map.entry(key.to_owned()).or_insert((now, 0, ""));
            if now - entry.0 >= 60 {
                *entry = (now, 0, "");
            }
            entry.1 += 1;
            let new_reason = entry.2 != why.reason();
            entry.2 = why.reason();
            (entry.1, new_reason)
        };
        if new_reason {
            // The id is the caller's text: escaped and cut short.
            let shown = tessera_jose::error::escaped(presented_id);
            tracing::warn!(
                client_id = %shown,
                reason = why.reason(),
                "client authentication failed (more failures of this client for the same reason within a minute are counted, not logged)"
            );
        }
        if count == 5 {
            self.event(
                "client.auth_failed",
                Some(key),
                serde_json::json!({"failures": 5, "window_seconds": 60, "reason": why.reason()}),
            );
        }
    }

    /// Reloads clients and keys if the store's change generation moved (or always, the first
    /// time). Returns whether anything was reloaded.
    ///
    /// # Errors
    /// [`Error`] from the store.
    pub async fn refresh(&self) -> Result<bool, Error> {
        let _one = self.inner.refreshing.lock().await;
        self.refresh_locked().await
    }

    /// For a failed client authentication that arrived at `arrived`: looks at the store once,
    /// unless a look that started after `arrived` has been made meanwhile (it saw every change
    /// this request could know of), and at most one look per `AUTH_RECHECK_GAP` (50 ms): a flood of
    /// bad credentials costs a few store reads a second, not one each, queued. Waits at most
    /// `AUTH_RECHECK_WAIT` (250 ms) for the look in progress; returns whether anything was reloaded.
    ///
    /// # Errors
    /// [`Error`] from the store.
    pub async fn refresh_for(&self, arrived: std::time::Instant) -> Result<bool, Error> {
        let Ok(_one) = tokio::time::timeout(AUTH_RECHECK_WAIT, self.inner.refreshing.lock()).await
        else {
            return Ok(false);
        };
        let last = self.inner.last_check.lock().ok().and_then(|t| *t);
        if last.is_some_and(|t| t > arrived) {
            return Ok(false);
        }
        // At most one look per AUTH_RECHECK_GAP: the requests that arrive meanwhile wait for
        // the next one and share it.
        if let Some(gap) = last.and_then(|t| AUTH_RECHECK_GAP.checked_sub(t.elapsed())) {
            tokio::time::sleep(gap).await;
        }
        self.refresh_locked().await
    }

    async fn refresh_locked(&self) -> Result<bool, Error> {
        let result = self.look().await;
        if let Ok(mut stale) = self.inner.stale.lock() {
            *stale = result.as_ref().err().map(ToString::to_string);
        }
        result
    }

    /// Why the caches could not be refreshed the last time, if they could not: the node serves
    /// what it loaded before, and is not ready.
    #[must_use]
    pub fn stale(&self) -> Option<String> {
        self.inner.stale.lock().ok().and_then(|s| s.clone())
    }

    async fn look(&self) -> Result<bool, Error> {
        if let Ok(mut t) = self.inner.last_check.lock() {
            *t = Some(std::time::Instant::now());
        }
        self.inner.metrics.generation_check();
        let g = self.inner.store.generation().await?;
        if g == self.inner.generation.load(Ordering::Acquire) {
            return Ok(false);
        }
        self.reload().await?;
        Ok(true)
    }

    /// Records in the store the latest `exp` this node signed with the current key, when it
    /// passed what the store holds (at most once a minute per node): a retired key stays
    /// published until its last token expires, whichever node signed it.
    ///
    /// # Errors
    /// [`Error`] from the store.
    pub async fn record_signed(&self) -> Result<(), Error> {
        let ring = self.keys();
        self.record_ring(&ring, false).await
    }

    /// [`AppState::record_signed`], with the counts of signed tokens whatever their age (the
    /// node stops).
    ///
    /// # Errors
    /// [`Error`] from the store.
    pub async fn record_all_signed(&self) -> Result<(), Error> {
        let ring = self.keys();
        self.record_ring(&ring, true).await
    }

    /// Records what the ring's key signed: its latest `exp` (when it moved past what the store
    /// holds: about once a minute), and then, or with `all`, the counts by expiry minute.
    async fn record_ring(&self, ring: &KeyRing, all: bool) -> Result<(), Error> {
        let due = ring.unrecorded();
        if let Some((kid, until)) = due {
            self.inner
                .store
                .key_signed_until(kid, until, self.policy().margin)
                .await?;
            ring.recorded(until);
        }
        if (due.is_some() || all)
            && let Some((kid, counts)) = ring.take_counts()
            && !counts.is_empty()
        {
            self.inner.store.add_signed_counts(kid, &counts).await?;
        }
        Ok(())
    }

    async fn reload(&self) -> Result<(), Error> {
        let g = self.inner.store.generation().await?;
        // A master key rotation (`tessera rekey`) moves the generation: this node's key no
        // longer opens what the store holds. It keeps serving what it has, unready.
        crate::keys::still_bound(self.store(), &self.inner.secrets).await?;
        let clients = self.inner.store.clients().await?;
        let keys = self.inner.store.keys().await?;
        let ring = KeyRing::build(
            &keys,
            &self.inner.secrets,
            &self.inner.config.issuer,
            &self.inner.clock,
        )?;
        let origins: std::collections::HashSet<String> = clients
            .iter()
            .filter(|c| c.enabled)
            .flat_map(|c| c.web_origins.iter().cloned())
            .collect();
        let map: HashMap<String, Arc<Client>> = clients
            .into_iter()
            .map(|c| (c.id.clone(), Arc::new(c)))
            .collect();
        if let Ok(mut w) = self.inner.clients.write() {
            *w = Arc::new(map);
        }
        if let Ok(mut w) = self.inner.web_origins.write() {
            *w = Arc::new(origins);
        }
        let old = self.keys();
        if let Ok(mut w) = self.inner.keys.write() {
            *w = Arc::new(ring);
        }
        // What the replaced ring signed and did not record yet (its key may just have retired).
        self.record_ring(&old, true).await?;
        self.inner.generation.store(g, Ordering::Release);
        Ok(())
    }

    /// One key life-cycle tick under the rotation lease, then a refresh.
    ///
    /// # Errors
    /// [`Error`] from the store.
    pub async fn rotate_tick(&self) -> Result<Vec<Event>, Error> {
        let events = crate::keys::tick(
            self.store(),
            self.secrets(),
            &self.policy(),
            self.now(),
            self.node(),
        )
        .await?;
        for e in &events {
            tracing::info!(event = %e.kind, detail = %e.detail, "key life cycle");
        }
        self.refresh().await?;
        Ok(events)
    }
}

/// The longest a failed authentication waits for the store check in progress.
pub const AUTH_RECHECK_WAIT: std::time::Duration = std::time::Duration::from_millis(250);

/// The shortest time between two looks at the store for failed authentications.
pub const AUTH_RECHECK_GAP: std::time::Duration = std::time::Duration::from_millis(50);

fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}
