//! `POST api/inspect`: take a token apart without verifying it.

use serde::Deserialize;
use serde_json::Value;

use super::cleaned;
use crate::ApiError;
use crate::claims::{self};
use crate::decode::inspect_token;
use crate::input::{self};

/// `POST api/inspect`: `{"token"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectRequest {
    token: String,
}

/// Decodes a token without verifying it: its parts, header, payload, claims and warnings.
pub fn inspect(r: InspectRequest) -> Result<Value, ApiError> {
    let (token, removed) = input::token(&r.token)?;
    let mut v = inspect_token(&token, 0)?;
    if !removed.is_empty() {
        if let Some(Value::Array(w)) = v.get_mut("warnings") {
            w.splice(0..0, removed.iter().cloned().map(claims::as_warning));
        }
        v = cleaned(v, removed);
    }
    Ok(v)
}
