//! JWE headers (RFC 7516 §4, §7.2.1): the joined header of one recipient, `crit`, and the
//! registered parameters read from it.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::alg::{Enc, JweAlg};
use crate::error::{Error, Malformed};
use crate::jws::Header;

/// Joins the protected, shared unprotected and per-recipient headers, rejecting a parameter
/// that appears in more than one of them.
pub(crate) fn join<'a>(
    protected: &'a Map<String, Value>,
    shared: Option<&Map<String, Value>>,
    recipient: Option<&Map<String, Value>>,
) -> Result<Cow<'a, Map<String, Value>>, Error> {
    if shared.is_none() && recipient.is_none() {
        return Ok(Cow::Borrowed(protected));
    }
    let mut joined = protected.clone();
    for part in [shared, recipient].into_iter().flatten() {
        for (k, v) in part {
            if joined.contains_key(k) {
                return Err(Malformed::HeaderCollision.into());
            }
            joined.insert(k.clone(), v.clone());
        }
    }
    Ok(Cow::Owned(joined))
}

/// Whether a parameter appears in more than one of the headers (RFC 7516 §7.2.1).
pub(crate) fn collides(headers: &[&Map<String, Value>]) -> bool {
    headers.iter().enumerate().any(|(i, h)| {
        h.keys()
            .any(|k| headers[i + 1..].iter().any(|other| other.contains_key(k)))
    })
}

/// The registered parameters of a recipient's joined header that decide how it is decrypted.
pub(crate) struct Params<'a> {
    pub alg: JweAlg,
    pub enc: Enc,
    pub kid: Option<&'a str>,
    pub zip: bool,
}

impl<'a> Params<'a> {
    /// Reads `alg`, `enc`, `kid` and `zip`, enforces `crit` (only in the protected header, only
    /// names the caller understands: JWE defines none of its own) and requires `zip` to be
    /// protected and `DEF`.
    pub(crate) fn read(
        joined: &'a Map<String, Value>,
        protected: &Map<String, Value>,
        unprotected: &[&Map<String, Value>],
        extra_crit: &[String],
    ) -> Result<Self, Error> {
        crate::jws::header::crit_names(protected, unprotected, &[], extra_crit)?;
        let text = |name: &str| -> Result<Option<&'a str>, Error> {
            match joined.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => Err(Malformed::Header.into()),
            }
        };
        let alg = JweAlg::from_name(text("alg")?.ok_or(Malformed::Header)?)?;
        let enc = Enc::from_name(text("enc")?.ok_or(Malformed::Header)?)?;
        let kid = text("kid")?;
        let zip = match text("zip")? {
            None => false,
            Some(_) if !protected.contains_key("zip") => return Err(Malformed::Header.into()),
            Some("DEF") => true,
            Some(other) => {
                return Err(Error::UnsupportedAlgorithm(crate::alg::printable(other)));
            }
        };
        Ok(Self { alg, enc, kid, zip })
    }
}

/// Wraps a joined header map for callers.
pub(crate) fn to_header(map: Map<String, Value>) -> Header {
    Header::from_map(map)
}
