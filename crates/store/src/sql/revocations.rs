//! [`RevocationStore`] over SQL.

use async_trait::async_trait;

use super::{Arg, SqlStore};
use crate::{RevocationStore, StoreError};

#[async_trait]
impl RevocationStore for SqlStore {
    async fn revoke_jti(
        &self,
        jti: &str,
        client_id: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO revoked_tokens (jti, client_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING",
            &[Arg::from(jti), Arg::from(client_id), Arg::from(expires_at)],
        )
        .await?;
        Ok(())
    }

    async fn is_revoked(
        &self,
        jti: &str,
        client_id: &str,
        issued_ms: i64,
    ) -> Result<bool, StoreError> {
        let row = self
            .fetch_one(
                "SELECT CAST((SELECT COUNT(*) FROM revoked_tokens WHERE jti = $1) AS BIGINT) AS denied, CAST(COALESCE((SELECT CASE WHEN enabled = 1 AND (tokens_revoked_before_ms IS NULL OR tokens_revoked_before_ms < $3) THEN 0 ELSE 1 END FROM clients WHERE id = $2), 1) AS BIGINT) AS dead",
                &[Arg::from(jti), Arg::from(client_id), Arg::from(issued_ms)],
            )
            .await?;
        Ok(row.flag("denied")? || row.flag("dead")?)
    }

    async fn purge_revocations(&self, now: i64) -> Result<u64, StoreError> {
        self.execute(
            "DELETE FROM revoked_tokens WHERE expires_at < $1",
            &[Arg::from(now)],
        )
        .await
    }
}
