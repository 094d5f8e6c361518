-- Schema 9: grouping of notifications per channel, as Alertmanager groups per receiver. A
-- channel with `grouping` holds the outbox rows of its alerts' transitions as 'waiting' members
-- of a group (the alert's values of the channel's group_by labels); the dispatcher turns the
-- waiting members of a due group into one 'group' row (group_wait, group_interval,
-- repeat_interval), committed before it is sent, whose id is the idempotency key. The members
-- then point at it ('grouped'). SQLite cannot relax NOT NULL or CHECK in place: the table is
-- rebuilt.
ALTER TABLE channels ADD COLUMN grouping TEXT;  -- JSON object, normalized; NULL: one message per transition

CREATE TABLE notifications_new (
  id            INTEGER PRIMARY KEY,
  channel_id    INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
  transition_id INTEGER REFERENCES alert_transitions(id) ON DELETE CASCADE,  -- NULL: a group row
  alert_id      INTEGER,                -- NULL: a group row
  event         TEXT NOT NULL CHECK (event IN ('firing', 'resolved', 'group')),
  payload       TEXT NOT NULL,          -- the alert at the transition; a group: its labels and alerts
  state         TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'delivered', 'failed', 'collapsed', 'waiting', 'grouped', 'muted')),
  attempts      INTEGER NOT NULL DEFAULT 0,
  last_error    TEXT,
  created_at    INTEGER NOT NULL,       -- the transition's time; a group row: when it was formed
  next_at       INTEGER NOT NULL,
  sent_at       INTEGER,
  group_key     TEXT,                   -- grouped channel: the group's labels (JSON object)
  group_id      INTEGER,                -- a grouped member: the group row that carried it
  UNIQUE (transition_id, channel_id)
);
INSERT INTO notifications_new(id, channel_id, transition_id, alert_id, event, payload, state, attempts,
                              last_error, created_at, next_at, sent_at)
  SELECT id, channel_id, transition_id, alert_id, event, payload, state, attempts, last_error, created_at,
         next_at, sent_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_pending ON notifications(channel_id, id) WHERE state = 'pending';
-- Over every state: the dispatcher asks per head whether that alert's firing was collapsed or
-- muted, and the delivered history is most of the table.
CREATE INDEX notifications_alert ON notifications(alert_id, channel_id, event, state);
CREATE INDEX notifications_waiting ON notifications(channel_id, group_key, id) WHERE state = 'waiting';
CREATE INDEX notifications_group ON notifications(channel_id, group_key, id) WHERE group_key IS NOT NULL;
