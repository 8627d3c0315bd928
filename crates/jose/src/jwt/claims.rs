//! JWT claims: the registered ones typed (RFC 7519 §4.1), custom ones through serde.

use std::borrow::Cow;
use std::time::Duration;

use core::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::time::{Clock, NumericDate, SystemClock};
use crate::error::{Error, Malformed};

/// The `aud` claim: one string or an array of strings (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience, serialized as a string.
    One(String),
    /// Several audiences, serialized as an array.
    Many(Vec<String>),
}

impl Audience {
    /// Whether `aud` names `value`.
    #[must_use]
    pub fn contains(&self, value: &str) -> bool {
        match self {
            Self::One(a) => a == value,
            Self::Many(v) => v.iter().any(|a| a == value),
        }
    }
}

/// A claims set under construction, members kept in insertion order.
///
/// ```
/// use std::time::Duration;
/// use tessera_jose::jwt::Claims;
/// let claims = Claims::new()
///     .issuer("https://auth.example.com")
///     .subject("u1")
///     .audience("api://orders")
///     .expires_in(Duration::from_secs(900))
///     .claim("scope", "orders:read")?;
/// assert_eq!(claims.get("scope").and_then(|v| v.as_str()), Some("orders:read"));
/// # Ok::<(), tessera_jose::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    map: Map<String, Value>,
    now: i64,
}

impl Default for Claims {
    fn default() -> Self {
        Self::new()
    }
}

impl Claims {
    /// An empty claims set; relative times count from the system clock's now.
    #[must_use]
    pub fn new() -> Self {
        Self::with_clock(&SystemClock)
    }

    /// An empty claims set whose relative times count from `clock`.
    #[must_use]
    pub fn with_clock(clock: &dyn Clock) -> Self {
        Self {
            map: Map::new(),
            now: clock.now(),
        }
    }

    /// Sets `iss`.
    #[must_use]
    pub fn issuer(self, iss: impl Into<String>) -> Self {
        self.set("iss", Value::String(iss.into()))
    }

    /// Sets `sub`.
    #[must_use]
    pub fn subject(self, sub: impl Into<String>) -> Self {
        self.set("sub", Value::String(sub.into()))
    }

    /// Sets `aud` to one audience (a JSON string).
    #[must_use]
    pub fn audience(self, aud: impl Into<String>) -> Self {
        self.set("aud", Value::String(aud.into()))
    }

    /// Sets `aud` to several audiences (a JSON array).
    #[must_use]
    pub fn audiences<S: Into<String>>(self, aud: impl IntoIterator<Item = S>) -> Self {
        let list: Vec<Value> = aud.into_iter().map(|a| Value::String(a.into())).collect();
        self.set("aud", Value::Array(list))
    }

    /// Sets `exp`.
    #[must_use]
    pub fn expires_at(self, exp: NumericDate) -> Self {
        self.set("exp", exp.secs().into())
    }

    /// Sets `exp` to now plus `d`, and `iat` to now unless already set.
    #[must_use]
    pub fn expires_in(self, d: Duration) -> Self {
        let now = NumericDate::from_secs(self.now);
        let s = self.expires_at(now.plus(d));
        if s.map.contains_key("iat") {
            s
        } else {
            s.issued_at(now)
        }
    }

    /// Sets `nbf`.
    #[must_use]
    pub fn not_before(self, nbf: NumericDate) -> Self {
        self.set("nbf", nbf.secs().into())
    }

    /// Sets `nbf` to now plus `d`.
    #[must_use]
    pub fn not_before_in(self, d: Duration) -> Self {
        let nbf = NumericDate::from_secs(self.now).plus(d);
        self.not_before(nbf)
    }

    /// Sets `iat`.
    #[must_use]
    pub fn issued_at(self, iat: NumericDate) -> Self {
        self.set("iat", iat.secs().into())
    }

    /// Sets `iat` to now.
    #[must_use]
    pub fn issued_now(self) -> Self {
        let now = NumericDate::from_secs(self.now);
        self.issued_at(now)
    }

    /// Sets `jti`.
    #[must_use]
    pub fn jwt_id(self, jti: impl Into<String>) -> Self {
        self.set("jti", Value::String(jti.into()))
    }

    /// Sets `jti` to 128 random bits, base64url-encoded.
    ///
    /// # Errors
    /// [`Error::Crypto`] if the random generator fails.
    pub fn random_jwt_id(self) -> Result<Self, Error> {
        let mut id = [0u8; 16];
        crate::crypto::random(&mut id)?;
        Ok(self.jwt_id(crate::b64::encode(id)))
    }

    /// Sets any claim from a serializable value. The registered time claims must be numbers
    /// and `aud` a string or an array of strings.
    ///
    /// # Errors
    /// [`Error::Claims`] if the value does not serialize, [`Error::InvalidClaim`] for a
    /// registered claim of the wrong type.
    pub fn claim(self, name: &str, value: impl Serialize) -> Result<Self, Error> {
        let value = serde_json::to_value(value).map_err(|e| Error::Claims(e.to_string()))?;
        check_registered(name, &value)?;
        Ok(self.set(name, value))
    }

    /// Merges every member of a serializable struct or map (later values win).
    ///
    /// # Errors
    /// [`Error::Claims`] if `claims` does not serialize to a JSON object; as [`Claims::claim`].
    pub fn merge(mut self, claims: impl Serialize) -> Result<Self, Error> {
        match serde_json::to_value(claims).map_err(|e| Error::Claims(e.to_string()))? {
            Value::Object(m) => {
                for (k, v) in m {
                    check_registered(&k, &v)?;
                    self.map.insert(k, v);
                }
                Ok(self)
            }
            _ => Err(Error::Claims(
                "claims must serialize to a JSON object".into(),
            )),
        }
    }

    /// A claim's value.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name)
    }

    /// The claims as a JSON object.
    #[must_use]
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// Signs these claims into a compact JWT.
    ///
    /// # Errors
    /// As [`super::JwtSigner::sign`].
    pub fn sign(&self, signer: &super::JwtSigner) -> Result<String, Error> {
        signer.sign(&self.map)
    }

    fn set(mut self, name: &str, value: Value) -> Self {
        self.map.insert(name.to_owned(), value);
        self
    }
}

fn check_registered(name: &str, value: &Value) -> Result<(), Error> {
    let ok = match name {
        "exp" => value.is_number(),
        "nbf" => value.is_number(),
        "iat" => value.is_number(),
        "iss" | "sub" | "jti" => value.is_string(),
        "aud" => {
            value.is_string()
                || value
                    .as_array()
                    .is_some_and(|a| a.iter().all(Value::is_string))
        }
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidClaim(registered_name(name)))
    }
}

fn registered_name(name: &str) -> &'static str {
    REGISTERED
        .iter()
        .find(|r| **r == name)
        .copied()
        .unwrap_or("claim")
}

const REGISTERED: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

/// The registered claims of a token, borrowed from its JSON, with strict types.
#[derive(Default)]
pub(crate) struct RegisteredRef<'a> {
    pub iss: Option<Cow<'a, str>>,
    pub sub: Option<Cow<'a, str>>,
    pub aud: Option<AudRef<'a>>,
    pub exp: Option<NumericDate>,
    pub nbf: Option<NumericDate>,
    pub iat: Option<NumericDate>,
    pub jti: Option<Cow<'a, str>>,
}

/// Deserializes one claim value (the whole slice, nothing after it) with `f`; any failure is
/// [`Error::InvalidClaim`] naming the claim.
fn strict<'a, T>(
    value: &'a [u8],
    name: &'static str,
    f: impl FnOnce(
        &mut serde_json::Deserializer<serde_json::de::SliceRead<'a>>,
    ) -> Result<T, serde_json::Error>,
) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(value);
    let out = f(&mut de).map_err(|_| Error::InvalidClaim(name))?;
    de.end().map_err(|_| Error::InvalidClaim(name))?;
    Ok(out)
}

/// A string claim. `value` is a slice of `json`; a plain string (no escapes) is borrowed from
/// `json` without a parser. Raw control characters are left for the full parse of the claims,
/// which rejects the token.
fn string_value<'a>(
    json: &'a str,
    value: &'a [u8],
    name: &'static str,
) -> Result<Cow<'a, str>, Error> {
    if let [b'"', inner @ .., b'"'] = value
        && !inner.contains(&b'\\')
    {
        let start = (value.as_ptr() as usize).wrapping_sub(json.as_ptr() as usize) + 1;
        if let Some(text) = json.get(start..start + inner.len()) {
            return Ok(Cow::Borrowed(text));
        }
    }
    strict(value, name, |d| d.deserialize_str(CowStr))
}

fn date_value(value: &[u8], name: &'static str) -> Result<NumericDate, Error> {
    // Fast path: a plain non-negative integer.
    if !value.is_empty()
        && value.len() <= 18
        && value.iter().all(u8::is_ascii_digit)
        && (value[0] != b'0' || value.len() == 1)
    {
        let n = value.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
        return Ok(NumericDate::from_secs(n));
    }
    strict(value, name, |d| NumericDate::deserialize(d))
}

impl<'a> RegisteredRef<'a> {
    /// Reads the registered claims in the same pass that checks the payload for duplicate
    /// members and nesting depth; other members are left to the caller's own type.
    pub(crate) fn scan(json: &'a str, max_depth: usize) -> Result<Self, Error> {
        let mut r = Self::default();
        crate::json::scan_object(json.as_bytes(), max_depth, |key, escaped, value| {
            // Every registered name has three letters: most members are ruled out by length.
            if key.len() != 3 && !escaped {
                return Ok(());
            }
            let name = crate::json::member_name(key, escaped);
            let Ok(name) = <[u8; 3]>::try_from(&*name) else {
                return Ok(());
            };
            match &name {
                b"iss" => r.iss = Some(string_value(json, value, "iss")?),
                b"sub" => r.sub = Some(string_value(json, value, "sub")?),
                b"jti" => r.jti = Some(string_value(json, value, "jti")?),
                b"aud" => {
                    r.aud = Some(if value.first() == Some(&b'"') {
                        AudRef::One(string_value(json, value, "aud")?)
                    } else {
                        strict(value, "aud", |d| d.deserialize_any(AudVisitor))?
                    });
                }
                b"exp" => r.exp = Some(date_value(value, "exp")?),
                b"nbf" => r.nbf = Some(date_value(value, "nbf")?),
                b"iat" => r.iat = Some(date_value(value, "iat")?),
                _ => {}
            }
            Ok(())
        })
        .map_err(|e| match e {
            Error::Malformed(Malformed::Json) => Error::Malformed(Malformed::Payload),
            other => other,
        })?;
        Ok(r)
    }

    pub(crate) fn has(&self, name: &str) -> Option<bool> {
        Some(match name {
            "iss" => self.iss.is_some(),
            "sub" => self.sub.is_some(),
            "aud" => self.aud.is_some(),
            "exp" => self.exp.is_some(),
            "nbf" => self.nbf.is_some(),
            "iat" => self.iat.is_some(),
            "jti" => self.jti.is_some(),
            _ => return None,
        })
    }
}

/// A borrowed `aud`.
pub(crate) enum AudRef<'a> {
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
}

impl AudRef<'_> {
    pub(crate) fn any_of(&self, accepted: &[String]) -> bool {
        match self {
            Self::One(a) => accepted.iter().any(|x| x == a),
            Self::Many(list) => list.iter().any(|a| accepted.iter().any(|x| x == a)),
        }
    }
}

struct CowStr;

impl<'de> Visitor<'de> for CowStr {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

struct AudVisitor;

impl<'de> Visitor<'de> for AudVisitor {
    type Value = AudRef<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(AudRef::One(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(AudRef::One(Cow::Owned(v.to_owned())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(s) = seq.next_element_seed(CowSeed)? {
            out.push(s);
        }
        Ok(AudRef::Many(out))
    }
}

struct CowSeed;

impl<'de> de::DeserializeSeed<'de> for CowSeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(CowStr)
    }
}
