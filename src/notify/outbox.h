// notify/outbox.h — the durable outbox: rows of the notifications table, inserted in the writer
// transaction of the alert transition they announce, and how long a failed row waits before it
// is tried again. Grouping (grouping.h) and escalation (escalation.h) add rows to it; the
// dispatcher (dispatcher.h) delivers them. Writer-thread functions take the open connection.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include "notify/channel.h"

namespace tt::notify {

struct OutboxOptions {
  std::int64_t backoff_min_ms = 5'000;         // the wait after the first failed attempt
  std::int64_t backoff_max_ms = 600'000;       // the cap of the doubling waits
  std::int64_t collapse_after_ms = 3'600'000;  // a firing whose resolution is older is dropped
  std::int64_t idle_poll_ms = 5'000;           // a look at the table even when nobody woke us
};

// The wait before the next attempt after `failures` failed ones (1, 2, ...): min, 2×min, 4×min,
// ... capped at max. Deterministic: a schedule the tests can freeze.
std::int64_t backoff_ms(int failures, const OutboxOptions& o);

// Inside the transaction that stores alert transition `transition_id`: one pending row per
// existing channel of rule `rule_id` (channels that no longer exist are skipped), and for a
// resolution also per channel that had the alert's firing. On a channel with grouping the row
// is a 'waiting' member of its group instead (flush_groups sends it). A second call
// for the same transition inserts nothing (UNIQUE(transition_id, channel_id)). `payload` is the
// alert's JSON at the transition. Returns the rows inserted.
int enqueue(SQLite::Database& db, std::int64_t transition_id, std::int64_t rule_id,
            std::int64_t alert_id, Notice::Event event, const std::string& payload, TimeMs at);

}  // namespace tt::notify
