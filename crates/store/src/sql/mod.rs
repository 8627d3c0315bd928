//! [`SqlStore`]: the store over SQLite or PostgreSQL. Each trait's methods are in their own file
//! with their SQL, written once with PostgreSQL's `$n` placeholders (SQLite reads the same
//! numbered form as `?n`). This file is the one place that knows there are two drivers: it binds
//! [`Arg`]s, runs a statement on the pool or in a transaction, and reads columns from a [`Row`].

mod batch;
mod clients;
mod conns;
mod coordination;
mod events;
mod factors;
mod grants;
mod keys;
mod refresh;
mod revocations;
mod sessions;
mod status;
mod users;

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr as _;

use sqlx::Row as _;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Postgres, Sqlite};

use crate::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The store over one of the two databases.
pub struct SqlStore {
    pool: Pool,
    /// SQLite's group commit of rotations and redemptions.
    batch: std::sync::Arc<batch::Batcher>,
    /// The group commit of status-list records and new sessions, synced less (see `batch`).
    relaxed_batch: std::sync::Arc<batch::Batcher>,
}

#[derive(Clone)]
enum Pool {
    /// The store's own connections ([`conns`]: a statement is one round trip to a
    /// connection's thread, where sqlx's pool makes it two).
    Sqlite(std::sync::Arc<conns::Conns>),
    Postgres(sqlx::PgPool),
}

/// Where a store's schema is against this build's migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// No migration has run: a new database.
    Empty,
    /// Every migration this build knows, and no other.
    Current,
    /// Some of this build's migrations are missing.
    Behind {
        /// The last migration applied.
        applied: i64,
        /// The last migration this build knows.
        known: i64,
    },
    /// A migration this build does not know was applied (by a newer build).
    Ahead {
        /// The last migration applied.
        applied: i64,
        /// The last migration this build knows.
        known: i64,
    },
}

impl SqlStore {
    /// Opens (creating) a SQLite database file in WAL mode. The schema is not touched.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be opened.
    pub async fn sqlite(path: &Path) -> Result<Self, StoreError> {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            // A committed transaction survives a crash of the process (WAL + NORMAL loses only
            // on power failure); FULL also survives that.
            .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(5))
            .foreign_keys(true);
        // Status-list records are written on a connection of their own that does not wait
        // for the disk at commit (see `batch::run_relaxed`).
        let relaxed = options
            .clone()
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal);
        let pool = conns::Conns::new(options, 8);
        // Opened once now, so that a file that cannot be opened says so here.
        pool.lease().await?.release();
        let relaxed = conns::Conns::new(relaxed, 1);
        Ok(Self {
            pool: Pool::Sqlite(pool),
            batch: std::sync::Arc::default(),
            relaxed_batch: std::sync::Arc::new(batch::Batcher::relaxed(Some(relaxed))),
        })
    }

    /// A migrated in-memory SQLite database (for tests).
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be created.
    pub async fn memory() -> Result<Self, StoreError> {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str("sqlite::memory:")?;
        // One connection, kept: the database lives and dies with it.
        let pool = conns::Conns::new(options, 1);
        let store = Self {
            pool: Pool::Sqlite(pool),
            batch: std::sync::Arc::default(),
            relaxed_batch: std::sync::Arc::new(batch::Batcher::relaxed(None)),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Connects to PostgreSQL. The schema is not touched.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot connect.
    pub async fn postgres(url: &str) -> Result<Self, StoreError> {
        use sqlx::Connection as _;
        let options = sqlx::postgres::PgConnectOptions::from_str(url)?;
        // One connection first, so that a failure keeps its cause (refused, authentication,
        // TLS, unknown database) instead of becoming the pool's timeout.
        let first = tokio_timeout(sqlx::PgConnection::connect_with(&options)).await?;
        first.close().await?;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect_with(options)
            .await?;
        Ok(Self {
            pool: Pool::Postgres(pool),
            batch: std::sync::Arc::default(),
            relaxed_batch: std::sync::Arc::new(batch::Batcher::relaxed(None)),
        })
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.pool {
            Pool::Sqlite(_) => &SQLITE_MIGRATIONS,
            Pool::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies the migrations the store does not hold yet; returns their versions, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Migrate`] when one fails (it is rolled back) or the store holds a migration
    /// this build does not know.
    pub async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        let before = self.applied().await?;
        match &self.pool {
            Pool::Sqlite(p) => {
                let mut c = p.lease().await?;
                SQLITE_MIGRATIONS.run_direct(c.conn()?).await?;
                c.release();
            }
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        let after = self.applied().await?;
        Ok(after.into_iter().filter(|v| !before.contains(v)).collect())
    }

    /// Where the store's schema is against this build's migrations.
    ///
    /// # Errors
    /// [`StoreError`] when the database cannot be read.
    pub async fn schema(&self) -> Result<Schema, StoreError> {
        let applied = self.applied().await?;
        let known: Vec<i64> = self.migrator().iter().map(|m| m.version).collect();
        let last_applied = applied.last().copied().unwrap_or(0);
        let last_known = known.last().copied().unwrap_or(0);
        Ok(if applied.is_empty() {
            Schema::Empty
        } else if applied.iter().any(|v| !known.contains(v)) {
            Schema::Ahead {
                applied: last_applied,
                known: last_known,
            }
        } else if known.iter().any(|v| !applied.contains(v)) {
            Schema::Behind {
                applied: last_applied,
                known: last_known,
            }
        } else {
            Schema::Current
        })
    }

    /// The versions of the migrations applied successfully, in order (none on a new database).
    async fn applied(&self) -> Result<Vec<i64>, StoreError> {
        let exists = match &self.pool {
            Pool::Sqlite(_) => self
                .fetch_optional(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                    &[],
                )
                .await?
                .is_some(),
            Pool::Postgres(p) => sqlx::query(
                "SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = '_sqlx_migrations' AND schemaname = current_schema()",
            )
            .fetch_optional(p)
            .await?
            .is_some(),
        };
        if !exists {
            return Ok(Vec::new());
        }
        let rows = self
            .fetch_all(
                "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
                &[],
            )
            .await?;
        rows.iter().map(|r| r.get("version")).collect()
    }

    async fn begin(&self) -> Result<Tx, StoreError> {
        Tx::begin(&self.pool).await
    }

    async fn execute(&self, text: &'static str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                let mut c = p.lease().await?;
                let done = bind_sqlite(&sqlite_text(text), args)
                    .execute(c.conn()?)
                    .await;
                c.settle(done)?.rows_affected()
            }
            Pool::Postgres(p) => bind_pg(text, args).execute(p).await?.rows_affected(),
        })
    }

    async fn fetch_optional(
        &self,
        text: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Option<Row>, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                let mut c = p.lease().await?;
                let row = bind_sqlite(&sqlite_text(text), args)
                    .fetch_optional(c.conn()?)
                    .await;
                c.settle(row)?.map(Row::Sqlite)
            }
            Pool::Postgres(p) => bind_pg(text, args)
                .fetch_optional(p)
                .await?
                .map(Row::Postgres),
        })
    }

    async fn fetch_one(&self, text: &'static str, args: &[Arg<'_>]) -> Result<Row, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                let mut c = p.lease().await?;
                let row = bind_sqlite(&sqlite_text(text), args)
                    .fetch_one(c.conn()?)
                    .await;
                Row::Sqlite(c.settle(row)?)
            }
            Pool::Postgres(p) => Row::Postgres(bind_pg(text, args).fetch_one(p).await?),
        })
    }

    async fn fetch_all(
        &self,
        text: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Vec<Row>, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                let mut c = p.lease().await?;
                let rows = bind_sqlite(&sqlite_text(text), args)
                    .fetch_all(c.conn()?)
                    .await;
                c.settle(rows)?.into_iter().map(Row::Sqlite).collect()
            }
            Pool::Postgres(p) => bind_pg(text, args)
                .fetch_all(p)
                .await?
                .into_iter()
                .map(Row::Postgres)
                .collect(),
        })
    }
}

/// The first connection to PostgreSQL, within 10 s (an address that drops packets answers
/// nothing at all).
async fn tokio_timeout<T>(
    connecting: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(std::time::Duration::from_secs(10), connecting).await {
        // rustls's words for a certificate this client does not trust, with what to do.
        Ok(Err(e)) if e.to_string().contains("UnknownIssuer") => Err(StoreError::Io(format!(
            "the PostgreSQL server's certificate is not trusted ({e}): give the CA that issued it with sslrootcert=FILE in the database URL (sslmode=verify-ca or verify-full), or use sslmode=require to encrypt without checking it"
        ))),
        Ok(result) => Ok(result?),
        Err(_) => Err(StoreError::Io(
            "PostgreSQL did not answer within 10 s (is the host or port right, and reachable?)"
                .into(),
        )),
    }
}

/// A transaction on either database. On SQLite, a connection lent with `BEGIN` sent: one
/// dropped before [`Tx::commit`] is rolled back (see [`conns::Lease`]).
enum Tx {
    Sqlite(conns::Lease),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    async fn begin(pool: &Pool) -> Result<Self, StoreError> {
        Ok(match pool {
            Pool::Sqlite(p) => {
                let mut c = p.lease().await?;
                sqlx::query("BEGIN").execute(c.conn()?).await?;
                Self::Sqlite(c)
            }
            Pool::Postgres(p) => Self::Postgres(p.begin().await?),
        })
    }

    /// A statement whose text is made at run time (a multi-row `INSERT`), not kept prepared.
    async fn execute_built(&mut self, text: &str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        Ok(match self {
            Self::Sqlite(tx) => bind_sqlite(&text.replace('$', "?"), args)
                .persistent(false)
                .execute(tx.conn()?)
                .await?
                .rows_affected(),
            Self::Postgres(tx) => bind_pg(text, args)
                .persistent(false)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
        })
    }

    async fn execute(&mut self, text: &'static str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        Ok(match self {
            Self::Sqlite(tx) => bind_sqlite(&sqlite_text(text), args)
                .execute(tx.conn()?)
                .await?
                .rows_affected(),
            Self::Postgres(tx) => bind_pg(text, args)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
        })
    }

    async fn fetch_optional(
        &mut self,
        text: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Option<Row>, StoreError> {
        Ok(match self {
            Self::Sqlite(tx) => bind_sqlite(&sqlite_text(text), args)
                .fetch_optional(tx.conn()?)
                .await?
                .map(Row::Sqlite),
            Self::Postgres(tx) => bind_pg(text, args)
                .fetch_optional(&mut **tx)
                .await?
                .map(Row::Postgres),
        })
    }

    async fn exists(&mut self, text: &'static str, args: &[Arg<'_>]) -> Result<bool, StoreError> {
        Ok(match self {
            Self::Sqlite(tx) => bind_sqlite(&sqlite_text(text), args)
                .fetch_optional(tx.conn()?)
                .await?
                .is_some(),
            Self::Postgres(tx) => bind_pg(text, args)
                .fetch_optional(&mut **tx)
                .await?
                .is_some(),
        })
    }

    /// Moves the change generation in this transaction and commits both: a node never sees a
    /// change without the generation that announces it, and a failed bump undoes the change.
    async fn commit_bumped(mut self) -> Result<(), StoreError> {
        self.execute("UPDATE generation SET value = value + 1 WHERE id = 1", &[])
            .await?;
        self.commit().await
    }

    /// Commits without moving the generation: for what no node caches.
    async fn commit(self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(mut c) => {
                let done = sqlx::query("COMMIT").execute(c.conn()?).await;
                c.settle(done)?;
            }
            Self::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// A statement parameter: the column types the schema uses.
enum Arg<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Text(Cow<'a, str>),
    OptText(Option<&'a str>),
    Bytes(&'a [u8]),
    OptBytes(Option<&'a [u8]>),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Self::Text(Cow::Borrowed(s))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Self::Text(Cow::Borrowed(s))
    }
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Self::Int(i64::from(v))
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Self::OptInt(v)
    }
}

impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(v: &'a [u8]) -> Self {
        Self::Bytes(v)
    }
}

impl<'a> From<Option<&'a [u8]>> for Arg<'a> {
    fn from(v: Option<&'a [u8]>) -> Self {
        Self::OptBytes(v)
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Self::OptText(v)
    }
}

/// SQLite reads `$n` as a named parameter; `?n` is its numbered form.
fn sqlite_text(text: &'static str) -> Cow<'static, str> {
    if text.contains('$') {
        text.replace('$', "?").into()
    } else {
        text.into()
    }
}

fn bind_sqlite<'q>(
    text: &'q str,
    args: &'q [Arg<'q>],
) -> sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>> {
    let mut q = sqlx::query(text);
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(*v),
            Arg::OptInt(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.as_ref()),
            Arg::OptText(v) => q.bind(*v),
            Arg::Bytes(v) => q.bind(*v),
            Arg::OptBytes(v) => q.bind(*v),
        };
    }
    q
}

fn bind_pg<'q>(
    text: &'q str,
    args: &'q [Arg<'q>],
) -> sqlx::query::Query<'q, Postgres, PgArguments> {
    let mut q = sqlx::query(text);
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(*v),
            Arg::OptInt(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.as_ref()),
            Arg::OptText(v) => q.bind(*v),
            Arg::Bytes(v) => q.bind(*v),
            Arg::OptBytes(v) => q.bind(*v),
        };
    }
    q
}

/// A result row of either database.
enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

/// A column type both drivers decode.
trait Column:
    for<'r> sqlx::Decode<'r, Sqlite>
    + sqlx::Type<Sqlite>
    + for<'r> sqlx::Decode<'r, Postgres>
    + sqlx::Type<Postgres>
{
}

impl<T> Column for T where
    T: for<'r> sqlx::Decode<'r, Sqlite>
        + sqlx::Type<Sqlite>
        + for<'r> sqlx::Decode<'r, Postgres>
        + sqlx::Type<Postgres>
{
}

impl Row {
    fn get<T: Column>(&self, column: &str) -> Result<T, StoreError> {
        Ok(match self {
            Self::Sqlite(r) => r.try_get(column)?,
            Self::Postgres(r) => r.try_get(column)?,
        })
    }

    fn flag(&self, column: &str) -> Result<bool, StoreError> {
        Ok(self.get::<i64>(column)? != 0)
    }
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
