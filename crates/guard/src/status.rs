//! Token Status Lists (draft-ietf-oauth-status-list) in the guard: the list a token's `status`
//! claim names is fetched, verified with the issuer's keys (`typ: statuslist+jwt`, `sub` the
//! list's URI) and cached by the same rules as the JWK Set: the token's `ttl` (or
//! `Cache-Control: max-age`) clamped to bounds, a refresh in the background ahead of expiry,
//! one fetch per list at a time however many requests need it, a failed fetch not retried
//! before a back-off, and the stale list used while the issuer cannot be reached for a bounded
//! time, never past the list token's own `exp`. Lists are fetched only from URIs under the
//! issuer's (a token cannot send the guard elsewhere). Without a list in time the token is
//! refused (fail closed) unless [`StatusOptions::fail_open`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use tessera_jose::status::{Status, StatusRef, VerifiedList};

use crate::error::GuardError;
use crate::jwks::{
    CacheOptions, Failing, RemoteVerifier, check_url, client, content_type, described,
};

/// How status lists are cached and what happens without one.
#[derive(Debug, Clone)]
pub struct StatusOptions {
    /// Shortest caching time, whatever the list says (default 1 s).
    pub min_ttl: Duration,
    /// Longest caching time (default 1 h).
    pub max_ttl: Duration,
    /// Caching time of a list that gives none (default 60 s).
    pub default_ttl: Duration,
    /// Refresh in the background when less than this share of the TTL remains (default 0.2).
    pub refresh_ahead: f64,
    /// How long an expired list is still used while the issuer cannot be reached (default
    /// 5 min; never past the list token's `exp`).
    pub stale_if_error: Duration,
    /// After a failed fetch, none is tried for this long, doubled at each further failure
    /// (default 500 ms), up to `max_error_backoff` (default 30 s).
    pub error_backoff: Duration,
    /// The longest back-off.
    pub max_error_backoff: Duration,
    /// Largest status list token (default 4 MiB) and largest list once decompressed (default
    /// 16 MiB).
    pub max_token_bytes: usize,
    /// See `max_token_bytes`.
    pub max_list_bytes: usize,
    /// Request timeout (default 5 s).
    pub timeout: Duration,
    /// Accept tokens whose list cannot be had (default off: they are refused with 503).
    pub fail_open: bool,
    /// Accept tokens without a `status` claim (default off: a token of an issuer that
    /// publishes lists always has one).
    pub allow_missing: bool,
    /// The most lists kept (default 1024); past it, the least recently used goes.
    pub max_lists: usize,
}

impl Default for StatusOptions {
    fn default() -> Self {
        Self {
            min_ttl: Duration::from_secs(1),
            max_ttl: Duration::from_secs(3600),
            default_ttl: Duration::from_secs(60),
            refresh_ahead: 0.2,
            stale_if_error: Duration::from_secs(300),
            error_backoff: Duration::from_millis(500),
            max_error_backoff: Duration::from_secs(30),
            max_token_bytes: 4 * 1024 * 1024,
            max_list_bytes: 16 * 1024 * 1024,
            timeout: Duration::from_secs(5),
            fail_open: false,
            allow_missing: false,
            max_lists: 1024,
        }
    }
}

/// The status lists of one issuer. `Clone + Send + Sync`, cheap to share.
#[derive(Clone)]
pub struct StatusLists {
    inner: Arc<Inner>,
}

struct Inner {
    keys: RemoteVerifier,
    http: reqwest::Client,
    prefix: String,
    options: StatusOptions,
    lists: Mutex<HashMap<String, Arc<Entry>>>,
    fetches: AtomicU64,
}

#[derive(Default)]
struct Entry {
    current: ArcSwapOption<Snapshot>,
    fetching: tokio::sync::Mutex<()>,
    refreshing: AtomicBool,
    failing: Mutex<Failing>,
    used: Mutex<Option<Instant>>,
}

struct Snapshot {
    list: VerifiedList,
    ttl: Duration,
    expires: Instant,
    stale_until: Instant,
}

/// What a list said about a token, or why it could not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// The token's status (valid or not).
    Status(Status),
    /// The token has no `status` claim.
    Missing,
}

impl StatusLists {
    /// The status lists of `issuer`, verified with the keys of `keys` (build it with
    /// [`RemoteVerifier::status_lists`]); only URIs under `issuer` are fetched.
    ///
    /// # Errors
    /// [`GuardError::Url`] for an issuer that is not https (or http on loopback).
    pub fn new(
        issuer: &str,
        keys: RemoteVerifier,
        options: StatusOptions,
    ) -> Result<Self, GuardError> {
        let base = check_url(issuer)?;
        let http = client(
            &base,
            &CacheOptions {
                timeout: options.timeout,
                ..CacheOptions::default()
            },
        )?;
        Ok(Self {
            inner: Arc::new(Inner {
                keys,
                http,
                prefix: format!("{}/", issuer.trim_end_matches('/')),
                options,
                lists: Mutex::new(HashMap::new()),
                fetches: AtomicU64::new(0),
            }),
        })
    }

    /// Discovers the issuer's keys and follows its lists with `options` (the keys cached by
    /// `cache`).
    ///
    /// # Errors
    /// As [`RemoteVerifier::status_lists`] and [`StatusLists::new`].
    pub async fn discover(
        issuer: &str,
        cache: CacheOptions,
        options: StatusOptions,
    ) -> Result<Self, GuardError> {
        let keys = RemoteVerifier::status_lists(issuer, cache).await?;
        Self::new(issuer, keys, options)
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &StatusOptions {
        &self.inner.options
    }

    /// How many times a list was fetched.
    #[must_use]
    pub fn fetches(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    /// The status of a verified token from its claims.
    ///
    /// # Errors
    /// [`GuardError::Status`] for a malformed claim, a URI not under the issuer, an index
    /// past the list's end; [`GuardError::Fetch`] and the like when no list can be had.
    pub async fn check(&self, claims: &serde_json::Value) -> Result<Checked, GuardError> {
        let Some(r) = StatusRef::from_claims(claims)
            .map_err(|_| GuardError::Status("the token's status claim is malformed".into()))?
        else {
            return Ok(Checked::Missing);
        };
        self.status(&r).await.map(Checked::Status)
    }

    /// The status of the token at `r`.
    ///
    /// # Errors
    /// As [`StatusLists::check`].
    pub async fn status(&self, r: &StatusRef) -> Result<Status, GuardError> {
        if !r.uri.starts_with(&self.inner.prefix) || r.uri.contains(['#', '?']) {
            return Err(GuardError::Status(format!(
                "the token's status list `{}` is not under the issuer",
                tessera_jose::error::escaped(&r.uri)
            )));
        }
        let snap = self.snapshot(&r.uri).await?;
        snap.list
            .status(r.idx)
            .map_err(|_| GuardError::Status("the token's index is past its list's end".into()))
    }

    fn entry(&self, uri: &str) -> Arc<Entry> {
        let Ok(mut lists) = self.inner.lists.lock() else {
            return Arc::new(Entry::default());
        };
        if let Some(e) = lists.get(uri) {
            return Arc::clone(e);
        }
        if lists.len() >= self.inner.options.max_lists {
            // The least recently used goes.
            let oldest = lists
                .iter()
                .min_by_key(|(_, e)| e.used.lock().ok().and_then(|u| *u))
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                lists.remove(&k);
            }
        }
        let e = Arc::new(Entry::default());
        lists.insert(uri.to_owned(), Arc::clone(&e));
        e
    }

    async fn snapshot(&self, uri: &str) -> Result<Arc<Snapshot>, GuardError> {
        let entry = self.entry(uri);
        let now = Instant::now();
        if let Ok(mut u) = entry.used.lock() {
            *u = Some(now);
        }
        if let Some(s) = entry.current.load_full()
            && now < s.expires
        {
            let left = s.expires.saturating_duration_since(now);
            if left.as_secs_f64() < s.ttl.as_secs_f64() * self.inner.options.refresh_ahead
                && !entry.refreshing.swap(true, Ordering::AcqRel)
            {
                let (me, e, u) = (self.clone(), Arc::clone(&entry), uri.to_owned());
                tokio::spawn(async move {
                    if let Err(err) = me.fetch(&e, &u, true).await {
                        tracing::warn!(error = %err, "background status list refresh failed");
                    }
                    e.refreshing.store(false, Ordering::Release);
                });
            }
            return Ok(s);
        }
        match self.fetch(&entry, uri, false).await {
            Ok(()) => {}
            Err(e) => {
                if let Some(s) = entry.current.load_full()
                    && now < s.stale_until
                {
                    tracing::warn!(error = %e, "status list refresh failed; using the stale list");
                    return Ok(s);
                }
                return Err(e);
            }
        }
        entry
            .current
            .load_full()
            .ok_or_else(|| GuardError::Status("no status list".into()))
    }

    async fn fetch(&self, entry: &Entry, uri: &str, force: bool) -> Result<(), GuardError> {
        let _one = entry.fetching.lock().await;
        if !force
            && entry
                .current
                .load_full()
                .is_some_and(|s| Instant::now() < s.expires)
        {
            return Ok(());
        }
        if let Some(e) = entry.failing.lock().ok().and_then(|f| f.backing_off()) {
            return Err(e);
        }
        let result = self.fetch_now(entry, uri).await;
        if let Ok(mut f) = entry.failing.lock() {
            let o = &self.inner.options;
            f.record(&result, o.error_backoff, o.max_error_backoff);
        }
        result
    }

    async fn fetch_now(&self, entry: &Entry, uri: &str) -> Result<(), GuardError> {
        let o = &self.inner.options;
        self.inner.fetches.fetch_add(1, Ordering::Relaxed);
        let resp = self
            .inner
            .http
            .get(uri)
            .header(reqwest::header::ACCEPT, tessera_jose::status::MEDIA_TYPE)
            .send()
            .await
            .map_err(|e| GuardError::Fetch(described(&e, uri)))?;
        if !resp.status().is_success() {
            return Err(GuardError::Fetch(format!(
                "{uri} answered {}",
                crate::jwks::http_status(resp.status())
            )));
        }
        let max_age = crate::jwks::max_age(&resp);
        let kind = content_type(&resp);
        let body = crate::jwks::read_limited(resp, o.max_token_bytes).await?;
        let text = std::str::from_utf8(&body)
            .map_err(|_| GuardError::Fetch(format!("{uri} is not a status list token ({kind})")))?
            .trim();
        let max_list = o.max_list_bytes;
        let list = self
            .inner
            .keys
            .verify_with(text, |v, t| {
                tessera_jose::status::verify_list(v, t, uri, max_list)
            })
            .await
            // A list that does not verify is the issuer's problem, not the token's: like a list
            // that cannot be fetched (the stale one within its bound, then 503 or fail-open).
            .map_err(|e| match e {
                GuardError::Token(e) => GuardError::Fetch(format!(
                    "the status list token from {uri} is not valid: {e}"
                )),
                other => other,
            })?;
        // Its ttl, else the response's max-age, else the default; clamped.
        let ttl = list
            .times
            .ttl
            .map(Duration::from_secs)
            .or(max_age)
            .unwrap_or(o.default_ttl)
            .clamp(o.min_ttl, o.max_ttl);
        let now = Instant::now();
        // Never used past the token's own exp.
        let exp_left = list.times.exp.map(|exp| {
            let secs = exp.saturating_sub(tessera_jose::jwt::Clock::now(
                &tessera_jose::jwt::SystemClock,
            ));
            Duration::from_secs(u64::try_from(secs).unwrap_or(0))
        });
        let cap = |d: Duration| exp_left.map_or(d, |e| d.min(e));
        entry.current.store(Some(Arc::new(Snapshot {
            list,
            ttl,
            expires: now + cap(ttl),
            stale_until: now + cap(ttl + o.stale_if_error),
        })));
        Ok(())
    }
}
