-- Stronger sign-in (passkeys, one-time codes, step-up). A session, a code and a refresh
-- family carry how the person signed in ('' = a password alone, as before this migration).
ALTER TABLE sessions ADD COLUMN auth TEXT NOT NULL DEFAULT '';
ALTER TABLE auth_codes ADD COLUMN auth TEXT NOT NULL DEFAULT '';
ALTER TABLE refresh_families ADD COLUMN auth TEXT NOT NULL DEFAULT '';
-- The level a client requires of every sign-in ('' = none).
ALTER TABLE clients ADD COLUMN require_acr TEXT NOT NULL DEFAULT '';
-- A person's second factors: 'totp' (secret sealed under the master key; counter = the last
-- time step used), 'passkey' (id = credential id; secret = its public key; counter = the
-- authenticator's sign count), 'recovery' (secret = the code's hash; counter 1 once used).
CREATE TABLE factors (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    secret TEXT NOT NULL,
    counter INTEGER NOT NULL,
    confirmed INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_used INTEGER,
    data TEXT NOT NULL
);
CREATE INDEX factors_by_user ON factors (user_id);
-- People who must use a second factor at every sign-in (operator's choice).
CREATE TABLE mfa_required (user_id TEXT PRIMARY KEY);
-- WebAuthn challenges: single use, short-lived; only their hash is kept.
CREATE TABLE challenges (
    hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    user_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
