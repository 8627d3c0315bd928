//! Client authentication (RFC 6749 §2.3.1): `client_secret_basic` or `client_secret_post`,
//! exactly one of them, and the check of a presented secret against a client's record.

use axum::http::{HeaderMap, header};
use tessera_store::Client;

use super::{Form, parse};
use crate::error::OAuthError;

/// The credentials a request presents.
pub struct Credentials {
    /// The `client_id`.
    pub id: String,
    /// The secret as sent.
    pub secret: String,
    /// Whether they came in the `Authorization` header (a failure then answers 401 with a
    /// `WWW-Authenticate: Basic` challenge).
    pub via_header: bool,
    /// Only a `client_id`, no secret: a public client (`token_endpoint_auth_method` `none`).
    pub public: bool,
}

impl core::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Credentials")
            .field("id", &self.id)
            .field("via_header", &self.via_header)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The credentials of a request: from the `Authorization` header or the form, not both.
    ///
    /// # Errors
    /// `invalid_request` for two methods at once, a malformed header or a `client_id` that
    /// contradicts the header; `invalid_client` (with a challenge) when there is not even a
    /// `client_id`.
    pub fn of(headers: &HeaderMap, form: &Form) -> Result<Self, OAuthError> {
        let basic = headers.get(header::AUTHORIZATION);
        let post = form.get("client_secret");
        match (basic, post) {
            (Some(_), Some(_)) => Err(OAuthError::invalid_request(
                "use one client authentication method, not two",
            )),
            (Some(h), None) => {
                let (id, secret) = parse::basic_credentials(h.to_str().ok())
                    .ok_or_else(|| OAuthError::invalid_request("malformed Authorization header"))?;
                if form.get("client_id").is_some_and(|c| c != id) {
                    return Err(OAuthError::invalid_request(
                        "client_id does not match the credentials",
                    ));
                }
                Ok(Self {
                    id,
                    secret,
                    via_header: true,
                    public: false,
                })
            }
            (None, Some(secret)) => {
                let id = form
                    .get("client_id")
                    .ok_or_else(|| OAuthError::invalid_request("client_id is missing"))?;
                Ok(Self {
                    id: id.to_owned(),
                    secret: secret.to_owned(),
                    via_header: false,
                    public: false,
                })
            }
            (None, None) => match form.get("client_id") {
                Some(id) => Ok(Self {
                    id: id.to_owned(),
                    secret: String::new(),
                    via_header: false,
                    public: true,
                }),
                None => Err(OAuthError::invalid_client(true)),
            },
        }
    }
}

/// Why a client could not authenticate (logged by the server; the client is told only
/// `invalid_client`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No client has the presented id.
    UnknownClient,
    /// The secret is neither the client's current one nor its previous one.
    WrongSecret,
    /// The client's previous secret, after its grace period ended.
    SecretExpired,
    /// The client is disabled.
    Disabled,
    /// A confidential client presented no secret.
    NoSecret,
}

impl AuthFailure {
    /// The stable name, for the log.
    #[must_use]
    pub fn reason(self) -> &'static str {
        match self {
            Self::UnknownClient => "unknown_client",
            Self::WrongSecret => "wrong_secret",
            Self::SecretExpired => "secret_expired",
            Self::Disabled => "disabled",
            Self::NoSecret => "no_secret",
        }
    }
}

/// Checks `presented` (the secret's hash under the pepper) against the client's current
/// secret, and its previous one within the rotation grace; the client must be enabled. Both
/// comparisons run in constant time, and both always run.
///
/// # Errors
/// The [`AuthFailure`] that says why not.
pub fn check_secret(client: &Client, presented: &[u8], now: i64) -> Result<(), AuthFailure> {
    let current = tessera_jose::secret::ct_eq(presented, &client.secret_hash);
    let old = client
        .old_secret_hash
        .as_deref()
        .is_some_and(|h| tessera_jose::secret::ct_eq(presented, h));
    let old_valid = client.old_secret_until.is_some_and(|t| t > now);
    match (current | (old & old_valid), old) {
        (true, _) if client.enabled => Ok(()),
        (true, _) => Err(AuthFailure::Disabled),
        (false, true) => Err(AuthFailure::SecretExpired),
        (false, false) => Err(AuthFailure::WrongSecret),
    }
}
