-- Tessera token service, SQLite schema 1.
CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash BLOB NOT NULL,
    old_secret_hash BLOB,
    old_secret_until INTEGER,
    scopes TEXT NOT NULL,
    audiences TEXT NOT NULL,
    token_ttl INTEGER NOT NULL,
    enabled INTEGER NOT NULL,
    tokens_revoked_before INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    state TEXT NOT NULL,
    private_jwe TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    activated_at INTEGER,
    retired_at INTEGER,
    remove_after INTEGER
);
CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    client_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX events_at ON events (at);
CREATE TABLE generation (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
INSERT INTO generation (id, value) VALUES (1, 0);
CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL);
