//! The Tessera token service's store: what it keeps (records), one trait per concern, and one
//! implementation, [`SqlStore`], over SQLite (embedded, the default) or PostgreSQL (several
//! nodes). Both backends run the same SQL, written once with `$n` placeholders beside each
//! method in `sql/`, and one set of migrations each.
//!
//! Migrations are an explicit step ([`SqlStore::migrate`], `tessera migrate`; `tessera serve`
//! runs it at start). Only `tessera serve` and `tessera init` create a store ([`open`] with
//! [`Migrations::Apply`]); the operator commands open with [`Migrations::Require`], which
//! creates nothing and refuses a store whose schema is behind or ahead of this build
//! ([`StoreError::NoStore`], [`StoreError::Behind`], [`StoreError::Ahead`]).
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
pub use records::{
    AuthCode, Client, Consent, Event, Factor, KeyPurpose, KeyState, PendingLogout, RefreshFamily,
    Rotation, Session, SignInRead, StatusBlock, StatusListInfo, StoredKey, TokenStatus, User,
};
pub use sql::{Schema, SqlStore};
pub use traits::{
    ClientStore, Coordination, EventStore, FactorStore, GrantStore, KeyStore, RefreshStore,
    RevocationStore, SessionStore, StatusStore, Store, UserStore,
};

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

/// The name of the fact that holds the check value of the store's master key: every process
/// compares its own before it reads or writes anything the key protects.
pub const MASTER_KEY_CHECK: &str = "master_key_check";

impl Location<'_> {
    /// Where the store is, for messages (a PostgreSQL URL without its password).
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::DataDir(dir) => format!("at {}", dir.join("tessera.db").display()),
            Self::Postgres(url) => format!("in the PostgreSQL database {}", without_password(url)),
        }
    }
}

/// A URL with the password of its authority replaced (`postgres://user:<redacted>@host/db`) and
/// no query (which may hold one too).
fn without_password(url: &str) -> String {
    let base = url.split('?').next().unwrap_or_default();
    match (base.find("://"), base.rfind('@')) {
        (Some(s), Some(at)) if at > s => match base[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:<redacted>{}", &base[..s + 3], &base[at..]),
            None => base.to_owned(),
        },
        _ => base.to_owned(),
    }
}

/// What opening does with the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrations {
    /// Creates the store when there is none and applies every pending migration (`tessera
    /// serve`, `tessera init`).
    Apply,
    /// The store must exist with this build's schema: a missing one is
    /// [`StoreError::NoStore`] (and nothing is created), one behind or ahead is refused and
    /// left as it is (the operator commands).
    Require,
}

/// Connects to the store at `location` without looking at its schema. With `create`, a SQLite
/// store's folder (0700) and database (0600) are made when missing; without, a missing
/// database is [`StoreError::NoStore`] and nothing is made.
///
/// # Errors
/// [`StoreError`] when the database cannot be opened.
pub async fn connect(location: Location<'_>, create: bool) -> Result<SqlStore, StoreError> {
    match location {
        Location::Postgres(url) => SqlStore::postgres(url).await,
        Location::DataDir(dir) => {
            let db = dir.join("tessera.db");
            if !create && !db.exists() {
                return Err(StoreError::NoStore(location.describe()));
            }
            // The folder is its owner's only (0700) and so is the database (0600; SQLite gives
            // its -wal and -shm files the database file's mode).
            files::create_private_dir(dir)?;
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
/// [`StoreError`] when the database cannot be opened, there is no store (with
/// [`Migrations::Require`]), its schema is not this build's, or a migration fails.
pub async fn open(
    location: Location<'_>,
    migrations: Migrations,
) -> Result<Arc<dyn Store>, StoreError> {
    let store = connect(location, migrations == Migrations::Apply).await?;
    match migrations {
        Migrations::Apply => {
            store.migrate().await?;
        }
        Migrations::Require => match store.schema().await? {
            Schema::Current => {}
            Schema::Empty => return Err(StoreError::NoStore(location.describe())),
            Schema::Behind { applied, known } => {
                return Err(StoreError::Behind { applied, known });
            }
            Schema::Ahead { applied, known } => return Err(StoreError::Ahead { applied, known }),
        },
    }
    Ok(Arc::new(store))
}
