//! JOSE headers for JWS (RFC 7515 §4): building, parsing, the protected/unprotected split and
//! `crit` (§4.1.11, RFC 7797 §6).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::alg::JwsAlg;
use crate::error::{Error, Malformed};

/// Header parameters this crate understands when they are listed in `crit`.
const UNDERSTOOD_CRIT: &[&str] = &["b64"];

/// Header parameters registered by JWS and JWA, which must never appear in `crit`.
const REGISTERED: &[&str] = &[
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "enc",
    "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
];

/// A JOSE header: an ordered JSON object with typed accessors for the registered parameters.
///
/// ```
/// use tessera_jose::{JwsAlg, jws::Header};
/// let h = Header::new(JwsAlg::ES256).typ("at+jwt").kid("k1");
/// assert_eq!(h.to_json(), r#"{"alg":"ES256","typ":"at+jwt","kid":"k1"}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    map: Map<String, Value>,
}

impl Header {
    /// A header with `alg` set.
    #[must_use]
    pub fn new(alg: JwsAlg) -> Self {
        let mut map = Map::new();
        map.insert("alg".into(), alg.name().into());
        Self { map }
    }

    /// An empty header (for an unprotected header).
    #[must_use]
    pub fn empty() -> Self {
        Self::default()
    }

    /// Wraps a JSON object.
    #[must_use]
    pub fn from_map(map: Map<String, Value>) -> Self {
        Self { map }
    }

    /// Sets `typ`.
    #[must_use]
    pub fn typ(self, typ: &str) -> Self {
        self.param("typ", typ)
    }

    /// Sets `kid`.
    #[must_use]
    pub fn kid(self, kid: &str) -> Self {
        self.param("kid", kid)
    }

    /// Sets `cty`.
    #[must_use]
    pub fn cty(self, cty: &str) -> Self {
        self.param("cty", cty)
    }

    /// Sets any parameter.
    #[must_use]
    pub fn param(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.map.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a parameter.
    #[must_use]
    pub fn without(mut self, name: &str) -> Self {
        self.map.remove(name);
        self
    }

    /// A parameter's value.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name)
    }

    /// A string parameter's value.
    #[must_use]
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.map.get(name).and_then(Value::as_str)
    }

    /// The `alg` parameter as written.
    #[must_use]
    pub fn alg(&self) -> Option<&str> {
        self.get_str("alg")
    }

    /// The `kid` parameter.
    #[must_use]
    pub fn kid_value(&self) -> Option<&str> {
        self.get_str("kid")
    }

    /// The `typ` parameter.
    #[must_use]
    pub fn typ_value(&self) -> Option<&str> {
        self.get_str("typ")
    }

    /// The JSON object.
    #[must_use]
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// Whether the header has no parameters.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Compact JSON text, members in insertion order.
    #[must_use]
    pub fn to_json(&self) -> String {
        Value::Object(self.map.clone()).to_string()
    }

    /// `b64` as RFC 7797 defines it (`true` when absent).
    #[must_use]
    pub fn b64(&self) -> bool {
        self.map.get("b64").and_then(Value::as_bool).unwrap_or(true)
    }
}

/// The registered parameters of a protected header, borrowed from its JSON (the hot path).
#[derive(Deserialize)]
pub(crate) struct HeaderRef<'a> {
    #[serde(borrow)]
    pub alg: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub kid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub typ: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub cty: Option<Cow<'a, str>>,
    /// Checked in full by [`check_crit`] when present.
    #[serde(default)]
    pub crit: Option<serde::de::IgnoredAny>,
    /// Checked in full by [`check_crit`] when present.
    #[serde(default)]
    pub b64: Option<serde::de::IgnoredAny>,
}

impl<'a> HeaderRef<'a> {
    /// Parses a protected header: duplicate members rejected, `alg`/`kid`/`typ`/`cty` strings,
    /// `b64` a boolean.
    pub(crate) fn parse(json: &'a [u8], max_depth: usize) -> Result<Self, Error> {
        crate::json::check(json, max_depth)?;
        serde_json::from_slice(json).map_err(|_| Error::Malformed(Malformed::Header))
    }
}

/// Enforces `crit`: present only in the protected header, a non-empty array of distinct names,
/// none registered, each present in the protected header and understood (by this crate or by
/// the caller's `extra` list). Also checks that `b64` is only used when listed in `crit`.
pub(crate) fn check_crit(
    protected: &Map<String, Value>,
    unprotected: Option<&Map<String, Value>>,
    extra: &[String],
) -> Result<(), Error> {
    if unprotected.is_some_and(|u| u.contains_key("b64")) {
        return Err(Error::Crit);
    }
    let others: Vec<&Map<String, Value>> = unprotected.into_iter().collect();
    let names = crit_names(protected, &others, UNDERSTOOD_CRIT, extra)?;
    match protected.get("b64") {
        None => Ok(()),
        Some(Value::Bool(_)) if names.contains(&"b64") => Ok(()),
        _ => Err(Error::Crit),
    }
}

/// The `crit` rules shared by JWS and JWE: `crit` only in the protected header, a non-empty
/// array of distinct names, none registered, each present in the protected header and
/// understood (by this crate's `understood` list or the caller's `extra`). Returns the names.
pub(crate) fn crit_names<'a>(
    protected: &'a Map<String, Value>,
    unprotected: &[&Map<String, Value>],
    understood: &[&str],
    extra: &[String],
) -> Result<Vec<&'a str>, Error> {
    if unprotected.iter().any(|u| u.contains_key("crit")) {
        return Err(Error::Crit);
    }
    let items = match protected.get("crit") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(_) => return Err(Error::Crit),
    };
    let mut names: Vec<&str> = Vec::with_capacity(items.len());
    for item in items {
        let name = item.as_str().ok_or(Error::Crit)?;
        let known = understood.contains(&name) || extra.iter().any(|e| e == name);
        if names.contains(&name)
            || REGISTERED.contains(&name)
            || !protected.contains_key(name)
            || !known
        {
            return Err(Error::Crit);
        }
        names.push(name);
    }
    Ok(names)
}

/// The borrowed-header form of [`check_crit`], for compact tokens (no unprotected header).
pub(crate) fn check_crit_ref(
    header: &HeaderRef<'_>,
    raw: &[u8],
    extra: &[String],
) -> Result<(), Error> {
    if header.crit.is_none() && header.b64.is_none() {
        return Ok(());
    }
    let map = crate::json::parse_object(raw, crate::json::DEFAULT_MAX_DEPTH)?;
    check_crit(&map, None, extra)
}

/// Joins protected and unprotected headers, rejecting a parameter that appears in both
/// (RFC 7515 §7.2.1).
pub(crate) fn join(
    protected: &Map<String, Value>,
    unprotected: Option<&Map<String, Value>>,
) -> Result<Header, Error> {
    let mut map = protected.clone();
    if let Some(u) = unprotected {
        for (k, v) in u {
            if map.contains_key(k) {
                return Err(Malformed::HeaderCollision.into());
            }
            map.insert(k.clone(), v.clone());
        }
    }
    Ok(Header { map })
}

/// Compares a `typ` value with the expected media type (RFC 7515 §4.1.9): case-insensitive,
/// with the `application/` prefix optional on either side.
#[must_use]
pub fn typ_matches(actual: &str, expected: &str) -> bool {
    fn strip(s: &str) -> &str {
        match s.get(..12) {
            Some(p) if p.eq_ignore_ascii_case("application/") && !s[12..].contains('/') => &s[12..],
            _ => s,
        }
    }
    strip(actual).eq_ignore_ascii_case(strip(expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn typ_comparison() {
        assert!(typ_matches("JWT", "jwt"));
        assert!(typ_matches("application/at+jwt", "at+JWT"));
        assert!(typ_matches("at+jwt", "Application/AT+JWT"));
        assert!(!typ_matches("jwt", "at+jwt"));
        assert!(!typ_matches("application/jwt/x", "jwt/x"));
    }

    #[test]
    fn crit_rules() {
        let ok = map(r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#);
        check_crit(&ok, None, &[]).unwrap();
        for bad in [
            r#"{"alg":"HS256","crit":[]}"#,
            r#"{"alg":"HS256","crit":"b64","b64":false}"#,
            r#"{"alg":"HS256","crit":["x"],"x":1}"#,
            r#"{"alg":"HS256","crit":["b64"]}"#,
            r#"{"alg":"HS256","crit":["alg"]}"#,
            r#"{"alg":"HS256","crit":["b64","b64"],"b64":false}"#,
            r#"{"alg":"HS256","b64":false}"#,
        ] {
            assert_eq!(check_crit(&map(bad), None, &[]), Err(Error::Crit), "{bad}");
        }
        let ext = map(r#"{"alg":"HS256","crit":["x"],"x":1}"#);
        check_crit(&ext, None, &["x".to_owned()]).unwrap();
        let unprot = map(r#"{"crit":["b64"]}"#);
        assert_eq!(check_crit(&ok, Some(&unprot), &[]), Err(Error::Crit));
    }
}
