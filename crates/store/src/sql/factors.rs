//! [`FactorStore`] over SQL.

use async_trait::async_trait;

use super::{Arg, Row, SqlStore};
use crate::{Factor, FactorStore, StoreError};

fn factor(r: &Row) -> Result<Factor, StoreError> {
    Ok(Factor {
        id: r.get("id")?,
        user_id: r.get("user_id")?,
        kind: r.get("kind")?,
        name: r.get("name")?,
        secret: r.get("secret")?,
        counter: r.get("counter")?,
        confirmed: r.flag("confirmed")?,
        created_at: r.get("created_at")?,
        last_used: r.get("last_used")?,
        data: r.get("data")?,
    })
}

const INSERT: &str = "INSERT INTO factors (id, user_id, kind, name, secret, counter, confirmed, created_at, last_used, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

fn columns(f: &Factor) -> [Arg<'_>; 10] {
    [
        Arg::from(&f.id),
        Arg::from(&f.user_id),
        Arg::from(&f.kind),
        Arg::from(&f.name),
        Arg::from(&f.secret),
        Arg::from(f.counter),
        Arg::from(f.confirmed),
        Arg::from(f.created_at),
        Arg::from(f.last_used),
        Arg::from(&f.data),
    ]
}

#[async_trait]
impl FactorStore for SqlStore {
    async fn insert_factor(&self, f: &Factor) -> Result<(), StoreError> {
        self.execute(INSERT, &columns(f)).await?;
        Ok(())
    }

    async fn factors_of(&self, user_id: &str) -> Result<Vec<Factor>, StoreError> {
        self.fetch_all(
            "SELECT * FROM factors WHERE user_id = $1 ORDER BY created_at, id",
            &[Arg::from(user_id)],
        )
        .await?
        .iter()
        .map(factor)
        .collect()
    }

    async fn factor(&self, id: &str) -> Result<Option<Factor>, StoreError> {
        self.fetch_optional("SELECT * FROM factors WHERE id = $1", &[Arg::from(id)])
            .await?
            .as_ref()
            .map(factor)
            .transpose()
    }

    async fn advance_factor(&self, id: &str, to: i64, now: i64) -> Result<bool, StoreError> {
        let done = self
            .execute(
                "UPDATE factors SET counter = $2, last_used = $3, confirmed = 1 WHERE id = $1 AND (counter < $2 OR (kind = 'passkey' AND counter = 0 AND $2 = 0))",
                &[Arg::from(id), Arg::from(to), Arg::from(now)],
            )
            .await?;
        Ok(done > 0)
    }

    async fn delete_factor(&self, user_id: &str, id: &str) -> Result<bool, StoreError> {
        let done = self
            .execute(
                "DELETE FROM factors WHERE user_id = $1 AND id = $2",
                &[Arg::from(user_id), Arg::from(id)],
            )
            .await?;
        Ok(done > 0)
    }

    async fn delete_factors(&self, user_id: &str, kind: Option<&str>) -> Result<u64, StoreError> {
        match kind {
            Some(k) => {
                self.execute(
                    "DELETE FROM factors WHERE user_id = $1 AND kind = $2",
                    &[Arg::from(user_id), Arg::from(k)],
                )
                .await
            }
            None => {
                self.execute(
                    "DELETE FROM factors WHERE user_id = $1",
                    &[Arg::from(user_id)],
                )
                .await
            }
        }
    }

    async fn replace_factors(
        &self,
        user_id: &str,
        kind: &str,
        new: &[Factor],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.execute(
            "DELETE FROM factors WHERE user_id = $1 AND kind = $2",
            &[Arg::from(user_id), Arg::from(kind)],
        )
        .await?;
        for f in new {
            if f.user_id != user_id || f.kind != kind {
                return Err(StoreError::Corrupt(
                    "a replacing factor of another kind or person",
                ));
            }
            tx.execute(INSERT, &columns(f)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn mfa_required(&self, user_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .fetch_optional(
                "SELECT user_id FROM mfa_required WHERE user_id = $1",
                &[Arg::from(user_id)],
            )
            .await?
            .is_some())
    }

    async fn set_mfa_required(&self, user_id: &str, required: bool) -> Result<(), StoreError> {
        let args = [Arg::from(user_id)];
        if required {
            self.execute(
                "INSERT INTO mfa_required (user_id) VALUES ($1) ON CONFLICT DO NOTHING",
                &args,
            )
            .await?;
        } else {
            self.execute("DELETE FROM mfa_required WHERE user_id = $1", &args)
                .await?;
        }
        Ok(())
    }

    async fn insert_challenge(
        &self,
        hash: &str,
        purpose: &str,
        user_id: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO challenges (hash, purpose, user_id, expires_at) VALUES ($1, $2, $3, $4)",
            &[
                Arg::from(hash),
                Arg::from(purpose),
                Arg::from(user_id),
                Arg::from(expires_at),
            ],
        )
        .await?;
        Ok(())
    }

    async fn take_challenge(
        &self,
        hash: &str,
        now: i64,
    ) -> Result<Option<(String, String)>, StoreError> {
        // Deleted whether or not it expired: a challenge is answered once.
        let row = self
            .fetch_optional(
                "DELETE FROM challenges WHERE hash = $1 RETURNING purpose, user_id, expires_at",
                &[Arg::from(hash)],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        if r.get::<i64>("expires_at")? < now {
            return Ok(None);
        }
        Ok(Some((r.get("purpose")?, r.get("user_id")?)))
    }

    async fn purge_challenges(&self, now: i64) -> Result<u64, StoreError> {
        self.execute(
            "DELETE FROM challenges WHERE expires_at < $1",
            &[Arg::from(now)],
        )
        .await
    }
}
