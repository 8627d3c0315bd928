//! The Tessera token service's store: what it keeps (records), one trait per concern, and one
//! implementation, [`SqlStore`], over SQLite (embedded, the default) or PostgreSQL (several
//! nodes). Both backends run the same SQL, written once with `$n` placeholders beside each
//! method in `sql/`, and one set of migrations each.
//!
//! Migrations are an explicit step ([`SqlStore::migrate`], `tessera migrate`; `tessera serve`
//! runs it at start). Opening a store never changes an existing schema: [`open`] with
//! [`Migrations::InitOnly`] sets up a store that has no tables yet and refuses one whose schema
//! is behind or ahead of this build ([`StoreError::Behind`], [`StoreError::Ahead`]).
//!
//! The service's hot path does not call the store for clients and keys: nodes cache them and
//! reload when the change generation moves (every write of a client or key moves it in its own
//! transaction). Revocations are read on introspection, so a revocation made on one node holds
//! on every node at once.

mod error;
pub mod files;
mod records;
mod sql;
mod traits;

use std::path::Path;
use std::sync::Arc;

pub use error::StoreError;
pub use records::{Client, Event, KeyState, StoredKey};
pub use sql::{Schema, SqlStore};
pub use traits::{ClientStore, Coordination, EventStore, KeyStore, RevocationStore, Store};

/// Where the store is.
#[derive(Clone, Copy)]
pub enum Location<'a> {
    /// PostgreSQL at this URL.
    Postgres(&'a str),
    /// SQLite, `tessera.db` in this folder (created 0700, the database 0600).
    DataDir(&'a Path),
}

impl<'a> Location<'a> {
    /// PostgreSQL when a URL is given, else SQLite in `data_dir`.
    #[must_use]
    pub fn new(database_url: Option<&'a str>, data_dir: &'a Path) -> Self {
        match database_url {
            Some(url) => Self::Postgres(url),
            None => Self::DataDir(data_dir),
        }
    }
}

/// What opening does with the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrations {
    /// Applies every pending migration (`tessera serve`, `tessera migrate`).
    Apply,
    /// Sets up a store that has no schema yet; refuses one that is behind or ahead of this
    /// build, and changes nothing in it (the operator commands).
    InitOnly,
}

/// Connects to the store at `location` (for SQLite: creating the folder, 0700, and the
/// database, 0600) without looking at its schema.
///
/// # Errors
/// [`StoreError`] when the database cannot be opened.
pub async fn connect(location: Location<'_>) -> Result<SqlStore, StoreError> {
    match location {
        Location::Postgres(url) => SqlStore::postgres(url).await,
        Location::DataDir(dir) => {
            // The folder is its owner's only (0700) and so is the database (0600; SQLite gives
            // its -wal and -shm files the database file's mode).
            files::create_private_dir(dir)?;
            let db = dir.join("tessera.db");
            for file in [
                db.clone(),
                dir.join("tessera.db-wal"),
                dir.join("tessera.db-shm"),
            ] {
                if file == db || file.exists() {
                    files::ensure_private_file(&file)?;
                }
            }
            SqlStore::sqlite(&db).await
        }
    }
}

/// Opens the store at `location` and deals with its schema as `migrations` says.
///
/// # Errors
/// [`StoreError`] when the database cannot be opened, its schema is not this build's (with
/// [`Migrations::InitOnly`]), or a migration fails.
pub async fn open(
    location: Location<'_>,
    migrations: Migrations,
) -> Result<Arc<dyn Store>, StoreError> {
    let store = connect(location).await?;
    match migrations {
        Migrations::Apply => {
            store.migrate().await?;
        }
        Migrations::InitOnly => match store.schema().await? {
            Schema::Empty => {
                store.migrate().await?;
            }
            Schema::Current => {}
            Schema::Behind { applied, known } => {
                return Err(StoreError::Behind { applied, known });
            }
            Schema::Ahead { applied, known } => return Err(StoreError::Ahead { applied, known }),
        },
    }
    Ok(Arc::new(store))
}
