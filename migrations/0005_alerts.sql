-- Schema 5: alerting. Rules, the alerts they raise (one row per alert, from pending to resolved)
-- and every transition of an alert, whose id is the key a notification outbox will use: one
-- transition is delivered once.
CREATE TABLE alert_rules (
  id                 INTEGER PRIMARY KEY,
  name               TEXT NOT NULL UNIQUE,
  kind               TEXT NOT NULL CHECK (kind IN ('expr', 'check_state')),
  expr               TEXT NOT NULL DEFAULT '',   -- kind expr: PromQL
  check_id           INTEGER,                    -- kind check_state (a deleted check matches nothing)
  check_selector     TEXT NOT NULL DEFAULT '',   -- kind check_state: `{kind="icmp"}` over check labels
  for_ms             INTEGER NOT NULL DEFAULT 0,
  keep_firing_for_ms INTEGER NOT NULL DEFAULT 0,
  severity           TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
  labels             TEXT NOT NULL DEFAULT '{}',  -- JSON object of templates
  annotations        TEXT NOT NULL DEFAULT '{}',  -- JSON object of templates
  channels           TEXT NOT NULL DEFAULT '[]',  -- JSON array of channel ids
  enabled            INTEGER NOT NULL DEFAULT 1,
  interval_ms        INTEGER NOT NULL,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);

-- Written by the evaluator at each transition (not at each evaluation: the latest value of an
-- active alert is served from memory). A deleted rule's alerts stay, resolved, with its name.
CREATE TABLE alerts (
  id                INTEGER PRIMARY KEY,
  rule_id           INTEGER REFERENCES alert_rules(id) ON DELETE SET NULL,
  rule_name         TEXT NOT NULL,
  severity          TEXT NOT NULL,
  labels            TEXT NOT NULL,               -- JSON object, includes alertname and severity
  annotations       TEXT NOT NULL DEFAULT '{}',
  state             TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
  value             REAL,
  active_at         INTEGER NOT NULL,
  fired_at          INTEGER,
  resolved_at       INTEGER,
  keep_firing_since INTEGER,
  last_eval_at      INTEGER NOT NULL,
  acked_by          TEXT,
  acked_at          INTEGER,
  ack_comment       TEXT
);
CREATE INDEX alerts_active ON alerts(state) WHERE state != 'resolved';
CREATE INDEX alerts_rule ON alerts(rule_id);
CREATE INDEX alerts_active_at ON alerts(active_at);

CREATE TABLE alert_transitions (
  id         INTEGER PRIMARY KEY,
  alert_id   INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
  at         INTEGER NOT NULL,
  from_state TEXT,                               -- NULL: the alert began
  to_state   TEXT NOT NULL,
  value      REAL
);
CREATE INDEX alert_transitions_alert ON alert_transitions(alert_id);

-- Silences mute the alerts their matchers select while now is in [starts_at, ends_at); DELETE
-- expires one (ends_at = now) and keeps the row as the record of who silenced what.
CREATE TABLE silences (
  id         INTEGER PRIMARY KEY,
  matchers   TEXT NOT NULL,                      -- a selector over alert labels: {alertname="X", node=~"gw.*"}
  starts_at  INTEGER NOT NULL,
  ends_at    INTEGER NOT NULL,
  comment    TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX silences_ends_at ON silences(ends_at);
