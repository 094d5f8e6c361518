-- Schema 22: read-only links for a wall screen (the kiosk view without a login). As with API
-- tokens, only the SHA-256 of the token is kept; a revoked link keeps its row for the audit.
CREATE TABLE kiosk_links (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,                -- the first characters, shown in lists
  token_hash   BLOB NOT NULL UNIQUE,         -- SHA-256 of the whole token
  created_at   INTEGER NOT NULL,
  created_by   TEXT NOT NULL,                -- the admin's name when it was made
  last_used_at INTEGER,                      -- stamped at most once a minute
  revoked_at   INTEGER                       -- NULL: in force
);
