-- Schema 14: agents. An enrolment token lets hosts register; registration finds or creates the
-- host's node by its identity and gives its agent a credential of its own. Each credential that
-- pushes batches over the ingest WebSocket (an agent's, or an API token's) is a stream whose last
-- committed batch number is kept with the samples it committed, so a batch sent again after a
-- lost acknowledgement is stored once.

-- The machine id (or MAC) an agent registered with; NULL for nodes without an agent.
ALTER TABLE nodes ADD COLUMN identity TEXT;
CREATE UNIQUE INDEX nodes_identity ON nodes(identity) WHERE identity IS NOT NULL;

CREATE TABLE enrolment_tokens (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,                -- the first characters, shown in lists
  token_hash   BLOB NOT NULL UNIQUE,         -- SHA-256 of the whole token
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,                      -- NULL: never
  revoked_at   INTEGER,
  uses         INTEGER NOT NULL DEFAULT 0,   -- registrations made with it
  last_used_at INTEGER
);

CREATE TABLE agent_credentials (
  id         INTEGER PRIMARY KEY,
  node_id    INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
  token_hash BLOB NOT NULL UNIQUE,
  interval_ms INTEGER NOT NULL,             -- the agent's collection interval: 3 missed, down
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX agent_credentials_node ON agent_credentials(node_id);

CREATE TABLE ingest_streams (
  stream     TEXT PRIMARY KEY,               -- "agent:<credential id>" or "token:<API token id>"
  last_seq   INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
