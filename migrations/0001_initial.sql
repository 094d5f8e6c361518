-- Schema 1: accounts, sessions, API tokens, the audit log, node inventory and the event log.
-- Times are milliseconds since the Unix epoch (UTC).

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer', 'api')),
  password_hash TEXT,                       -- argon2id, libsodium's encoded string
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

-- A browser session. The cookie holds a random secret; only its SHA-256 is stored, so a copy of
-- the database does not let anyone log in.
CREATE TABLE sessions (
  token_hash   BLOB PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  remote       TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
  id           INTEGER PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,                -- the first characters, shown in lists
  token_hash   BLOB NOT NULL UNIQUE,         -- SHA-256 of the whole token
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,                      -- NULL: never
  last_used_at INTEGER,
  revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE audit_log (
  id       INTEGER PRIMARY KEY,
  at       INTEGER NOT NULL,
  actor    TEXT NOT NULL,                    -- user name, or "cli" / "system"
  action   TEXT NOT NULL,                    -- e.g. node.create, user.create, token.revoke
  target   TEXT NOT NULL DEFAULT '',
  remote   TEXT NOT NULL DEFAULT '',
  details  TEXT NOT NULL DEFAULT '{}'        -- JSON object
);
CREATE INDEX audit_log_at ON audit_log(at);

CREATE TABLE nodes (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  type       TEXT NOT NULL CHECK (type IN ('baremetal', 'vm', 'container', 'network', 'iot')),
  address    TEXT NOT NULL DEFAULT '',
  labels     TEXT NOT NULL DEFAULT '{}',     -- JSON object of string values
  metadata   TEXT NOT NULL DEFAULT '{}',     -- JSON object
  lat        REAL,
  lon        REAL,
  place      TEXT,
  mac        TEXT,
  status     TEXT NOT NULL DEFAULT 'unknown'
             CHECK (status IN ('unknown', 'up', 'down', 'degraded')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_seen  INTEGER,
  UNIQUE (type, name)
);
CREATE INDEX nodes_status ON nodes(status);

-- Every change to a monitored object, in order; the id is the cursor clients resume from.
CREATE TABLE events (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  at       INTEGER NOT NULL,
  topic    TEXT NOT NULL,                    -- nodes, checks, alerts, ...
  kind     TEXT NOT NULL,                    -- node.created, node.updated, node.deleted
  subject  TEXT NOT NULL DEFAULT '',         -- the object's id
  actor    TEXT NOT NULL DEFAULT '',
  data     TEXT NOT NULL DEFAULT '{}'        -- JSON: the object, or the changed fields
);
CREATE INDEX events_topic ON events(topic, id);

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
