-- Clients whose tokens must be DPoP-bound (RFC 9449 §5.2 dpop_bound_access_tokens).
ALTER TABLE clients ADD COLUMN dpop_bound BIGINT NOT NULL DEFAULT 0;
