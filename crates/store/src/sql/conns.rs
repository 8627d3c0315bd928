//! The SQLite connections the store keeps itself, instead of in sqlx's pool.
//!
//! Each sqlx SQLite connection runs on a thread of its own, and each statement is a round trip
//! to it. sqlx's pool adds a second round trip to every statement: when a connection goes back
//! to the pool, sqlx pings it (on a task of its own) to flush what a cancelled statement may
//! have left. Here a connection goes back as it is when its statement or transaction finished;
//! only one cut off part-way (its future dropped: a client hanging up) or whose statement
//! failed is rolled back and checked first, on a task, before anyone else uses it. A local file
//! does not go away, so there is no other check. At most `max` connections exist at once; a caller waits for one at
//! most 30 s.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sqlx::ConnectOptions as _;
use sqlx::Connection as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::StoreError;

/// How long a caller waits for a connection when all are in use.
const WAIT: Duration = Duration::from_secs(30);

/// Connections to one SQLite database.
pub(super) struct Conns {
    options: SqliteConnectOptions,
    idle: Mutex<Vec<SqliteConnection>>,
    turns: Arc<Semaphore>,
}

impl Conns {
    /// At most `max` connections opened with `options`, each when first needed.
    pub(super) fn new(options: SqliteConnectOptions, max: usize) -> Arc<Self> {
        Arc::new(Self {
            options,
            idle: Mutex::new(Vec::with_capacity(max)),
            turns: Arc::new(Semaphore::new(max)),
        })
    }

    /// A connection for a statement or a transaction: an idle one, else a new one.
    ///
    /// # Errors
    /// [`StoreError`] when none is free within 30 s or a new one cannot be opened.
    pub(super) async fn lease(self: &Arc<Self>) -> Result<Lease, StoreError> {
        let permit = tokio::time::timeout(WAIT, Arc::clone(&self.turns).acquire_owned())
            .await
            .map_err(|_| {
                StoreError::Io("every SQLite connection stayed busy for 30 seconds".into())
            })?
            .map_err(|_| StoreError::Io("the store is closed".into()))?;
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(c) => c,
            None => self.options.connect().await?,
        };
        Ok(Lease {
            conns: Arc::clone(self),
            conn: Some(conn),
            permit: Some(permit),
            clean: true,
        })
    }

    /// How many connections are open and idle (for tests).
    #[cfg(test)]
    fn idle_count(&self) -> usize {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// One connection, lent until dropped. It goes back as it is after [`Lease::release`]; dropped
/// without it (a statement or transaction cut off, or failed part-way), it is rolled back and
/// checked on a task before it goes back, or closed if that fails.
pub(super) struct Lease {
    conns: Arc<Conns>,
    conn: Option<SqliteConnection>,
    permit: Option<OwnedSemaphorePermit>,
    /// No statement started since the lease or the last release.
    clean: bool,
}

impl Lease {
    /// The connection, to run statements on: from here until [`Lease::release`] the lease
    /// counts as busy.
    pub(super) fn conn(&mut self) -> Result<&mut SqliteConnection, StoreError> {
        self.clean = false;
        self.conn.as_mut().ok_or(StoreError::Corrupt(
            "a SQLite connection was used after its release",
        ))
    }

    /// Gives the connection back: its statements finished, and no transaction is open.
    pub(super) fn release(mut self) {
        self.clean = true;
    }

    /// The outcome of the lease's last statement: after a success the connection goes back as
    /// it is; after a failure it is rolled back and checked first (a connection whose thread
    /// died is closed, not lent again).
    pub(super) fn settle<T>(self, outcome: Result<T, sqlx::Error>) -> Result<T, StoreError> {
        if outcome.is_ok() {
            self.release();
        }
        Ok(outcome?)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        let permit = self.permit.take();
        if self.clean {
            self.conns
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
            // The turn is given back after the connection, so that its next holder finds it.
            drop(permit);
            return;
        }
        // Cut off part-way: whatever it left is rolled back ("no transaction is active" when
        // it had none), and the connection checked, before it is lent again; the turn is held
        // meanwhile. Outside a runtime (a store dropped at exit) it is closed.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let conns = Arc::clone(&self.conns);
        runtime.spawn(async move {
            let _ = sqlx::query("ROLLBACK").execute(&mut conn).await;
            if conn.ping().await.is_ok() {
                conns
                    .idle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(conn);
            }
            drop(permit);
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::str::FromStr as _;

    use super::Conns;

    fn memory() -> std::sync::Arc<Conns> {
        Conns::new(
            sqlx::sqlite::SqliteConnectOptions::from_str("sqlite::memory:").unwrap(),
            1,
        )
    }

    /// An in-memory database on its one connection, with an empty table `t` (unique `x`).
    async fn with_table() -> std::sync::Arc<Conns> {
        let conns = memory();
        let mut c = conns.lease().await.unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            .execute(c.conn().unwrap())
            .await
            .unwrap();
        c.release();
        conns
    }

    async fn count(conns: &std::sync::Arc<Conns>) -> i64 {
        let mut c = conns.lease().await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
            .fetch_one(c.conn().unwrap())
            .await
            .unwrap();
        c.release();
        n
    }

    #[tokio::test]
    async fn a_released_connection_is_lent_again_as_it_is() {
        let conns = with_table().await;
        assert_eq!(conns.idle_count(), 1);
        // The same in-memory database: the same connection.
        assert_eq!(count(&conns).await, 0);
    }

    #[tokio::test]
    async fn a_transaction_cut_off_is_rolled_back_before_the_connection_is_lent_again() {
        let conns = with_table().await;
        let mut c = conns.lease().await.unwrap();
        for s in ["BEGIN", "INSERT INTO t VALUES (1)"] {
            sqlx::query(s).execute(c.conn().unwrap()).await.unwrap();
        }
        // Dropped inside its transaction, as when a caller goes away.
        drop(c);
        // The one connection comes back after its rollback, with the database it had.
        assert_eq!(count(&conns).await, 0);
        assert_eq!(conns.idle_count(), 1);
    }

    #[tokio::test]
    async fn a_failed_statement_gives_its_error_and_the_connection_back_after_a_check() {
        let conns = with_table().await;
        let insert = || async {
            let mut c = conns.lease().await.unwrap();
            let outcome = sqlx::query("INSERT INTO t VALUES (1)")
                .execute(c.conn().unwrap())
                .await;
            c.settle(outcome).map(|done| done.rows_affected())
        };
        assert_eq!(insert().await.unwrap(), 1);
        // The same key again: the database's refusal, as an error.
        assert!(matches!(
            insert().await,
            Err(crate::StoreError::Database(sqlx::Error::Database(_)))
        ));
        // Checked, then lent again: the same in-memory database, the first row kept.
        assert_eq!(count(&conns).await, 1);
        assert_eq!(conns.idle_count(), 1);
    }

    #[tokio::test]
    async fn a_caller_waits_for_a_connection_when_all_are_lent() {
        let conns = memory();
        let held = conns.lease().await.unwrap();
        let waiting = tokio::spawn({
            let conns = std::sync::Arc::clone(&conns);
            async move { conns.lease().await.map(super::Lease::release).is_ok() }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        held.release();
        assert!(waiting.await.unwrap());
    }
}
