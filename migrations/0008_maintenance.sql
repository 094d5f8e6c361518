-- Schema 8: maintenance windows. A window mutes the alerts of its nodes (node_ids) and/or of its
-- label matchers while it is active: one-off between starts_at and ends_at, or recurring as its
-- recurrence says. DELETE removes the row; the audit trail keeps who planned what.
CREATE TABLE maintenance_windows (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  comment    TEXT NOT NULL DEFAULT '',
  node_ids   TEXT NOT NULL DEFAULT '[]',   -- JSON array of node ids (a deleted node matches nothing)
  matchers   TEXT NOT NULL DEFAULT '',     -- a selector over alert labels, '' for none
  starts_at  INTEGER,                      -- one-off
  ends_at    INTEGER,
  recurrence TEXT,                         -- or recurring: JSON as the API takes it
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK ((recurrence IS NULL) = (starts_at IS NOT NULL AND ends_at IS NOT NULL))
);
