// inventory/service.h — create, read, update, delete and list nodes; every change is committed
// with its event and audit row (events/change.h). Thread-safe: called from HTTP pool threads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bus/bus.h"
#include "core/actor.h"
#include "core/page.h"
#include "db/database.h"
#include "db/writer.h"
#include "events/change.h"
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

// Inside a writer job: sets a node's status as its checks determine it, recording a node.updated
// event in `change` when the status changed.
void set_node_status(events::Change& change, std::int64_t node_id, NodeStatus status);

// Inside a writer job: a node created or updated as NodeService does it, with its event and audit
// row in `change`. For other services whose changes make nodes (an agent's registration).
Result<Node> get_node(SQLite::Database& db, std::int64_t id);
Result<Node> create_node(events::Change& change, const NodeInput& in);
Result<Node> update_node(events::Change& change, std::int64_t id, const NodeInput& patch);

// A node's identity is the stable name its agent registered with (machine id or MAC), unique.
std::optional<std::int64_t> node_with_identity(SQLite::Database& db, const std::string& identity);
// A host's node of that name (baremetal, vm or container: never a device) that no agent has
// claimed yet, one made by hand for its checks. The agent's registration then sets its type.
std::optional<std::int64_t> node_without_identity(SQLite::Database& db, const std::string& name);
void set_node_identity(SQLite::Database& db, std::int64_t id, const std::string& identity);

class NodeService {
 public:
  NodeService(db::Writer& writer, db::Readers& readers, bus::Bus& bus, const Clock& clock)
      : m_log(writer, &bus, clock), m_readers(readers) {}

  Result<Node> create(const NodeInput& in, const Actor& actor);
  Result<Node> get(std::int64_t id);
  // Applies the fields present in `patch`; an update that changes nothing records no event.
  Result<Node> update(std::int64_t id, const NodeInput& patch, const Actor& actor);
  Result<void> remove(std::int64_t id, const Actor& actor);
  Result<Page<Node>> list(const NodeQuery& q);

 private:
  events::Log m_log;
  db::Readers& m_readers;
};

}  // namespace tt::inventory
