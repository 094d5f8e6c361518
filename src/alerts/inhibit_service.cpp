#include "alerts/inhibit_service.h"

#include <fmt/format.h>

#include "core/json.h"
#include "db/table.h"

namespace tt::alerts {

namespace {

constexpr events::Resource kInhibitRules{"alerts", "inhibit_rule", "inhibit_rule"};

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

constexpr db::Table<InhibitRule> kTable{"inhibit_rules", kColumns, read_rule, "inhibit rule",
                                        "INHIBIT_RULE_NOT_FOUND"};

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
  r.created_by = actor.name;
  return m_log.commit<InhibitRule>(actor, [&](events::Change& change) -> Result<InhibitRule> {
    r.created_at = r.updated_at = change.now();
    SQLite::Statement st(change.db(),
                         "INSERT INTO inhibit_rules(name, comment, source, target, equal, "
                         "created_by, created_at, updated_at) "
                         "VALUES (:name, :comment, :source, :target, :equal, :created_by, "
                         ":created_at, :updated_at)");
    bind_rule(st, r);
    st.bind(":created_by", r.created_by);
    st.bind(":created_at", static_cast<std::int64_t>(r.created_at));
    st.exec();
    r.id = change.db().getLastInsertRowid();
    change.created(kInhibitRules, r.id, to_json(r), {{"name", r.name}});
    return r;
  });
}

Result<InhibitRule> InhibitService::get(std::int64_t id) {
  return m_readers.with([&](SQLite::Database& db) { return kTable.get(db, id); });
}

Result<InhibitRule> InhibitService::update(std::int64_t id, const nlohmann::json& patch,
                                           const Actor& actor) {
  return m_log.commit<InhibitRule>(actor, [&](events::Change& change) -> Result<InhibitRule> {
    const InhibitRule found = TT_TRY(kTable.get(change.db(), id));
    InhibitRule r = TT_TRY(apply_patch(found, patch));
    auto diff = changed_fields(to_input_json(found), to_input_json(r));
    if (diff.empty()) return found;
    r.updated_at = change.now();
    SQLite::Statement st(
        change.db(),
        "UPDATE inhibit_rules SET name=:name, comment=:comment, source=:source, target=:target, "
        "equal=:equal, updated_at=:updated_at WHERE id=:id");
    bind_rule(st, r);
    st.bind(":id", id);
    st.exec();
    change.updated(kInhibitRules, id, to_json(r), diff, {{"changed", diff.changed}});
    return r;
  });
}

Result<void> InhibitService::remove(std::int64_t id, const Actor& actor) {
  return m_log.commit<void>(actor, [&](events::Change& change) -> Result<void> {
    const InhibitRule found = TT_TRY(kTable.get(change.db(), id));
    kTable.erase(change.db(), id);
    change.deleted(kInhibitRules, id, to_json(found), {{"name", found.name}});
    return ok();
  });
}

Result<Page<InhibitRule>> InhibitService::list(const PageRequest& request) {
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<InhibitRule>> {
    return kTable.page(db, request, "id DESC");
  });
}

}  // namespace tt::alerts
