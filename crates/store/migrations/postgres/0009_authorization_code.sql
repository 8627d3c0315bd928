-- Applications that ask people for access (the authorization code flow): what a client may do
-- with it, the codes it is given, and what people consented to.
-- A client made before this migration keeps doing what it did: confidential,
-- client_credentials only, no redirect URIs.
ALTER TABLE clients ADD COLUMN public BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN grant_types TEXT NOT NULL DEFAULT 'client_credentials';
ALTER TABLE clients ADD COLUMN first_party BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN web_origins TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN require_par BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN claim_map TEXT NOT NULL DEFAULT '';
-- Codes: only their hash is kept; used_at marks the single redemption, and issued_jti names the
-- access token it gave (revoked when the code is presented a second time).
CREATE TABLE auth_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    session_hash TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    nonce TEXT,
    scope TEXT NOT NULL,
    resources TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    issued_jti TEXT
);
CREATE INDEX auth_codes_by_expiry ON auth_codes (expires_at);
-- Consents: the scopes a person let an application have; a removal keeps the row with no
-- scopes and the instant before which that application's tokens for the person are inactive.
CREATE TABLE consents (
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    revoked_before_ms BIGINT,
    PRIMARY KEY (user_id, client_id)
);
-- Pushed authorization requests (RFC 9126): the request's parameters under the hash of its
-- request_uri, for one client, until it expires or gives a code.
CREATE TABLE pushed_requests (
    uri_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    params TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX pushed_requests_by_expiry ON pushed_requests (expires_at);
-- Which clients got tokens in which browser session (for back-channel logout), and the logout
-- notices still to deliver: a session's end moves its rows here, in the same transaction.
CREATE TABLE session_clients (
    session_hash TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (session_hash, client_id)
);
CREATE TABLE logout_outbox (
    session_hash TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    uri TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    PRIMARY KEY (session_hash, client_id)
);
CREATE INDEX logout_outbox_by_next ON logout_outbox (next_at);
