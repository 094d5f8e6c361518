#include "alerts/maintenance_service.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/json.h"
#include "db/table.h"

namespace tt::alerts {

namespace {

constexpr events::Resource kWindows{"alerts", "maintenance", "maintenance"};

constexpr const char* kColumns =
    "id, name, comment, node_ids, matchers, starts_at, ends_at, recurrence, created_by, "
    "created_at, updated_at";

// Rows were validated on the way in; they are decoded by the same code as the API's bodies.
MaintenanceWindow read_window(SQLite::Statement& st) {
  nlohmann::json doc{{"name", st.getColumn(1).getString()},
                     {"comment", st.getColumn(2).getString()},
                     {"node_ids", nlohmann::json::parse(st.getColumn(3).getString())},
                     {"matchers", st.getColumn(4).getString()}};
  if (st.getColumn(7).isNull()) {
    doc["starts_at"] = format_rfc3339(st.getColumn(5).getInt64());
    doc["ends_at"] = format_rfc3339(st.getColumn(6).getInt64());
  } else {
    doc["recurrence"] = nlohmann::json::parse(st.getColumn(7).getString());
  }
  MaintenanceWindow w;
  if (auto decoded = decode_maintenance(doc)) w = std::move(decoded.value());
  w.id = st.getColumn(0).getInt64();
  w.created_by = st.getColumn(8).getString();
  w.created_at = st.getColumn(9).getInt64();
  w.updated_at = st.getColumn(10).getInt64();
  return w;
}

void resolve_nodes(SQLite::Database& db, MaintenanceWindow& w) {
  w.node_names.clear();
  SQLite::Statement st(db, "SELECT name FROM nodes WHERE id = ?");
  for (auto id : w.node_ids) {
    st.reset();
    st.bind(1, id);
    if (st.executeStep()) w.node_names.push_back(st.getColumn(0).getString());
  }
}

constexpr db::Table<MaintenanceWindow> kTable{.name = "maintenance_windows",
                                              .columns = kColumns,
                                              .read = read_window,
                                              .noun = "maintenance window",
                                              .not_found_code = "MAINTENANCE_NOT_FOUND",
                                              .complete = resolve_nodes};

// Nodes deleted after the window was made stay in its node_ids (they match nothing), so only
// ids not in `kept` must exist.
Result<void> check_nodes(SQLite::Database& db, const MaintenanceWindow& w,
                         const std::vector<std::int64_t>& kept = {}) {
  SQLite::Statement st(db, "SELECT 1 FROM nodes WHERE id = ?");
  for (auto id : w.node_ids) {
    if (std::find(kept.begin(), kept.end(), id) != kept.end()) continue;
    st.reset();
    st.bind(1, id);
    if (!st.executeStep())
      return Error{ErrorKind::validation,
                   "VALIDATION_FAILED",
                   "invalid maintenance window",
                   {{"node_ids", fmt::format("node {} does not exist", id)}},
                   {}};
  }
  return ok();
}

void bind_window(SQLite::Statement& st, const MaintenanceWindow& w) {
  auto doc = to_input_json(w);
  st.bind(":name", w.name);
  st.bind(":comment", w.comment);
  st.bind(":node_ids", doc["node_ids"].dump());
  st.bind(":matchers", w.matchers_text);
  if (w.recurrence) {
    st.bind(":starts_at");
    st.bind(":ends_at");
    st.bind(":recurrence", doc["recurrence"].dump());
  } else {
    st.bind(":starts_at", static_cast<std::int64_t>(*w.starts_at));
    st.bind(":ends_at", static_cast<std::int64_t>(*w.ends_at));
    st.bind(":recurrence");
  }
  st.bind(":updated_at", static_cast<std::int64_t>(w.updated_at));
}

}  // namespace

std::vector<MaintenanceWindow> load_windows(SQLite::Database& db) {
  std::vector<MaintenanceWindow> out;
  SQLite::Statement st(db, fmt::format("SELECT {} FROM maintenance_windows ORDER BY id", kColumns));
  while (st.executeStep()) out.push_back(read_window(st));
  for (auto& w : out) resolve_nodes(db, w);
  return out;
}

Result<MaintenanceWindow> MaintenanceService::create(MaintenanceWindow w, const Actor& actor) {
  w.created_by = actor.name;
  return m_log.commit<MaintenanceWindow>(
      actor, [&](events::Change& change) -> Result<MaintenanceWindow> {
        w.created_at = w.updated_at = change.now();
        TT_TRY(check_nodes(change.db(), w));
        SQLite::Statement st(
            change.db(),
            "INSERT INTO maintenance_windows(name, comment, node_ids, matchers, starts_at, "
            "ends_at, recurrence, created_by, created_at, updated_at) VALUES (:name, :comment, "
            ":node_ids, :matchers, :starts_at, :ends_at, :recurrence, :created_by, :created_at, "
            ":updated_at)");
        bind_window(st, w);
        st.bind(":created_by", w.created_by);
        st.bind(":created_at", static_cast<std::int64_t>(w.created_at));
        st.exec();
        w.id = change.db().getLastInsertRowid();
        resolve_nodes(change.db(), w);
        change.created(kWindows, w.id, to_json(w, change.now()), {{"name", w.name}});
        return w;
      });
}

Result<MaintenanceWindow> MaintenanceService::get(std::int64_t id) {
  return m_readers.with([&](SQLite::Database& db) { return kTable.get(db, id); });
}

Result<MaintenanceWindow> MaintenanceService::update(std::int64_t id, const nlohmann::json& patch,
                                                     const Actor& actor) {
  return m_log.commit<MaintenanceWindow>(
      actor, [&](events::Change& change) -> Result<MaintenanceWindow> {
        const MaintenanceWindow found = TT_TRY(kTable.get(change.db(), id));
        MaintenanceWindow w = TT_TRY(apply_patch(found, patch));
        TT_TRY(check_nodes(change.db(), w, found.node_ids));
        auto diff = changed_fields(to_input_json(found), to_input_json(w));
        if (diff.empty()) return found;
        w.updated_at = change.now();
        SQLite::Statement st(
            change.db(),
            "UPDATE maintenance_windows SET name=:name, comment=:comment, node_ids=:node_ids, "
            "matchers=:matchers, starts_at=:starts_at, ends_at=:ends_at, recurrence=:recurrence, "
            "updated_at=:updated_at WHERE id=:id");
        bind_window(st, w);
        st.bind(":id", id);
        st.exec();
        resolve_nodes(change.db(), w);
        change.updated(kWindows, id, to_json(w, change.now()), diff, {{"changed", diff.changed}});
        return w;
      });
}

Result<void> MaintenanceService::remove(std::int64_t id, const Actor& actor) {
  return m_log.commit<void>(actor, [&](events::Change& change) -> Result<void> {
    const MaintenanceWindow found = TT_TRY(kTable.get(change.db(), id));
    kTable.erase(change.db(), id);
    change.deleted(kWindows, id, to_json(found, change.now()), {{"name", found.name}});
    return ok();
  });
}

Result<Page<MaintenanceWindow>> MaintenanceService::list(bool active_only,
                                                         const PageRequest& request) {
  auto now = m_clock.now_ms();
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<MaintenanceWindow>> {
    // Activity of recurring windows is computed, not stored: filter here (windows are few).
    auto all = load_windows(db);
    std::vector<MaintenanceWindow> selected;
    for (auto it = all.rbegin(); it != all.rend(); ++it)
      if (!active_only || it->active(now)) selected.push_back(std::move(*it));
    Page<MaintenanceWindow> page;
    page.request = request;
    page.total = static_cast<std::int64_t>(selected.size());
    for (auto i = request.offset(); i < page.total && i < request.offset() + request.per_page; ++i)
      page.items.push_back(std::move(selected[static_cast<std::size_t>(i)]));
    return page;
  });
}

}  // namespace tt::alerts
