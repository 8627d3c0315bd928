-- Refresh tokens (issue: rotation, families, reuse detection). A family is one grant (a person,
-- a client, the scopes, and a browser session unless offline) with one live refresh token.
-- Per-client lifetimes of families, seconds (0: the server's).
ALTER TABLE clients ADD COLUMN refresh_idle_ttl INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN refresh_absolute_ttl INTEGER NOT NULL DEFAULT 0;
CREATE TABLE refresh_families (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    resources TEXT NOT NULL,
    -- '' for an offline family, which outlives the browser session.
    session_hash TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    -- The DPoP key a public client's family is bound to ('' for none).
    jkt TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    -- The live token's generation; the one before it is honoured until grace_until_ms, and
    -- answered with the live token, sealed in successor under a key only its holder can derive.
    generation INTEGER NOT NULL,
    grace_until_ms INTEGER NOT NULL,
    successor TEXT NOT NULL,
    idle_expires_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    revoked_reason TEXT
);
CREATE INDEX refresh_families_by_user ON refresh_families (user_id);
CREATE INDEX refresh_families_by_client ON refresh_families (client_id);
-- Every refresh token a family was given, by hash: a rotated one presented again is recognised.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id TEXT NOT NULL,
    generation INTEGER NOT NULL
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
