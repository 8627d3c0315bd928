//! The JWS JSON serializations (RFC 7515 §7.2) and the compact one (§7.1), which is an adapter
//! over the same parsed form.

use serde_json::{Map, Value};

use crate::b64;
use crate::error::{Error, Limit, Malformed};

/// Most signatures accepted in a general JWS.
pub const MAX_SIGNATURES: usize = 16;

/// The serialization a JWS arrived in or is produced in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `header.payload.signature`.
    Compact,
    /// JSON with one signature at the top level.
    Flattened,
    /// JSON with a `signatures` array.
    General,
}

/// A parsed, not yet verified, JWS.
#[derive(Debug, Clone)]
pub struct Jws {
    pub(crate) payload: Option<String>,
    pub(crate) signatures: Vec<RawSignature>,
    pub(crate) format: Format,
}

/// One signature of a parsed JWS, with its headers.
#[derive(Debug, Clone)]
pub struct RawSignature {
    pub(crate) protected_b64: String,
    pub(crate) protected: Map<String, Value>,
    pub(crate) unprotected: Option<Map<String, Value>>,
    pub(crate) signature: Vec<u8>,
}

impl Jws {
    /// Parses any serialization, detected from the content (JSON starts with `{`).
    ///
    /// # Errors
    /// [`Error::Malformed`] or [`Error::LimitExceeded`].
    pub fn parse(input: &str, max_size: usize) -> Result<Self, Error> {
        if is_json(input, max_size)? {
            Self::parse_json(input)
        } else {
            Self::parse_compact(input)
        }
    }

    fn parse_compact(input: &str) -> Result<Self, Error> {
        let mut parts = input.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Malformed::Compact.into());
        };
        let protected = decode_header(h)?;
        Ok(Self {
            // An empty segment is an empty payload or a detached one (RFC 7515 Appendix F); the
            // verifier decides by whether the caller supplies detached content.
            payload: Some(p.to_owned()),
            signatures: vec![RawSignature {
                protected_b64: h.to_owned(),
                protected,
                unprotected: None,
                signature: b64::decode(s)?,
            }],
            format: Format::Compact,
        })
    }

    fn parse_json(input: &str) -> Result<Self, Error> {
        let mut map = crate::json::parse_object(input.as_bytes(), crate::json::DEFAULT_MAX_DEPTH)?;
        let payload = match map.remove("payload") {
            None => None,
            Some(Value::String(p)) => Some(p),
            Some(_) => return Err(Malformed::JwsJson.into()),
        };
        let (signatures, format) = match (map.remove("signatures"), map.contains_key("signature")) {
            (Some(Value::Array(items)), false) => {
                if items.is_empty() {
                    return Err(Malformed::JwsJson.into());
                }
                if items.len() > MAX_SIGNATURES {
                    return Err(Error::LimitExceeded(Limit::Signatures));
                }
                if ["protected", "header"].iter().any(|k| map.contains_key(*k)) {
                    return Err(Malformed::JwsJson.into());
                }
                let sigs = items
                    .into_iter()
                    .map(|v| match v {
                        Value::Object(m) => signature_entry(m),
                        _ => Err(Malformed::JwsJson.into()),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                (sigs, Format::General)
            }
            (None, true) => (vec![signature_entry(map)?], Format::Flattened),
            _ => return Err(Malformed::JwsJson.into()),
        };
        Ok(Self {
            payload,
            signatures,
            format,
        })
    }

    /// The serialization it was parsed from.
    #[must_use]
    pub fn format(&self) -> Format {
        self.format
    }

    /// The number of signatures.
    #[must_use]
    pub fn signature_count(&self) -> usize {
        self.signatures.len()
    }

    /// Whether the payload may be detached: absent from the JSON serialization, or an empty
    /// segment of the compact one.
    #[must_use]
    pub fn is_detached(&self) -> bool {
        self.payload.as_deref().is_none_or(str::is_empty)
    }

    /// The signatures with their (unverified) headers.
    #[must_use]
    pub fn signatures(&self) -> &[RawSignature] {
        &self.signatures
    }
}

impl RawSignature {
    /// The protected header (unverified until the signature is).
    #[must_use]
    pub fn protected(&self) -> &Map<String, Value> {
        &self.protected
    }

    /// The unprotected header, if any.
    #[must_use]
    pub fn unprotected(&self) -> Option<&Map<String, Value>> {
        self.unprotected.as_ref()
    }
}

/// Checks the size limit and tells a JSON serialization (it starts with `{`) from a compact one
/// (JWS and JWE).
pub(crate) fn is_json(input: &str, max_size: usize) -> Result<bool, Error> {
    if input.len() > max_size {
        return Err(Error::LimitExceeded(Limit::Size));
    }
    Ok(input.trim_start().starts_with('{'))
}

/// Decodes and parses a base64url protected header (JWS and JWE).
pub(crate) fn decode_header(b64_text: &str) -> Result<Map<String, Value>, Error> {
    let bytes = b64::decode(b64_text)?;
    crate::json::parse_object(&bytes, crate::json::DEFAULT_MAX_DEPTH).map_err(|e| match e {
        Error::Malformed(Malformed::Json) => Malformed::Header.into(),
        other => other,
    })
}

fn signature_entry(mut m: Map<String, Value>) -> Result<RawSignature, Error> {
    let (protected_b64, protected) = match m.remove("protected") {
        None => (String::new(), Map::new()),
        Some(Value::String(p)) if !p.is_empty() => {
            let h = decode_header(&p)?;
            (p, h)
        }
        Some(_) => return Err(Malformed::JwsJson.into()),
    };
    let unprotected = match m.remove("header") {
        None => None,
        Some(Value::Object(h)) => Some(h),
        Some(_) => return Err(Malformed::JwsJson.into()),
    };
    if protected.is_empty() && unprotected.is_none() {
        return Err(Malformed::JwsJson.into());
    }
    let signature = match m.remove("signature") {
        Some(Value::String(s)) => b64::decode(s)?,
        _ => return Err(Malformed::JwsJson.into()),
    };
    Ok(RawSignature {
        protected_b64,
        protected,
        unprotected,
        signature,
    })
}
