//! Storage, split by concern (clients, signing keys, token state, audit events, coordination
//! between nodes), with one implementation per backend: SQLite (embedded, the default) and
//! PostgreSQL (several nodes). Both run the same SQL (written once, `$n` placeholders) and one set of migrations
//! per backend, applied at start.
//!
//! The hot path does not call the store for clients and keys: nodes cache them and reload when
//! the store's change generation moves (every mutation of a client or key bumps it). Token state
//! (revocations) is read from the store on introspection, so a revocation made on one node holds
//! on every node at once. Later grants (authorization codes, refresh tokens, consent) add
//! methods to [`TokenStore`] and tables of their own; nothing here assumes `client_credentials`.

mod backend;

use async_trait::async_trait;

pub use backend::{PgStore, SqliteStore};

use crate::error::StoreError;

/// A registered application.
#[derive(Clone, PartialEq, Eq)]
pub struct Client {
    /// The `client_id`.
    pub id: String,
    /// A human name.
    pub name: String,
    /// HMAC-SHA-256 of the secret under the pepper.
    pub secret_hash: Vec<u8>,
    /// The previous secret's hash, valid until `old_secret_until` (secret rotation grace).
    pub old_secret_hash: Option<Vec<u8>>,
    /// Unix time the previous secret stops working.
    pub old_secret_until: Option<i64>,
    /// Scopes the client may ask for.
    pub scopes: Vec<String>,
    /// Audiences (resource indicators) of its tokens; the first is the default.
    pub audiences: Vec<String>,
    /// Access token lifetime, seconds.
    pub token_ttl: i64,
    /// Disabled clients get no tokens and their tokens introspect inactive.
    pub enabled: bool,
    /// Tokens issued before this Unix time are inactive (`client revoke-tokens`).
    pub tokens_revoked_before: Option<i64>,
    /// Unix time of creation.
    pub created_at: i64,
    /// Unix time of the last change.
    pub updated_at: i64,
    /// Its access tokens must be DPoP-bound: a token request without a DPoP proof is refused
    /// (RFC 9449 §5.2 `dpop_bound_access_tokens`).
    pub dpop_bound: bool,
    /// It may introspect tokens (RFC 7662 §4): only those meant for one of its audiences, or
    /// issued to it.
    pub introspect: bool,
    /// Raised by every update; an update whose version is not the stored one is refused
    /// ([`StoreError::Conflict`]).
    pub version: i64,
}

impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .field("audiences", &self.audiences)
            .field("enabled", &self.enabled)
            .field("dpop_bound", &self.dpop_bound)
            .field("introspect", &self.introspect)
            .finish_non_exhaustive()
    }
}

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

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "next" => Self::Next,
            "current" => Self::Current,
            "previous" => Self::Previous,
            _ => return Err(StoreError::Corrupt("key state")),
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

/// An audit event: typed, with a stable name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    /// Unix time.
    pub at: i64,
    /// Stable name: `client.created`, `client.updated`, `client.disabled`, `client.enabled`,
    /// `client.deleted`, `client.secret_rotated`, `client.tokens_revoked`, `token.revoked`,
    /// `key.created`, `key.activated`, `key.retired`, `key.removed`, `client.auth_failed`.
    pub kind: String,
    /// The client concerned, if any.
    pub client_id: Option<String>,
    /// Details (JSON object).
    pub detail: serde_json::Value,
}

/// Applications.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Inserts a new client.
    async fn insert_client(&self, c: &Client) -> Result<(), StoreError>;
    /// Replaces a client's record if its stored version is `c.version`
    /// ([`StoreError::Conflict`] otherwise: it changed since `c` was read); the stored version
    /// becomes `c.version + 1`.
    async fn update_client(&self, c: &Client) -> Result<(), StoreError>;
    /// One client.
    async fn client(&self, id: &str) -> Result<Option<Client>, StoreError>;
    /// Every client.
    async fn clients(&self) -> Result<Vec<Client>, StoreError>;
    /// Deletes a client; false when there was none.
    async fn delete_client(&self, id: &str) -> Result<bool, StoreError>;
}

/// Signing keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Every key.
    async fn keys(&self) -> Result<Vec<StoredKey>, StoreError>;
    /// Inserts a key.
    async fn insert_key(&self, k: &StoredKey) -> Result<(), StoreError>;
    /// Replaces a key's state and times.
    async fn update_key(&self, k: &StoredKey) -> Result<(), StoreError>;
    /// Records that the key signed a token expiring at `until` (kept as the maximum); a retired
    /// key's `remove_after` becomes at least `until + margin`.
    async fn key_signed_until(&self, kid: &str, until: i64, margin: i64) -> Result<(), StoreError>;
    /// Deletes a key.
    async fn delete_key(&self, kid: &str) -> Result<(), StoreError>;
}

/// State of issued tokens.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Puts a token's `jti` on the deny list until `expires_at`.
    async fn revoke_jti(
        &self,
        jti: &str,
        client_id: &str,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// Whether a token is inactive by revocation: its `jti` is denied, or its client revoked
    /// every token issued before a time after the token's `iat`, or the client is gone or
    /// disabled. One round trip.
    async fn is_revoked(&self, jti: &str, client_id: &str, iat: i64) -> Result<bool, StoreError>;
    /// Forgets revocations of tokens expired before `now`.
    async fn purge_revocations(&self, now: i64) -> Result<u64, StoreError>;
}

/// Audit events.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Records an event.
    async fn record(&self, e: &Event) -> Result<(), StoreError>;
    /// Events at or after `since`, oldest first, at most `limit`.
    async fn events(&self, since: i64, limit: i64) -> Result<Vec<Event>, StoreError>;
}

/// What nodes sharing a store coordinate through.
#[async_trait]
pub trait Coordination: Send + Sync {
    /// The change generation: it moves whenever a client or key changes.
    async fn generation(&self) -> Result<i64, StoreError>;
    /// Moves the change generation.
    async fn bump(&self) -> Result<(), StoreError>;
    /// Takes or renews the named lease for `holder` until `until`; false when another holder
    /// has it and it has not expired at `now`.
    async fn lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError>;
    /// Whether the store answers.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// The whole store.
pub trait Store: ClientStore + KeyStore + TokenStore + EventStore + Coordination {}

impl<T: ClientStore + KeyStore + TokenStore + EventStore + Coordination> Store for T {}

/// Opens the store the configuration names: PostgreSQL for a `postgres://` URL, else SQLite
/// in `data_dir` (created, WAL mode). Migrations are applied.
///
/// # Errors
/// [`StoreError`] when the database cannot be opened or migrated.
pub async fn open(
    database_url: Option<&str>,
    data_dir: &std::path::Path,
) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    Ok(match database_url {
        Some(url) => std::sync::Arc::new(PgStore::connect(url).await?),
        None => {
            // The folder is its owner's only (0700) and so is the database (0600; SQLite gives
            // its -wal and -shm files the database file's mode).
            crate::keys::create_private_dir(data_dir)?;
            let db = data_dir.join("tessera.db");
            for file in [
                db.clone(),
                data_dir.join("tessera.db-wal"),
                data_dir.join("tessera.db-shm"),
            ] {
                if file == db || file.exists() {
                    crate::keys::ensure_private_file(&file)?;
                }
            }
            std::sync::Arc::new(SqliteStore::open(&db).await?)
        }
    })
}

/// The SQL of both backends, written with PostgreSQL's `$n` placeholders; SQLite takes the
/// same numbered form as `?n`.
pub(crate) fn sql(postgres: bool, text: &'static str) -> std::borrow::Cow<'static, str> {
    if postgres {
        return text.into();
    }
    text.replace('$', "?").into()
}

fn join(list: &[String]) -> String {
    list.join(" ")
}

fn split(text: &str) -> Vec<String> {
    text.split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
