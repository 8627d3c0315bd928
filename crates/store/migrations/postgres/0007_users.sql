-- People who sign in: accounts, their attributes and groups, and the forced-logout cut-off.
-- `id` is the subject identifier (random, never the username); `username_key` is the username
-- after PRECIS UsernameCaseMapped (unique), `username` as it was entered.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    attributes TEXT NOT NULL,
    groups TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    logged_out_before_ms BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
