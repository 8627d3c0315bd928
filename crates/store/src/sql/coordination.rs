//! [`Coordination`] over SQL.

use async_trait::async_trait;

use super::{Arg, SqlStore};
use crate::{Coordination, StoreError};

#[async_trait]
impl Coordination for SqlStore {
    async fn generation(&self) -> Result<i64, StoreError> {
        self.fetch_one("SELECT value FROM generation WHERE id = 1", &[])
            .await?
            .get("value")
    }

    async fn bump(&self) -> Result<(), StoreError> {
        self.execute("UPDATE generation SET value = value + 1 WHERE id = 1", &[])
            .await?;
        Ok(())
    }

    async fn lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let done = self
            .execute(
                "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $4) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at WHERE leases.holder = excluded.holder OR leases.expires_at < $3",
                &[
                    Arg::from(name),
                    Arg::from(holder),
                    Arg::from(now),
                    Arg::from(until),
                ],
            )
            .await?;
        Ok(done > 0)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.execute("SELECT 1", &[]).await?;
        Ok(())
    }
}
