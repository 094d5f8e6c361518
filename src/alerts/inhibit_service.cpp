#include "alerts/inhibit_service.h"

#include <fmt/format.h>

#include "core/json.h"
#include "db/audit.h"
#include "inventory/service.h"

namespace tt::alerts {

namespace {

constexpr const char* kColumns =
    "id, name, comment, source, target, equal, created_by, created_at, updated_at";

// Rows were validated on the way in; they are decoded by the same code as the API's bodies.
InhibitRule read_rule(SQLite::Statement& st) {
  nlohmann::json doc{{"name", st.getColumn(1).getString()},
                     {"comment", st.getColumn(2).getString()},
                     {"source", st.getColumn(3).getString()},
                     {"target", st.getColumn(4).getString()},
                     {"equal", nlohmann::json::parse(st.getColumn(5).getString())}};
  InhibitRule r;
  if (auto decoded = decode_inhibit_rule(doc)) r = std::move(decoded.value());
  r.id = st.getColumn(0).getInt64();
  r.created_by = st.getColumn(6).getString();
  r.created_at = st.getColumn(7).getInt64();
  r.updated_at = st.getColumn(8).getInt64();
  return r;
}

std::optional<InhibitRule> find_rule(SQLite::Database& db, std::int64_t id) {
  SQLite::Statement st(db, fmt::format("SELECT {} FROM inhibit_rules WHERE id = ?", kColumns));
  st.bind(1, id);
  if (!st.executeStep()) return std::nullopt;
  return read_rule(st);
}

Error not_found(std::int64_t id) {
  return Error::make(ErrorKind::not_found, "INHIBIT_RULE_NOT_FOUND",
                     fmt::format("inhibit rule {} does not exist", id));
}

void bind_rule(SQLite::Statement& st, const InhibitRule& r) {
  st.bind(":name", r.name);
  st.bind(":comment", r.comment);
  st.bind(":source", r.source_text);
  st.bind(":target", r.target_text);
  st.bind(":equal", nlohmann::json(r.equal).dump());
  st.bind(":updated_at", static_cast<std::int64_t>(r.updated_at));
}

}  // namespace

std::vector<InhibitRule> load_inhibit_rules(SQLite::Database& db) {
  std::vector<InhibitRule> out;
  SQLite::Statement st(db, fmt::format("SELECT {} FROM inhibit_rules ORDER BY id", kColumns));
  while (st.executeStep()) out.push_back(read_rule(st));
  return out;
}

Result<InhibitRule> InhibitService::create(InhibitRule r, const Actor& actor) {
  auto now = m_clock.now_ms();
  r.created_by = actor.name;
  r.created_at = r.updated_at = now;
  std::optional<inventory::StoredEvent> event;
  auto done = m_writer.run<InhibitRule>([&](SQLite::Database& db) -> Result<InhibitRule> {
    SQLite::Statement st(db,
                         "INSERT INTO inhibit_rules(name, comment, source, target, equal, "
                         "created_by, created_at, updated_at) "
                         "VALUES (:name, :comment, :source, :target, :equal, :created_by, "
                         ":created_at, :updated_at)");
    bind_rule(st, r);
    st.bind(":created_by", r.created_by);
    st.bind(":created_at", static_cast<std::int64_t>(now));
    st.exec();
    r.id = db.getLastInsertRowid();
    event = inventory::append_event(db, {0,
                                         now,
                                         "alerts",
                                         "inhibit_rule.created",
                                         std::to_string(r.id),
                                         actor.name,
                                         {{"inhibit_rule", to_json(r)}}});
    db::append_audit(db, now, actor, "inhibit_rule.create", std::to_string(r.id),
                     nlohmann::json{{"name", r.name}}.dump());
    return r;
  });
  if (done.ok()) inventory::publish_event(m_bus, *event);
  return done;
}

Result<InhibitRule> InhibitService::get(std::int64_t id) {
  return m_readers.with([&](SQLite::Database& db) -> Result<InhibitRule> {
    auto r = find_rule(db, id);
    if (!r) return not_found(id);
    return *r;
  });
}

Result<InhibitRule> InhibitService::update(std::int64_t id, const nlohmann::json& patch,
                                           const Actor& actor) {
  auto now = m_clock.now_ms();
  std::optional<inventory::StoredEvent> event;
  auto done = m_writer.run<InhibitRule>([&](SQLite::Database& db) -> Result<InhibitRule> {
    auto found = find_rule(db, id);
    if (!found) return not_found(id);
    auto patched = apply_patch(*found, patch);
    if (!patched.ok()) return patched;
    InhibitRule r = std::move(patched.value());
    auto diff = changed_fields(to_input_json(*found), to_input_json(r));
    if (diff.empty()) return *found;
    r.updated_at = now;
    SQLite::Statement st(
        db,
        "UPDATE inhibit_rules SET name=:name, comment=:comment, source=:source, target=:target, "
        "equal=:equal, updated_at=:updated_at WHERE id=:id");
    bind_rule(st, r);
    st.bind(":id", id);
    st.exec();
    event = inventory::append_event(
        db, {0,
             now,
             "alerts",
             "inhibit_rule.updated",
             std::to_string(id),
             actor.name,
             {{"inhibit_rule", to_json(r)}, {"changed", diff.changed}, {"before", diff.before}}});
    db::append_audit(db, now, actor, "inhibit_rule.update", std::to_string(id),
                     nlohmann::json{{"changed", diff.changed}}.dump());
    return r;
  });
  if (done.ok() && event) inventory::publish_event(m_bus, *event);
  return done;
}

Result<void> InhibitService::remove(std::int64_t id, const Actor& actor) {
  auto now = m_clock.now_ms();
  std::optional<inventory::StoredEvent> event;
  auto done = m_writer.run<bool>([&](SQLite::Database& db) -> Result<bool> {
    auto found = find_rule(db, id);
    if (!found) return not_found(id);
    SQLite::Statement st(db, "DELETE FROM inhibit_rules WHERE id = ?");
    st.bind(1, id);
    st.exec();
    event = inventory::append_event(db, {0,
                                         now,
                                         "alerts",
                                         "inhibit_rule.deleted",
                                         std::to_string(id),
                                         actor.name,
                                         {{"inhibit_rule", to_json(*found)}}});
    db::append_audit(db, now, actor, "inhibit_rule.delete", std::to_string(id),
                     nlohmann::json{{"name", found->name}}.dump());
    return true;
  });
  if (!done.ok()) return std::move(done).error();
  inventory::publish_event(m_bus, *event);
  return ok();
}

Result<Page<InhibitRule>> InhibitService::list(const PageRequest& request) {
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<InhibitRule>> {
    Page<InhibitRule> page;
    page.request = request;
    page.total = db.execAndGet("SELECT count(*) FROM inhibit_rules").getInt64();
    SQLite::Statement st(
        db, fmt::format("SELECT {} FROM inhibit_rules ORDER BY id DESC LIMIT {} OFFSET {}",
                        kColumns, request.per_page, request.offset()));
    while (st.executeStep()) page.items.push_back(read_rule(st));
    return page;
  });
}

}  // namespace tt::alerts
