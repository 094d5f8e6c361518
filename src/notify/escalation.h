// notify/escalation.h — escalation steps as a query, not a timer per alert: a step whose `after`
// has passed since its alert fired, unacknowledged, queues outbox rows for the step's channels.
// The time is an argument, so tests run it on a frozen clock.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include "core/clock.h"

namespace tt::notify {

// Escalation at `now`: for every firing alert that nobody acknowledged, each step of its rule
// whose `after` has passed since it fired queues a notification to the step's channels, keyed
// by the alert's firing transition (so once per step channel, and never to a channel that
// already had it). Returns the rows inserted. Writer thread (inside a writer job).
int escalate(SQLite::Database& db, TimeMs now);

// Whether escalate(db, now) would queue anything: a read, so the writer is asked only then.
bool escalations_due(SQLite::Database& db, TimeMs now);

}  // namespace tt::notify
