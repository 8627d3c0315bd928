-- Tessera token service, PostgreSQL schema 1.
CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash BYTEA NOT NULL,
    old_secret_hash BYTEA,
    old_secret_until BIGINT,
    scopes TEXT NOT NULL,
    audiences TEXT NOT NULL,
    token_ttl BIGINT NOT NULL,
    enabled BIGINT NOT NULL,
    tokens_revoked_before BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    state TEXT NOT NULL,
    private_jwe TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    activated_at BIGINT,
    retired_at BIGINT,
    remove_after BIGINT
);
CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    client_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX events_at ON events (at);
CREATE TABLE generation (id BIGINT PRIMARY KEY CHECK (id = 1), value BIGINT NOT NULL);
INSERT INTO generation (id, value) VALUES (1, 0);
CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL);
