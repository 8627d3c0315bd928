//! The debugger over HTTP: the page, its assets and the API under one base path, the API's
//! gate (access key or same origin, loopback `Host`, `Sec-Fetch-Site`, JSON bodies), the
//! security headers of every response, and a bound on the work running at once.

use crate::api;
use crate::error::ApiError;

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::json;

/// The header that carries the access key (or, without one, that a request comes from the
/// page: a cross-origin page cannot send it without a CORS preflight, which is never granted).
pub const ACCESS_HEADER: &str = "x-tessera-debugger";

/// Largest API request body: a token, a key or a JWK Set, and the claim options.
pub const MAX_BODY: usize = 1024 * 1024;

/// Who may call the API.
#[derive(Clone)]
pub enum Access {
    /// Only requests carrying this key in [`ACCESS_HEADER`], to a loopback host name (what
    /// `tessera debug` prints in its URL, `?k=KEY`). Another local user or a web page in the
    /// same browser does not have it.
    Key(String),
    /// Requests from the page itself ([`ACCESS_HEADER`] present, JSON bodies) to the token
    /// service's own host: what `tessera serve` uses at `/debugger`, where the service's origin
    /// holds the page. `host` is the issuer's authority (`auth.example.com`,
    /// `127.0.0.1:8080`); with `loopback`, any loopback host name is accepted too (a local
    /// service reached as `localhost`). Any other `Host` is refused (DNS rebinding).
    SameOrigin {
        /// The issuer's authority.
        host: String,
        /// Whether loopback host names are accepted too.
        loopback: bool,
    },
}

impl core::fmt::Debug for Access {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Key(_) => f.write_str("Access::Key(<redacted>)"),
            Self::SameOrigin { host, loopback } => f
                .debug_struct("Access::SameOrigin")
                .field("host", host)
                .field("loopback", loopback)
                .finish(),
        }
    }
}

/// A fresh access key for [`Access::Key`]: 32 random bytes, base64url.
///
/// # Errors
/// When the system's random source fails.
pub fn new_access_key() -> Result<String, tessera_jose::Error> {
    Ok(tessera_jose::b64::encode(tessera_jose::secret::random(32)?))
}

#[derive(Clone)]
struct Debugger {
    inner: Arc<Inner>,
}

struct Inner {
    access: Access,
    /// API calls running at once (key generation and PBES2 are CPU-heavy): at most one per
    /// core; a call that cannot start within [`QUEUE_WAIT`] is told to retry.
    work: Arc<tokio::sync::Semaphore>,
    /// The example tokens and their keys, made once per process on first use.
    examples: OnceLock<api::Examples>,
}

/// The debugger's routes under `base` (`""` for `tessera debug`, `"/debugger"` for the token
/// service), with their security headers, as a router for any state.
pub fn router<S: Clone + Send + Sync + 'static>(base: &str, access: Access) -> Router<S> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let state = Debugger {
        inner: Arc::new(Inner {
            access,
            work: Arc::new(tokio::sync::Semaphore::new(cores.clamp(1, 4))),
            examples: OnceLock::new(),
        }),
    };
    let api = Router::new()
        .route(&format!("{base}/api/inspect"), post(inspect))
        .route(&format!("{base}/api/verify"), post(verify))
        .route(&format!("{base}/api/encode"), post(encode))
        .route(&format!("{base}/api/decrypt"), post(decrypt))
        .route(&format!("{base}/api/keys"), post(keys))
        .route(&format!("{base}/api/examples"), post(examples))
        .route(&format!("{base}/api/algorithms"), post(algorithms))
        // The gate runs first; only admitted calls wait for a core.
        .layer(middleware::from_fn_with_state(state.clone(), bounded))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY));
    let mut pages = Router::new()
        .route(&format!("{base}/"), get(page))
        .route(&format!("{base}/app.js"), get(script))
        .route(&format!("{base}/style.css"), get(style))
        .route(&format!("{base}/icon.svg"), get(icon));
    if !base.is_empty() {
        let to = format!("{base}/");
        pages = pages.route(
            base,
            get(move || {
                let to = to.clone();
                async move { Redirect::permanent(&to) }
            }),
        );
    }
    pages
        .merge(api)
        .layer(middleware::from_fn(headers))
        .with_state(state)
}

const INDEX: &str = include_str!("../assets/index.html");
const SCRIPT: &str = include_str!("../assets/app.js");
const STYLE: &str = include_str!("../assets/style.css");
const ICON: &str = include_str!("../assets/icon.svg");

async fn page() -> Response {
    asset(INDEX, "text/html; charset=utf-8")
}

async fn script() -> Response {
    asset(SCRIPT, "text/javascript; charset=utf-8")
}

async fn style() -> Response {
    asset(STYLE, "text/css; charset=utf-8")
}

async fn icon() -> Response {
    asset(ICON, "image/svg+xml")
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// Security headers on every debugger response; API answers are never cached.
async fn headers(req: Request, next: Next) -> Response {
    let api = req.uri().path().contains("/api/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(crate::CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // Framing denied twice (for browsers that predate `frame-ancestors`), and no other origin
    // may hold a window or a resource of the page: it takes pasted secrets.
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// The API's gate: the access key (or, on the token service, the page's header), a loopback
/// `Host` for `tessera debug` (against DNS rebinding), no request another site's page made
/// (`Sec-Fetch-Site`), and a JSON body.
async fn guard(State(d): State<Debugger>, req: Request, next: Next) -> Response {
    let h = req.headers();
    let presented = h.get(ACCESS_HEADER).and_then(|v| v.to_str().ok());
    match (&d.inner.access, presented) {
        (_, None) => {
            return ApiError::new(
                401,
                "access_denied",
                "this API answers only the debugger page (open the address `tessera debug` printed)",
            )
            .into_response();
        }
        (Access::Key(key), Some(p)) => {
            if !tessera_jose::secret::ct_eq(key.as_bytes(), p.as_bytes()) {
                return ApiError::new(
                    401,
                    "access_denied",
                    "wrong access key: open the address `tessera debug` printed, with its ?k=",
                )
                .into_response();
            }
            if !loopback_host(h) {
                return ApiError::new(
                    403,
                    "access_denied",
                    "the debugger answers only on a loopback address (127.0.0.1, [::1], localhost)",
                )
                .into_response();
            }
        }
        (Access::SameOrigin { host, loopback }, Some(_)) => {
            let named = h.get(header::HOST).and_then(|v| v.to_str().ok());
            let ours = named.is_some_and(|n| n.eq_ignore_ascii_case(host))
                || (*loopback && loopback_host(h));
            if !ours {
                return ApiError::new(
                    403,
                    "access_denied",
                    "the debugger answers only at the service's own address (its issuer)",
                )
                .into_response();
            }
        }
    }
    // Browsers say where a request comes from; only the page's own origin may call.
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return ApiError::new(
            403,
            "access_denied",
            "the API answers only its own page, not another site's",
        )
        .into_response();
    }
    let json = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return ApiError::new(
            415,
            "unsupported_media_type",
            "send a JSON body (Content-Type: application/json)",
        )
        .into_response();
    }
    next.run(req).await
}

/// Whether the `Host` header names a loopback host.
fn loopback_host(h: &HeaderMap) -> bool {
    h.get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .is_some_and(crate::loopback_authority)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(json!({"error": self.body()}))).into_response()
    }
}

/// How long an API call waits for a free core before it is told to retry.
const QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Bounds the API's work: one call per core at a time; a call that cannot start within
/// [`QUEUE_WAIT`] gets 503 with `Retry-After`.
async fn bounded(State(d): State<Debugger>, req: Request, next: Next) -> Response {
    let Ok(Ok(permit)) =
        tokio::time::timeout(QUEUE_WAIT, d.inner.work.clone().acquire_owned()).await
    else {
        let mut resp = ApiError::new(503, "busy", "the debugger is busy: try again in a moment")
            .into_response();
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return resp;
    };
    let resp = next.run(req).await;
    drop(permit);
    resp
}

/// Runs one API call off the async threads (key generation and PBES2 take a while).
async fn run(endpoint: &'static str, body: Bytes) -> Response {
    match tokio::task::spawn_blocking(move || api::answer(endpoint, &body)).await {
        Ok(Ok(v)) => axum::Json(v).into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(_) => ApiError::new(500, "internal_error", "the request could not be completed")
            .into_response(),
    }
}

async fn inspect(body: Bytes) -> Response {
    run("inspect", body).await
}

async fn verify(body: Bytes) -> Response {
    run("verify", body).await
}

async fn encode(body: Bytes) -> Response {
    run("encode", body).await
}

async fn decrypt(body: Bytes) -> Response {
    run("decrypt", body).await
}

async fn keys(body: Bytes) -> Response {
    run("keys", body).await
}

async fn algorithms(body: Bytes) -> Response {
    run("algorithms", body).await
}

async fn examples(State(d): State<Debugger>) -> Response {
    let made = tokio::task::spawn_blocking(move || {
        if let Some(v) = d.inner.examples.get() {
            return Ok::<api::Examples, ApiError>(v.clone());
        }
        let made = api::examples()?;
        Ok(d.inner.examples.get_or_init(|| made).clone())
    })
    .await;
    match made {
        Ok(Ok(v)) => axum::Json(v).into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(_) => ApiError::new(500, "internal_error", "the request could not be completed")
            .into_response(),
    }
}

/// Serves the debugger alone (what `tessera debug` runs) on `listener`, which must be bound to
/// a loopback address, with `access_key` required of every API call, until `shutdown`
/// completes (SIGINT or SIGTERM for the command line).
///
/// # Errors
/// When the listener is not on a loopback address, or the socket fails.
pub async fn serve_standalone(
    listener: tokio::net::TcpListener,
    access_key: String,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if !listener.local_addr()?.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the debugger binds to loopback addresses only",
        ));
    }
    let app: Router = router("", Access::Key(access_key))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            std::time::Duration::from_secs(30),
        ))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(16));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tower::ServiceExt as _;

    #[tokio::test]
    async fn a_call_that_cannot_start_soon_is_told_to_retry() {
        let app = |permits: usize| {
            let d = Debugger {
                inner: Arc::new(Inner {
                    access: Access::Key("k".into()),
                    work: Arc::new(tokio::sync::Semaphore::new(permits)),
                    examples: OnceLock::new(),
                }),
            };
            Router::new()
                .route("/api/algorithms", post(algorithms))
                .layer(middleware::from_fn_with_state(d, bounded))
        };
        let req = || {
            Request::post("/api/algorithms")
                .body(axum::body::Body::from("{}"))
                .unwrap()
        };
        assert_eq!(
            app(1).oneshot(req()).await.unwrap().status(),
            StatusCode::OK
        );
        // Every core busy: after the queue wait, 503 with Retry-After, not an endless wait.
        let start = std::time::Instant::now();
        let resp = app(0).oneshot(req()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "1");
        let waited = start.elapsed();
        assert!(
            waited >= QUEUE_WAIT && waited < QUEUE_WAIT * 3,
            "{waited:?}"
        );
    }
}
