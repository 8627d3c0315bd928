-- Clients allowed to introspect tokens (RFC 7662 §4): off for every existing client.
ALTER TABLE clients ADD COLUMN introspect BIGINT NOT NULL DEFAULT 0;
-- The latest expiry of a token a key signed (recorded by each node): a retired key stays
-- published until then.
ALTER TABLE signing_keys ADD COLUMN signed_until BIGINT;
-- A client's version, raised by every update: an update made from a stale read is refused.
ALTER TABLE clients ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
