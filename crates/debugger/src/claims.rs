//! What the page explains: registered claims with their specification, and the warnings a
//! token deserves before anyone trusts it.

use serde::Serialize;
use serde_json::{Map, Value};
use tessera_jose::inspect::{self, DATE_CLAIMS};

/// Registered and common claims: name, meaning, where it is defined.
const CLAIMS: &[(&str, &str, &str)] = &[
    ("iss", "Issuer: who issued the token", "RFC 7519 §4.1.1"),
    ("sub", "Subject: whom the token is about", "RFC 7519 §4.1.2"),
    ("aud", "Audience: who the token is for", "RFC 7519 §4.1.3"),
    (
        "exp",
        "Expiration time: not valid on or after",
        "RFC 7519 §4.1.4",
    ),
    ("nbf", "Not before: not valid before", "RFC 7519 §4.1.5"),
    ("iat", "Issued at", "RFC 7519 §4.1.6"),
    (
        "jti",
        "JWT ID: a unique identifier (replay detection)",
        "RFC 7519 §4.1.7",
    ),
    (
        "auth_time",
        "When the user authenticated",
        "OpenID Connect Core §2",
    ),
    (
        "nonce",
        "Binds an ID token to the client's session",
        "OpenID Connect Core §2",
    ),
    (
        "azp",
        "Authorized party: the client the ID token was issued to",
        "OpenID Connect Core §2",
    ),
    (
        "acr",
        "Authentication context class",
        "OpenID Connect Core §2",
    ),
    (
        "amr",
        "Authentication methods used",
        "OpenID Connect Core §2, RFC 8176",
    ),
    (
        "sid",
        "Session ID",
        "OpenID Connect Front-Channel Logout §3",
    ),
    (
        "at_hash",
        "Access token hash",
        "OpenID Connect Core §3.1.3.6",
    ),
    (
        "c_hash",
        "Authorization code hash",
        "OpenID Connect Core §3.3.2.11",
    ),
    (
        "scope",
        "Scopes granted, space-separated",
        "RFC 8693 §4.2, RFC 9068 §2.2.3",
    ),
    (
        "client_id",
        "The client the token was issued to",
        "RFC 8693 §4.3, RFC 9068 §2.2",
    ),
    (
        "cnf",
        "Confirmation: the key the holder must prove (DPoP, mTLS)",
        "RFC 7800 §3.1, RFC 9449 §6",
    ),
    (
        "act",
        "Actor: who acts on behalf of the subject",
        "RFC 8693 §4.1",
    ),
    (
        "may_act",
        "Who may act on behalf of the subject",
        "RFC 8693 §4.4",
    ),
    (
        "roles",
        "Roles of the subject",
        "RFC 9068 §2.2.3.1, RFC 7643",
    ),
    (
        "groups",
        "Groups of the subject",
        "RFC 9068 §2.2.3.1, RFC 7643",
    ),
    (
        "entitlements",
        "Entitlements of the subject",
        "RFC 9068 §2.2.3.1, RFC 7643",
    ),
    ("name", "Full name", "OpenID Connect Core §5.1"),
    ("email", "Email address", "OpenID Connect Core §5.1"),
    (
        "email_verified",
        "Whether the email address was verified",
        "OpenID Connect Core §5.1",
    ),
    ("htm", "DPoP proof: the HTTP method", "RFC 9449 §4.2"),
    ("htu", "DPoP proof: the HTTP URI", "RFC 9449 §4.2"),
    (
        "ath",
        "DPoP proof: hash of the access token",
        "RFC 9449 §4.2",
    ),
];

/// One row of the claims table.
#[derive(Debug, Serialize)]
pub struct ClaimRow {
    /// The claim's name.
    pub name: String,
    /// Its value.
    pub value: Value,
    /// What it means, when it is a registered claim.
    pub description: Option<&'static str>,
    /// Where it is specified.
    pub spec: Option<&'static str>,
    /// A date claim's number (the page shows it in local time, UTC and relative to now).
    pub date: Option<f64>,
}

/// The claims table: every claim in order, with its meaning and specification when known,
/// and `date` set for the date claims that are numbers.
pub fn table(claims: &Map<String, Value>) -> Vec<ClaimRow> {
    claims
        .iter()
        .map(|(name, value)| {
            let known = CLAIMS.iter().find(|(n, ..)| n == name);
            ClaimRow {
                name: name.clone(),
                value: value.clone(),
                description: known.map(|k| k.1),
                spec: known.map(|k| k.2),
                date: DATE_CLAIMS
                    .contains(&name.as_str())
                    .then(|| value.as_f64())
                    .flatten(),
            }
        })
        .collect()
}

/// A warning: a stable code, and a sentence.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    /// The stable code (`alg_none`, `weak_secret`, `key_skipped`, ...).
    pub code: String,
    /// What it means, in one sentence.
    pub message: String,
}

/// A warning with a code and a sentence.
pub fn warning(code: &str, message: impl Into<String>) -> Warning {
    Warning {
        code: code.to_owned(),
        message: message.into(),
    }
}

/// Warnings about a JWS or JWE protected header (the library's findings, as `tessera decode`
/// prints them).
pub fn header_warnings(h: &Map<String, Value>, out: &mut Vec<Warning>) {
    out.extend(inspect::header_findings(h).into_iter().map(as_warning));
}

/// Warnings about the claims of a JWT at `now`.
pub fn claim_warnings(c: &Map<String, Value>, now: i64, out: &mut Vec<Warning>) {
    out.extend(inspect::claim_findings(c, now).into_iter().map(as_warning));
}

/// A library finding as a warning of the page.
pub fn as_warning(f: inspect::Finding) -> Warning {
    warning(f.code, f.message)
}

/// The current Unix time.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
