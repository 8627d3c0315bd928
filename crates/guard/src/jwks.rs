//! A JWK Set fetched from the issuer and cached as the best verifiers do it: the TTL comes
//! from `Cache-Control: max-age` clamped to bounds; `ETag` revalidation; a refresh ahead of
//! expiry in the background; one fetch at a time however many requests miss together; an
//! unknown `kid` triggers at most one refetch per cooldown; stale keys are served for a bounded
//! time while the issuer is unreachable, and a failed fetch is not retried before an
//! exponential back-off has passed (requests meanwhile get the stale keys, or the last error,
//! without waiting on the network); responses are limited in size and time; https only
//! (plain http for loopback addresses alone); redirects only within the same origin. The set
//! from the network passes the same coherence rules as a local one, because the verifier is
//! built from it by [`tessera_jose::jwt::Verifier`]'s builder.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use serde::de::DeserializeOwned;
use tessera_jose::jwt::{Verified, Verifier};
use tessera_jose::{Error, JwkSet};

use crate::error::GuardError;

/// How the cache behaves.
#[derive(Debug, Clone)]
pub struct CacheOptions {
    /// Shortest TTL, whatever `max-age` says (default 30 s).
    pub min_ttl: Duration,
    /// Longest TTL (default 1 day).
    pub max_ttl: Duration,
    /// TTL when the response has no `max-age` (default 5 min).
    pub default_ttl: Duration,
    /// Refresh in the background when less than this remains (default 20 % of the TTL).
    pub refresh_ahead: f64,
    /// At most one refetch for unknown `kid`s per this long (default 30 s).
    pub unknown_kid_cooldown: Duration,
    /// How long expired keys are still used while the issuer is unreachable (default 1 h).
    pub stale_if_error: Duration,
    /// Largest response body (default 512 KiB).
    pub max_bytes: usize,
    /// Request timeout (default 5 s).
    pub timeout: Duration,
    /// After a failed fetch, no other is tried for this long, doubled at each further
    /// failure (default 1 s).
    pub error_backoff: Duration,
    /// The longest back-off (default 1 min).
    pub max_error_backoff: Duration,
    /// CA certificates (PEM) trusted besides the built-in web PKI roots, for an issuer whose
    /// certificate a private CA issued (empty by default). The files named by the standard
    /// `SSL_CERT_FILE` and `SSL_CERT_DIR` variables are trusted too, as OpenSSL reads them.
    pub ca_pem: Vec<u8>,
}

impl Default for CacheOptions {
    fn default() -> Self {
        Self {
            min_ttl: Duration::from_secs(30),
            max_ttl: Duration::from_secs(86_400),
            default_ttl: Duration::from_secs(300),
            refresh_ahead: 0.2,
            unknown_kid_cooldown: Duration::from_secs(30),
            stale_if_error: Duration::from_secs(3600),
            max_bytes: 512 * 1024,
            timeout: Duration::from_secs(5),
            error_backoff: Duration::from_secs(1),
            max_error_backoff: Duration::from_secs(60),
            ca_pem: Vec::new(),
        }
    }
}

/// Builds the verifier from a fetched key set (issuer, audience, algorithms, `typ` ...).
pub type BuildVerifier = dyn Fn(JwkSet) -> Result<Verifier, Error> + Send + Sync;

/// A verifier over a remote JWK Set. `Clone + Send + Sync` and cheap to share; verification
/// itself is synchronous CPU work on a snapshot read without a lock.
#[derive(Clone)]
pub struct RemoteVerifier {
    inner: Arc<Inner>,
}

struct Snapshot {
    verifier: Arc<Verifier>,
    kids: Vec<String>,
    etag: Option<String>,
    ttl: Duration,
    expires: Instant,
    stale_until: Instant,
}

struct Inner {
    url: String,
    http: reqwest::Client,
    options: CacheOptions,
    build: Box<BuildVerifier>,
    current: ArcSwapOption<Snapshot>,
    fetching: tokio::sync::Mutex<()>,
    refreshing: AtomicBool,
    last_unknown_refetch: std::sync::Mutex<Option<Instant>>,
    fetches: AtomicU64,
    failing: std::sync::Mutex<Failing>,
}

/// The negative cache: consecutive failures, when the next fetch may be tried, and why the last
/// one failed. Shared by the key set and the status lists.
#[derive(Default)]
pub(crate) struct Failing {
    count: u32,
    until: Option<Instant>,
    last: String,
}

impl Failing {
    /// The last error, while its back-off runs (no fetch is tried then).
    pub(crate) fn backing_off(&self) -> Option<GuardError> {
        let left = self.until?.saturating_duration_since(Instant::now());
        (!left.is_zero()).then(|| {
            GuardError::Fetch(format!(
                "{} (not retried for another {} ms)",
                self.last,
                left.as_millis()
            ))
        })
    }

    /// Records a fetch's outcome: a success clears it; a failure waits `base` doubled per
    /// failure in a row, at most `max`.
    pub(crate) fn record<T>(
        &mut self,
        result: &Result<T, GuardError>,
        base: Duration,
        max: Duration,
    ) {
        match result {
            Ok(_) => *self = Self::default(),
            Err(e) => {
                let wait = base.saturating_mul(1 << self.count.min(16)).min(max);
                self.count = self.count.saturating_add(1);
                self.until = Some(Instant::now() + wait);
                self.last = e.to_string();
            }
        }
    }
}

impl RemoteVerifier {
    /// A verifier of keys at `jwks_uri`.
    ///
    /// # Errors
    /// [`GuardError::Url`] for a URI that is not https (or http on a loopback address).
    pub fn new(
        jwks_uri: &str,
        options: CacheOptions,
        build: impl Fn(JwkSet) -> Result<Verifier, Error> + Send + Sync + 'static,
    ) -> Result<Self, GuardError> {
        let url = check_url(jwks_uri)?;
        let http = client(&url, &options)?;
        Ok(Self {
            inner: Arc::new(Inner {
                url: url.to_string(),
                http,
                options,
                build: Box::new(build),
                current: ArcSwapOption::empty(),
                fetching: tokio::sync::Mutex::new(()),
                refreshing: AtomicBool::new(false),
                last_unknown_refetch: std::sync::Mutex::new(None),
                fetches: AtomicU64::new(0),
                failing: std::sync::Mutex::new(Failing::default()),
            }),
        })
    }

    /// Finds the `jwks_uri` of an issuer through its metadata (RFC 8414
    /// `/.well-known/oauth-authorization-server`, then OpenID
    /// `/.well-known/openid-configuration`), whose `issuer` must equal `issuer` exactly.
    ///
    /// # Errors
    /// [`GuardError`] when no metadata is found, the issuer differs, or a URI is not allowed.
    pub async fn discover(
        issuer: &str,
        options: CacheOptions,
        build: impl Fn(JwkSet) -> Result<Verifier, Error> + Send + Sync + 'static,
    ) -> Result<Self, GuardError> {
        let meta = metadata(issuer, &options).await?;
        let jwks = meta
            .get("jwks_uri")
            .and_then(|v| v.as_str())
            .ok_or_else(|| GuardError::Metadata("the issuer's metadata has no jwks_uri".into()))?;
        Self::new(jwks, options, build)
    }

    /// The usual case: RFC 9068 access tokens of `issuer` for `audience`, keys discovered from
    /// the issuer, algorithms from the keys (never from the token), `typ: at+jwt` required.
    ///
    /// # Errors
    /// As [`RemoteVerifier::discover`].
    pub async fn access_tokens(
        issuer: &str,
        audience: &str,
        options: CacheOptions,
    ) -> Result<Self, GuardError> {
        let (iss, aud) = (issuer.to_owned(), audience.to_owned());
        Self::discover(issuer, options, move |set| {
            Verifier::builder(set)
                .algorithms_from_keys()
                .issuer(iss.clone())
                .audience(aud.clone())
                .typ("at+jwt")
                .build()
        })
        .await
    }

    /// Status list tokens (`typ: statuslist+jwt`) of `issuer`, keys discovered from the
    /// issuer, algorithms from the keys; for [`crate::StatusLists`].
    ///
    /// # Errors
    /// As [`RemoteVerifier::discover`].
    pub async fn status_lists(issuer: &str, options: CacheOptions) -> Result<Self, GuardError> {
        let iss = issuer.to_owned();
        Self::discover(issuer, options, move |set| {
            Verifier::builder(set)
                .algorithms_from_keys()
                .issuer(iss.clone())
                .skip_audience_check()
                .typ(tessera_jose::status::TYP)
                .build()
        })
        .await
    }

    /// How many times the key set was fetched (including revalidations).
    #[must_use]
    pub fn fetches(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    /// Verifies a token, fetching keys when the cache is empty, expired, or lacks the token's
    /// `kid` (at most once per cooldown).
    ///
    /// # Errors
    /// [`GuardError::Token`] for a rejected token, [`GuardError::KeysUnavailable`] when no
    /// usable key set can be had.
    pub async fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<Verified<T>, GuardError> {
        self.verify_with(token, |v, t| v.verify::<T>(t)).await
    }

    /// Verifies a token with `check` over the verifier of the key set in hand, with the same
    /// fetching as [`RemoteVerifier::verify`] (for checks beyond `Verifier::verify`, such as
    /// [`tessera_jose::status::verify_list`]).
    ///
    /// # Errors
    /// As [`RemoteVerifier::verify`].
    pub async fn verify_with<R>(
        &self,
        token: &str,
        check: impl Fn(&Verifier, &str) -> Result<R, Error>,
    ) -> Result<R, GuardError> {
        let snap = self.snapshot().await?;
        match check(&snap.verifier, token) {
            Err(Error::NoMatchingKey) if self.unknown_kid(token, &snap) => {
                if self.take_unknown_kid_slot() {
                    self.fetch(true).await?;
                    let snap = self.snapshot().await?;
                    return check(&snap.verifier, token).map_err(GuardError::Token);
                }
                Err(GuardError::Token(Error::NoMatchingKey))
            }
            other => other.map_err(GuardError::Token),
        }
    }

    /// What a rejected token had beside what the verifier of the key set in hand expected
    /// ([`Verifier::explain`]): for logs, never for a decision. Fetches nothing.
    #[must_use]
    pub fn explain(&self, token: &str, err: &Error) -> Option<String> {
        self.inner.current.load_full()?.verifier.explain(token, err)
    }

    /// A snapshot fit for use: fresh, or refreshed now, or stale within the error window.
    async fn snapshot(&self) -> Result<Arc<Snapshot>, GuardError> {
        let now = Instant::now();
        if let Some(s) = self.inner.current.load_full()
            && now < s.expires
        {
            // Less than the refresh-ahead share of its lifetime left: refresh in the
            // background while this request uses the keys it has.
            let left = s.expires.saturating_duration_since(now);
            if left.as_secs_f64() < s.ttl.as_secs_f64() * self.inner.options.refresh_ahead {
                self.refresh_in_background();
            }
            return Ok(s);
        }
        match self.fetch(false).await {
            Ok(()) => {}
            Err(e) => {
                if let Some(s) = self.inner.current.load_full()
                    && now < s.stale_until
                {
                    tracing::warn!(error = %e, "JWKS refresh failed; using the stale key set");
                    return Ok(s);
                }
                return Err(e);
            }
        }
        self.inner
            .current
            .load_full()
            .ok_or(GuardError::KeysUnavailable("no key set"))
    }

    fn refresh_in_background(&self) {
        if self.inner.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            if let Err(e) = me.fetch(true).await {
                tracing::warn!(error = %e, "background JWKS refresh failed");
            }
            me.inner.refreshing.store(false, Ordering::Release);
        });
    }

    fn unknown_kid(&self, token: &str, snap: &Snapshot) -> bool {
        tessera_jose::dangerous::peek_header_unverified(token)
            .ok()
            .and_then(|h| h.kid_value().map(str::to_owned))
            .is_some_and(|kid| !snap.kids.contains(&kid))
    }

    fn take_unknown_kid_slot(&self) -> bool {
        let Ok(mut last) = self.inner.last_unknown_refetch.lock() else {
            return false;
        };
        let now = Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < self.inner.options.unknown_kid_cooldown) {
            return false;
        }
        *last = Some(now);
        true
    }

    /// Fetches (single flight: a caller that waited for another's fetch uses its result
    /// unless `force`), unless a failure's back-off is running: then the last error, at once.
    async fn fetch(&self, force: bool) -> Result<(), GuardError> {
        let _guard = self.inner.fetching.lock().await;
        let previous = self.inner.current.load_full();
        if !force
            && previous
                .as_ref()
                .is_some_and(|s| Instant::now() < s.expires)
        {
            return Ok(());
        }
        if let Some(e) = self.inner.failing.lock().ok().and_then(|f| f.backing_off()) {
            return Err(e);
        }
        let result = self.fetch_now(previous).await;
        if let Ok(mut f) = self.inner.failing.lock() {
            let o = &self.inner.options;
            f.record(&result, o.error_backoff, o.max_error_backoff);
        }
        result
    }

    async fn fetch_now(&self, previous: Option<Arc<Snapshot>>) -> Result<(), GuardError> {
        self.inner.fetches.fetch_add(1, Ordering::Relaxed);
        let mut req = self.inner.http.get(&self.inner.url);
        if let Some(etag) = previous.as_ref().and_then(|s| s.etag.clone()) {
            req = req.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| GuardError::Fetch(described(&e, &self.inner.url)))?;
        let status = resp.status();
        let ttl = ttl(&resp, &self.inner.options);
        let etag = resp
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let now = Instant::now();
        let snapshot = if status == reqwest::StatusCode::NOT_MODIFIED {
            // Same keys: the snapshot we have lives on.
            let prev =
                previous.ok_or_else(|| GuardError::Fetch("304 without a cached key set".into()))?;
            Snapshot {
                verifier: Arc::clone(&prev.verifier),
                kids: prev.kids.clone(),
                etag: etag.or_else(|| prev.etag.clone()),
                ttl,
                expires: now + ttl,
                stale_until: now + ttl + self.inner.options.stale_if_error,
            }
        } else if status.is_success() {
            let url = &self.inner.url;
            let kind = content_type(&resp);
            let body = read_limited(resp, self.inner.options.max_bytes).await?;
            let not_json = || GuardError::Fetch(format!("{url} is not JSON ({kind})"));
            let text = std::str::from_utf8(&body).map_err(|_| not_json())?;
            let value: serde_json::Value = serde_json::from_str(text).map_err(|_| not_json())?;
            if value.get("keys").is_none()
                && let Some(jwks) = value.get("jwks_uri").and_then(|v| v.as_str())
            {
                return Err(GuardError::Fetch(format!(
                    "{url} is authorization server metadata, not a JWK Set: its keys are at {} (or discover them from the issuer)",
                    tessera_jose::error::escaped(jwks)
                )));
            }
            let set = JwkSet::from_json(text).map_err(GuardError::KeySet)?;
            let kids = set
                .keys()
                .iter()
                .filter_map(|k| k.kid().map(str::to_owned))
                .collect();
            Snapshot {
                verifier: Arc::new((self.inner.build)(set).map_err(GuardError::KeySet)?),
                kids,
                etag,
                ttl,
                expires: now + ttl,
                stale_until: now + ttl + self.inner.options.stale_if_error,
            }
        } else {
            return Err(GuardError::Fetch(format!(
                "{} answered {}",
                self.inner.url,
                http_status(status)
            )));
        };
        self.inner.current.store(Some(Arc::new(snapshot)));
        Ok(())
    }
}

/// The metadata of an issuer (RFC 8414 `/.well-known/oauth-authorization-server`, then OpenID
/// `/.well-known/openid-configuration`), whose `issuer` must equal `issuer` exactly.
pub(crate) async fn metadata(
    issuer: &str,
    options: &CacheOptions,
) -> Result<serde_json::Value, GuardError> {
    let base = check_url(issuer)?;
    let http = client(&base, options)?;
    let trimmed = issuer.trim_end_matches('/');
    let mut answers = Vec::new();
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let url = format!("{trimmed}{path}");
        // Refused, untrusted or silent: the other path would fare no better.
        let resp = http
            .get(&url)
            .send()
            .await
            .map_err(|e| GuardError::Metadata(described(&e, &url)))?;
        if !resp.status().is_success() {
            answers.push(format!("{url} answered {}", http_status(resp.status())));
            continue;
        }
        let kind = content_type(&resp);
        let body = read_limited(resp, options.max_bytes).await?;
        let meta: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| GuardError::Metadata(format!("{url} is not JSON ({kind})")))?;
        let found = meta.get("issuer").and_then(|v| v.as_str());
        if found != Some(issuer) {
            return Err(GuardError::Metadata(format!(
                "the metadata at {url} names the issuer `{}`, not `{}` (they must be equal, RFC 8414 §3.3)",
                tessera_jose::error::escaped(found.unwrap_or_default()),
                tessera_jose::error::escaped(issuer)
            )));
        }
        return Ok(meta);
    }
    Err(GuardError::Metadata(format!(
        "no authorization server metadata at the issuer: {}",
        answers.join("; ")
    )))
}

/// The TTL of a response: `max-age` clamped to the bounds, or the default.
fn ttl(resp: &reqwest::Response, o: &CacheOptions) -> Duration {
    max_age(resp)
        .unwrap_or(o.default_ttl)
        .clamp(o.min_ttl, o.max_ttl)
}

/// `Cache-Control: max-age` of a response.
pub(crate) fn max_age(resp: &reqwest::Response) -> Option<Duration> {
    resp.headers()
        .get_all(reqwest::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|d| {
            d.trim()
                .strip_prefix("max-age=")
                .and_then(|n| n.trim().parse::<u64>().ok())
        })
        .map(Duration::from_secs)
}

/// Reads a body up to `max` bytes.
pub(crate) async fn read_limited(
    mut resp: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, GuardError> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(GuardError::Fetch(format!(
            "the response is larger than {max} bytes"
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| GuardError::Fetch(e.without_url().to_string()))?
    {
        if body.len() + chunk.len() > max {
            return Err(GuardError::Fetch(format!(
                "the response is larger than {max} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// https, or http on a loopback address (development and tests).
pub(crate) fn check_url(text: &str) -> Result<reqwest::Url, GuardError> {
    let url = reqwest::Url::parse(text).map_err(|_| GuardError::Url("not a URL"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(GuardError::Url(
            "plain http is accepted for loopback addresses only",
        )),
        _ => Err(GuardError::Url("not an https URL")),
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `HTTP 404 Not Found`.
pub(crate) fn http_status(status: reqwest::StatusCode) -> String {
    format!(
        "HTTP {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or_default()
    )
}

/// The response's media type, for a body that is not what was expected.
pub(crate) fn content_type(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map_or_else(
            || "no Content-Type".to_owned(),
            |t| format!("Content-Type {}", tessera_jose::error::escaped(t)),
        )
}

/// Why a request failed, in words that tell the causes apart: refused, unknown host, a
/// certificate not trusted or not valid, no answer in time.
pub(crate) fn described(e: &reqwest::Error, url: &str) -> String {
    let place = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .unwrap_or_else(|| url.to_owned());
    if e.is_timeout() {
        return format!("{place} did not answer in time");
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(tls) = s.downcast_ref::<rustls::Error>() {
            return tls_failure(tls, &place);
        }
        // rustls's errors reach hyper inside io::Errors (nested), whose source() skips the
        // error they wrap: follow get_ref() instead.
        let mut io = s.downcast_ref::<std::io::Error>();
        while let Some(e) = io {
            if e.kind() == std::io::ErrorKind::ConnectionRefused {
                return format!("connection refused by {place} (is the service running there?)");
            }
            let inner = e.get_ref().map(|i| i as &(dyn std::error::Error + 'static));
            if let Some(tls) = inner.and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return tls_failure(tls, &place);
            }
            io = inner.and_then(|i| i.downcast_ref::<std::io::Error>());
        }
        if s.to_string().contains("dns error") {
            return format!("cannot resolve the host of {place}");
        }
        source = s.source();
    }
    if e.is_connect() {
        return format!("cannot connect to {place}");
    }
    e.to_string()
}

fn tls_failure(e: &rustls::Error, place: &str) -> String {
    use rustls::{CertificateError, Error};
    match e {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
            "the certificate of {place} is not trusted: a CA this client does not know issued it (trust a private CA with --ca-file, SSL_CERT_FILE or SSL_CERT_DIR; in code, CacheOptions::ca_pem)"
        ),
        Error::InvalidCertificate(c) => {
            format!("the certificate of {place} is not valid: {c:?}")
        }
        other => format!("the TLS handshake with {place} failed: {other}"),
    }
}

/// The CA certificates trusted besides the built-in roots: [`CacheOptions::ca_pem`], then
/// the files of `SSL_CERT_FILE` and `SSL_CERT_DIR` (a list separated by `:`).
fn extra_roots(o: &CacheOptions) -> Result<Vec<reqwest::Certificate>, GuardError> {
    let mut roots = Vec::new();
    let mut add = |what: &str, pem: &[u8], required: bool| -> Result<(), GuardError> {
        let certs = reqwest::Certificate::from_pem_bundle(pem).unwrap_or_default();
        if certs.is_empty() && required {
            return Err(GuardError::Ca(format!("{what} holds no PEM certificate")));
        }
        roots.extend(certs);
        Ok(())
    };
    if !o.ca_pem.is_empty() {
        add("the configured CA certificates", &o.ca_pem, true)?;
    }
    if let Some(file) = std::env::var_os("SSL_CERT_FILE").filter(|f| !f.is_empty()) {
        let shown = file.to_string_lossy().into_owned();
        let pem = std::fs::read(&file)
            .map_err(|e| GuardError::Ca(format!("SSL_CERT_FILE {shown}: {e}")))?;
        add(&format!("SSL_CERT_FILE {shown}"), &pem, true)?;
    }
    if let Some(dirs) = std::env::var_os("SSL_CERT_DIR").filter(|d| !d.is_empty()) {
        for dir in std::env::split_paths(&dirs) {
            let shown = dir.display().to_string();
            let entries = std::fs::read_dir(&dir)
                .map_err(|e| GuardError::Ca(format!("SSL_CERT_DIR {shown}: {e}")))?;
            for entry in entries.flatten() {
                let path = entry.path();
                // Other files (a README, a CRL) are skipped, as OpenSSL does.
                if path.is_file()
                    && let Ok(pem) = std::fs::read(&path)
                {
                    add(&path.display().to_string(), &pem, false)?;
                }
            }
        }
    }
    Ok(roots)
}

/// The HTTP client: time-limited, following redirects only within the same origin, trusting
/// the built-in roots and [`extra_roots`].
pub(crate) fn client(
    origin: &reqwest::Url,
    o: &CacheOptions,
) -> Result<reqwest::Client, GuardError> {
    let scheme = origin.scheme().to_owned();
    let host = origin.host_str().map(str::to_owned);
    let port = origin.port_or_known_default();
    let mut builder = reqwest::Client::builder();
    for root in extra_roots(o)? {
        builder = builder.add_root_certificate(root);
    }
    builder
        .timeout(o.timeout)
        .connect_timeout(o.timeout)
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            let u = attempt.url();
            let same = u.scheme() == scheme
                && u.host_str().map(str::to_owned) == host
                && u.port_or_known_default() == port;
            if same && attempt.previous().len() < 5 {
                attempt.follow()
            } else {
                attempt.stop()
            }
        }))
        .build()
        .map_err(|_| GuardError::Url("cannot build the HTTP client"))
}
