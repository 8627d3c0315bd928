//! The store's one error type.

/// A store failure. Its message names the operation or the row, never a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The store's schema is not the one this build reads and writes: `applied` of `known`
    /// migrations are in it (operator commands do not migrate; `tessera migrate` does).
    #[error(
        "the store's schema is at migration {applied}, this tessera needs {known}: run `tessera migrate` (or start `tessera serve`) first"
    )]
    Behind {
        /// The last migration the store holds.
        applied: i64,
        /// The last migration this build knows.
        known: i64,
    },
    /// A newer build migrated the store past what this build knows.
    #[error(
        "the store's schema is at migration {applied}, newer than this tessera knows ({known}): use the newer tessera"
    )]
    Ahead {
        /// The last migration the store holds.
        applied: i64,
        /// The last migration this build knows.
        known: i64,
    },
    /// There is no store where the configuration points: nothing was created (only `tessera
    /// serve` at its first start, or `tessera init`, creates one).
    #[error(
        "no Tessera store {0}: `tessera init` creates one (or `tessera serve` at its first start); check --data-dir / --database-url"
    )]
    NoStore(String),
    /// A row that must exist does not.
    #[error("not found: {0}")]
    NotFound(String),
    /// A row changed since it was read: the change made from the stale copy is refused.
    #[error("changed meanwhile: {0}")]
    Conflict(String),
    /// Stored data is not what this version writes.
    #[error("corrupt stored data: {0}")]
    Corrupt(&'static str),
    /// The data folder or the database file.
    #[error("{0}")]
    Io(String),
}

impl StoreError {
    /// Whether the database could not be reached or was busy for a moment (a restart, a
    /// fail-over, a lock): nothing was done, and the same operation may succeed soon.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        let Self::Database(e) = self else {
            return false;
        };
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_) => true,
            sqlx::Error::Database(d) => d.code().is_some_and(|c| {
                // PostgreSQL: connection exceptions (class 08), shutting down or starting up
                // (57P01-57P03), too many connections (53300); SQLite: busy, locked.
                c.starts_with("08")
                    || matches!(
                        &*c,
                        "57P01" | "57P02" | "57P03" | "53300" | "5" | "6" | "517"
                    )
            }),
            _ => false,
        }
    }
}
