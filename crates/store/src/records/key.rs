//! A signing key as stored.

use crate::StoreError;

/// Where a signing key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published, not signing yet.
    Next,
    /// Signing (and published).
    Current,
    /// Published until its last token expires; not signing.
    Previous,
}

impl KeyState {
    /// The stored name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Current => "current",
            Self::Previous => "previous",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "next" => Self::Next,
            "current" => Self::Current,
            "previous" => Self::Previous,
            _ => return Err(StoreError::Corrupt("key state")),
        })
    }
}

/// What a signing key signs: each purpose (and, for ID tokens, each algorithm) is a chain of
/// its own with its own next, current and previous keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyPurpose {
    /// Access tokens (`typ: at+jwt`), with the store's signing algorithm.
    Access,
    /// OpenID Connect ID tokens and logout tokens: one chain per algorithm clients need.
    IdToken,
}

impl KeyPurpose {
    /// The stored name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::IdToken => "id",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "access" => Self::Access,
            "id" => Self::IdToken,
            _ => return Err(StoreError::Corrupt("key purpose")),
        })
    }
}

/// A signing key as stored: the private JWK encrypted under the master key.
#[derive(Clone)]
pub struct StoredKey {
    /// The `kid`.
    pub kid: String,
    /// The JWS algorithm.
    pub alg: String,
    /// What it signs.
    pub purpose: KeyPurpose,
    /// Its state.
    pub state: KeyState,
    /// The private JWK as a compact JWE (`dir`, `A256GCM`) under the key-encryption key.
    pub private_jwe: String,
    /// The public JWK (JSON).
    pub public_jwk: String,
    /// Unix time it was created (and published).
    pub created_at: i64,
    /// Unix time it started signing.
    pub activated_at: Option<i64>,
    /// Unix time it stopped signing.
    pub retired_at: Option<i64>,
    /// Unix time it may leave the JWKS (its last token has expired).
    pub remove_after: Option<i64>,
    /// The latest `exp` of a token it signed, as the nodes recorded it.
    pub signed_until: Option<i64>,
}

impl core::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}
