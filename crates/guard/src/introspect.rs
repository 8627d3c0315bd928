//! Introspection (RFC 7662) in the guard, for routes that must see a revocation at once: after
//! the token verified locally, the issuer is asked whether it is still active, with the
//! guard's own client credentials. Answers are cached by an HMAC of the token under a random
//! key: an active one for [`IntrospectionOptions::cache_for`] at most and never past the
//! token's `exp`; an inactive one is remembered as inactive (a token never becomes active
//! again), never as active. Without an answer the token is refused (503) unless
//! [`IntrospectionOptions::fail_open`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::GuardError;
use crate::jwks::{CacheOptions, check_url, client, described, http_status, read_limited};

/// How introspection answers are cached and what happens without one.
#[derive(Debug, Clone)]
pub struct IntrospectionOptions {
    /// How long an active answer is used (default 5 s; never past the token's `exp`).
    pub cache_for: Duration,
    /// The most answers kept (default 100,000); when full, the cache starts over.
    pub max_entries: usize,
    /// Request timeout (default 5 s).
    pub timeout: Duration,
    /// Accept a token when the issuer cannot answer (default off: 503).
    pub fail_open: bool,
    /// CA certificates (PEM) trusted besides the built-in roots.
    pub ca_pem: Vec<u8>,
}

impl Default for IntrospectionOptions {
    fn default() -> Self {
        Self {
            cache_for: Duration::from_secs(5),
            max_entries: 100_000,
            timeout: Duration::from_secs(5),
            fail_open: false,
            ca_pem: Vec::new(),
        }
    }
}

/// An introspection client with its cache. `Clone + Send + Sync`; its `Debug` shows no secret.
#[derive(Clone)]
pub struct Introspection {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Introspection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Introspection")
            .field("endpoint", &self.inner.endpoint)
            .finish_non_exhaustive()
    }
}

struct Inner {
    endpoint: String,
    http: reqwest::Client,
    /// `Basic …` of the guard's client (RFC 6749 §2.3.1: each part form-encoded).
    authorization: String,
    options: IntrospectionOptions,
    key: [u8; 32],
    cache: Mutex<HashMap<[u8; 32], (bool, Instant)>>,
    calls: AtomicU64,
}

fn form(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Introspection {
    /// Introspects at `endpoint` as the client `client_id` with `client_secret`.
    ///
    /// # Errors
    /// [`GuardError::Url`] for an endpoint that is not https (or http on loopback), or when no
    /// random cache key can be had.
    pub fn new(
        endpoint: &str,
        client_id: &str,
        client_secret: &str,
        options: IntrospectionOptions,
    ) -> Result<Self, GuardError> {
        let url = check_url(endpoint)?;
        let http = client(
            &url,
            &CacheOptions {
                timeout: options.timeout,
                ca_pem: options.ca_pem.clone(),
                ..CacheOptions::default()
            },
        )?;
        let key: [u8; 32] = tessera_jose::secret::random(32)
            .ok()
            .and_then(|k| k.try_into().ok())
            .ok_or(GuardError::Url("no random key for the introspection cache"))?;
        use base64::Engine as _;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            form(client_id),
            form(client_secret)
        ));
        Ok(Self {
            inner: Arc::new(Inner {
                endpoint: url.to_string(),
                http,
                authorization: format!("Basic {basic}"),
                options,
                key,
                cache: Mutex::new(HashMap::new()),
                calls: AtomicU64::new(0),
            }),
        })
    }

    /// Finds the `introspection_endpoint` in the issuer's metadata (RFC 8414, then OpenID
    /// Discovery), whose `issuer` must be `issuer`.
    ///
    /// # Errors
    /// [`GuardError::Metadata`] when it cannot be found; as [`Introspection::new`].
    pub async fn discover(
        issuer: &str,
        client_id: &str,
        client_secret: &str,
        options: IntrospectionOptions,
    ) -> Result<Self, GuardError> {
        let meta = crate::jwks::metadata(
            issuer,
            &CacheOptions {
                timeout: options.timeout,
                ca_pem: options.ca_pem.clone(),
                ..CacheOptions::default()
            },
        )
        .await?;
        let endpoint = meta
            .get("introspection_endpoint")
            .and_then(|v| v.as_str())
            .ok_or_else(|| {
                GuardError::Metadata("the issuer's metadata has no introspection_endpoint".into())
            })?;
        Self::new(endpoint, client_id, client_secret, options)
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &IntrospectionOptions {
        &self.inner.options
    }

    /// How many times the issuer was asked.
    #[must_use]
    pub fn calls(&self) -> u64 {
        self.inner.calls.load(Ordering::Relaxed)
    }

    /// Whether the issuer says `token` (which expires at `exp`, Unix seconds) is active, from
    /// the cache when it may be.
    ///
    /// # Errors
    /// [`GuardError::Introspection`] when the issuer does not answer usably.
    pub async fn active(&self, token: &str, exp: Option<i64>) -> Result<bool, GuardError> {
        let id = tessera_jose::secret::hmac_sha256(&self.inner.key, token.as_bytes());
        let now = Instant::now();
        if let Ok(cache) = self.inner.cache.lock()
            && let Some((active, until)) = cache.get(&id)
            && now < *until
        {
            return Ok(*active);
        }
        let active = self.ask(token).await?;
        let o = &self.inner.options;
        let mut keep = o.cache_for;
        if active && let Some(exp) = exp {
            let left = exp.saturating_sub(tessera_jose::jwt::Clock::now(
                &tessera_jose::jwt::SystemClock,
            ));
            keep = keep.min(Duration::from_secs(u64::try_from(left).unwrap_or(0)));
        }
        if !keep.is_zero()
            && let Ok(mut cache) = self.inner.cache.lock()
        {
            if cache.len() >= o.max_entries {
                cache.clear();
            }
            cache.insert(id, (active, now + keep));
        }
        Ok(active)
    }

    async fn ask(&self, token: &str) -> Result<bool, GuardError> {
        self.inner.calls.fetch_add(1, Ordering::Relaxed);
        let url = &self.inner.endpoint;
        let resp = self
            .inner
            .http
            .post(url)
            .header(reqwest::header::AUTHORIZATION, &self.inner.authorization)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(format!(
                "token={}&token_type_hint=access_token",
                form(token)
            ))
            .send()
            .await
            .map_err(|e| GuardError::Introspection(described(&e, url)))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(GuardError::Introspection(format!(
                "{url} answered {}",
                http_status(status)
            )));
        }
        let body = read_limited(resp, 64 * 1024).await?;
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| GuardError::Introspection(format!("{url} did not answer JSON")))?;
        v.get("active")
            .and_then(serde_json::Value::as_bool)
            .ok_or_else(|| {
                GuardError::Introspection(format!("{url} answered without a boolean `active`"))
            })
    }
}
