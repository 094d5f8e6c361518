-- Schema 19: one subject's events (a check's page lists its own) found without a scan of the log.
CREATE INDEX events_subject ON events(topic, subject, id);
