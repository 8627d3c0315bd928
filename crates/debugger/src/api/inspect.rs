//! `POST api/inspect`: take a token apart without verifying it.

use serde::{Deserialize, Serialize};
use tessera_jose::inspect::Finding;

use super::cleaned;
use crate::ApiError;
use crate::claims;
use crate::decode::{TokenView, inspect_token};
use crate::input;

/// `POST api/inspect`: `{"token"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectRequest {
    token: String,
}

/// The answer: the token taken apart, and what was removed from the paste.
#[derive(Debug, Serialize)]
pub struct Inspected {
    /// The token's parts, header, payload or sizes, claims and warnings (the removals first).
    #[serde(flatten)]
    pub token: TokenView,
    /// What was removed from the pasted text (a `Bearer ` scheme, whitespace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleaned: Option<Vec<Finding>>,
}

/// Decodes a token without verifying it: its parts, header, payload, claims and warnings.
///
/// # Errors
/// [`ApiError`] for text that holds no token, or a token that cannot be taken apart.
pub fn inspect(r: InspectRequest) -> Result<Inspected, ApiError> {
    let (token, removed) = input::token(&r.token)?;
    let mut view = inspect_token(&token, 0)?;
    view.warnings
        .splice(0..0, removed.iter().cloned().map(claims::as_warning));
    Ok(Inspected {
        token: view,
        cleaned: cleaned(removed),
    })
}
