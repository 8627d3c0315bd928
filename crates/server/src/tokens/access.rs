//! RFC 9068 JWT access tokens: their claims, in a stable order.

use serde::Serialize;

/// The RFC 9068 claims (§2.2), in a stable order.
#[derive(Serialize)]
pub struct AccessClaims<'a> {
    /// This issuer.
    pub iss: &'a str,
    /// Whom the token is about: the client itself for `client_credentials`.
    pub sub: &'a str,
    /// The resource servers it is meant for.
    pub aud: Audience<'a>,
    /// Expiry (never later than the server's `max_token_ttl` allows).
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// A unique id (revocation names it).
    pub jti: String,
    /// The client it was issued to.
    pub client_id: &'a str,
    /// The granted scope, space-separated.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub scope: &'a str,
    /// The proof-of-possession key (RFC 7800 §3.1, RFC 9449 §6.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation<'a>>,
}

/// `cnf` of a DPoP-bound token.
#[derive(Serialize)]
pub struct Confirmation<'a> {
    /// The RFC 7638 thumbprint of the proof key.
    pub jkt: &'a str,
}

/// `aud`: a string for one audience, an array for several.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Audience<'a> {
    /// One audience (a string).
    One(&'a str),
    /// Several (an array).
    Many(Vec<&'a str>),
}
