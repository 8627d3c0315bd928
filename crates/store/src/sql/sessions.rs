//! [`SessionStore`] over SQL.

use async_trait::async_trait;

use super::{Arg, Row, SqlStore, batch};
use crate::{Session, SessionStore, StoreError};

/// The statement that writes a new session (the relaxed batcher's: see `batch::run_relaxed`).
pub(super) fn insert_statement(s: &Session) -> batch::Statement<'_> {
    (
        "INSERT INTO sessions (id_hash, user_id, created_ms, last_seen, address, user_agent, auth) VALUES ($1, $2, $3, $4, $5, $6, $7)".into(),
        vec![
            Arg::from(&s.id_hash),
            Arg::from(&s.user_id),
            Arg::from(s.created_ms),
            Arg::from(s.last_seen),
            Arg::from(&s.address),
            Arg::from(&s.user_agent),
            Arg::from(&s.auth),
        ],
    )
}

fn session(r: &Row) -> Result<Session, StoreError> {
    Ok(Session {
        id_hash: r.get("id_hash")?,
        user_id: r.get("user_id")?,
        created_ms: r.get("created_ms")?,
        last_seen: r.get("last_seen")?,
        address: r.get("address")?,
        user_agent: r.get("user_agent")?,
        auth: r.get("auth")?,
    })
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn insert_session(&self, s: &Session) -> Result<(), StoreError> {
        // Committed (visible to every node) before the answer, not synced to the disk: a
        // session lost to a power failure only asks its person to sign in again.
        self.relaxed_batch
            .write(&self.pool, batch::Op::Session(s.clone()))
            .await?;
        Ok(())
    }

    async fn session(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        self.fetch_optional(
            "SELECT * FROM sessions WHERE id_hash = $1",
            &[Arg::from(id_hash)],
        )
        .await?
        .as_ref()
        .map(session)
        .transpose()
    }

    async fn set_session_auth(&self, id_hash: &str, auth: &str) -> Result<bool, StoreError> {
        let done = self
            .execute(
                "UPDATE sessions SET auth = $2 WHERE id_hash = $1",
                &[Arg::from(id_hash), Arg::from(auth)],
            )
            .await?;
        Ok(done > 0)
    }

    async fn touch_session(&self, id_hash: &str, now: i64) -> Result<(), StoreError> {
        self.execute(
            "UPDATE sessions SET last_seen = $2 WHERE id_hash = $1 AND last_seen < $2",
            &[Arg::from(id_hash), Arg::from(now)],
        )
        .await?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let args = [Arg::from(id_hash)];
        tx.execute(
            "INSERT INTO logout_outbox (session_hash, client_id, user_id, uri, attempts, next_at) SELECT sc.session_hash, sc.client_id, sc.user_id, c.backchannel_logout_uri, 0, 0 FROM session_clients sc JOIN clients c ON c.id = sc.client_id WHERE sc.session_hash = $1 AND c.backchannel_logout_uri <> '' ON CONFLICT DO NOTHING",
            &args,
        )
        .await?;
        tx.execute("DELETE FROM session_clients WHERE session_hash = $1", &args)
            .await?;
        let done = tx
            .execute("DELETE FROM sessions WHERE id_hash = $1", &args)
            .await?;
        tx.commit().await?;
        Ok(done > 0)
    }

    async fn delete_sessions_of(
        &self,
        user_id: &str,
        keep: Option<&str>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let args = [Arg::from(user_id), Arg::from(keep.unwrap_or(""))];
        tx.execute(
            "INSERT INTO logout_outbox (session_hash, client_id, user_id, uri, attempts, next_at) SELECT sc.session_hash, sc.client_id, sc.user_id, c.backchannel_logout_uri, 0, 0 FROM session_clients sc JOIN clients c ON c.id = sc.client_id WHERE sc.user_id = $1 AND sc.session_hash <> $2 AND c.backchannel_logout_uri <> '' ON CONFLICT DO NOTHING",
            &args,
        )
        .await?;
        tx.execute(
            "DELETE FROM session_clients WHERE user_id = $1 AND session_hash <> $2",
            &args,
        )
        .await?;
        let done = tx
            .execute(
                "DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2",
                &args,
            )
            .await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn sessions_of(&self, user_id: &str) -> Result<Vec<Session>, StoreError> {
        self.fetch_all(
            "SELECT * FROM sessions WHERE user_id = $1 ORDER BY created_ms DESC",
            &[Arg::from(user_id)],
        )
        .await?
        .iter()
        .map(session)
        .collect()
    }

    async fn purge_sessions(&self, before: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let args = [Arg::from(before)];
        tx.execute(
            "INSERT INTO logout_outbox (session_hash, client_id, user_id, uri, attempts, next_at) SELECT sc.session_hash, sc.client_id, sc.user_id, c.backchannel_logout_uri, 0, 0 FROM session_clients sc JOIN clients c ON c.id = sc.client_id WHERE sc.session_hash IN (SELECT id_hash FROM sessions WHERE last_seen < $1) AND c.backchannel_logout_uri <> '' ON CONFLICT DO NOTHING",
            &args,
        )
        .await?;
        tx.execute(
            "DELETE FROM session_clients WHERE session_hash IN (SELECT id_hash FROM sessions WHERE last_seen < $1)",
            &args,
        )
        .await?;
        let done = tx
            .execute("DELETE FROM sessions WHERE last_seen < $1", &args)
            .await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn throttles(&self, keys: [&str; 2]) -> Result<[Option<(i64, i64)>; 2], StoreError> {
        let rows = self
            .fetch_all(
                "SELECT key, failures, last_failure FROM login_throttle WHERE key IN ($1, $2)",
                &[Arg::from(keys[0]), Arg::from(keys[1])],
            )
            .await?;
        let mut counts = [None, None];
        for r in &rows {
            let key: String = r.get("key")?;
            let count = Some((r.get("failures")?, r.get("last_failure")?));
            for (k, c) in keys.iter().zip(counts.iter_mut()) {
                if *k == key {
                    *c = count;
                }
            }
        }
        Ok(counts)
    }

    async fn throttle_failure(
        &self,
        key: &str,
        now_ms: i64,
        reset_ms: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO login_throttle (key, failures, last_failure) VALUES ($1, 1, $2) ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN login_throttle.last_failure < $2 - $3 THEN 1 ELSE login_throttle.failures + 1 END, last_failure = $2",
            &[Arg::from(key), Arg::from(now_ms), Arg::from(reset_ms)],
        )
        .await?;
        Ok(())
    }

    async fn purge_throttle(&self, before_ms: i64) -> Result<u64, StoreError> {
        self.execute(
            "DELETE FROM login_throttle WHERE last_failure < $1",
            &[Arg::from(before_ms)],
        )
        .await
    }

    async fn throttle_clear(&self, key: &str) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM login_throttle WHERE key = $1",
            &[Arg::from(key)],
        )
        .await?;
        Ok(())
    }
}
