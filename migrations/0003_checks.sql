-- Schema 3: checks. A check's definition and its current state live in one row; the numbers of
-- every run go to the time-series store (probe_up, probe_duration_seconds, ...), and what the
-- runs said goes to check_outcomes, one row per stretch of identical outcomes, so a check that
-- runs every second costs no row per run.
CREATE TABLE checks (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  kind        TEXT NOT NULL,
  target      TEXT NOT NULL DEFAULT '',
  interval_ms INTEGER NOT NULL,
  timeout_ms  INTEGER NOT NULL,
  retries     INTEGER NOT NULL DEFAULT 1,
  node_id     INTEGER REFERENCES nodes(id) ON DELETE SET NULL,
  labels      TEXT NOT NULL DEFAULT '{}',     -- JSON object of string values
  enabled     INTEGER NOT NULL DEFAULT 1,
  conditions  TEXT NOT NULL DEFAULT '[]',     -- JSON array of condition texts, all must hold
  options     TEXT NOT NULL DEFAULT '{}',     -- the kind's options, normalized
  push_token  TEXT UNIQUE,                    -- push checks: the secret of their URL
  state       TEXT NOT NULL DEFAULT 'pending'
              CHECK (state IN ('pending', 'up', 'down', 'paused')),
  state_since INTEGER,
  flapping    INTEGER NOT NULL DEFAULT 0,
  last_result TEXT,                           -- JSON of the latest run, kept at most a few seconds behind
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX checks_node ON checks(node_id);
CREATE INDEX checks_state ON checks(state);

-- Stretches of runs with the same outcome (up, error and message): from first_at to last_at,
-- `runs` runs. Written when the outcome changes and every few minutes for the open stretch.
CREATE TABLE check_outcomes (
  id       INTEGER PRIMARY KEY,
  check_id INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
  first_at INTEGER NOT NULL,
  last_at  INTEGER NOT NULL,
  runs     INTEGER NOT NULL,
  up       INTEGER NOT NULL,
  error    TEXT NOT NULL DEFAULT '',
  message  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX check_outcomes_check ON check_outcomes(check_id, first_at);
