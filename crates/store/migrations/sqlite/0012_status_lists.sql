-- Token Status Lists (issue: revocation that reaches APIs). A list has room for `capacity`
-- tokens; nodes take blocks of its counter, and a token's index is its counter value through
-- the list's keyed permutation, so an index tells neither when a token was issued nor how many
-- were. A list takes new tokens until closes_at and is published until expires_at.
CREATE TABLE status_lists (
    id INTEGER PRIMARY KEY,
    capacity INTEGER NOT NULL,
    perm_key TEXT NOT NULL,
    next INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    closes_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
-- Who each counter value (so each index) was given to: a list's bit is set when introspection
-- would call the token inactive (the same rules, read from the same tables when the list is
-- built). Keyed by the counter, so records are appended in order.
CREATE TABLE token_status (
    list_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    jti TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT,
    grant_id TEXT,
    issued_ms INTEGER NOT NULL,
    PRIMARY KEY (list_id, seq)
) WITHOUT ROWID;
CREATE INDEX token_status_by_jti ON token_status (jti);
CREATE INDEX token_status_by_client ON token_status (client_id);
CREATE INDEX token_status_by_user ON token_status (user_id) WHERE user_id IS NOT NULL;
-- Clients and accounts deleted while lists may name their tokens.
CREATE TABLE deleted_principals (
    id TEXT PRIMARY KEY,
    deleted_at INTEGER NOT NULL
);
