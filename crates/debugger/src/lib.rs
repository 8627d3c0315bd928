//! The token debugger: a page that decodes, verifies, signs, encrypts, decrypts tokens and
//! makes keys, what jwt.io does, with nothing sent anywhere but this process. The crypto runs
//! in `tessera-jose`, behind a small JSON API ([`api`]: one typed request per call) on the
//! page's own origin; the page is static HTML, CSS and JavaScript embedded in the binary
//! (`assets/`, no build step).
//!
//! With the `http` feature (default), [`router`] serves the page and the API: `tessera debug`
//! runs it alone on loopback with a per-run access key ([`serve_standalone`]), `tessera serve`
//! mounts it at `/debugger`. The API keeps nothing: secrets and tokens sent to it are used for
//! the one answer and dropped; nothing is logged but the method, route and status.

pub mod api;
mod claims;
mod decode;
mod error;
#[cfg(feature = "http")]
mod http;
mod input;

pub use error::ApiError;
#[cfg(feature = "http")]
pub use http::{ACCESS_HEADER, Access, MAX_BODY, new_access_key, router, serve_standalone};

/// The Content-Security-Policy of every debugger response: only this origin's own script,
/// style and API, no framing, no inline script, no form submissions.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Whether an authority (`host[:port]`, a URL's or a `Host` header's) names a loopback host:
/// `localhost`, 127/8 or `[::1]`.
#[must_use]
pub fn loopback_authority(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(name, _)| name),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
