//! [`RefreshStore`] over SQL.

use async_trait::async_trait;

use super::{Arg, Row, SqlStore, batch, join, split};
use crate::{RefreshFamily, RefreshStore, Rotation, StoreError};

fn family(r: &Row) -> Result<RefreshFamily, StoreError> {
    let text = |name: &str| -> Result<Option<String>, StoreError> {
        Ok(Some(r.get::<String>(name)?).filter(|s| !s.is_empty()))
    };
    Ok(RefreshFamily {
        id: r.get("id")?,
        client_id: r.get("client_id")?,
        user_id: r.get("user_id")?,
        scopes: split(&r.get::<String>("scopes")?),
        resources: split(&r.get::<String>("resources")?),
        session_hash: text("session_hash")?,
        auth_time: r.get("auth_time")?,
        auth: r.get("auth")?,
        jkt: text("jkt")?,
        created_ms: r.get("created_ms")?,
        generation: r.get("generation")?,
        grace_until_ms: r.get("grace_until_ms")?,
        successor: r.get("successor")?,
        idle_expires_at: r.get("idle_expires_at")?,
        expires_at: r.get("expires_at")?,
        revoked_at: r.get("revoked_at")?,
        revoked_reason: r.get("revoked_reason")?,
    })
}

#[async_trait]
impl RefreshStore for SqlStore {
    async fn create_family(&self, f: &RefreshFamily, token_hash: &str) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.execute(
            "INSERT INTO refresh_families (id, client_id, user_id, scopes, resources, session_hash, auth_time, jkt, created_ms, generation, grace_until_ms, successor, idle_expires_at, expires_at, auth) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            &[
                Arg::from(&f.id),
                Arg::from(&f.client_id),
                Arg::from(&f.user_id),
                Arg::Text(join(&f.scopes).into()),
                Arg::Text(join(&f.resources).into()),
                Arg::from(f.session_hash.as_deref().unwrap_or("")),
                Arg::from(f.auth_time),
                Arg::from(f.jkt.as_deref().unwrap_or("")),
                Arg::from(f.created_ms),
                Arg::from(f.generation),
                Arg::from(f.grace_until_ms),
                Arg::from(&f.successor),
                Arg::from(f.idle_expires_at),
                Arg::from(f.expires_at),
                Arg::from(&f.auth),
            ],
        )
        .await?;
        tx.execute(
            "INSERT INTO refresh_tokens (token_hash, family_id, generation) VALUES ($1, $2, $3)",
            &[
                Arg::from(token_hash),
                Arg::from(&f.id),
                Arg::from(f.generation),
            ],
        )
        .await?;
        tx.commit().await
    }

    async fn refresh_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(RefreshFamily, i64)>, StoreError> {
        self.fetch_optional(
            "SELECT f.*, t.generation AS token_generation FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE t.token_hash = $1",
            &[Arg::from(token_hash)],
        )
        .await?
        .map(|r| Ok((family(&r)?, r.get("token_generation")?)))
        .transpose()
    }

    async fn rotate_family(&self, id: &str, from: i64, r: &Rotation) -> Result<bool, StoreError> {
        let op = batch::Op::Rotate {
            id: id.to_owned(),
            from,
            r: r.clone(),
        };
        match self.batch.write(&self.pool, op).await? {
            batch::Done::Rotated(moved) => Ok(moved),
            _ => Err(StoreError::Corrupt("a rotation's result")),
        }
    }

    async fn revoke_family(&self, id: &str, now: i64, reason: &str) -> Result<bool, StoreError> {
        Ok(self
            .execute(
                "UPDATE refresh_families SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL",
                &[Arg::from(id), Arg::from(now), Arg::from(reason)],
            )
            .await?
            > 0)
    }

    async fn family(&self, id: &str) -> Result<Option<RefreshFamily>, StoreError> {
        self.fetch_optional(
            "SELECT * FROM refresh_families WHERE id = $1",
            &[Arg::from(id)],
        )
        .await?
        .as_ref()
        .map(family)
        .transpose()
    }

    async fn live_families(
        &self,
        user_id: Option<&str>,
        client_id: Option<&str>,
        now: i64,
    ) -> Result<Vec<RefreshFamily>, StoreError> {
        self.fetch_all(
            "SELECT f.* FROM refresh_families f WHERE ($1 = '' OR f.user_id = $1) AND ($2 = '' OR f.client_id = $2) AND f.revoked_at IS NULL AND f.expires_at > $3 AND f.idle_expires_at > $3 AND (f.session_hash = '' OR EXISTS (SELECT 1 FROM sessions s WHERE s.id_hash = f.session_hash)) AND EXISTS (SELECT 1 FROM users u WHERE u.id = f.user_id AND u.enabled <> 0 AND (u.logged_out_before_ms IS NULL OR u.logged_out_before_ms < f.created_ms)) AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.user_id = f.user_id AND c.client_id = f.client_id AND c.revoked_before_ms >= f.created_ms) AND EXISTS (SELECT 1 FROM clients cl WHERE cl.id = f.client_id AND cl.enabled <> 0 AND (cl.tokens_revoked_before_ms IS NULL OR cl.tokens_revoked_before_ms < f.created_ms)) ORDER BY f.created_ms DESC, f.id",
            &[
                Arg::from(user_id.unwrap_or("")),
                Arg::from(client_id.unwrap_or("")),
                Arg::from(now),
            ],
        )
        .await?
        .iter()
        .map(family)
        .collect()
    }

    async fn purge_families(&self, before: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let args = [Arg::from(before)];
        tx.execute(
            "DELETE FROM refresh_tokens WHERE family_id IN (SELECT id FROM refresh_families WHERE expires_at < $1 OR idle_expires_at < $1 OR revoked_at < $1)",
            &args,
        )
        .await?;
        let done = tx
            .execute(
                "DELETE FROM refresh_families WHERE expires_at < $1 OR idle_expires_at < $1 OR revoked_at < $1",
                &args,
            )
            .await?;
        tx.commit().await?;
        Ok(done)
    }
}
