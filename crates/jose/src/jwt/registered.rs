//! The registered claims of a token being verified, read with strict types in the pass that
//! checks the payload for duplicate members and nesting depth.

use std::borrow::Cow;

use core::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use super::time::NumericDate;
use crate::error::{Error, Malformed};

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
