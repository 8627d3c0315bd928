-- ID tokens signed by keys of their own (RS256 unless a client registered another algorithm,
-- OpenID Connect Registration's default), and pairwise subject identifiers (Core §8.1).
-- Keys made before this migration sign access tokens, as they did.
ALTER TABLE signing_keys ADD COLUMN purpose TEXT NOT NULL DEFAULT 'access';
-- '' = RS256, the default; subject_type 'public' or 'pairwise'; sector_identifier the host
-- whose pairwise subjects a client shares ('' = the host of its redirect URIs).
ALTER TABLE clients ADD COLUMN id_token_alg TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN subject_type TEXT NOT NULL DEFAULT 'public';
ALTER TABLE clients ADD COLUMN sector_identifier TEXT NOT NULL DEFAULT '';
-- A person's subject identifier as the clients of one sector see it: random, so nothing links
-- it to the person's public subject or to other sectors' without this table.
CREATE TABLE pairwise_subjects (
    sector TEXT NOT NULL,
    user_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (sector, user_id)
);
CREATE UNIQUE INDEX pairwise_subjects_by_subject ON pairwise_subjects (sector, subject);
CREATE INDEX pairwise_subjects_by_user ON pairwise_subjects (user_id);
