-- Schema 10: inhibit rules. While a firing alert matches `source`, the alerts matching `target`
-- with the same values of the `equal` labels are muted; worked out when alerts are read, as
-- silences are, so nothing else is stored. DELETE removes the row; the audit trail keeps who
-- made what.
CREATE TABLE inhibit_rules (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  comment    TEXT NOT NULL DEFAULT '',
  source     TEXT NOT NULL,               -- a selector over alert labels
  target     TEXT NOT NULL,
  equal      TEXT NOT NULL DEFAULT '[]',  -- JSON array of label names
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
