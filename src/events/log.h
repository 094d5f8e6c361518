// events/ — the event log: every change of the domain (a node created, a check's state, an
// alert firing) is a row of the `events` table, written in the same transaction as the change,
// and published on the bus after the commit; browsers catch up from its ids. This header is the
// log itself (append, read, prune, publish); events/change.h commits a change with its event
// and audit row. Any domain subsystem may use it; it uses db/, bus/ and core/ only.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bus/bus.h"
#include "core/clock.h"
#include "core/result.h"
#include "db/database.h"

namespace tt::events {

struct StoredEvent {
  std::int64_t id = 0;
  TimeMs at = 0;
  std::string topic, kind, subject, actor;
  nlohmann::json data;
};
// The event as the API and the WebSocket serve it.
nlohmann::json to_json(const StoredEvent& e);

// Inside a writer job: appends `e` to the log and returns it with its id. Publish it only
// after the job's commit (events/change.h does both).
StoredEvent append(SQLite::Database& db, StoredEvent e);
// Hands the event to the bus (any thread); the bus delivers it on the core loop.
void publish(bus::Bus& bus, const StoredEvent& e);

struct EventQuery {
  std::int64_t after = 0;  // cursor: events with a larger id, oldest first
  int limit = 100;         // 1..1000
  std::string topic;       // empty: all
  // Newest first instead: events with an id below `before` (the newest when it is 0).
  bool newest_first = false;
  std::int64_t before = 0;
  std::string subject;  // with a topic: that subject's only (a check's id)
  // Words to find (empty: all): events whose kind, subject, actor or data hold `text`, any case,
  // with '.' and '_' read as spaces, so "snmp trap" finds snmp.trap events.
  std::string text;
};

// Reads the log through the read pool; thread-safe (API handlers).
class History {
 public:
  explicit History(db::Readers& readers) : m_readers(readers) {}
  Result<std::vector<StoredEvent>> list(const EventQuery& q);

 private:
  db::Readers& m_readers;
};

// How long the log keeps events, and how many at most: events more than max_rows ids below the
// newest go (ids only grow, so that keeps at most max_rows).
struct Retention {
  std::int64_t max_age_ms = 30LL * 86'400'000;
  std::int64_t max_rows = 1'000'000;
};
// Inside a writer job: deletes at most `limit` events from the oldest end of the log, as long as
// they are past `keep`; returns how many went. The limit bounds one job's writes (an SD card's
// wear, the writer's pause); a backlog goes over several calls.
std::int64_t prune(SQLite::Database& db, const Retention& keep, TimeMs now, int limit);

}  // namespace tt::events
