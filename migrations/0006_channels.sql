-- Schema 6: notification channels and the outbox. A notification row is inserted in the same
-- transaction as the alert transition it announces, one per channel of the rule, so a
-- transition that was committed is never without its notifications (kill -9 included). The
-- (transition, channel) pair is unique: one transition is delivered once per channel.
CREATE TABLE channels (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  kind       TEXT NOT NULL,
  config     TEXT NOT NULL,             -- JSON object, normalized by the kind's option table
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE notifications (
  id            INTEGER PRIMARY KEY,
  channel_id    INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
  transition_id INTEGER NOT NULL REFERENCES alert_transitions(id) ON DELETE CASCADE,
  alert_id      INTEGER NOT NULL,
  event         TEXT NOT NULL CHECK (event IN ('firing', 'resolved')),
  payload       TEXT NOT NULL,          -- the alert as it was at the transition (JSON)
  state         TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'delivered', 'failed', 'collapsed')),
  attempts      INTEGER NOT NULL DEFAULT 0,
  last_error    TEXT,
  created_at    INTEGER NOT NULL,       -- the transition's time
  next_at       INTEGER NOT NULL,       -- pending: not before this time
  sent_at       INTEGER,                -- delivered, failed for good, or collapsed: when
  UNIQUE (transition_id, channel_id)
);
-- The dispatcher takes the oldest pending row of each channel.
CREATE INDEX notifications_pending ON notifications(channel_id, id) WHERE state = 'pending';
CREATE INDEX notifications_alert ON notifications(alert_id, channel_id) WHERE state = 'pending';

-- Escalation steps of a rule: [{"after_ms": 900000, "channels": [3]}], by after_ms. A firing
-- alert not acknowledged that long after it fired is also sent to the step's channels.
ALTER TABLE alert_rules ADD COLUMN escalations TEXT NOT NULL DEFAULT '[]';
