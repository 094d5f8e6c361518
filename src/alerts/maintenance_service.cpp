#include "alerts/maintenance_service.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/json.h"
#include "db/row.h"
#include "db/table.h"

namespace tt::alerts {

namespace {

constexpr events::Resource kWindows{"alerts", "maintenance", "maintenance"};

constexpr const char* kColumns =
    "id, created_by, created_at, updated_at, name, comment, node_ids, matchers, starts_at, "
    "ends_at, recurrence";

// Rows were validated on the way in; past the id and stamps they are decoded by the same code
// as the API's bodies.
MaintenanceWindow read_window(SQLite::Statement& st) {
  nlohmann::json doc{{"name", st.getColumn(4).getString()},
                     {"comment", st.getColumn(5).getString()},
                     {"node_ids", nlohmann::json::parse(st.getColumn(6).getString())},
                     {"matchers", st.getColumn(7).getString()}};
  if (st.getColumn(10).isNull()) {
    doc["starts_at"] = format_rfc3339(st.getColumn(8).getInt64());
    doc["ends_at"] = format_rfc3339(st.getColumn(9).getInt64());
  } else {
    doc["recurrence"] = nlohmann::json::parse(st.getColumn(10).getString());
  }
  MaintenanceWindow w;
  if (auto decoded = decode_maintenance(doc)) w = std::move(decoded.value());
  db::read_row(st, w.id, w.created_by, w.created_at, w.updated_at);
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

constexpr db::Table<MaintenanceWindow> kTable{
    "maintenance_windows",
    kColumns,
    read_window,
    "maintenance window",
    "MAINTENANCE_NOT_FOUND",
    "name, comment, node_ids, matchers, starts_at, ends_at, recurrence, updated_at",
    "created_by, created_at",
    resolve_nodes};

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
  st.bind(":updated_at", w.updated_at);
}

}  // namespace

std::vector<MaintenanceWindow> load_windows(SQLite::Database& db) { return kTable.all(db, "id"); }

Result<MaintenanceWindow> MaintenanceService::create(MaintenanceWindow w, const Actor& actor) {
  w.created_by = actor.name;
  return m_log.commit<MaintenanceWindow>(
      actor, [&](events::Change& change) -> Result<MaintenanceWindow> {
        w.created_at = w.updated_at = change.now();
        TT_TRY(check_nodes(change.db(), w));
        w.id = kTable.insert(change.db(), [&](SQLite::Statement& st) {
          bind_window(st, w);
          st.bind(":created_by", w.created_by);
          st.bind(":created_at", w.created_at);
        });
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
        kTable.update(change.db(), id, [&](SQLite::Statement& st) { bind_window(st, w); });
        resolve_nodes(change.db(), w);
        change.updated(kWindows, id, to_json(w, change.now()), diff, {{"changed", diff.changed}});
        return w;
      });
}

Result<void> MaintenanceService::remove(std::int64_t id, const Actor& actor) {
  return m_log.commit<void>(actor, [&](events::Change& change) -> Result<void> {
    const MaintenanceWindow found = TT_TRY(kTable.remove(change.db(), id));
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
