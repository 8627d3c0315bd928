//! Every endpoint's path, spelled once: the router mounts these, the metrics label them, and
//! the metadata, the DPoP `htu` of the token endpoint and the command line's banner build their
//! URLs from them ([`Urls`], made once from the issuer).

/// `POST`: tokens (RFC 6749 §3.2).
pub const TOKEN: &str = "/oauth2/token";
/// `POST`: introspection (RFC 7662).
pub const INTROSPECT: &str = "/oauth2/introspect";
/// `POST`: revocation (RFC 7009).
pub const REVOKE: &str = "/oauth2/revoke";
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
    /// The RFC 8414 metadata.
    pub metadata: String,
    /// The debugger page.
    pub debugger: String,
}

impl Urls {
    /// The URLs under `issuer` (no trailing slash).
    #[must_use]
    pub fn new(issuer: &str) -> Self {
        let url = |path: &str| format!("{issuer}{path}");
        Self {
            token: url(TOKEN),
            introspect: url(INTROSPECT),
            revoke: url(REVOKE),
            jwks: url(JWKS),
            metadata: url(AS_METADATA),
            debugger: format!("{issuer}{DEBUGGER}/"),
        }
    }
}

/// A bounded label for metrics (never the raw path: an attacker could grow the label set).
#[must_use]
pub fn label(path: Option<&str>) -> &'static str {
    match path {
        Some(TOKEN) => "token",
        Some(INTROSPECT) => "introspect",
        Some(REVOKE) => "revoke",
        Some(JWKS) => "jwks",
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
        assert_eq!(label(Some(TOKEN)), "token");
        assert_eq!(label(Some(OIDC_METADATA)), "metadata");
        assert_eq!(label(Some("/debugger/api/inspect")), "debugger");
        assert_eq!(label(Some("/debuggerx")), "other");
        assert_eq!(label(None), "other");
    }
}
