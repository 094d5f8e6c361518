-- Schema 16: an ingest stream's committed seqs above its floor (fleet/seqs.h), so that a batch
-- sent out of order (an agent's newest collection ahead of its backlog) is stored once. last_seq
-- is the floor: every seq up to it is committed or will never come.
ALTER TABLE ingest_streams ADD COLUMN ranges TEXT NOT NULL DEFAULT '';

-- Streams are named by their credential's hash ("agent:" or "token:" and the first 8 bytes of
-- the SHA-256 in hex) instead of the credential's row id, which SQLite may reuse after a delete.
UPDATE ingest_streams
   SET stream = 'agent:' || (SELECT lower(hex(substr(c.token_hash, 1, 8))) FROM agent_credentials c
                              WHERE 'agent:' || c.id = ingest_streams.stream)
 WHERE stream IN (SELECT 'agent:' || id FROM agent_credentials);
UPDATE ingest_streams
   SET stream = 'token:' || (SELECT lower(hex(substr(t.token_hash, 1, 8))) FROM api_tokens t
                              WHERE 'token:' || t.id = ingest_streams.stream)
 WHERE stream IN (SELECT 'token:' || id FROM api_tokens);
-- Streams of credentials deleted since: their ids may be given again.
DELETE FROM ingest_streams WHERE stream NOT LIKE 'agent:________________'
                             AND stream NOT LIKE 'token:________________';
