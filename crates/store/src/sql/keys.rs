//! [`KeyStore`] over SQL.

use async_trait::async_trait;

use super::{Arg, Row, SqlStore};
use crate::{KeyPurpose, KeyState, KeyStore, StoreError, StoredKey};

fn key(r: &Row) -> Result<StoredKey, StoreError> {
    Ok(StoredKey {
        kid: r.get("kid")?,
        alg: r.get("alg")?,
        purpose: KeyPurpose::parse(&r.get::<String>("purpose")?)?,
        state: KeyState::parse(&r.get::<String>("state")?)?,
        private_jwe: r.get("private_jwe")?,
        public_jwk: r.get("public_jwk")?,
        created_at: r.get("created_at")?,
        activated_at: r.get("activated_at")?,
        retired_at: r.get("retired_at")?,
        remove_after: r.get("remove_after")?,
        signed_until: r.get("signed_until")?,
    })
}

/// A key's state and times ($1 the kid).
const UPDATE_KEY: &str = "UPDATE signing_keys SET state = $2, activated_at = $3, retired_at = $4, remove_after = $5 WHERE kid = $1";

fn state_and_times(k: &StoredKey) -> [Arg<'_>; 5] {
    [
        Arg::from(&k.kid),
        Arg::from(k.state.name()),
        Arg::from(k.activated_at),
        Arg::from(k.retired_at),
        Arg::from(k.remove_after),
    ]
}

#[async_trait]
impl KeyStore for SqlStore {
    async fn keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        self.fetch_all("SELECT * FROM signing_keys ORDER BY created_at, kid", &[])
            .await?
            .iter()
            .map(key)
            .collect()
    }

    async fn insert_key(&self, k: &StoredKey) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.execute(
            "INSERT INTO signing_keys (kid, alg, state, private_jwe, public_jwk, created_at, activated_at, retired_at, remove_after, purpose) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                Arg::from(&k.kid),
                Arg::from(&k.alg),
                Arg::from(k.state.name()),
                Arg::from(&k.private_jwe),
                Arg::from(&k.public_jwk),
                Arg::from(k.created_at),
                Arg::from(k.activated_at),
                Arg::from(k.retired_at),
                Arg::from(k.remove_after),
                Arg::from(k.purpose.name()),
            ],
        )
        .await?;
        tx.commit_bumped().await
    }

    async fn update_key(&self, k: &StoredKey) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.execute(UPDATE_KEY, &state_and_times(k)).await?;
        tx.commit_bumped().await
    }

    async fn reseal_keys(&self, sealed: &[(String, String)]) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let mut changed = 0;
        for (kid, jwe) in sealed {
            changed += tx
                .execute(
                    "UPDATE signing_keys SET private_jwe = $2 WHERE kid = $1",
                    &[Arg::from(kid.as_str()), Arg::from(jwe.as_str())],
                )
                .await?;
        }
        tx.commit_bumped().await?;
        Ok(changed)
    }

    async fn promote_key(
        &self,
        retired: Option<&StoredKey>,
        activated: &StoredKey,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for k in retired.into_iter().chain([activated]) {
            tx.execute(UPDATE_KEY, &state_and_times(k)).await?;
        }
        tx.commit_bumped().await
    }

    async fn key_signed_until(&self, kid: &str, until: i64, margin: i64) -> Result<(), StoreError> {
        // Only ever raised; a retired key's removal moves with it. No generation bump: no cache
        // holds these times.
        self.execute(
            "UPDATE signing_keys SET signed_until = CASE WHEN signed_until IS NULL OR signed_until < $2 THEN $2 ELSE signed_until END, remove_after = CASE WHEN remove_after IS NOT NULL AND remove_after < $3 THEN $3 ELSE remove_after END WHERE kid = $1",
            &[
                Arg::from(kid),
                Arg::from(until),
                Arg::from(until.saturating_add(margin)),
            ],
        )
        .await?;
        Ok(())
    }

    async fn add_signed_counts(&self, kid: &str, counts: &[(i64, u64)]) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for (minute, count) in counts {
            tx.execute(
                "INSERT INTO key_signed_counts (kid, exp_minute, count) VALUES ($1, $2, $3) ON CONFLICT (kid, exp_minute) DO UPDATE SET count = key_signed_counts.count + excluded.count",
                &[
                    Arg::from(kid),
                    Arg::from(*minute),
                    Arg::from(i64::try_from(*count).unwrap_or(i64::MAX)),
                ],
            )
            .await?;
        }
        tx.commit().await
    }

    async fn live_signed_count(&self, kid: &str, now: i64) -> Result<u64, StoreError> {
        let row = self
            .fetch_one(
                "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) AS live FROM key_signed_counts WHERE kid = $1 AND exp_minute >= $2",
                &[Arg::from(kid), Arg::from(now.div_euclid(60))],
            )
            .await?;
        Ok(u64::try_from(row.get::<i64>("live")?).unwrap_or(0))
    }

    async fn delete_key(&self, kid: &str) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.execute("DELETE FROM signing_keys WHERE kid = $1", &[Arg::from(kid)])
            .await?;
        tx.execute(
            "DELETE FROM key_signed_counts WHERE kid = $1",
            &[Arg::from(kid)],
        )
        .await?;
        tx.commit_bumped().await
    }
}
