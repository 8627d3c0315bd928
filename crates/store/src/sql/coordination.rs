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

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM leases WHERE name = $1 AND holder = $2",
            &[Arg::from(name), Arg::from(holder)],
        )
        .await?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.execute("SELECT 1", &[]).await?;
        Ok(())
    }

    async fn fact(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.fetch_optional(
            "SELECT value FROM store_facts WHERE name = $1",
            &[Arg::from(name)],
        )
        .await?
        .map(|r| r.get("value"))
        .transpose()
    }

    async fn record_fact(&self, name: &str, value: &str) -> Result<String, StoreError> {
        // First writer wins: a second process recording another value reads the first one.
        self.execute(
            "INSERT INTO store_facts (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[Arg::from(name), Arg::from(value)],
        )
        .await?;
        self.fact(name)
            .await?
            .ok_or(StoreError::Corrupt("a fact vanished as it was recorded"))
    }

    async fn set_fact(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO store_facts (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            &[Arg::from(name), Arg::from(value)],
        )
        .await?;
        Ok(())
    }
}
