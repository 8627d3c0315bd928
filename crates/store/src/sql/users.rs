//! [`UserStore`] over SQL.

use async_trait::async_trait;

use super::{Arg, Row, SqlStore};
use crate::{SignInRead, StoreError, User, UserStore};

/// An account's eleven columns in table order ($1 to $11; the version last).
fn columns(u: &User) -> Result<[Arg<'_>; 11], StoreError> {
    Ok([
        Arg::from(&u.id),
        Arg::from(&u.username),
        Arg::from(&u.username_key),
        Arg::from(u.password_hash.as_deref()),
        Arg::Text(json(&u.attributes)?.into()),
        Arg::Text(json(&u.groups)?.into()),
        Arg::from(u.enabled),
        Arg::from(u.logged_out_before_ms),
        Arg::from(u.created_at),
        Arg::from(u.updated_at),
        Arg::from(u.version),
    ])
}

fn json(v: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|_| StoreError::Corrupt("unserializable JSON"))
}

fn user(r: &Row) -> Result<User, StoreError> {
    let attributes: String = r.get("attributes")?;
    let groups: String = r.get("groups")?;
    Ok(User {
        id: r.get("id")?,
        username: r.get("username")?,
        username_key: r.get("username_key")?,
        password_hash: r.get("password_hash")?,
        attributes: serde_json::from_str(&attributes)
            .map_err(|_| StoreError::Corrupt("a user's attributes are not a JSON object"))?,
        groups: serde_json::from_str(&groups)
            .map_err(|_| StoreError::Corrupt("a user's groups are not a JSON array"))?,
        enabled: r.flag("enabled")?,
        logged_out_before_ms: r.get("logged_out_before_ms")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
        version: r.get("version")?,
    })
}

/// A unique violation (the id or the username key is taken) as a conflict that names it.
fn taken(e: StoreError, u: &User) -> StoreError {
    match e {
        StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            StoreError::Conflict(format!("the username `{}` is taken", u.username))
        }
        other => other,
    }
}

const INSERT: &str = "INSERT INTO users (id, username, username_key, password_hash, attributes, groups, enabled, logged_out_before_ms, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

#[async_trait]
impl UserStore for SqlStore {
    async fn insert_user(&self, u: &User) -> Result<(), StoreError> {
        self.execute(INSERT, &columns(u)?)
            .await
            .map_err(|e| taken(e, u))?;
        Ok(())
    }

    async fn import_users(&self, users: &[User]) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for (i, u) in users.iter().enumerate() {
            tx.execute(INSERT, &columns(u)?)
                .await
                .map_err(|e| match taken(e, u) {
                    StoreError::Conflict(m) => StoreError::Conflict(m),
                    other => StoreError::Io(format!("account {} ({}): {other}", i + 1, u.username)),
                })?;
        }
        tx.commit().await
    }

    async fn update_user(&self, u: &User) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let done = tx
            .execute(
                "UPDATE users SET username = $2, username_key = $3, password_hash = $4, attributes = $5, groups = $6, enabled = $7, logged_out_before_ms = $8, created_at = $9, updated_at = $10, version = $11 + 1 WHERE id = $1 AND version = $11",
                &columns(u)?,
            )
            .await
            .map_err(|e| taken(e, u))?;
        if done == 0 {
            let exists = tx
                .exists("SELECT id FROM users WHERE id = $1", &[Arg::from(&u.id)])
                .await?;
            return Err(if exists {
                StoreError::Conflict(format!("user {}", u.username))
            } else {
                StoreError::NotFound(format!("user {}", u.username))
            });
        }
        tx.commit().await
    }

    async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        self.fetch_optional("SELECT * FROM users WHERE id = $1", &[Arg::from(id)])
            .await?
            .as_ref()
            .map(user)
            .transpose()
    }

    async fn user_by_username(&self, key: &str) -> Result<Option<User>, StoreError> {
        self.fetch_optional(
            "SELECT * FROM users WHERE username_key = $1",
            &[Arg::from(key)],
        )
        .await?
        .as_ref()
        .map(user)
        .transpose()
    }

    async fn sign_in_read(
        &self,
        username_key: Option<&str>,
        throttle_keys: [&str; 2],
    ) -> Result<SignInRead, StoreError> {
        // One row whatever matches: the account's columns are NULL when there is none.
        let r = self
            .fetch_one(
                "SELECT u.*, (SELECT count(*) FROM factors f WHERE f.user_id = u.id AND f.kind <> 'recovery') AS second_factors, a.failures AS a_failures, a.last_failure AS a_last_failure, b.failures AS b_failures, b.last_failure AS b_last_failure FROM (SELECT 1 AS one) o LEFT JOIN users u ON u.username_key = $1 LEFT JOIN login_throttle a ON a.key = $2 LEFT JOIN login_throttle b ON b.key = $3",
                &[
                    Arg::from(username_key),
                    Arg::from(throttle_keys[0]),
                    Arg::from(throttle_keys[1]),
                ],
            )
            .await?;
        let count = |failures: &str, last: &str| -> Result<Option<(i64, i64)>, StoreError> {
            Ok(r.get::<Option<i64>>(failures)?
                .zip(r.get::<Option<i64>>(last)?))
        };
        Ok(SignInRead {
            throttles: [
                count("a_failures", "a_last_failure")?,
                count("b_failures", "b_last_failure")?,
            ],
            user: match r.get::<Option<String>>("id")? {
                Some(_) => Some(user(&r)?),
                None => None,
            },
            second_factors: r.get("second_factors")?,
        })
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.fetch_all("SELECT * FROM users ORDER BY created_at, username_key", &[])
            .await?
            .iter()
            .map(user)
            .collect()
    }

    async fn delete_user(&self, id: &str) -> Result<bool, StoreError> {
        // What the person gave applications goes with the account (their tokens are inactive
        // anyway: introspection finds no account).
        let mut tx = self.begin().await?;
        let args = [Arg::from(id)];
        tx.execute("DELETE FROM consents WHERE user_id = $1", &args)
            .await?;
        tx.execute("DELETE FROM auth_codes WHERE user_id = $1", &args)
            .await?;
        tx.execute("DELETE FROM pairwise_subjects WHERE user_id = $1", &args)
            .await?;
        tx.execute("DELETE FROM factors WHERE user_id = $1", &args)
            .await?;
        tx.execute("DELETE FROM mfa_required WHERE user_id = $1", &args)
            .await?;
        let done = tx.execute("DELETE FROM users WHERE id = $1", &args).await?;
        if done > 0 {
            super::status::mark_deleted(&mut tx, id).await?;
        }
        tx.commit().await?;
        Ok(done > 0)
    }
}
