#include "inventory/service.h"

#include <fmt/format.h>

#include "core/json.h"
#include "db/row.h"
#include "db/table.h"

namespace tt::inventory {

namespace {

constexpr const char* kNodeColumns =
    "id, name, type, address, labels, metadata, lat, lon, place, mac, status, created_at, "
    "updated_at, last_seen";

Node read_node(SQLite::Statement& st) {
  Node n;
  std::string type, status;
  std::optional<double> lat;
  double lon = 0;
  std::optional<std::string> place;
  db::read_row(st, n.id, n.name, type, n.address, db::json_text(n.labels),
               db::json_text(n.metadata), lat, lon, place, n.mac, status, n.created_at,
               n.updated_at, n.last_seen);
  n.type = parse_node_type(type).value_or(NodeType::baremetal);
  if (lat) n.location = Location{*lat, lon, place.value_or("")};
  n.status = parse_node_status(status).value_or(NodeStatus::unknown);
  return n;
}

constexpr db::Table<Node> kTable{
    "nodes",          kNodeColumns,
    read_node,        "node",
    "NODE_NOT_FOUND", "name, type, address, labels, metadata, lat, lon, place, mac, updated_at"};

Error exists(const Node& n) {
  return Error::make(
      ErrorKind::conflict, "NODE_EXISTS",
      fmt::format("a node named '{}' already exists: a name is the node's `node` label, so it "
                  "names one node of any type",
                  n.name));
}

bool name_taken(SQLite::Database& db, const Node& n) {
  return kTable.taken(db, n.id, "name = ?", n.name);
}

void bind_node(SQLite::Statement& st, const Node& n) {
  st.bind(":name", n.name);
  st.bind(":type", std::string(to_string(n.type)));
  st.bind(":address", n.address);
  st.bind(":labels", nlohmann::json(n.labels).dump());
  st.bind(":metadata", n.metadata.dump());
  if (n.location) {
    st.bind(":lat", n.location->lat);
    st.bind(":lon", n.location->lon);
    st.bind(":place", n.location->place);
  } else {
    st.bind(":lat");
    st.bind(":lon");
    st.bind(":place");
  }
  if (n.mac)
    st.bind(":mac", *n.mac);
  else
    st.bind(":mac");
  st.bind(":updated_at", n.updated_at);
}

constexpr events::Resource kNodes{"nodes", "node", "node"};

void apply(Node& n, const NodeInput& in) {
  if (in.name) n.name = *in.name;
  if (in.type) n.type = *in.type;
  if (in.address) n.address = *in.address;
  if (in.labels) n.labels = *in.labels;
  if (in.metadata) n.metadata = *in.metadata;
  if (in.location) n.location = *in.location;
  if (in.mac) n.mac = *in.mac;
}

}  // namespace

bool valid_node_sort(const std::string& sort) {
  const auto f = db::parse_sort(sort).field;
  return f == "name" || f == "type" || f == "status" || f == "created_at" || f == "updated_at" ||
         f == "last_seen" || f == "id";
}

void set_node_status(events::Change& change, std::int64_t node_id, NodeStatus status) {
  auto n = kTable.find(change.db(), node_id);
  if (!n || n->status == status) return;
  const bool seen = status == NodeStatus::up || status == NodeStatus::degraded;
  SQLite::Statement st(change.db(),
                       "UPDATE nodes SET status = ?, last_seen = CASE WHEN ? THEN ? ELSE last_seen "
                       "END WHERE id = ?");
  st.bind(1, std::string(to_string(status)));
  st.bind(2, seen ? 1 : 0);
  st.bind(3, static_cast<std::int64_t>(change.now()));
  st.bind(4, node_id);
  st.exec();
  Node after = *n;
  after.status = status;
  if (seen) after.last_seen = change.now();
  change.event(kNodes.topic, "node.updated", std::to_string(node_id),
               {{"node", to_json(after)},
                {"changed", {"status"}},
                {"before", {{"status", to_string(n->status)}}}});
}

Result<Node> get_node(SQLite::Database& db, std::int64_t id) { return kTable.get(db, id); }

Result<Node> create_node(events::Change& change, const NodeInput& in) {
  Node n;
  apply(n, in);
  n.created_at = n.updated_at = change.now();
  if (name_taken(change.db(), n)) return exists(n);
  n.id = kTable.insert(change.db(), [&](SQLite::Statement& st) {
    bind_node(st, n);
    st.bind(":created_at", n.created_at);
  });
  auto j = to_json(n);
  change.created(kNodes, n.id, j, {{"node", j}});
  return n;
}

Result<Node> update_node(events::Change& change, std::int64_t id, const NodeInput& patch) {
  const Node found = TT_TRY(kTable.get(change.db(), id));
  Node n = found;
  apply(n, patch);
  auto diff = changed_fields(to_json(found), to_json(n));
  if (diff.empty()) return n;
  if (name_taken(change.db(), n)) return exists(n);
  n.updated_at = change.now();
  kTable.update(change.db(), id, [&](SQLite::Statement& st) { bind_node(st, n); });
  change.updated(kNodes, id, to_json(n), diff,
                 {{"changed", diff.changed}, {"before", diff.before}});
  return n;
}

std::optional<std::int64_t> node_with_identity(SQLite::Database& db, const std::string& identity) {
  SQLite::Statement st(db, "SELECT id FROM nodes WHERE identity = ?");
  st.bind(1, identity);
  if (!st.executeStep()) return std::nullopt;
  return st.getColumn(0).getInt64();
}

std::optional<std::int64_t> node_without_identity(SQLite::Database& db, const std::string& name) {
  SQLite::Statement st(db,
                       "SELECT id FROM nodes WHERE name = ? AND identity IS NULL AND type IN "
                       "('baremetal', 'vm', 'container')");
  st.bind(1, name);
  if (!st.executeStep()) return std::nullopt;
  return st.getColumn(0).getInt64();
}

void set_node_identity(SQLite::Database& db, std::int64_t id, const std::string& identity) {
  SQLite::Statement st(db, "UPDATE nodes SET identity = ? WHERE id = ?");
  st.bind(1, identity);
  st.bind(2, id);
  st.exec();
}

Result<Node> NodeService::create(const NodeInput& in, const Actor& actor) {
  return m_log.commit<Node>(actor, [&](events::Change& change) { return create_node(change, in); });
}

Result<Node> NodeService::get(std::int64_t id) {
  return m_readers.with([&](SQLite::Database& db) { return get_node(db, id); });
}

Result<Node> NodeService::update(std::int64_t id, const NodeInput& patch, const Actor& actor) {
  return m_log.commit<Node>(actor,
                            [&](events::Change& change) { return update_node(change, id, patch); });
}

Result<void> NodeService::remove(std::int64_t id, const Actor& actor) {
  return m_log.commit<void>(actor, [&](events::Change& change) -> Result<void> {
    const Node found = TT_TRY(kTable.remove(change.db(), id));
    auto j = to_json(found);
    change.deleted(kNodes, id, j, {{"node", j}});
    return ok();
  });
}

Result<Page<Node>> NodeService::list(const NodeQuery& q) {
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<Node>> {
    db::Filter filter;
    if (q.type) filter.add("type = ?", to_string(*q.type));
    if (q.status) filter.add("status = ?", to_string(*q.status));
    filter.labels("labels", q.labels);
    if (!q.text.empty())
      filter.add(
          "(instr(lower(name), lower(?)) > 0 OR instr(lower(address), lower(?)) > 0 OR EXISTS "
          "(SELECT 1 FROM json_each(nodes.labels) WHERE instr(lower(json_each.value), lower(?)) > "
          "0))",
          q.text, q.text, q.text);
    // The API validated the sort; SQL stays safe regardless.
    const db::Sort sort = db::parse_sort(valid_node_sort(q.sort) ? q.sort : "name");
    return kTable.page(db, q.page,
                       fmt::format("{} {} NULLS LAST, id {}", sort.field, sort.dir(), sort.dir()),
                       filter);
  });
}

}  // namespace tt::inventory
