//! The JWE serializations (RFC 7516 §7): general and flattened JSON, and compact, which is an
//! adapter over the same parsed form.

use serde_json::{Map, Value};

use crate::b64;
use crate::error::{Error, Limit, Malformed};
use crate::jws::Format;
use crate::jws::format::{decode_header, is_json};

/// Most recipients accepted in a general JWE.
pub const MAX_RECIPIENTS: usize = 16;

/// A parsed, not yet decrypted, JWE.
#[derive(Debug, Clone)]
pub struct Jwe {
    pub(crate) protected_b64: String,
    pub(crate) protected: Map<String, Value>,
    pub(crate) unprotected: Option<Map<String, Value>>,
    pub(crate) recipients: Vec<Recipient>,
    pub(crate) aad_b64: Option<String>,
    pub(crate) iv: Vec<u8>,
    pub(crate) ciphertext: Vec<u8>,
    pub(crate) tag: Vec<u8>,
    pub(crate) format: Format,
}

/// One recipient of a JWE: its per-recipient header and encrypted key.
#[derive(Debug, Clone, Default)]
pub struct Recipient {
    pub(crate) header: Option<Map<String, Value>>,
    pub(crate) encrypted_key: Vec<u8>,
}

impl Jwe {
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
        let (Some(h), Some(k), Some(iv), Some(ct), Some(tag), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(Malformed::Compact.into());
        };
        if h.is_empty() {
            return Err(Malformed::Compact.into());
        }
        Ok(Self {
            protected: decode_header(h)?,
            protected_b64: h.to_owned(),
            unprotected: None,
            recipients: vec![Recipient {
                header: None,
                encrypted_key: b64::decode(k)?,
            }],
            aad_b64: None,
            iv: b64::decode(iv)?,
            ciphertext: b64::decode(ct)?,
            tag: b64::decode(tag)?,
            format: Format::Compact,
        })
    }

    fn parse_json(input: &str) -> Result<Self, Error> {
        let mut map = crate::json::parse_object(input.as_bytes(), crate::json::DEFAULT_MAX_DEPTH)?;
        let (protected_b64, protected) = match map.remove("protected") {
            None => (String::new(), Map::new()),
            Some(Value::String(p)) if !p.is_empty() => {
                let h = decode_header(&p)?;
                (p, h)
            }
            Some(_) => return Err(Malformed::JweJson.into()),
        };
        let unprotected = optional_object(map.remove("unprotected"))?;
        let aad_b64 = match map.remove("aad") {
            None => None,
            Some(Value::String(a)) => {
                b64::decode(&a)?;
                Some(a)
            }
            Some(_) => return Err(Malformed::JweJson.into()),
        };
        let (recipients, format) = match map.remove("recipients") {
            Some(Value::Array(items)) => {
                if items.is_empty() {
                    return Err(Malformed::JweJson.into());
                }
                if items.len() > MAX_RECIPIENTS {
                    return Err(Error::LimitExceeded(Limit::Recipients));
                }
                if map.contains_key("header") || map.contains_key("encrypted_key") {
                    return Err(Malformed::JweJson.into());
                }
                let list = items
                    .into_iter()
                    .map(|v| match v {
                        Value::Object(mut m) => recipient(&mut m),
                        _ => Err(Malformed::JweJson.into()),
                    })
                    .collect::<Result<Vec<_>, Error>>()?;
                (list, Format::General)
            }
            None => (vec![recipient(&mut map)?], Format::Flattened),
            Some(_) => return Err(Malformed::JweJson.into()),
        };
        let iv = required(&mut map, "iv")?;
        let ciphertext = required(&mut map, "ciphertext")?;
        let tag = required(&mut map, "tag")?;
        Ok(Self {
            protected_b64,
            protected,
            unprotected,
            recipients,
            aad_b64,
            iv,
            ciphertext,
            tag,
            format,
        })
    }

    /// The serialization it was parsed from (or is produced in).
    #[must_use]
    pub fn format(&self) -> Format {
        self.format
    }

    /// The protected header (unauthenticated until decryption succeeds).
    #[must_use]
    pub fn protected(&self) -> &Map<String, Value> {
        &self.protected
    }

    /// The shared unprotected header.
    #[must_use]
    pub fn unprotected(&self) -> Option<&Map<String, Value>> {
        self.unprotected.as_ref()
    }

    /// The number of recipients.
    #[must_use]
    pub fn recipient_count(&self) -> usize {
        self.recipients.len()
    }

    /// The per-recipient headers, in order.
    pub fn recipient_headers(&self) -> impl Iterator<Item = Option<&Map<String, Value>>> {
        self.recipients.iter().map(|r| r.header.as_ref())
    }

    /// Sizes in bytes of the encrypted key (first recipient), IV, ciphertext and tag.
    #[must_use]
    pub fn part_sizes(&self) -> [usize; 4] {
        [
            self.recipients.first().map_or(0, |r| r.encrypted_key.len()),
            self.iv.len(),
            self.ciphertext.len(),
            self.tag.len(),
        ]
    }

    /// The additional authenticated data of the content encryption (RFC 7516 §5.1 step 14).
    pub(crate) fn aad(&self) -> Vec<u8> {
        let mut aad = self.protected_b64.as_bytes().to_vec();
        if let Some(extra) = &self.aad_b64 {
            aad.push(b'.');
            aad.extend_from_slice(extra.as_bytes());
        }
        aad
    }

    /// The compact serialization.
    ///
    /// # Errors
    /// [`Error::Config`] when the JWE cannot be compact: several recipients, unprotected
    /// headers, or AAD.
    pub fn to_compact(&self) -> Result<String, Error> {
        let [r] = self.recipients.as_slice() else {
            return Err(Error::Config("the compact serialization has one recipient"));
        };
        if self.unprotected.is_some() || r.header.is_some() || self.aad_b64.is_some() {
            return Err(Error::Config(
                "the compact serialization has no unprotected header and no AAD",
            ));
        }
        if self.protected_b64.is_empty() {
            return Err(Error::Config(
                "the compact serialization needs a protected header",
            ));
        }
        let mut out = self.protected_b64.clone();
        for part in [&r.encrypted_key, &self.iv, &self.ciphertext, &self.tag] {
            out.push('.');
            b64::encode_into(part, &mut out);
        }
        Ok(out)
    }

    /// The flattened JSON serialization.
    ///
    /// # Errors
    /// [`Error::Config`] with several recipients.
    pub fn to_flattened(&self) -> Result<String, Error> {
        let [r] = self.recipients.as_slice() else {
            return Err(Error::Config(
                "the flattened serialization has one recipient",
            ));
        };
        let mut m = self.json_head();
        if let Some(h) = &r.header {
            m.insert("header".into(), Value::Object(h.clone()));
        }
        if !r.encrypted_key.is_empty() {
            m.insert("encrypted_key".into(), b64::encode(&r.encrypted_key).into());
        }
        self.json_tail(&mut m);
        Ok(Value::Object(m).to_string())
    }

    /// The general JSON serialization.
    #[must_use]
    pub fn to_general(&self) -> String {
        let mut m = self.json_head();
        let list = self
            .recipients
            .iter()
            .map(|r| {
                let mut o = Map::new();
                if let Some(h) = &r.header {
                    o.insert("header".into(), Value::Object(h.clone()));
                }
                if !r.encrypted_key.is_empty() {
                    o.insert("encrypted_key".into(), b64::encode(&r.encrypted_key).into());
                }
                Value::Object(o)
            })
            .collect();
        m.insert("recipients".into(), Value::Array(list));
        self.json_tail(&mut m);
        Value::Object(m).to_string()
    }

    /// Serializes in `format`.
    ///
    /// # Errors
    /// As [`Jwe::to_compact`] and [`Jwe::to_flattened`].
    pub fn serialize(&self, format: Format) -> Result<String, Error> {
        match format {
            Format::Compact => self.to_compact(),
            Format::Flattened => self.to_flattened(),
            Format::General => Ok(self.to_general()),
        }
    }

    fn json_head(&self) -> Map<String, Value> {
        let mut m = Map::new();
        if !self.protected_b64.is_empty() {
            m.insert("protected".into(), self.protected_b64.clone().into());
        }
        if let Some(u) = &self.unprotected {
            m.insert("unprotected".into(), Value::Object(u.clone()));
        }
        m
    }

    fn json_tail(&self, m: &mut Map<String, Value>) {
        if let Some(a) = &self.aad_b64 {
            m.insert("aad".into(), a.clone().into());
        }
        m.insert("iv".into(), b64::encode(&self.iv).into());
        m.insert("ciphertext".into(), b64::encode(&self.ciphertext).into());
        m.insert("tag".into(), b64::encode(&self.tag).into());
    }
}

fn optional_object(v: Option<Value>) -> Result<Option<Map<String, Value>>, Error> {
    match v {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(Malformed::JweJson.into()),
    }
}

fn recipient(m: &mut Map<String, Value>) -> Result<Recipient, Error> {
    let header = optional_object(m.remove("header"))?;
    let encrypted_key = match m.remove("encrypted_key") {
        None => Vec::new(),
        Some(Value::String(k)) => b64::decode(&k)?,
        Some(_) => return Err(Malformed::JweJson.into()),
    };
    Ok(Recipient {
        header,
        encrypted_key,
    })
}

fn required(m: &mut Map<String, Value>, name: &str) -> Result<Vec<u8>, Error> {
    match m.remove(name) {
        Some(Value::String(s)) => b64::decode(&s),
        _ => Err(Malformed::JweJson.into()),
    }
}
