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
    /// contradicts the header; `invalid_client` (with a challenge) when there are none.
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
                })
            }
            (None, None) => Err(OAuthError::invalid_client(true)),
        }
    }
}

/// Whether `presented` (the secret's hash under the pepper) is the client's current secret, or
/// its previous one within the rotation grace, and the client is enabled. Both comparisons run
/// in constant time, and both always run.
#[must_use]
pub fn secret_matches(client: &Client, presented: &[u8], now: i64) -> bool {
    let current = tessera_jose::secret::ct_eq(presented, &client.secret_hash);
    let old = client.old_secret_hash.as_deref().is_some_and(|h| {
        client.old_secret_until.is_some_and(|t| t > now)
            && tessera_jose::secret::ct_eq(presented, h)
    });
    (current | old) && client.enabled
}
