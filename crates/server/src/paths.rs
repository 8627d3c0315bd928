//! Every endpoint's path, spelled once: the router mounts these, the metrics label them, and
//! the metadata, the DPoP `htu` of the token endpoint and the command line's banner build their
//! URLs from them ([`Urls`], made once from the issuer).
//!
//! An issuer with a path (`https://example.com/auth`) has its endpoints under that path
//! (`/auth/oauth2/token`, `/auth/.well-known/openid-configuration` as OpenID Connect Discovery
//! §4 puts it); its RFC 8414 metadata is at `/.well-known/oauth-authorization-server/auth`
//! (RFC 8414 §3.1: the well-known segment goes between the host and the path). Health and
//! metrics stay at the root.

/// `POST`: tokens (RFC 6749 §3.2).
pub const TOKEN: &str = "/oauth2/token";
/// `POST`: introspection (RFC 7662).
pub const INTROSPECT: &str = "/oauth2/introspect";
/// `POST`: revocation (RFC 7009).
pub const REVOKE: &str = "/oauth2/revoke";
/// `GET`/`POST`: the person's claims (OpenID Connect Core §5.3).
pub const USERINFO: &str = "/oauth2/userinfo";
/// `GET`/`POST`: the authorization endpoint (RFC 6749 §3.1; a page, see `pages::authorize`).
pub const AUTHORIZE: &str = "/oauth2/authorize";
/// `POST`: pushed authorization requests (RFC 9126).
pub const PAR: &str = "/oauth2/par";
/// `GET`: the status lists published now (Token Status List aggregation); a list is at
/// `STATUS_LISTS/{id}`.
pub const STATUS_LISTS: &str = "/oauth2/status-lists";
/// `GET`: the published keys.
pub const JWKS: &str = "/.well-known/jwks.json";
/// `GET`: authorization server metadata (RFC 8414).
pub const AS_METADATA: &str = "/.well-known/oauth-authorization-server";
/// `GET`: the same document where OpenID Connect clients look for it.
pub const OIDC_METADATA: &str = "/.well-known/openid-configuration";
/// `GET`: liveness.
pub const HEALTHZ: &str = "/healthz";
/// `GET`: readiness.
pub const READYZ: &str = "/readyz";
/// `GET`: Prometheus metrics.
pub const METRICS: &str = "/metrics";
/// The debugger page and its API (when on).
pub const DEBUGGER: &str = "/debugger";

/// The endpoints' URLs under one issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urls {
    /// The token endpoint (also the `htu` of its DPoP proofs).
    pub token: String,
    /// The introspection endpoint.
    pub introspect: String,
    /// The revocation endpoint.
    pub revoke: String,
    /// The JWKS.
    pub jwks: String,
    /// The userinfo endpoint.
    pub userinfo: String,
    /// The authorization endpoint.
    pub authorize: String,
    /// The pushed authorization request endpoint.
    pub par: String,
    /// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
    pub end_session: String,
    /// The RFC 8414 metadata.
    pub metadata: String,
    /// The debugger page.
    pub debugger: String,
    /// The status list aggregation endpoint; each list is under it.
    pub status_lists: String,
    /// The issuer's path (`/auth`, or empty): the routes are mounted under it.
    pub prefix: String,
}

impl Urls {
    /// The URLs under `issuer` (no trailing slash).
    #[must_use]
    pub fn new(issuer: &str) -> Self {
        let url = |path: &str| format!("{issuer}{path}");
        let (origin, path) = split_issuer(issuer);
        Self {
            token: url(TOKEN),
            introspect: url(INTROSPECT),
            revoke: url(REVOKE),
            jwks: url(JWKS),
            userinfo: url(USERINFO),
            authorize: url(AUTHORIZE),
            par: url(PAR),
            end_session: url("/oauth2/logout"),
            metadata: format!("{origin}{AS_METADATA}{path}"),
            debugger: format!("{issuer}{DEBUGGER}/"),
            status_lists: url(STATUS_LISTS),
            prefix: path.to_owned(),
        }
    }
}

impl Urls {
    /// The URI of status list `id` (the `uri` of its tokens' `status` claims).
    #[must_use]
    pub fn status_list(&self, id: i64) -> String {
        format!("{}/{id}", self.status_lists)
    }
}

/// An issuer URL as its origin (`https://example.com`) and its path (`/auth`, or empty).
#[must_use]
pub fn split_issuer(issuer: &str) -> (&str, &str) {
    let after_scheme = issuer.find("://").map_or(0, |i| i + 3);
    match issuer[after_scheme..].find('/') {
        Some(i) => issuer.split_at(after_scheme + i),
        None => (issuer, ""),
    }
}

/// A bounded label for metrics (never the raw path: an attacker could grow the label set), for
/// a route matched under the issuer's path `prefix`.
#[must_use]
pub fn label(prefix: &str, path: Option<&str>) -> &'static str {
    if path.is_some_and(|p| p.starts_with(AS_METADATA)) {
        return "metadata";
    }
    let path = path.map(|p| p.strip_prefix(prefix).unwrap_or(p));
    match path {
        Some(TOKEN) => "token",
        Some(INTROSPECT) => "introspect",
        Some(REVOKE) => "revoke",
        Some(JWKS) => "jwks",
        Some(p) if p.starts_with(STATUS_LISTS) => "status_list",
        Some(USERINFO) => "userinfo",
        Some(PAR) => "par",
        Some("/oauth2/logout") => "end_session",
        Some(AUTHORIZE) => "authorize",
        Some("/oauth2/consent") => "consent",
        Some("/login" | "/logout") => "login",
        Some(p) if p == "/account" || p.starts_with("/account/") => "account",
        Some(AS_METADATA | OIDC_METADATA) => "metadata",
        Some(HEALTHZ) => "healthz",
        Some(READYZ) => "readyz",
        Some(METRICS) => "metrics",
        Some(p)
            if p == DEBUGGER || p.strip_prefix(DEBUGGER).is_some_and(|r| r.starts_with('/')) =>
        {
            "debugger"
        }
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_labels() {
        let u = Urls::new("https://auth.example.com");
        assert_eq!(u.token, "https://auth.example.com/oauth2/token");
        assert_eq!(
            u.metadata,
            "https://auth.example.com/.well-known/oauth-authorization-server"
        );
        assert_eq!(u.debugger, "https://auth.example.com/debugger/");
        assert_eq!(label("", Some(TOKEN)), "token");
        assert_eq!(label("", Some(OIDC_METADATA)), "metadata");
        assert_eq!(label("", Some("/debugger/api/inspect")), "debugger");
        assert_eq!(label("", Some("/debuggerx")), "other");
        assert_eq!(label("", None), "other");
        // An issuer with a path.
        let u = Urls::new("https://example.com/auth");
        assert_eq!(u.token, "https://example.com/auth/oauth2/token");
        assert_eq!(
            u.metadata,
            "https://example.com/.well-known/oauth-authorization-server/auth"
        );
        assert_eq!(
            split_issuer("http://127.0.0.1:8080"),
            ("http://127.0.0.1:8080", "")
        );
        assert_eq!(label("/auth", Some("/auth/oauth2/token")), "token");
        assert_eq!(
            label(
                "/auth",
                Some("/.well-known/oauth-authorization-server/auth")
            ),
            "metadata"
        );
    }
}
