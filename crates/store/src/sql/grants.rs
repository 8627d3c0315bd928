//! [`GrantStore`] over SQL.

use async_trait::async_trait;

use super::{Arg, Row, SqlStore, batch, join, split};
use crate::{AuthCode, Consent, GrantStore, PendingLogout, StoreError};

/// The person's access holds for a token issued at `$3` to client `$2` (`u` the account `$1`,
/// `c` its consent to that client, left-joined): the account exists and is enabled, and
/// neither a forced logout nor a consent removal came at or after the token. One text for
/// every query that asks.
macro_rules! person_holds {
    () => {
        "u.id = $1 AND u.enabled <> 0 AND (u.logged_out_before_ms IS NULL OR u.logged_out_before_ms < $3) AND (c.revoked_before_ms IS NULL OR c.revoked_before_ms < $3)"
    };
}

fn code(r: &Row) -> Result<AuthCode, StoreError> {
    Ok(AuthCode {
        code_hash: r.get("code_hash")?,
        client_id: r.get("client_id")?,
        user_id: r.get("user_id")?,
        session_hash: r.get("session_hash")?,
        redirect_uri: r.get("redirect_uri")?,
        code_challenge: r.get("code_challenge")?,
        nonce: r.get("nonce")?,
        scopes: split(&r.get::<String>("scope")?),
        resources: split(&r.get::<String>("resources")?),
        auth_time: r.get("auth_time")?,
        auth: r.get("auth")?,
        expires_at: r.get("expires_at")?,
        used_at: r.get("used_at")?,
        issued_jti: r.get("issued_jti")?,
    })
}

fn consent(r: &Row) -> Result<Consent, StoreError> {
    Ok(Consent {
        user_id: r.get("user_id")?,
        client_id: r.get("client_id")?,
        scopes: split(&r.get::<String>("scopes")?),
        granted_at: r.get("granted_at")?,
        revoked_before_ms: r.get("revoked_before_ms")?,
    })
}

#[async_trait]
impl GrantStore for SqlStore {
    async fn insert_code(&self, c: &AuthCode) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO auth_codes (code_hash, client_id, user_id, session_hash, redirect_uri, code_challenge, nonce, scope, resources, auth_time, expires_at, auth) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                Arg::from(&c.code_hash),
                Arg::from(&c.client_id),
                Arg::from(&c.user_id),
                Arg::from(&c.session_hash),
                Arg::from(&c.redirect_uri),
                Arg::from(&c.code_challenge),
                Arg::from(c.nonce.as_deref()),
                Arg::Text(join(&c.scopes).into()),
                Arg::Text(join(&c.resources).into()),
                Arg::from(c.auth_time),
                Arg::from(c.expires_at),
                Arg::from(&c.auth),
            ],
        )
        .await?;
        Ok(())
    }

    async fn redeem_code(
        &self,
        code_hash: &str,
        now: i64,
        jti: &str,
        status: Option<&crate::TokenStatus>,
    ) -> Result<Result<AuthCode, Option<AuthCode>>, StoreError> {
        // One statement marks it used and returns it: of two concurrent redemptions exactly
        // one gets a row.
        // (In a transaction shared with the redemptions and rotations that arrive with it:
        // one synced commit for all.)
        let op = batch::Op::Redeem {
            code_hash: code_hash.to_owned(),
            now,
            jti: jti.to_owned(),
            status: status.cloned(),
        };
        let marked = match self.batch.write(&self.pool, op).await? {
            batch::Done::Redeemed(row) => row,
            _ => return Err(StoreError::Corrupt("a redemption's result")),
        };
        if let Some(r) = marked {
            return Ok(Ok(code(&r)?));
        }
        let before = self
            .fetch_optional(
                "SELECT * FROM auth_codes WHERE code_hash = $1",
                &[Arg::from(code_hash)],
            )
            .await?
            .as_ref()
            .map(code)
            .transpose()?;
        Ok(Err(before))
    }

    async fn purge_codes(&self, before: i64) -> Result<u64, StoreError> {
        let codes = self
            .execute(
                "DELETE FROM auth_codes WHERE expires_at < $1",
                &[Arg::from(before)],
            )
            .await?;
        let pushed = self
            .execute(
                "DELETE FROM pushed_requests WHERE expires_at < $1",
                &[Arg::from(before)],
            )
            .await?;
        Ok(codes + pushed)
    }

    async fn push_request(
        &self,
        uri_hash: &str,
        client_id: &str,
        params: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO pushed_requests (uri_hash, client_id, params, expires_at) VALUES ($1, $2, $3, $4)",
            &[
                Arg::from(uri_hash),
                Arg::from(client_id),
                Arg::from(params),
                Arg::from(expires_at),
            ],
        )
        .await?;
        Ok(())
    }

    async fn pushed_request(
        &self,
        uri_hash: &str,
        now: i64,
    ) -> Result<Option<(String, String, i64)>, StoreError> {
        let Some(r) = self
            .fetch_optional(
                "SELECT client_id, params, expires_at FROM pushed_requests WHERE uri_hash = $1 AND expires_at >= $2 AND used = 0",
                &[Arg::from(uri_hash), Arg::from(now)],
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some((
            r.get("client_id")?,
            r.get("params")?,
            r.get("expires_at")?,
        )))
    }

    async fn use_pushed_request(&self, uri_hash: &str) -> Result<bool, StoreError> {
        Ok(self
            .execute(
                "UPDATE pushed_requests SET used = 1 WHERE uri_hash = $1 AND used = 0",
                &[Arg::from(uri_hash)],
            )
            .await?
            > 0)
    }

    async fn consent(&self, user_id: &str, client_id: &str) -> Result<Option<Consent>, StoreError> {
        self.fetch_optional(
            "SELECT * FROM consents WHERE user_id = $1 AND client_id = $2",
            &[Arg::from(user_id), Arg::from(client_id)],
        )
        .await?
        .as_ref()
        .map(consent)
        .transpose()
    }

    async fn grant_consent(&self, c: &Consent) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO consents (user_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at",
            &[
                Arg::from(&c.user_id),
                Arg::from(&c.client_id),
                Arg::Text(join(&c.scopes).into()),
                Arg::from(c.granted_at),
            ],
        )
        .await?;
        Ok(())
    }

    async fn revoke_consent(
        &self,
        user_id: &str,
        client_id: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        Ok(self
            .execute(
                "UPDATE consents SET scopes = '', revoked_before_ms = $3 WHERE user_id = $1 AND client_id = $2 AND scopes <> ''",
                &[Arg::from(user_id), Arg::from(client_id), Arg::from(now_ms)],
            )
            .await?
            > 0)
    }

    async fn consents_of(&self, user_id: &str) -> Result<Vec<Consent>, StoreError> {
        self.fetch_all(
            "SELECT * FROM consents WHERE user_id = $1 AND scopes <> '' ORDER BY granted_at DESC, client_id",
            &[Arg::from(user_id)],
        )
        .await?
        .iter()
        .map(consent)
        .collect()
    }

    async fn note_session_client(
        &self,
        session_hash: &str,
        client_id: &str,
        user_id: &str,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO session_clients (session_hash, client_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[Arg::from(session_hash), Arg::from(client_id), Arg::from(user_id)],
        )
        .await?;
        Ok(())
    }

    async fn claim_logouts(
        &self,
        now: i64,
        retry_at: i64,
        limit: i64,
    ) -> Result<Vec<PendingLogout>, StoreError> {
        // One statement: a notice claimed by one node is not due for another.
        self.fetch_all(
            "UPDATE logout_outbox SET attempts = attempts + 1, next_at = $2 WHERE (session_hash, client_id) IN (SELECT session_hash, client_id FROM logout_outbox WHERE next_at <= $1 ORDER BY next_at LIMIT $3) AND next_at <= $1 RETURNING *",
            &[Arg::from(now), Arg::from(retry_at), Arg::from(limit)],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(PendingLogout {
                session_hash: r.get("session_hash")?,
                client_id: r.get("client_id")?,
                user_id: r.get("user_id")?,
                uri: r.get("uri")?,
                attempts: r.get("attempts")?,
            })
        })
        .collect()
    }

    async fn logout_retry(
        &self,
        session_hash: &str,
        client_id: &str,
        next_at: i64,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE logout_outbox SET next_at = $3 WHERE session_hash = $1 AND client_id = $2",
            &[
                Arg::from(session_hash),
                Arg::from(client_id),
                Arg::from(next_at),
            ],
        )
        .await?;
        Ok(())
    }

    async fn logout_done(&self, session_hash: &str, client_id: &str) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM logout_outbox WHERE session_hash = $1 AND client_id = $2",
            &[Arg::from(session_hash), Arg::from(client_id)],
        )
        .await?;
        Ok(())
    }

    async fn user_token_revoked(
        &self,
        user_id: &str,
        client_id: &str,
        issued_ms: i64,
        grant_id: Option<&str>,
    ) -> Result<bool, StoreError> {
        // Active only when the account exists, is enabled, neither a forced logout nor a
        // consent removal came at or after the token, and its grant's family (if any) stands.
        let active = self
            .fetch_optional(
                concat!(
                    "SELECT u.id FROM users u LEFT JOIN consents c ON c.user_id = u.id AND c.client_id = $2 WHERE ",
                    person_holds!(),
                    " AND NOT EXISTS (SELECT 1 FROM refresh_families f WHERE f.id = $4 AND f.revoked_at IS NOT NULL)"
                ),
                &[
                    Arg::from(user_id),
                    Arg::from(client_id),
                    Arg::from(issued_ms),
                    Arg::from(grant_id.unwrap_or("")),
                ],
            )
            .await?;
        Ok(active.is_none())
    }

    async fn code_grant_holds(
        &self,
        session_hash: &str,
        user_id: &str,
        client_id: &str,
        issued_ms: i64,
    ) -> Result<bool, StoreError> {
        // The session's row, and the person's cut-offs, in one query.
        let holds = self
            .fetch_optional(
                concat!(
                    "SELECT u.id FROM users u JOIN sessions s ON s.id_hash = $4 LEFT JOIN consents c ON c.user_id = u.id AND c.client_id = $2 WHERE ",
                    person_holds!()
                ),
                &[
                    Arg::from(user_id),
                    Arg::from(client_id),
                    Arg::from(issued_ms),
                    Arg::from(session_hash),
                ],
            )
            .await?;
        Ok(holds.is_some())
    }

    async fn pairwise_subject(
        &self,
        sector: &str,
        user_id: &str,
        candidate: &str,
        now: i64,
    ) -> Result<String, StoreError> {
        let args = [Arg::from(sector), Arg::from(user_id)];
        let find = "SELECT subject FROM pairwise_subjects WHERE sector = $1 AND user_id = $2";
        if let Some(r) = self.fetch_optional(find, &args).await? {
            return r.get("subject");
        }
        self.execute(
            "INSERT INTO pairwise_subjects (sector, user_id, subject, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sector, user_id) DO NOTHING",
            &[
                Arg::from(sector),
                Arg::from(user_id),
                Arg::from(candidate),
                Arg::from(now),
            ],
        )
        .await?;
        self.fetch_one(find, &args).await?.get("subject")
    }

    async fn pairwise_user(
        &self,
        sector: &str,
        subject: &str,
    ) -> Result<Option<String>, StoreError> {
        self.fetch_optional(
            "SELECT user_id FROM pairwise_subjects WHERE sector = $1 AND subject = $2",
            &[Arg::from(sector), Arg::from(subject)],
        )
        .await?
        .map(|r| r.get("user_id"))
        .transpose()
    }
}
