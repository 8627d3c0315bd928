//! The two backends. They run the same SQL through the same code, generated for each sqlx
//! driver by one macro (sqlx's query API is the same for both; only the pool type differs).

use std::path::Path;
use std::str::FromStr as _;

use async_trait::async_trait;
use sqlx::Row as _;

use super::{
    Client, ClientStore, Coordination, Event, EventStore, KeyState, KeyStore, StoredKey,
    TokenStore, join, split, sql,
};
use crate::error::StoreError;

/// The embedded store: one SQLite file in WAL mode.
pub struct SqliteStore {
    pool: sqlx::SqlitePool,
}

/// The shared store: PostgreSQL, for several nodes.
pub struct PgStore {
    pool: sqlx::PgPool,
}

impl SqliteStore {
    /// Opens (creating) the database file, in WAL mode, and migrates it.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be opened or migrated.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            // A committed transaction survives a crash of the process (WAL + NORMAL loses only
            // on power failure); FULL also survives that.
            .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(5))
            .foreign_keys(true);
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }

    /// An in-memory database (for tests).
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be created.
    pub async fn memory() -> Result<Self, StoreError> {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str("sqlite::memory:")?;
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }
}

impl PgStore {
    /// Connects and migrates.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot connect or migrate.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }
}

/// Binds a client's fifteen columns in table order ($1 to $15; the version last).
macro_rules! bind_client {
    ($query:expr, $c:expr) => {
        $query
            .bind(&$c.id)
            .bind(&$c.name)
            .bind(&$c.secret_hash)
            .bind(&$c.old_secret_hash)
            .bind($c.old_secret_until)
            .bind(join(&$c.scopes))
            .bind(join(&$c.audiences))
            .bind($c.token_ttl)
            .bind(i64::from($c.enabled))
            .bind($c.tokens_revoked_before)
            .bind($c.created_at)
            .bind($c.updated_at)
            .bind(i64::from($c.dpop_bound))
            .bind(i64::from($c.introspect))
            .bind($c.version)
    };
}

/// Moves the change generation in the write's own transaction and commits both: a node never
/// sees a change without the generation that announces it, and a failed bump undoes the
/// change.
async fn bumped<'c, DB>(mut tx: sqlx::Transaction<'c, DB>) -> Result<(), StoreError>
where
    DB: sqlx::Database,
    for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    sqlx::query("UPDATE generation SET value = value + 1 WHERE id = 1")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

macro_rules! backend {
    ($store:ty, $postgres:expr) => {
        #[async_trait]
        impl ClientStore for $store {
            async fn insert_client(&self, c: &Client) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                bind_client!(
                    sqlx::query(&sql(
                        $postgres,
                        "INSERT INTO clients (id, name, secret_hash, old_secret_hash, old_secret_until, scopes, audiences, token_ttl, enabled, tokens_revoked_before, created_at, updated_at, dpop_bound, introspect, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                    )),
                    c
                )
                .execute(&mut *tx)
                .await?;
                bumped(tx).await
            }

            async fn update_client(&self, c: &Client) -> Result<(), StoreError> {
                // The same fifteen parameters as the insert; created_at is rewritten unchanged.
                // Only the version that was read is replaced: an update made from a stale read
                // (another change landed in between) is refused.
                let mut tx = self.pool.begin().await?;
                let done = bind_client!(
                    sqlx::query(&sql(
                        $postgres,
                        "UPDATE clients SET name = $2, secret_hash = $3, old_secret_hash = $4, old_secret_until = $5, scopes = $6, audiences = $7, token_ttl = $8, enabled = $9, tokens_revoked_before = $10, created_at = $11, updated_at = $12, dpop_bound = $13, introspect = $14, version = $15 + 1 WHERE id = $1 AND version = $15",
                    )),
                    c
                )
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    let exists = sqlx::query(&sql($postgres, "SELECT id FROM clients WHERE id = $1"))
                        .bind(&c.id)
                        .fetch_optional(&mut *tx)
                        .await?
                        .is_some();
                    return Err(if exists {
                        StoreError::Conflict(format!("client {}", c.id))
                    } else {
                        StoreError::NotFound(format!("client {}", c.id))
                    });
                }
                bumped(tx).await
            }

            async fn client(&self, id: &str) -> Result<Option<Client>, StoreError> {
                let row = sqlx::query(&sql($postgres, "SELECT * FROM clients WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| client_row(&r)).transpose()
            }

            async fn clients(&self) -> Result<Vec<Client>, StoreError> {
                let rows = sqlx::query("SELECT * FROM clients ORDER BY created_at, id")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| client_row(r)).collect()
            }

            async fn delete_client(&self, id: &str) -> Result<bool, StoreError> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(&sql($postgres, "DELETE FROM clients WHERE id = $1"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                bumped(tx).await?;
                Ok(done.rows_affected() > 0)
            }
        }

        #[async_trait]
        impl KeyStore for $store {
            async fn keys(&self) -> Result<Vec<StoredKey>, StoreError> {
                let rows = sqlx::query("SELECT * FROM signing_keys ORDER BY created_at, kid")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(StoredKey {
                            kid: r.try_get("kid")?,
                            alg: r.try_get("alg")?,
                            state: KeyState::parse(&r.try_get::<String, _>("state")?)?,
                            private_jwe: r.try_get("private_jwe")?,
                            public_jwk: r.try_get("public_jwk")?,
                            created_at: r.try_get("created_at")?,
                            activated_at: r.try_get("activated_at")?,
                            retired_at: r.try_get("retired_at")?,
                            remove_after: r.try_get("remove_after")?,
                            signed_until: r.try_get("signed_until")?,
                        })
                    })
                    .collect()
            }

            async fn insert_key(&self, k: &StoredKey) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(&sql(
                    $postgres,
                    "INSERT INTO signing_keys (kid, alg, state, private_jwe, public_jwk, created_at, activated_at, retired_at, remove_after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                ))
                .bind(&k.kid)
                .bind(&k.alg)
                .bind(k.state.name())
                .bind(&k.private_jwe)
                .bind(&k.public_jwk)
                .bind(k.created_at)
                .bind(k.activated_at)
                .bind(k.retired_at)
                .bind(k.remove_after)
                .execute(&mut *tx)
                .await?;
                bumped(tx).await
            }

            async fn update_key(&self, k: &StoredKey) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(&sql(
                    $postgres,
                    "UPDATE signing_keys SET state = $2, activated_at = $3, retired_at = $4, remove_after = $5 WHERE kid = $1",
                ))
                .bind(&k.kid)
                .bind(k.state.name())
                .bind(k.activated_at)
                .bind(k.retired_at)
                .bind(k.remove_after)
                .execute(&mut *tx)
                .await?;
                bumped(tx).await
            }

            async fn key_signed_until(
                &self,
                kid: &str,
                until: i64,
                margin: i64,
            ) -> Result<(), StoreError> {
                // Only ever raised; a retired key's removal moves with it. No generation bump:
                // no cache holds these times.
                sqlx::query(&sql(
                    $postgres,
                    "UPDATE signing_keys SET signed_until = CASE WHEN signed_until IS NULL OR signed_until < $2 THEN $2 ELSE signed_until END, remove_after = CASE WHEN remove_after IS NOT NULL AND remove_after < $3 THEN $3 ELSE remove_after END WHERE kid = $1",
                ))
                .bind(kid)
                .bind(until)
                .bind(until.saturating_add(margin))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn delete_key(&self, kid: &str) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(&sql($postgres, "DELETE FROM signing_keys WHERE kid = $1"))
                    .bind(kid)
                    .execute(&mut *tx)
                    .await?;
                bumped(tx).await
            }
        }

        #[async_trait]
        impl TokenStore for $store {
            async fn revoke_jti(
                &self,
                jti: &str,
                client_id: &str,
                expires_at: i64,
            ) -> Result<(), StoreError> {
                sqlx::query(&sql(
                    $postgres,
                    "INSERT INTO revoked_tokens (jti, client_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING",
                ))
                .bind(jti)
                .bind(client_id)
                .bind(expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn is_revoked(
                &self,
                jti: &str,
                client_id: &str,
                iat: i64,
            ) -> Result<bool, StoreError> {
                let row = sqlx::query(&sql(
                    $postgres,
                    "SELECT CAST((SELECT COUNT(*) FROM revoked_tokens WHERE jti = $1) AS BIGINT) AS denied, CAST(COALESCE((SELECT CASE WHEN enabled = 1 AND (tokens_revoked_before IS NULL OR tokens_revoked_before < $3) THEN 0 ELSE 1 END FROM clients WHERE id = $2), 1) AS BIGINT) AS dead",
                ))
                .bind(jti)
                .bind(client_id)
                .bind(iat)
                .fetch_one(&self.pool)
                .await?;
                let denied: i64 = row.try_get("denied")?;
                let dead: i64 = row.try_get("dead")?;
                Ok(denied > 0 || dead > 0)
            }

            async fn purge_revocations(&self, now: i64) -> Result<u64, StoreError> {
                let done =
                    sqlx::query(&sql($postgres, "DELETE FROM revoked_tokens WHERE expires_at < $1"))
                        .bind(now)
                        .execute(&self.pool)
                        .await?;
                Ok(done.rows_affected())
            }
        }

        #[async_trait]
        impl EventStore for $store {
            async fn record(&self, e: &Event) -> Result<(), StoreError> {
                sqlx::query(&sql(
                    $postgres,
                    "INSERT INTO events (at, kind, client_id, detail) VALUES ($1, $2, $3, $4)",
                ))
                .bind(e.at)
                .bind(&e.kind)
                .bind(&e.client_id)
                .bind(e.detail.to_string())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn events(&self, since: i64, limit: i64) -> Result<Vec<Event>, StoreError> {
                let rows = sqlx::query(&sql(
                    $postgres,
                    "SELECT at, kind, client_id, detail FROM events WHERE at >= $1 ORDER BY id LIMIT $2",
                ))
                .bind(since)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        let detail: String = r.try_get("detail")?;
                        Ok(Event {
                            at: r.try_get("at")?,
                            kind: r.try_get("kind")?,
                            client_id: r.try_get("client_id")?,
                            detail: serde_json::from_str(&detail)
                                .map_err(|_| StoreError::Corrupt("event detail"))?,
                        })
                    })
                    .collect()
            }
        }

        #[async_trait]
        impl Coordination for $store {
            async fn generation(&self) -> Result<i64, StoreError> {
                Ok(sqlx::query("SELECT value FROM generation WHERE id = 1")
                    .fetch_one(&self.pool)
                    .await?
                    .try_get("value")?)
            }

            async fn bump(&self) -> Result<(), StoreError> {
                sqlx::query("UPDATE generation SET value = value + 1 WHERE id = 1")
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn lease(
                &self,
                name: &str,
                holder: &str,
                now: i64,
                until: i64,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(&sql(
                    $postgres,
                    "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $4) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at WHERE leases.holder = excluded.holder OR leases.expires_at < $3",
                ))
                .bind(name)
                .bind(holder)
                .bind(now)
                .bind(until)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }
        }
    };
}

backend!(SqliteStore, false);
backend!(PgStore, true);

fn client_row<R>(r: &R) -> Result<Client, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Vec<u8>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<Vec<u8>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Client {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        secret_hash: r.try_get("secret_hash")?,
        old_secret_hash: r.try_get("old_secret_hash")?,
        old_secret_until: r.try_get("old_secret_until")?,
        scopes: split(&r.try_get::<String, _>("scopes")?),
        audiences: split(&r.try_get::<String, _>("audiences")?),
        token_ttl: r.try_get("token_ttl")?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        tokens_revoked_before: r.try_get("tokens_revoked_before")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        dpop_bound: r.try_get::<i64, _>("dpop_bound")? != 0,
        introspect: r.try_get::<i64, _>("introspect")? != 0,
        version: r.try_get("version")?,
    })
}
