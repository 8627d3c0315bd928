//! Group commit for the hottest writes: refresh-token rotations and code redemptions that
//! arrive together are written in one transaction, so one synced commit (the cost of each
//! write with SQLite's `synchronous = FULL`, or PostgreSQL's WAL flush) serves them all, and
//! each caller is answered only after it; a rotation or a redemption carries its token's
//! status-list record into the same transaction. The status-list records of other tokens have
//! a batcher of their own whose commits do not wait for the disk ([`run_relaxed`]). (SQLite
//! has one writer at a time anyway.) Between nodes on one PostgreSQL, the conditional
//! statements decide as they do alone: a row another node's batch changed is waited for and
//! read again; a deadlock between two batches fails them, and each write is then tried alone.
//!
//! The first caller to find no batch in progress starts one on a task of its own (so that a
//! caller that goes away, a client hanging up, cannot stop the others' batch); the batch takes
//! every write queued meanwhile, at most [`MAX_BATCH`], and goes on while more arrive. If the
//! transaction fails, each write is tried again alone, so each caller gets its own error.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use super::{Arg, Pool, Row, Tx, bind_sqlite};
use crate::{Rotation, StoreError};

/// The most writes one transaction carries.
const MAX_BATCH: usize = 256;

/// A write that may share a transaction.
pub(super) enum Op {
    /// [`crate::RefreshStore::rotate_family`].
    Rotate { id: String, from: i64, r: Rotation },
    /// The marking statement of [`crate::GrantStore::redeem_code`], and the status-list
    /// record of the token it gives (its `user_id` taken from the code).
    Redeem {
        code_hash: String,
        now: i64,
        jti: String,
        status: Option<crate::TokenStatus>,
    },
    /// [`crate::StatusStore::record_status`].
    Status(crate::TokenStatus),
    /// [`crate::SessionStore::insert_session`].
    Session(crate::Session),
}

/// What a write did.
pub(super) enum Done {
    /// Whether the family rotated.
    Rotated(bool),
    /// The code, when this redemption marked it used.
    Redeemed(Option<Row>),
    /// A token's status record or a session was written.
    Recorded,
}

struct Pending {
    op: Op,
    reply: tokio::sync::oneshot::Sender<Result<Done, StoreError>>,
}

#[derive(Default)]
struct Queue {
    pending: Vec<Pending>,
    draining: bool,
}

/// The writes waiting for the next transaction.
#[derive(Default)]
pub(super) struct Batcher {
    queue: Mutex<Queue>,
    /// Commits without waiting for the disk (status-list records: see [`run_relaxed`]).
    relaxed: bool,
    /// SQLite: the connection that does (`synchronous = NORMAL`); an in-memory database has
    /// none (it has no disk).
    relaxed_sqlite: Option<Arc<super::conns::Conns>>,
}

impl Batcher {
    /// A batcher whose transactions survive a crash of the process but not of the machine
    /// (only for [`Op::Status`] and [`Op::Session`]).
    pub(super) fn relaxed(sqlite: Option<Arc<super::conns::Conns>>) -> Self {
        Self {
            queue: Mutex::default(),
            relaxed: true,
            relaxed_sqlite: sqlite,
        }
    }

    /// The pool relaxed writes go to: SQLite's connection of its own, else `pool`.
    pub(super) fn relaxed_pool(&self, pool: &Pool) -> Pool {
        self.relaxed_sqlite
            .clone()
            .map_or_else(|| pool.clone(), Pool::Sqlite)
    }

    async fn run(&self, pool: &Pool, ops: &[&Op]) -> Result<Vec<Done>, StoreError> {
        if self.relaxed {
            run_relaxed(&self.relaxed_pool(pool), ops).await
        } else {
            run(pool, ops).await
        }
    }

    /// Queues `op` and waits for the transaction that carries it.
    pub(super) async fn write(self: &Arc<Self>, pool: &Pool, op: Op) -> Result<Done, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let lead = {
            let mut q = self
                .queue
                .lock()
                .map_err(|_| StoreError::Io("the write queue is poisoned".into()))?;
            q.pending.push(Pending { op, reply });
            !std::mem::replace(&mut q.draining, true)
        };
        if lead {
            let (me, pool) = (Arc::clone(self), pool.clone());
            tokio::spawn(async move { me.drain(&pool).await });
        }
        answer
            .await
            .map_err(|_| StoreError::Io("a batched write was dropped".into()))?
    }

    async fn drain(&self, pool: &Pool) {
        loop {
            let batch: Vec<Pending> = {
                let Ok(mut q) = self.queue.lock() else {
                    return;
                };
                if q.pending.is_empty() {
                    q.draining = false;
                    return;
                }
                let n = q.pending.len().min(MAX_BATCH);
                q.pending.drain(..n).collect()
            };
            let ops: Vec<&Op> = batch.iter().map(|p| &p.op).collect();
            match self.run(pool, &ops).await {
                Ok(done) => {
                    for (p, d) in batch.into_iter().zip(done) {
                        let _ = p.reply.send(Ok(d));
                    }
                }
                Err(_) => {
                    for p in batch {
                        let alone = self.run(pool, &[&p.op]).await.and_then(|mut d| {
                            d.pop()
                                .ok_or_else(|| StoreError::Io("a write gave no result".into()))
                        });
                        let _ = p.reply.send(alone);
                    }
                }
            }
        }
    }
}

/// The writes in one transaction, their results in order.
async fn run(pool: &Pool, ops: &[&Op]) -> Result<Vec<Done>, StoreError> {
    let mut tx = Tx::begin(pool).await?;
    let mut done = Vec::with_capacity(ops.len());
    for op in ops {
        done.push(match op {
            Op::Rotate { id, from, r } => Done::Rotated(rotate(&mut tx, id, *from, r).await?),
            Op::Redeem {
                code_hash,
                now,
                jti,
                ..
            } => Done::Redeemed(
                tx.fetch_optional(
                    "UPDATE auth_codes SET used_at = $2, issued_jti = $3 WHERE code_hash = $1 AND used_at IS NULL RETURNING *",
                    &[Arg::from(code_hash.as_str()), Arg::from(*now), Arg::from(jti.as_str())],
                )
                .await?,
            ),
            Op::Status(_) | Op::Session(_) => {
                return Err(StoreError::Corrupt(
                    "status records and sessions go through their own batcher",
                ));
            }
        });
    }
    // The status records of the tokens these writes give, in the same commit: a rotation's
    // when it happened; a redemption's only for a code this call marked, of the client the
    // record is for (a code redeemed by another client gives no token).
    let mut statuses = Vec::new();
    for (op, d) in ops.iter().zip(&done) {
        if let (Op::Rotate { r, .. }, Done::Rotated(true)) = (op, d)
            && let Some(t) = &r.status
        {
            statuses.push(t.clone());
        }
        if let (
            Op::Redeem {
                status: Some(t), ..
            },
            Done::Redeemed(Some(row)),
        ) = (op, d)
            && row.get::<String>("client_id")? == t.client_id
        {
            statuses.push(crate::TokenStatus {
                user_id: Some(row.get("user_id")?),
                ..t.clone()
            });
        }
    }
    if !statuses.is_empty() {
        let refs: Vec<&crate::TokenStatus> = statuses.iter().collect();
        record_statuses(&mut tx, &refs).await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// Status-list records and new sessions, committed without waiting for the disk: on SQLite's
/// connection of their own with `synchronous = NORMAL` (in WAL mode a commit then survives a
/// crash of the process, not a power failure), PostgreSQL's `synchronous_commit = off` (it
/// survives a crash of the service, and of the database server but for its last few hundred
/// milliseconds). Either is visible to every node once committed, before its caller answers.
/// A record lost that way only makes a later revocation miss that token's bit in its status
/// list (introspection is unaffected); a session lost that way only asks its person to sign in
/// again (what ends a session, a sign-out or a forced logout, is always synced). Waiting for
/// the disk per batch would bound token issuance by disk syncs (a third of the throughput,
/// measured), and cost each sign-in a sync of its own.
async fn run_relaxed(pool: &Pool, ops: &[&Op]) -> Result<Vec<Done>, StoreError> {
    let mut statuses: Vec<&crate::TokenStatus> = Vec::new();
    let mut sessions: Vec<&crate::Session> = Vec::new();
    for op in ops {
        match op {
            Op::Status(t) => statuses.push(t),
            Op::Session(s) => sessions.push(s),
            _ => {
                return Err(StoreError::Corrupt(
                    "only status records and sessions are written relaxed",
                ));
            }
        }
    }
    let mut statements = Vec::with_capacity(1 + sessions.len());
    if !statuses.is_empty() {
        statements.push(statuses_insert(&statuses));
    }
    for s in sessions {
        statements.push(super::sessions::insert_statement(s));
    }
    write_relaxed(pool, &statements).await?;
    Ok(ops.iter().map(|_| Done::Recorded).collect())
}

/// A statement and its arguments; borrowed text is kept prepared, built text is not.
pub(super) type Statement<'a> = (Cow<'static, str>, Vec<Arg<'a>>);

/// `statements` committed together without waiting for the disk (see [`run_relaxed`]). On
/// SQLite one statement alone commits by itself: no `BEGIN` and `COMMIT`, each a round trip to
/// the connection's thread.
pub(super) async fn write_relaxed(
    pool: &Pool,
    statements: &[Statement<'_>],
) -> Result<(), StoreError> {
    if let (Pool::Sqlite(p), [(text, args)]) = (pool, statements) {
        let prepared = matches!(text, Cow::Borrowed(_));
        let mut c = p.lease().await?;
        let done = bind_sqlite(&text.replace('$', "?"), args)
            .persistent(prepared)
            .execute(c.conn()?)
            .await;
        c.settle(done)?;
        return Ok(());
    }
    let mut tx = begin_relaxed(pool).await?;
    for (text, args) in statements {
        tx.execute_built(text, args).await?;
    }
    tx.commit().await
}

/// A transaction whose commit does not wait for the disk (see [`run_relaxed`]) on `pool`
/// (SQLite: the relaxed connection's pool, [`Batcher::relaxed_pool`]).
pub(super) async fn begin_relaxed(pool: &Pool) -> Result<Tx, StoreError> {
    Ok(match pool {
        Pool::Sqlite(_) => Tx::begin(pool).await?,
        Pool::Postgres(p) => {
            let mut tx = Tx::Postgres(p.begin().await?);
            tx.execute("SET LOCAL synchronous_commit = off", &[])
                .await?;
            tx
        }
    })
}

/// Status-list records in one multi-row `INSERT` (a statement per record would cost more than
/// the write itself).
async fn record_statuses(tx: &mut Tx, all: &[&crate::TokenStatus]) -> Result<(), StoreError> {
    let (text, args) = statuses_insert(all);
    tx.execute_built(&text, &args).await?;
    Ok(())
}

/// The multi-row `INSERT` of status-list records and its arguments.
fn statuses_insert<'a>(all: &[&'a crate::TokenStatus]) -> Statement<'a> {
    let mut text = String::from(
        "INSERT INTO token_status (list_id, seq, jti, client_id, user_id, grant_id, issued_ms) VALUES ",
    );
    let mut args = Vec::with_capacity(all.len() * 7);
    for (i, t) in all.iter().enumerate() {
        let n = i * 7;
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(&format!(
            "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 5,
            n + 6,
            n + 7
        ));
        args.extend([
            Arg::from(t.list_id),
            Arg::from(t.seq),
            Arg::from(t.jti.as_str()),
            Arg::from(t.client_id.as_str()),
            Arg::from(t.user_id.as_deref()),
            Arg::from(t.grant_id.as_deref()),
            Arg::from(t.issued_ms),
        ]);
    }
    (text.into(), args)
}
/// A rotation's statements in `tx` (see [`crate::RefreshStore::rotate_family`]).
pub(super) async fn rotate(
    tx: &mut Tx,
    id: &str,
    from: i64,
    r: &Rotation,
) -> Result<bool, StoreError> {
    // Only from the generation that was read, and only while not revoked: of two rotations at
    // once, one changes the row and the other changes nothing.
    let moved = tx
        .execute(
            "UPDATE refresh_families SET generation = generation + 1, grace_until_ms = $3, successor = $4, idle_expires_at = $5 WHERE id = $1 AND generation = $2 AND revoked_at IS NULL",
            &[
                Arg::from(id),
                Arg::from(from),
                Arg::from(r.grace_until_ms),
                Arg::from(&r.successor),
                Arg::from(r.idle_expires_at),
            ],
        )
        .await?;
    if moved == 0 {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO refresh_tokens (token_hash, family_id, generation) VALUES ($1, $2, $3)",
        &[Arg::from(&r.token_hash), Arg::from(id), Arg::from(from + 1)],
    )
    .await?;
    // Refreshing is using the session a family lives in.
    tx.execute(
        "UPDATE sessions SET last_seen = $2 WHERE id_hash = (SELECT session_hash FROM refresh_families WHERE id = $1) AND last_seen < $2",
        &[Arg::from(id), Arg::from(r.now)],
    )
    .await?;
    Ok(true)
}
