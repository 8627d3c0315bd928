//! The form body of the token, introspection and revocation endpoints.

use std::collections::HashMap;

use axum::http::{HeaderMap, header};

use super::parse;
use crate::error::OAuthError;

/// Parameter names people send for one of OAuth's, and that one.
const MISSPELT: [(&str, &str); 7] = [
    ("scopes", "scope"),
    ("audience", "resource (RFC 8707)"),
    ("aud", "resource (RFC 8707)"),
    ("resources", "resource"),
    ("grant-type", "grant_type"),
    ("client-id", "client_id"),
    ("client-secret", "client_secret"),
];

/// A form body: `application/x-www-form-urlencoded`, each parameter at most once (RFC 6749
/// §3.1), except those allowed to repeat (`resource`, RFC 8707).
pub struct Form {
    single: HashMap<String, String>,
    resources: Vec<String>,
}

impl Form {
    /// Parses the body after checking the content type.
    ///
    /// # Errors
    /// `invalid_request` for another content type, invalid encoding or a repeated parameter.
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, OAuthError> {
        let form_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !form_type {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let (single, resources) = parse::form_pairs(body).map_err(OAuthError::invalid_request)?;
        Ok(Self { single, resources })
    }

    /// A parameter (an empty value counts as absent, RFC 6749 §3.1).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.single
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Parameters that look like a misspelling of one this server reads, with what was meant:
    /// they are ignored (RFC 6749 §3.2), and said so.
    pub fn misspelt(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        MISSPELT
            .iter()
            .filter(|(name, _)| self.single.contains_key(*name))
            .copied()
    }

    /// The `resource` parameters.
    #[must_use]
    pub fn resources(&self) -> &[String] {
        &self.resources
    }
}
