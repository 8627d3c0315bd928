//! Producing JWS in every serialization, with several signatures, detached and unencoded
//! (RFC 7797) payloads.

use serde_json::{Map, Value};

use super::header::{Header, check_crit};
use super::sign::Signer;
use crate::b64;
use crate::error::{Error, Malformed};

/// Builds a JWS over a payload.
///
/// ```
/// use tessera_jose::{Jwk, JwsAlg, jws::{Header, JwsBuilder, Signer}};
/// let a = Signer::new(&Jwk::generate(JwsAlg::ES256)?, JwsAlg::ES256)?;
/// let b = Signer::new(&Jwk::generate(JwsAlg::EdDSA)?, JwsAlg::EdDSA)?;
/// let general = JwsBuilder::new(b"hello")
///     .signature(&a, Header::new(JwsAlg::ES256), None)
///     .signature(&b, Header::new(JwsAlg::EdDSA), Some(Header::empty().param("note", "b")))
///     .general()?;
/// assert!(general.starts_with(r#"{"payload":"aGVsbG8","signatures":["#));
/// # Ok::<(), tessera_jose::Error>(())
/// ```
#[derive(Debug)]
pub struct JwsBuilder<'a> {
    payload: &'a [u8],
    detached: bool,
    unencoded: bool,
    entries: Vec<Pending<'a>>,
}

#[derive(Debug)]
struct Pending<'a> {
    signer: &'a Signer,
    protected: Protected,
    unprotected: Option<Header>,
}

#[derive(Debug)]
enum Protected {
    Header(Header),
    /// Exact JSON text to encode, for reproducing published examples byte for byte.
    Raw(String),
}

impl<'a> JwsBuilder<'a> {
    /// A builder over `payload`.
    #[must_use]
    pub fn new(payload: &'a [u8]) -> Self {
        Self {
            payload,
            detached: false,
            unencoded: false,
            entries: Vec::new(),
        }
    }

    /// Leaves the payload out of the output (RFC 7515 Appendix F).
    #[must_use]
    pub fn detached(mut self) -> Self {
        self.detached = true;
        self
    }

    /// Signs the payload unencoded (RFC 7797: `"b64": false`, listed in `crit`).
    #[must_use]
    pub fn unencoded(mut self) -> Self {
        self.unencoded = true;
        self
    }

    /// Adds a signature. `alg` is set from the signer if the protected header lacks it (and must
    /// match it otherwise); `kid` is added from the signer unless either header has one.
    #[must_use]
    pub fn signature(
        mut self,
        signer: &'a Signer,
        protected: Header,
        unprotected: Option<Header>,
    ) -> Self {
        self.entries.push(Pending {
            signer,
            protected: Protected::Header(protected),
            unprotected,
        });
        self
    }

    /// Adds a signature whose protected header is this exact JSON text (used as is).
    #[must_use]
    pub fn signature_raw_protected(
        mut self,
        signer: &'a Signer,
        protected_json: &str,
        unprotected: Option<Header>,
    ) -> Self {
        self.entries.push(Pending {
            signer,
            protected: Protected::Raw(protected_json.to_owned()),
            unprotected,
        });
        self
    }

    /// The compact serialization (one signature, no unprotected header).
    ///
    /// # Errors
    /// [`Error::Config`] for several signatures, an unprotected header, or an unencoded attached
    /// payload containing `.`; header errors as in [`JwsBuilder::general`].
    pub fn compact(&self) -> Result<String, Error> {
        if self.entries.len() != 1 || self.entries[0].unprotected.is_some() {
            return Err(Error::Config(
                "the compact serialization takes exactly one signature and no unprotected header",
            ));
        }
        if self.unencoded && !self.detached && self.payload.contains(&b'.') {
            return Err(Error::Config(
                "an unencoded compact payload must not contain '.'; detach it",
            ));
        }
        let payload_segment = self.payload_segment()?;
        let sig = self.sign_entry(&self.entries[0], &payload_segment)?;
        let mut out = sig.protected_b64;
        out.push('.');
        if !self.detached {
            out.push_str(&payload_segment);
        }
        out.push('.');
        out.push_str(&sig.signature_b64);
        Ok(out)
    }

    /// The flattened JSON serialization (one signature).
    ///
    /// # Errors
    /// [`Error::Config`] unless there is exactly one signature; header errors as in
    /// [`JwsBuilder::general`].
    pub fn flattened(&self) -> Result<String, Error> {
        if self.entries.len() != 1 {
            return Err(Error::Config(
                "the flattened serialization takes exactly one signature",
            ));
        }
        let payload_segment = self.payload_segment()?;
        let mut out = self.payload_member(&payload_segment);
        let sig = self.sign_entry(&self.entries[0], &payload_segment)?;
        sig.write_into(&mut out);
        Ok(Value::Object(out).to_string())
    }

    /// The general JSON serialization (one or more signatures).
    ///
    /// # Errors
    /// [`Error::Config`] without signatures or with a protected `alg` that differs from the
    /// signer's; [`Malformed::HeaderCollision`] for a parameter in both headers; [`Error::Crit`]
    /// for an invalid `crit`.
    pub fn general(&self) -> Result<String, Error> {
        if self.entries.is_empty() {
            return Err(Error::Config("a JWS needs at least one signature"));
        }
        let payload_segment = self.payload_segment()?;
        let mut out = self.payload_member(&payload_segment);
        let mut sigs = Vec::with_capacity(self.entries.len());
        for entry in &self.entries {
            let mut m = Map::new();
            self.sign_entry(entry, &payload_segment)?.write_into(&mut m);
            sigs.push(Value::Object(m));
        }
        out.insert("signatures".into(), Value::Array(sigs));
        Ok(Value::Object(out).to_string())
    }

    fn payload_segment(&self) -> Result<String, Error> {
        if self.unencoded {
            String::from_utf8(self.payload.to_vec()).map_err(|_| {
                Error::Config(
                    "an unencoded payload must be UTF-8 to be carried in JSON or compact form",
                )
            })
        } else {
            Ok(b64::encode(self.payload))
        }
    }

    fn payload_member(&self, payload_segment: &str) -> Map<String, Value> {
        let mut out = Map::new();
        if !self.detached {
            out.insert("payload".into(), payload_segment.into());
        }
        out
    }

    fn sign_entry(&self, entry: &Pending<'_>, payload_segment: &str) -> Result<SignedEntry, Error> {
        let alg = entry.signer.alg();
        // The protected header as JSON text and as a map; only raw text needs parsing.
        let (protected_json, protected) = match &entry.protected {
            Protected::Raw(raw) => {
                let map: Map<String, Value> =
                    serde_json::from_str(raw).map_err(|_| Error::Malformed(Malformed::Header))?;
                (raw.clone(), map)
            }
            Protected::Header(h) => {
                let mut h = h.clone();
                match h.alg() {
                    None if entry.unprotected.as_ref().and_then(Header::alg).is_none() => {
                        h = h.param("alg", alg.name());
                    }
                    None => {}
                    Some(a) if a == alg.name() => {}
                    Some(_) => {
                        return Err(Error::Config("the header's alg differs from the signer's"));
                    }
                }
                let has_kid = h.get("kid").is_some()
                    || entry
                        .unprotected
                        .as_ref()
                        .is_some_and(|u| u.get("kid").is_some());
                if let (false, Some(kid)) = (has_kid, entry.signer.kid()) {
                    h = h.param("kid", kid);
                }
                if self.unencoded {
                    h = h.param("b64", false);
                    let mut crit: Vec<Value> = match h.get("crit") {
                        Some(Value::Array(c)) => c.clone(),
                        _ => Vec::new(),
                    };
                    if !crit.iter().any(|c| c == "b64") {
                        crit.push("b64".into());
                    }
                    h = h.param("crit", crit);
                }
                (h.to_json(), h.as_map().clone())
            }
        };
        let unprotected = entry.unprotected.as_ref().map(|u| u.as_map().clone());
        check_crit(&protected, unprotected.as_ref(), &[])?;
        super::header::join(&protected, unprotected.as_ref())?;
        if protected.get("b64").and_then(Value::as_bool) == Some(false) && !self.unencoded
            || self.unencoded && protected.get("b64") != Some(&Value::Bool(false))
        {
            return Err(Error::Config(
                "b64 in the header disagrees with the payload encoding",
            ));
        }
        // A signature may protect nothing but the payload (RFC 7520 §4.7): no protected member.
        let protected_b64 = if protected.is_empty() {
            String::new()
        } else {
            b64::encode(protected_json.as_bytes())
        };
        let mut input = String::with_capacity(protected_b64.len() + 1 + payload_segment.len());
        input.push_str(&protected_b64);
        input.push('.');
        input.push_str(payload_segment);
        entry.signer.sign_append(&mut input)?;
        let signature_b64 = input
            .rsplit_once('.')
            .map(|(_, sig)| sig.to_owned())
            .unwrap_or_default();
        Ok(SignedEntry {
            protected_b64,
            unprotected,
            signature_b64,
        })
    }
}

struct SignedEntry {
    protected_b64: String,
    unprotected: Option<Map<String, Value>>,
    signature_b64: String,
}

impl SignedEntry {
    fn write_into(self, m: &mut Map<String, Value>) {
        if !self.protected_b64.is_empty() {
            m.insert("protected".into(), self.protected_b64.into());
        }
        if let Some(u) = self.unprotected {
            m.insert("header".into(), Value::Object(u));
        }
        m.insert("signature".into(), self.signature_b64.into());
    }
}
