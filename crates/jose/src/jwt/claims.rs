//! JWT claims: the registered ones typed (RFC 7519 §4.1), custom ones through serde.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::time::{Clock, NumericDate, SystemClock};
use crate::error::Error;

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

    /// Encrypts these claims into a compact JWE (an encrypted, unsigned JWT).
    ///
    /// # Errors
    /// As [`super::JwtEncrypter::encrypt`].
    pub fn encrypt(&self, encrypter: &super::JwtEncrypter) -> Result<String, Error> {
        encrypter.encrypt(&self.map)
    }

    /// Signs these claims, then encrypts the signed JWT: a nested JWT with `cty: "JWT"`.
    ///
    /// # Errors
    /// As [`super::JwtSigner::sign`] and [`super::JwtEncrypter::encrypt_signed`].
    pub fn sign_and_encrypt(
        &self,
        signer: &super::JwtSigner,
        encrypter: &super::JwtEncrypter,
    ) -> Result<String, Error> {
        encrypter.encrypt_signed(&signer.sign(&self.map)?)
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
