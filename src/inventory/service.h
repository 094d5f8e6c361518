// inventory/service.h — create, read, update, delete and list nodes; every change is stored as
// an event (in the same transaction as the change and its audit row) and then published on the
// bus. Thread-safe: called from HTTP pool threads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bus/bus.h"
#include "core/actor.h"
#include "core/page.h"
#include "db/database.h"
#include "db/writer.h"
#include "inventory/node.h"

namespace tt::inventory {

struct NodeQuery {
  std::optional<NodeType> type;
  std::optional<NodeStatus> status;
  std::vector<std::pair<std::string, std::string>> labels;  // all must match
  std::string text;                                         // in name, address or label values
  std::string sort = "name";  // name, type, status, created_at, updated_at, last_seen; '-' = desc
  PageRequest page;
};

// Parses the `sort` parameter; false when the field is unknown.
bool valid_node_sort(const std::string& sort);

struct StoredEvent {
  std::int64_t id = 0;
  TimeMs at = 0;
  std::string topic, kind, subject, actor;
  nlohmann::json data;
};
nlohmann::json to_json(const StoredEvent& e);

struct EventQuery {
  std::int64_t after = 0;  // cursor: events with a larger id, oldest first
  int limit = 100;         // 1..1000
  std::string topic;       // empty: all
  // Newest first instead: events with an id below `before` (the newest when it is 0).
  bool newest_first = false;
  std::int64_t before = 0;
};

// Inside a writer job: appends `e` to the event log and returns it with its id. Publish it with
// publish_event() only after the job's commit.
StoredEvent append_event(SQLite::Database& db, StoredEvent e);
void publish_event(bus::Bus& bus, const StoredEvent& e);

// How long the event log keeps events, and how many at most: events more than max_rows ids
// below the newest go (ids only grow, so that keeps at most max_rows).
struct EventRetention {
  std::int64_t max_age_ms = 30LL * 86'400'000;
  std::int64_t max_rows = 1'000'000;
};
// Inside a writer job: deletes at most `limit` events from the oldest end of the log, as long as
// they are past `keep`; returns how many went. The limit bounds one job's writes (an SD card's
// wear, the writer's pause); a backlog goes over several calls.
std::int64_t prune_events(SQLite::Database& db, const EventRetention& keep, TimeMs now, int limit);

// Inside a writer job: sets a node's status as its checks determine it; returns the node.updated
// event when the status changed.
std::optional<StoredEvent> set_node_status(SQLite::Database& db, std::int64_t node_id,
                                           NodeStatus status, TimeMs at);

class NodeService {
 public:
  NodeService(db::Writer& writer, db::Readers& readers, bus::Bus& bus, const Clock& clock)
      : m_writer(writer), m_readers(readers), m_bus(bus), m_clock(clock) {}

  Result<Node> create(const NodeInput& in, const Actor& actor);
  Result<Node> get(std::int64_t id);
  // Applies the fields present in `patch`; an update that changes nothing records no event.
  Result<Node> update(std::int64_t id, const NodeInput& patch, const Actor& actor);
  Result<void> remove(std::int64_t id, const Actor& actor);
  Result<Page<Node>> list(const NodeQuery& q);
  Result<std::vector<StoredEvent>> events(const EventQuery& q);

 private:
  void publish(const StoredEvent& e);

  db::Writer& m_writer;
  db::Readers& m_readers;
  bus::Bus& m_bus;
  const Clock& m_clock;
};

}  // namespace tt::inventory
