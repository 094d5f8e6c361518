#include "inventory/service.h"

#include <fmt/format.h>

#include "core/json.h"
#include "db/table.h"

namespace tt::inventory {

namespace {

constexpr const char* kNodeColumns =
    "id, name, type, address, labels, metadata, lat, lon, place, mac, status, created_at, "
    "updated_at, last_seen";

Node read_node(SQLite::Statement& st) {
  Node n;
  n.id = st.getColumn(0).getInt64();
  n.name = st.getColumn(1).getString();
  n.type = parse_node_type(st.getColumn(2).getString()).value_or(NodeType::baremetal);
  n.address = st.getColumn(3).getString();
  n.labels = nlohmann::json::parse(st.getColumn(4).getString()).get<Labels>();
  n.metadata = nlohmann::json::parse(st.getColumn(5).getString());
  if (!st.getColumn(6).isNull()) {
    n.location = Location{st.getColumn(6).getDouble(), st.getColumn(7).getDouble(),
                          st.getColumn(8).isNull() ? "" : st.getColumn(8).getString()};
  }
  if (!st.getColumn(9).isNull()) n.mac = st.getColumn(9).getString();
  n.status = parse_node_status(st.getColumn(10).getString()).value_or(NodeStatus::unknown);
  n.created_at = st.getColumn(11).getInt64();
  n.updated_at = st.getColumn(12).getInt64();
  if (!st.getColumn(13).isNull()) n.last_seen = st.getColumn(13).getInt64();
  return n;
}

constexpr db::Table<Node> kTable{"nodes", kNodeColumns, read_node, "node", "NODE_NOT_FOUND"};

Error exists(const Node& n) {
  return Error::make(
      ErrorKind::conflict, "NODE_EXISTS",
      fmt::format("a node of type {} named '{}' already exists", to_string(n.type), n.name));
}

bool name_taken(SQLite::Database& db, const Node& n) {
  SQLite::Statement st(db, "SELECT 1 FROM nodes WHERE type = ? AND name = ? AND id != ?");
  st.bind(1, std::string(to_string(n.type)));
  st.bind(2, n.name);
  st.bind(3, n.id);
  return st.executeStep();
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
  st.bind(":updated_at", static_cast<std::int64_t>(n.updated_at));
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
  std::string f = !sort.empty() && sort[0] == '-' ? sort.substr(1) : sort;
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

Result<Node> NodeService::create(const NodeInput& in, const Actor& actor) {
  return m_log.commit<Node>(actor, [&](events::Change& change) -> Result<Node> {
    Node n;
    apply(n, in);
    n.created_at = n.updated_at = change.now();
    if (name_taken(change.db(), n)) return exists(n);
    SQLite::Statement st(
        change.db(),
        "INSERT INTO nodes(name, type, address, labels, metadata, lat, lon, place, "
        "mac, created_at, updated_at) VALUES (:name, :type, :address, :labels, "
        ":metadata, :lat, :lon, :place, :mac, :updated_at, :updated_at)");
    bind_node(st, n);
    st.exec();
    n.id = change.db().getLastInsertRowid();
    auto j = to_json(n);
    change.created(kNodes, n.id, j, {{"node", j}});
    return n;
  });
}

Result<Node> NodeService::get(std::int64_t id) {
  return m_readers.with([&](SQLite::Database& db) { return kTable.get(db, id); });
}

Result<Node> NodeService::update(std::int64_t id, const NodeInput& patch, const Actor& actor) {
  return m_log.commit<Node>(actor, [&](events::Change& change) -> Result<Node> {
    const Node found = TT_TRY(kTable.get(change.db(), id));
    Node n = found;
    apply(n, patch);
    auto diff = changed_fields(to_json(found), to_json(n));
    if (diff.empty()) return n;
    if (name_taken(change.db(), n)) return exists(n);
    n.updated_at = change.now();
    SQLite::Statement st(
        change.db(),
        "UPDATE nodes SET name=:name, type=:type, address=:address, labels=:labels, "
        "metadata=:metadata, lat=:lat, lon=:lon, place=:place, mac=:mac, "
        "updated_at=:updated_at WHERE id=:id");
    bind_node(st, n);
    st.bind(":id", id);
    st.exec();
    change.updated(kNodes, id, to_json(n), diff,
                   {{"changed", diff.changed}, {"before", diff.before}});
    return n;
  });
}

Result<void> NodeService::remove(std::int64_t id, const Actor& actor) {
  return m_log.commit<void>(actor, [&](events::Change& change) -> Result<void> {
    const Node found = TT_TRY(kTable.get(change.db(), id));
    kTable.erase(change.db(), id);
    auto j = to_json(found);
    change.deleted(kNodes, id, j, {{"node", j}});
    return ok();
  });
}

Result<Page<Node>> NodeService::list(const NodeQuery& q) {
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<Node>> {
    std::string where = " WHERE 1=1";
    std::vector<std::string> args;
    if (q.type) {
      where += " AND type = ?";
      args.emplace_back(to_string(*q.type));
    }
    if (q.status) {
      where += " AND status = ?";
      args.emplace_back(to_string(*q.status));
    }
    for (const auto& [k, v] : q.labels) {
      where += " AND json_extract(labels, ?) = ?";
      args.push_back("$.\"" + k + "\"");
      args.push_back(v);
    }
    if (!q.text.empty()) {
      where +=
          " AND (instr(lower(name), lower(?)) > 0 OR instr(lower(address), lower(?)) > 0 "
          "OR EXISTS (SELECT 1 FROM json_each(nodes.labels) WHERE instr(lower(json_each.value), "
          "lower(?)) > 0))";
      args.insert(args.end(), 3, q.text);
    }
    auto bind_all = [&](SQLite::Statement& st) {
      for (std::size_t i = 0; i < args.size(); ++i) st.bind(static_cast<int>(i + 1), args[i]);
    };
    Page<Node> page;
    page.request = q.page;
    {
      SQLite::Statement st(db, "SELECT count(*) FROM nodes" + where);
      bind_all(st);
      st.executeStep();
      page.total = st.getColumn(0).getInt64();
    }
    bool desc = !q.sort.empty() && q.sort[0] == '-';
    std::string field = desc ? q.sort.substr(1) : q.sort;
    if (!valid_node_sort(q.sort)) field = "name";  // the API validated it; keep SQL safe regardless
    const char* dir = desc ? "DESC" : "ASC";
    std::string order = fmt::format(" ORDER BY {} {} NULLS LAST, id {}", field, dir, dir);
    SQLite::Statement st(
        db, fmt::format("SELECT {} FROM nodes{}{} LIMIT {} OFFSET {}", kNodeColumns, where, order,
                        q.page.per_page, q.page.offset()));
    bind_all(st);
    while (st.executeStep()) page.items.push_back(read_node(st));
    return page;
  });
}

}  // namespace tt::inventory
