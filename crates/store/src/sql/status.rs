//! [`StatusStore`] over SQL.

use async_trait::async_trait;

use super::{Arg, Row, SqlStore, batch};
use crate::{StatusBlock, StatusListInfo, StatusStore, StoreError, TokenStatus};

fn list(r: &Row) -> Result<StatusListInfo, StoreError> {
    Ok(StatusListInfo {
        id: r.get("id")?,
        capacity: r.get("capacity")?,
        perm_key: r.get("perm_key")?,
        created_at: r.get("created_at")?,
        closes_at: r.get("closes_at")?,
        expires_at: r.get("expires_at")?,
    })
}

/// The counter values whose tokens introspection calls inactive, one branch per rule, each driven
/// from the (small) table that says what was revoked: `CROSS JOIN` keeps SQLite from starting
/// at the list's rows instead.
const REVOKED: &str = "SELECT t.seq FROM revoked_tokens r CROSS JOIN token_status t WHERE t.jti = r.jti AND t.list_id = $1 \
UNION SELECT t.seq FROM clients c CROSS JOIN token_status t WHERE (c.enabled <> 1 OR c.tokens_revoked_before_ms IS NOT NULL) AND t.client_id = c.id AND t.list_id = $1 AND (c.enabled <> 1 OR t.issued_ms <= c.tokens_revoked_before_ms) \
UNION SELECT t.seq FROM deleted_principals d CROSS JOIN token_status t WHERE t.client_id = d.id AND t.list_id = $1 \
UNION SELECT t.seq FROM deleted_principals d CROSS JOIN token_status t WHERE t.user_id = d.id AND t.list_id = $1 \
UNION SELECT t.seq FROM users u CROSS JOIN token_status t WHERE (u.enabled = 0 OR u.logged_out_before_ms IS NOT NULL) AND t.user_id = u.id AND t.list_id = $1 AND (u.enabled = 0 OR t.issued_ms <= u.logged_out_before_ms) \
UNION SELECT t.seq FROM consents c CROSS JOIN token_status t WHERE c.revoked_before_ms IS NOT NULL AND t.user_id = c.user_id AND t.client_id = c.client_id AND t.list_id = $1 AND t.issued_ms <= c.revoked_before_ms \
UNION SELECT t.seq FROM refresh_families f CROSS JOIN token_status t WHERE f.revoked_at IS NOT NULL AND t.user_id = f.user_id AND t.grant_id = f.id AND t.list_id = $1 \
ORDER BY 1";

#[async_trait]
impl StatusStore for SqlStore {
    async fn take_status_block(
        &self,
        now: i64,
        block: i64,
        new: &StatusListInfo,
    ) -> Result<StatusBlock, StoreError> {
        // One statement each, never a read then a write in one transaction (SQLite would
        // refuse the write at once, without waiting, when another connection wrote between
        // them): the newest open list with room moves its counter, or a new list is made.
        // Another node may move the same counter meanwhile: the conditions are checked again
        // on the row, and the list is looked for again.
        for _ in 0..8 {
            let moved = self
                .fetch_optional(
                    "UPDATE status_lists SET next = next + $2 WHERE id = (SELECT id FROM status_lists WHERE closes_at > $1 AND next + $2 <= capacity ORDER BY id DESC LIMIT 1) AND closes_at > $1 AND next + $2 <= capacity RETURNING *",
                    &[Arg::from(now), Arg::from(block)],
                )
                .await?;
            if let Some(row) = moved {
                let end: i64 = row.get("next")?;
                return Ok(StatusBlock {
                    list: list(&row)?,
                    start: end - block,
                    end,
                });
            }
            let open = self
                .fetch_optional(
                    "SELECT id FROM status_lists WHERE closes_at > $1 AND next + $2 <= capacity LIMIT 1",
                    &[Arg::from(now), Arg::from(block)],
                )
                .await?;
            if open.is_some() {
                // Taken from under us between the two statements' views: look again.
                continue;
            }
            // Only while there is still no open list with room (another node may have made
            // one meanwhile: then that one is used).
            let Some(row) = self
                .fetch_optional(
                    "INSERT INTO status_lists (capacity, perm_key, next, created_at, closes_at, expires_at) SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM status_lists WHERE closes_at > $7 AND next + $3 <= capacity) RETURNING *",
                    &[
                        Arg::from(new.capacity),
                        Arg::from(&new.perm_key),
                        Arg::from(block),
                        Arg::from(new.created_at),
                        Arg::from(new.closes_at),
                        Arg::from(new.expires_at),
                        Arg::from(now),
                    ],
                )
                .await?
            else {
                continue;
            };
            return Ok(StatusBlock {
                list: list(&row)?,
                start: 0,
                end: block,
            });
        }
        Err(StoreError::Io(
            "no status list block after 8 tries (other nodes kept taking them)".into(),
        ))
    }

    async fn record_status(&self, t: &TokenStatus) -> Result<(), StoreError> {
        match self
            .relaxed_batch
            .write(&self.pool, batch::Op::Status(t.clone()))
            .await?
        {
            batch::Done::Recorded => Ok(()),
            _ => Err(StoreError::Corrupt("a status record's result")),
        }
    }

    async fn status_list(&self, id: i64) -> Result<Option<StatusListInfo>, StoreError> {
        self.fetch_optional("SELECT * FROM status_lists WHERE id = $1", &[Arg::from(id)])
            .await?
            .as_ref()
            .map(list)
            .transpose()
    }

    async fn status_lists(&self, now: i64) -> Result<Vec<StatusListInfo>, StoreError> {
        self.fetch_all(
            "SELECT * FROM status_lists WHERE expires_at > $1 ORDER BY id",
            &[Arg::from(now)],
        )
        .await?
        .iter()
        .map(list)
        .collect()
    }

    async fn revoked_seqs(&self, list_id: i64) -> Result<Vec<i64>, StoreError> {
        self.fetch_all(REVOKED, &[Arg::from(list_id)])
            .await?
            .iter()
            .map(|r| r.get("seq"))
            .collect()
    }

    async fn purge_status_lists(&self, now: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        tx.execute(
            "DELETE FROM token_status WHERE list_id IN (SELECT id FROM status_lists WHERE expires_at <= $1)",
            &[Arg::from(now)],
        )
        .await?;
        let lists = tx
            .execute(
                "DELETE FROM status_lists WHERE expires_at <= $1",
                &[Arg::from(now)],
            )
            .await?;
        // A deletion older than every list still published can name none of their tokens.
        tx.execute(
            "DELETE FROM deleted_principals WHERE deleted_at < COALESCE((SELECT MIN(created_at) FROM status_lists), $1)",
            &[Arg::from(now)],
        )
        .await?;
        tx.commit().await?;
        Ok(lists)
    }
}

/// Marks a client or an account deleted, in the transaction that deletes it.
pub(super) async fn mark_deleted(tx: &mut super::Tx, id: &str) -> Result<(), StoreError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    tx.execute(
        "INSERT INTO deleted_principals (id, deleted_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        &[Arg::from(id), Arg::from(now)],
    )
    .await?;
    Ok(())
}
