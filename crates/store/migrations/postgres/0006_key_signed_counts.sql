-- How many tokens each signing key signed, by the minute they expire, as the nodes record it
-- (about once a minute each): `keys retire` says how many are still valid.
CREATE TABLE key_signed_counts (
    kid TEXT NOT NULL,
    exp_minute BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (kid, exp_minute)
);
