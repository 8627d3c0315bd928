//! [`ClientStore`] over SQL.

use async_trait::async_trait;

use super::{Arg, Row, SqlStore, join, split};
use crate::{Client, ClientStore, StoreError};

/// A client's thirty columns ($1 to $30; the version is $15).
fn columns(c: &Client) -> [Arg<'_>; 30] {
    [
        Arg::from(&c.id),
        Arg::from(&c.name),
        Arg::from(c.secret_hash.as_slice()),
        Arg::from(c.old_secret_hash.as_deref()),
        Arg::from(c.old_secret_until),
        Arg::Text(join(&c.scopes).into()),
        Arg::Text(join(&c.audiences).into()),
        Arg::from(c.token_ttl),
        Arg::from(c.enabled),
        Arg::from(c.tokens_revoked_before_ms),
        Arg::from(c.created_at),
        Arg::from(c.updated_at),
        Arg::from(c.dpop_bound),
        Arg::from(c.introspect),
        Arg::from(c.version),
        Arg::from(c.public),
        Arg::Text(join(&c.redirect_uris).into()),
        Arg::Text(join(&c.post_logout_redirect_uris).into()),
        Arg::Text(join(&c.grant_types).into()),
        Arg::from(c.first_party),
        Arg::Text(join(&c.web_origins).into()),
        Arg::from(c.require_par),
        Arg::from(c.backchannel_logout_uri.as_deref().unwrap_or("")),
        Arg::Text(join(&c.claim_map).into()),
        Arg::from(c.id_token_alg.as_deref().unwrap_or("")),
        Arg::from(if c.pairwise { "pairwise" } else { "public" }),
        Arg::from(c.sector_identifier.as_deref().unwrap_or("")),
        Arg::from(c.refresh_idle_ttl.unwrap_or(0)),
        Arg::from(c.refresh_absolute_ttl.unwrap_or(0)),
        Arg::from(c.require_acr.as_deref().unwrap_or("")),
    ]
}

fn client(r: &Row) -> Result<Client, StoreError> {
    Ok(Client {
        id: r.get("id")?,
        name: r.get("name")?,
        secret_hash: r.get("secret_hash")?,
        old_secret_hash: r.get("old_secret_hash")?,
        old_secret_until: r.get("old_secret_until")?,
        scopes: split(&r.get::<String>("scopes")?),
        audiences: split(&r.get::<String>("audiences")?),
        token_ttl: r.get("token_ttl")?,
        enabled: r.flag("enabled")?,
        tokens_revoked_before_ms: r.get("tokens_revoked_before_ms")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
        dpop_bound: r.flag("dpop_bound")?,
        introspect: r.flag("introspect")?,
        version: r.get("version")?,
        public: r.flag("public")?,
        redirect_uris: split(&r.get::<String>("redirect_uris")?),
        post_logout_redirect_uris: split(&r.get::<String>("post_logout_redirect_uris")?),
        grant_types: split(&r.get::<String>("grant_types")?),
        first_party: r.flag("first_party")?,
        web_origins: split(&r.get::<String>("web_origins")?),
        require_par: r.flag("require_par")?,
        backchannel_logout_uri: Some(r.get::<String>("backchannel_logout_uri")?)
            .filter(|u| !u.is_empty()),
        claim_map: split(&r.get::<String>("claim_map")?),
        id_token_alg: Some(r.get::<String>("id_token_alg")?).filter(|a| !a.is_empty()),
        pairwise: match r.get::<String>("subject_type")?.as_str() {
            "public" => false,
            "pairwise" => true,
            _ => return Err(StoreError::Corrupt("client subject type")),
        },
        sector_identifier: Some(r.get::<String>("sector_identifier")?).filter(|s| !s.is_empty()),
        refresh_idle_ttl: Some(r.get::<i64>("refresh_idle_ttl")?).filter(|t| *t > 0),
        refresh_absolute_ttl: Some(r.get::<i64>("refresh_absolute_ttl")?).filter(|t| *t > 0),
        require_acr: Some(r.get::<String>("require_acr")?).filter(|a| !a.is_empty()),
    })
}

#[async_trait]
impl ClientStore for SqlStore {
    async fn insert_client(&self, c: &Client) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.execute(
            "INSERT INTO clients (id, name, secret_hash, old_secret_hash, old_secret_until, scopes, audiences, token_ttl, enabled, tokens_revoked_before_ms, created_at, updated_at, dpop_bound, introspect, version, public, redirect_uris, post_logout_redirect_uris, grant_types, first_party, web_origins, require_par, backchannel_logout_uri, claim_map, id_token_alg, subject_type, sector_identifier, refresh_idle_ttl, refresh_absolute_ttl, require_acr) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30)",
            &columns(c),
        )
        .await?;
        tx.commit_bumped().await
    }

    async fn update_client(&self, c: &Client) -> Result<(), StoreError> {
        // The same twenty-nine parameters as the insert; created_at is rewritten unchanged. Only the
        // version that was read is replaced: an update made from a stale read (another change
        // landed in between) is refused.
        let mut tx = self.begin().await?;
        let done = tx
            .execute(
                "UPDATE clients SET name = $2, secret_hash = $3, old_secret_hash = $4, old_secret_until = $5, scopes = $6, audiences = $7, token_ttl = $8, enabled = $9, tokens_revoked_before_ms = $10, created_at = $11, updated_at = $12, dpop_bound = $13, introspect = $14, version = $15 + 1, public = $16, redirect_uris = $17, post_logout_redirect_uris = $18, grant_types = $19, first_party = $20, web_origins = $21, require_par = $22, backchannel_logout_uri = $23, claim_map = $24, id_token_alg = $25, subject_type = $26, sector_identifier = $27, refresh_idle_ttl = $28, refresh_absolute_ttl = $29, require_acr = $30 WHERE id = $1 AND version = $15",
                &columns(c),
            )
            .await?;
        if done == 0 {
            let exists = tx
                .exists("SELECT id FROM clients WHERE id = $1", &[Arg::from(&c.id)])
                .await?;
            return Err(if exists {
                StoreError::Conflict(format!("client {}", c.id))
            } else {
                StoreError::NotFound(format!("client {}", c.id))
            });
        }
        tx.commit_bumped().await
    }

    async fn client(&self, id: &str) -> Result<Option<Client>, StoreError> {
        self.fetch_optional("SELECT * FROM clients WHERE id = $1", &[Arg::from(id)])
            .await?
            .as_ref()
            .map(client)
            .transpose()
    }

    async fn clients(&self) -> Result<Vec<Client>, StoreError> {
        self.fetch_all("SELECT * FROM clients ORDER BY created_at, id", &[])
            .await?
            .iter()
            .map(client)
            .collect()
    }

    async fn delete_client(&self, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let done = tx
            .execute("DELETE FROM clients WHERE id = $1", &[Arg::from(id)])
            .await?;
        if done > 0 {
            super::status::mark_deleted(&mut tx, id).await?;
        }
        tx.commit_bumped().await?;
        Ok(done > 0)
    }
}
