//! JWK Sets (RFC 7517 §5) and key selection.

use serde_json::{Map, Value};

use super::{Jwk, KeyUse};
use crate::alg::{Curve, JwsAlg, Kty};
use crate::error::{Error, Limit, Malformed};

/// Most keys a JWK Set may hold.
pub const MAX_KEYS: usize = 1000;

/// A JWK Set.
///
/// Parsing skips keys whose `kty` or `crv` this crate does not know and keys that fail the import
/// policy (RFC 7517 §5 asks implementations to ignore keys they do not understand); the skipped
/// positions and reasons are kept in [`JwkSet::skipped`]. Use [`JwkSet::from_json_strict`] to
/// reject the whole set instead.
///
/// ```
/// use tessera_jose::{Error, Jwk, JwkSet, JwsAlg, jwk::KeyQuery};
/// let ec = Jwk::generate(JwsAlg::ES256)?.with_kid("k1");
/// let ed = Jwk::generate(JwsAlg::EdDSA)?.with_kid("k1");
/// let set = JwkSet::from_json(&JwkSet::from(vec![ec.to_public()?, ed.to_public()?]).to_json())?;
/// // The shared kid is told apart by the algorithm; alone it is ambiguous.
/// let q = KeyQuery { kid: Some("k1"), alg: Some(JwsAlg::EdDSA), ..KeyQuery::default() };
/// assert_eq!(set.select(&q)?.kid(), Some("k1"));
/// let q = KeyQuery { kid: Some("k1"), ..KeyQuery::default() };
/// assert_eq!(set.select(&q).unwrap_err(), Error::AmbiguousKey);
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JwkSet {
    keys: Vec<Jwk>,
    skipped: Vec<(usize, Error)>,
    /// The `kid`s of the skipped entries: a verifier refuses a set in which a skipped entry
    /// shares its `kid` with another (a broken or tampered set).
    skipped_kids: Vec<String>,
    other: Map<String, Value>,
}

/// What a key must satisfy to be selected. Unset fields match anything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyQuery<'a> {
    /// The `kid` the key must have.
    pub kid: Option<&'a str>,
    /// The algorithm the key must allow (its `alg`, or its type and curve).
    pub alg: Option<JwsAlg>,
    /// The use the key must allow (a key without `use` allows any).
    pub key_use: Option<KeyUse>,
    /// The operation the key must allow (a key without `key_ops` allows any).
    pub op: Option<&'a str>,
    /// The key type.
    pub kty: Option<Kty>,
    /// The curve.
    pub crv: Option<Curve>,
    /// Whether the key must be private.
    pub private: bool,
}

impl KeyQuery<'_> {
    /// Whether `jwk` satisfies this query.
    #[must_use]
    pub fn matches(&self, jwk: &Jwk) -> bool {
        self.kid.is_none_or(|kid| jwk.kid() == Some(kid))
            && self.kty.is_none_or(|kty| jwk.kty() == kty)
            && self.crv.is_none_or(|crv| jwk.curve() == Some(crv))
            && self
                .key_use
                .is_none_or(|u| jwk.key_use().is_none_or(|k| k == u.name()))
            && self
                .op
                .is_none_or(|op| jwk.key_ops().is_none_or(|ops| ops.iter().any(|o| o == op)))
            && self.alg.is_none_or(|alg| {
                jwk.alg().is_none_or(|a| a == alg.name())
                    && super::check_fits(jwk.params(), alg).is_ok()
            })
            && (!self.private || jwk.is_private())
    }
}

impl JwkSet {
    /// An empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a JWK Set, skipping keys that are not understood or fail validation.
    ///
    /// # Errors
    /// [`Malformed::Json`] when the document is not a JSON object with a `keys` array,
    /// [`Limit::Keys`] beyond [`MAX_KEYS`] keys.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        Self::parse(json.as_bytes(), false)
    }

    /// Parses a JWK Set, failing on the first key that is not understood or fails validation.
    ///
    /// # Errors
    /// As [`JwkSet::from_json`], and the key's error.
    pub fn from_json_strict(json: &str) -> Result<Self, Error> {
        Self::parse(json.as_bytes(), true)
    }

    fn parse(json: &[u8], strict: bool) -> Result<Self, Error> {
        if json.len() > MAX_KEYS * 4096 {
            return Err(Error::LimitExceeded(Limit::Size));
        }
        let mut map = crate::json::parse_object(json, crate::json::DEFAULT_MAX_DEPTH)?;
        let Some(Value::Array(items)) = map.remove("keys") else {
            return Err(Malformed::Json.into());
        };
        if items.len() > MAX_KEYS {
            return Err(Error::LimitExceeded(Limit::Keys));
        }
        let mut set = Self {
            other: map,
            ..Self::default()
        };
        for (i, item) in items.into_iter().enumerate() {
            let (parsed, kid) = match item {
                Value::Object(m) => {
                    let kid = m.get("kid").and_then(Value::as_str).map(str::to_owned);
                    (super::parse::from_map(m), kid)
                }
                _ => (Err(Malformed::Jwk.into()), None),
            };
            match parsed {
                Ok(jwk) => set.keys.push(jwk),
                Err(e) if strict => return Err(e),
                Err(e) => {
                    set.skipped.push((i, e));
                    set.skipped_kids.extend(kid);
                }
            }
        }
        Ok(set)
    }

    /// Serializes to JSON text (`{"keys":[...]}` plus any other members).
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut map = Map::new();
        map.insert(
            "keys".into(),
            Value::Array(self.keys.iter().map(Jwk::to_value).collect()),
        );
        for (k, v) in &self.other {
            map.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(map).to_string()
    }

    /// The set with only public keys (`oct` keys are dropped), for publishing.
    #[must_use]
    pub fn to_public(&self) -> Self {
        Self {
            keys: self
                .keys
                .iter()
                .filter_map(|k| k.to_public().ok())
                .collect(),
            skipped: Vec::new(),
            skipped_kids: Vec::new(),
            other: self.other.clone(),
        }
    }

    /// The keys.
    #[must_use]
    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }

    /// Positions (in the parsed document) and reasons of the keys that were skipped.
    #[must_use]
    pub fn skipped(&self) -> &[(usize, Error)] {
        &self.skipped
    }

    /// The `kid`s of the entries that were skipped (those that had one).
    #[must_use]
    pub fn skipped_kids(&self) -> &[String] {
        &self.skipped_kids
    }

    /// Adds a key.
    pub fn push(&mut self, jwk: Jwk) {
        self.keys.push(jwk);
    }

    /// Removes and returns every key with this `kid`.
    pub fn remove_kid(&mut self, kid: &str) -> Vec<Jwk> {
        let (removed, kept) = core::mem::take(&mut self.keys)
            .into_iter()
            .partition(|k| k.kid() == Some(kid));
        self.keys = kept;
        removed
    }

    /// Every key that satisfies `query`, in set order.
    pub fn find<'s>(&'s self, query: &KeyQuery<'_>) -> impl Iterator<Item = &'s Jwk> {
        let query = *query;
        self.keys.iter().filter(move |k| query.matches(k))
    }

    /// The one key that satisfies `query`.
    ///
    /// Two keys sharing a `kid` are not an error by themselves: the rest of the query (algorithm,
    /// use, type) usually tells them apart. Only if several keys still match is the result
    /// [`Error::AmbiguousKey`]; the set never guesses.
    ///
    /// # Errors
    /// [`Error::NoMatchingKey`] or [`Error::AmbiguousKey`].
    pub fn select(&self, query: &KeyQuery<'_>) -> Result<&Jwk, Error> {
        let mut found = self.find(query);
        let first = found.next().ok_or(Error::NoMatchingKey)?;
        if found.next().is_some() {
            return Err(Error::AmbiguousKey);
        }
        Ok(first)
    }
}

impl From<Vec<Jwk>> for JwkSet {
    fn from(keys: Vec<Jwk>) -> Self {
        Self {
            keys,
            ..Self::default()
        }
    }
}

impl From<Jwk> for JwkSet {
    fn from(key: Jwk) -> Self {
        Self::from(vec![key])
    }
}

impl FromIterator<Jwk> for JwkSet {
    fn from_iter<I: IntoIterator<Item = Jwk>>(iter: I) -> Self {
        Self::from(iter.into_iter().collect::<Vec<_>>())
    }
}
