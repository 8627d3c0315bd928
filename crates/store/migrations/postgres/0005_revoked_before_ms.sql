-- `client revoke-tokens` and a disable revoke what was issued before them to the millisecond:
-- the cut-off is now kept in milliseconds. A cut-off of second S revoked every token issued
-- in S, so it becomes the last millisecond of S.
ALTER TABLE clients RENAME COLUMN tokens_revoked_before TO tokens_revoked_before_ms;
UPDATE clients SET tokens_revoked_before_ms = tokens_revoked_before_ms * 1000 + 999
    WHERE tokens_revoked_before_ms IS NOT NULL;
