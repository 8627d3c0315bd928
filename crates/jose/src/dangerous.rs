//! Reading tokens **without verifying them**, for debuggers and routing decisions.
//!
//! Nothing here checks a signature or a claim; never base an access decision on its output.
//! The names say so on purpose.

use serde_json::{Map, Value};

use crate::b64;
use crate::error::{Error, Limit, Malformed};
use crate::jws::Header;

/// A compact token decoded without verification.
#[derive(Debug, Clone, PartialEq)]
pub struct Unverified {
    /// The protected header.
    pub header: Header,
    /// The payload bytes (empty for a detached payload).
    pub payload: Vec<u8>,
    /// The payload as a JSON object, when it is one.
    pub claims: Option<Map<String, Value>>,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

/// Reads the protected header of a compact JWS/JWT or JWE without verifying anything.
///
/// # Errors
/// [`Error::Malformed`] when the first part is not a base64url JSON object without duplicates.
pub fn peek_header_unverified(token: &str) -> Result<Header, Error> {
    if token.len() > crate::jws::DEFAULT_MAX_SIZE {
        return Err(Error::LimitExceeded(Limit::Size));
    }
    let first = token.split('.').next().unwrap_or_default();
    let json = b64::decode(first.trim())?;
    let map =
        crate::json::parse_object(&json, crate::json::DEFAULT_MAX_DEPTH).map_err(|e| match e {
            Error::Malformed(Malformed::Json) => Error::Malformed(Malformed::Header),
            other => other,
        })?;
    Ok(Header::from_map(map))
}

/// Decodes a compact JWS/JWT without verifying the signature or any claim, whatever its `alg`
/// (including `none`).
///
/// ```
/// let token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";
/// let u = tessera_jose::dangerous::decode_unverified(token)?;
/// assert_eq!(u.header.alg(), Some("none"));
/// assert_eq!(u.claims.unwrap()["sub"], "x");
/// # Ok::<(), tessera_jose::Error>(())
/// ```
///
/// # Errors
/// [`Error::Malformed`] for anything that is not three base64url parts with a JSON header.
pub fn decode_unverified(token: &str) -> Result<Unverified, Error> {
    let token = token.trim();
    let header = peek_header_unverified(token)?;
    let mut parts = token.split('.');
    let (Some(_), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Malformed::Compact.into());
    };
    let payload = if header.b64() {
        b64::decode(p)?
    } else {
        p.as_bytes().to_vec()
    };
    let claims = crate::json::parse_object(&payload, crate::json::DEFAULT_MAX_DEPTH).ok();
    Ok(Unverified {
        header,
        payload,
        claims,
        signature: b64::decode(s)?,
    })
}
