-- What every process checks before it does anything with the store: the check value of the
-- master key the store was made with (`master_key_check`).
CREATE TABLE store_facts (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
