//! Running the service: open the store, load or create the keys, bind (HTTP, or HTTPS with
//! rustls on aws-lc-rs), run the background tasks, and stop gracefully.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tessera_jose::jwt::Clock;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;
use crate::error::Error;
use crate::state::AppState;

/// A running service.
pub struct Started {
    /// The state (for tests and the CLI's banner).
    pub state: AppState,
    /// The bound address.
    pub addr: SocketAddr,
    /// The address of the listener of `/metrics`, when it has one (`metrics_listen`).
    pub metrics_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
    metrics_done: Option<tokio::task::JoinHandle<()>>,
}

impl Started {
    /// Stops accepting, lets in-flight requests finish (up to 10 s), and waits.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.done.await;
        if let Some(m) = self.metrics_done {
            let _ = m.await;
        }
        if let Err(e) = self.state.record_all_signed().await {
            tracing::warn!(error = %e, "cannot record what the current key signed");
        }
        // Another node (or this one restarted) may run the key life cycle at once.
        if let Err(e) = self
            .state
            .store()
            .release_lease(crate::keys::ROTATION_LEASE, self.state.node())
            .await
        {
            tracing::warn!(error = %e, "cannot give up the key rotation lease");
        }
    }

    /// Waits until the service stops (after [`Started::shutdown`] from elsewhere, or a signal
    /// when started by [`serve`]).
    pub async fn wait(self) {
        let _ = self.done.await;
    }
}

/// The issuer a store's tokens carry is recorded by the first node that serves it; on
/// PostgreSQL (several nodes) a node with another issuer would reject the others' tokens (and
/// they its), so it is refused. One SQLite store has one node: a new issuer is taken, with a
/// warning that tokens issued before carry the old one.
async fn agree_on_issuer(store: &dyn tessera_store::Store, config: &Config) -> Result<(), Error> {
    let recorded = store.record_fact(ISSUER_FACT, &config.issuer).await?;
    if recorded == config.issuer {
        return Ok(());
    }
    let how = if config.issuer_is_default() {
        " (the default, http:// + the listen address)"
    } else {
        ""
    };
    if config.database_url.is_some() {
        return Err(Error::Invalid(format!(
            "this store's issuer is {recorded} (recorded by the first node that served it) but this node's is {}{how}: nodes of one store must share the issuer, or they reject each other's tokens; set issuer = \"{recorded}\" (--issuer, TESSERA_ISSUER or the config file)",
            config.issuer
        )));
    }
    tracing::warn!(
        before = %recorded,
        now = %config.issuer,
        "the issuer changed{how}: tokens issued before carry the old one and verifiers expecting the new one reject them"
    );
    store.set_fact(ISSUER_FACT, &config.issuer).await?;
    Ok(())
}

/// Every node signs with the store's algorithm: the first node records its own (or ES256); a
/// node configured with another is refused with the command that changes the store's, which
/// takes effect through a rotation. Returns the store's algorithm.
async fn agree_on_signing_alg(
    store: &dyn tessera_store::Store,
    config: &Config,
) -> Result<tessera_jose::JwsAlg, Error> {
    use crate::keys::{DEFAULT_ALG, SIGNING_ALG_FACT, store_alg};
    let store_has = store_alg(store).await?;
    let wanted = config.signing_alg;
    let alg = match (store_has, wanted) {
        (Some(has), Some(wanted)) if has != wanted => {
            return Err(Error::Invalid(format!(
                "signing_alg is {} but this store's keys are {}: every node signs with the store's algorithm. `tessera keys rotate --alg {}` changes it for every node, through a rotation (the new key signs once it has been published for jwks_max_age; --force at once); or leave signing_alg unset",
                wanted.name(),
                has.name(),
                wanted.name()
            )));
        }
        (Some(has), _) => has,
        (None, wanted) => wanted.unwrap_or(DEFAULT_ALG),
    };
    let recorded = store.record_fact(SIGNING_ALG_FACT, alg.name()).await?;
    if recorded != alg.name() {
        // Another node recorded first, in between.
        return Err(Error::Invalid(format!(
            "this store's signing algorithm was just recorded as {recorded} by another node; start again"
        )));
    }
    Ok(alg)
}

/// The fact that holds the store's issuer.
pub(crate) const ISSUER_FACT: &str = "issuer";

/// Starts the service and returns once it accepts connections.
///
/// # Errors
/// [`Error`] when the store, the keys, the TLS files or the listener fail.
pub async fn start(mut config: Config, clock: Option<Arc<dyn Clock>>) -> Result<Started, Error> {
    let crate::admin::Opened { store, secrets, .. } =
        crate::admin::open_store(&config, true).await?;
    agree_on_issuer(store.as_ref(), &config).await?;
    config.signing_alg = Some(agree_on_signing_alg(store.as_ref(), &config).await?);
    if !config.issuer.starts_with("https://") {
        tracing::warn!(
            "the issuer is plain http: the sign-in pages' cookies are `tessera-session` and `tessera-form` without Secure or the __Host- prefix (browsers refuse those on http); serve https in production"
        );
    }
    if !config.trusted_proxies.blocks.is_empty() {
        tracing::info!(
            proxies = %config.trusted_proxies.blocks.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
            header = config.trusted_proxies.header.name(),
            "requests from these proxies are attributed to the client address in their forwarded header"
        );
    }
    // A passkey's RP ID is the issuer's host, and browsers take only a domain name there.
    if !crate::users::subjects::host_of(&config.issuer)
        .is_some_and(|h| crate::users::webauthn::rp_id_usable(&h))
    {
        tracing::warn!(
            "the issuer's host is an IP address: browsers refuse passkeys there (their RP ID must be a domain name); use a name, e.g. http://localhost:PORT in development"
        );
    }
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(tls_acceptor(cert, key)?),
        _ => None,
    };
    let state = AppState::new(store, secrets, config.clone(), clock).await?;
    state.rotate_tick().await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| Error::Io(format!("cannot listen on {}: {e}", config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Io(e.to_string()))?;
    let (stop, stopped) = watch::channel(false);
    let (metrics_addr, metrics_done) = match config.metrics_at() {
        crate::config::MetricsListen::At(at) => {
            let (addr, task) = metrics_listener(at, &state, stopped.clone()).await?;
            (Some(addr), Some(task))
        }
        _ => (None, None),
    };
    background(&state, &stopped);
    let router = crate::app(state.clone());
    let limits = Limits {
        conns: crate::conn::Connections::new(
            crate::conn::fit_to_descriptors(config.max_connections),
            config.max_connections_per_peer,
        ),
        handshake: config.handshake_timeout,
        max_body: config.max_body,
        proxies: Arc::new(config.trusted_proxies.clone()),
    };
    let done = tokio::spawn(accept(
        listener,
        router,
        tls,
        stopped,
        limits,
        state.clone(),
    ));
    Ok(Started {
        state,
        addr,
        metrics_addr,
        stop,
        done,
        metrics_done,
    })
}

/// `/metrics` on a listener of its own (plain HTTP: it is meant for loopback or a private
/// network), until the service stops.
async fn metrics_listener(
    at: SocketAddr,
    state: &AppState,
    mut stopped: watch::Receiver<bool>,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), Error> {
    let listener = TcpListener::bind(at).await.map_err(|e| {
        Error::Io(format!(
            "cannot listen for /metrics on {at}: {e} (metrics_listen: another IP:PORT, main or off)"
        ))
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Io(e.to_string()))?;
    let router = axum::Router::new()
        .route(
            crate::paths::METRICS,
            axum::routing::get(crate::endpoints::health::metrics),
        )
        .with_state(state.clone());
    let task = tokio::spawn(async move {
        let stop = async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::warn!(error = %e, "the /metrics listener stopped");
        }
    });
    Ok((addr, task))
}

/// Starts the service and runs it until SIGTERM or SIGINT.
///
/// # Errors
/// As [`start`].
pub async fn serve(config: Config, on_start: impl FnOnce(&Started)) -> Result<(), Error> {
    // Listened for before anything starts: a SIGTERM that comes while the service starts
    // (a supervisor, or a test, as soon as the port answers) stops it gracefully instead of
    // killing it with the default action.
    let signals = StopSignals::listen();
    let started = start(config, None).await?;
    on_start(&started);
    signals.wait().await;
    tracing::info!("shutting down: finishing in-flight requests");
    started.shutdown().await;
    Ok(())
}

/// SIGTERM and SIGINT, listened for from the moment this is made.
struct StopSignals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Self {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// Completes at the first of them (or, where they cannot be listened for, never).
    async fn wait(self) {
        #[cfg(unix)]
        {
            async fn next(s: Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = next(self.term) => {},
                () = next(self.int) => {},
            }
        }
        #[cfg(not(unix))]
        shutdown_signal().await;
    }
}

/// Completes at the first SIGINT (Ctrl-C) or SIGTERM: when a server should stop.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Back-channel logout notices (every second), cache refresh (every poll interval), the key
/// life cycle (every 10 s, or half the key margin when that is shorter) and the purge of
/// expired revocations, codes and pushed requests, idle sessions and quiet sign-in counters
/// (hourly), until shutdown.
fn background(state: &AppState, stopped: &watch::Receiver<bool>) {
    let poll = state.config().poll_interval;
    // The life cycle ticks every 10 s, or faster when keys change faster (tests).
    let tick =
        (state.config().key_margin / 2).clamp(Duration::from_millis(100), Duration::from_secs(10));
    let tasks: [(Duration, Task); 4] = [
        // Back-channel logout notices, within a second of the session's end.
        (Duration::from_secs(1), |s| {
            Box::pin(async move { crate::tokens::logout::deliver_due(&s).await })
        }),
        (poll, |s| {
            Box::pin(async move {
                if let Err(e) = s.record_signed().await {
                    s.metrics().store_error();
                    tracing::warn!(error = %e, "cannot record what the current key signed");
                }
                if let Err(e) = s.refresh().await {
                    s.metrics().store_error();
                    tracing::warn!(error = %e, "cannot refresh the caches");
                }
            })
        }),
        (tick, |s| {
            Box::pin(async move {
                if let Err(e) = s.rotate_tick().await {
                    s.metrics().store_error();
                    tracing::warn!(error = %e, "key life cycle tick failed");
                }
            })
        }),
        (Duration::from_secs(3600), |s| {
            Box::pin(async move {
                let now = s.now();
                if let Err(e) = s.store().purge_revocations(now).await {
                    s.metrics().store_error();
                    tracing::warn!(error = %e, "cannot purge revocations");
                }
                // Sessions unused for longer than session_idle are over (they were refused
                // already); sign-in counters quiet for the throttle's reset time are too.
                let idle = i64::try_from(s.config().session_idle.as_secs()).unwrap_or(i64::MAX);
                if let Err(e) = s.store().purge_sessions(now.saturating_sub(idle)).await {
                    s.metrics().store_error();
                    tracing::warn!(error = %e, "cannot purge sessions");
                }
                // Codes and pushed requests live a minute; they are kept as long as a token
                // they gave can live, so a replayed code still finds what to revoke.
                let kept = now.saturating_sub(s.policy().max_token_ttl);
                if let Err(e) = s.store().purge_codes(kept).await {
                    s.metrics().store_error();
                    tracing::warn!(error = %e, "cannot purge authorization codes");
                }
                // A revoked family is kept as long as an access token of its grant can live
                // (introspection reads its revocation); an expired one likewise.
                if let Err(e) = s.store().purge_families(kept).await {
                    s.metrics().store_error();
                    tracing::warn!(error = %e, "cannot purge refresh-token families");
                }
                // A status list goes once its last token has expired.
                if let Err(e) = s.store().purge_status_lists(now).await {
                    s.metrics().store_error();
                    tracing::warn!(error = %e, "cannot purge status lists");
                }
                let quiet = s
                    .now_millis()
                    .saturating_sub(crate::pages::THROTTLE_RESET_MS);
                if let Err(e) = s.store().purge_throttle(quiet).await {
                    s.metrics().store_error();
                    tracing::warn!(error = %e, "cannot purge sign-in counters");
                }
                if let Err(e) = s.store().purge_challenges(now).await {
                    s.metrics().store_error();
                    tracing::warn!(error = %e, "cannot purge used passkey challenges");
                }
            })
        }),
    ];
    for (every, task) in tasks {
        let state = state.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = tick.tick() => task(state.clone()).await,
                    _ = stopped.changed() => break,
                }
            }
        });
    }
}

/// One run of a background task.
type Task = fn(AppState) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// What bounds a connection: how many may be open (in all, per peer), how long a TLS
/// handshake may take, the largest body.
struct Limits {
    conns: crate::conn::Connections,
    handshake: Duration,
    max_body: usize,
    /// Whose forwarded header names the client.
    proxies: Arc<crate::proxy::TrustedProxies>,
}

async fn accept(
    listener: TcpListener,
    router: axum::Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stopped: watch::Receiver<bool>,
    limits: Limits,
    state: AppState,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut backoff = crate::conn::Backoff::default();
    let (max_body, handshake) = (limits.max_body, limits.handshake);
    loop {
        let (stream, peer) = tokio::select! {
            conn = listener.accept() => match conn {
                Ok(c) => {
                    backoff.reset();
                    c
                }
                Err(e) => {
                    // Out of descriptors (EMFILE/ENFILE) or another transient failure: wait,
                    // longer each time, logging only when the wait grows.
                    let (wait, log) = backoff.failed();
                    if log {
                        tracing::warn!(error = %e, wait_ms = wait.as_millis() as u64, "accept failed; backing off");
                    }
                    tokio::select! {
                        () = tokio::time::sleep(wait) => continue,
                        _ = stopped.changed() => break,
                    }
                }
            },
            _ = stopped.changed() => break,
        };
        // Over a cap, the connection is closed at once: its descriptor is not held. A trusted
        // proxy's connections are many people's: only the total caps them.
        let Some(slot) = limits
            .conns
            .admit(peer.ip(), limits.proxies.is_proxy(peer.ip()))
        else {
            drop(stream);
            let refused = state.metrics().connection_refused();
            if refused == 1 || refused.is_multiple_of(1000) {
                tracing::warn!(
                    refused,
                    open = limits.conns.open(),
                    "a connection over max_connections or max_connections_per_peer was closed"
                );
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        // The client's address, for the pages (sessions list it, the sign-in throttle counts by
        // it): a request extension, added by a thin wrapper (no router is rebuilt). Behind a
        // trusted proxy, the address it forwarded.
        let proxies = Arc::clone(&limits.proxies);
        let service = TowerToHyperService::new(tower::ServiceExt::map_request(
            router.clone(),
            move |mut r: axum::http::Request<hyper::body::Incoming>| {
                let client = proxies.client(peer.ip(), r.headers());
                r.extensions_mut().insert(crate::pages::Peer(client));
                r
            },
        ));
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut http = hyper::server::conn::http1::Builder::new();
            // Header limits: at most 64 headers in 16 KiB (plus the body buffer), read within
            // 10 s; larger requests are refused by hyper before any handler runs.
            http.timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .max_headers(64)
                .max_buf_size((16 * 1024).max(max_body + 1024));
            let result = match tls {
                // A client that never finishes its handshake is dropped after the timeout.
                Some(acceptor) => {
                    match tokio::time::timeout(handshake, acceptor.accept(stream)).await {
                        Ok(Ok(s)) => {
                            watcher
                                .watch(http.serve_connection(TokioIo::new(s), service))
                                .await
                        }
                        Ok(Err(_)) | Err(_) => return,
                    }
                }
                None => {
                    watcher
                        .watch(http.serve_connection(TokioIo::new(stream), service))
                        .await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {},
        () = tokio::time::sleep(Duration::from_secs(10)) => {
            tracing::warn!("in-flight requests still running after 10 s; stopping anyway");
        },
    }
}

fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<tokio_rustls::TlsAcceptor, Error> {
    use rustls::pki_types::pem::{self, PemObject as _};
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let (cert_path, key_path) = (cert.display(), key.display());
    let read = |what: &str, path: &std::path::Path| {
        std::fs::read(path)
            .map_err(|e| Error::Tls(format!("{what} {}: cannot read it: {e}", path.display())))
    };
    let cert_pem = read("tls_cert", cert)?;
    let key_pem = read("tls_key", key)?;
    let looks_like_key = |pem: &[u8]| {
        let text = String::from_utf8_lossy(pem);
        text.contains("PRIVATE KEY-----")
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| {
            Error::Tls(format!(
                "tls_cert {cert_path}: not a PEM certificate chain ({e})"
            ))
        })?;
    if certs.is_empty() {
        return Err(Error::Tls(if looks_like_key(&cert_pem) {
            format!(
                "tls_cert {cert_path} holds a private key, not a certificate: are tls_cert and tls_key swapped?"
            )
        } else {
            format!("tls_cert {cert_path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }));
    }
    let key = match PrivateKeyDer::from_pem_slice(&key_pem) {
        Ok(key) => key,
        Err(pem::Error::NoItemsFound) => {
            let text = String::from_utf8_lossy(&key_pem);
            return Err(Error::Tls(if text.contains("ENCRYPTED PRIVATE KEY") {
                format!(
                    "tls_key {key_path} is encrypted: give the key unencrypted (openssl pkcs8 -in KEY -nocrypt -out KEY.plain), readable by this user only"
                )
            } else if text.contains("-----BEGIN CERTIFICATE-----") {
                format!(
                    "tls_key {key_path} holds a certificate, not a private key: are tls_cert and tls_key swapped?"
                )
            } else {
                format!("tls_key {key_path} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)")
            }));
        }
        Err(e) => {
            return Err(Error::Tls(format!(
                "tls_key {key_path}: not a PEM private key ({e})"
            )));
        }
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            Error::Tls(match e {
                rustls::Error::InconsistentKeys(_) => format!(
                    "the private key in tls_key {key_path} does not belong to the first certificate in tls_cert {cert_path}"
                ),
                other => format!("tls_cert {cert_path} and tls_key {key_path}: {other}"),
            })
        })?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
