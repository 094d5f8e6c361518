#include "alerts/inhibit_service.h"

#include <fmt/format.h>

#include "core/json.h"
#include "db/row.h"
#include "db/table.h"

namespace tt::alerts {

namespace {

constexpr events::Resource kInhibitRules{"alerts", "inhibit_rule", "inhibit_rule"};

constexpr const char* kColumns =
    "id, created_by, created_at, updated_at, name, comment, source, target, equal";

// Rows were validated on the way in; past the id and stamps they are decoded by the same code
// as the API's bodies.
InhibitRule read_rule(SQLite::Statement& st) {
  nlohmann::json doc{{"name", st.getColumn(4).getString()},
                     {"comment", st.getColumn(5).getString()},
                     {"source", st.getColumn(6).getString()},
                     {"target", st.getColumn(7).getString()},
                     {"equal", nlohmann::json::parse(st.getColumn(8).getString())}};
  InhibitRule r;
  if (auto decoded = decode_inhibit_rule(doc)) r = std::move(decoded.value());
  db::read_row(st, r.id, r.created_by, r.created_at, r.updated_at);
  return r;
}

constexpr db::Table<InhibitRule> kTable{"inhibit_rules",
                                        kColumns,
                                        read_rule,
                                        "inhibit rule",
                                        "INHIBIT_RULE_NOT_FOUND",
                                        "name, comment, source, target, equal, updated_at",
                                        "created_by, created_at"};

void bind_rule(SQLite::Statement& st, const InhibitRule& r) {
  st.bind(":name", r.name);
  st.bind(":comment", r.comment);
  st.bind(":source", r.source_text);
  st.bind(":target", r.target_text);
  st.bind(":equal", nlohmann::json(r.equal).dump());
  st.bind(":updated_at", r.updated_at);
}

}  // namespace

std::vector<InhibitRule> load_inhibit_rules(SQLite::Database& db) { return kTable.all(db, "id"); }

Result<InhibitRule> InhibitService::create(InhibitRule r, const Actor& actor) {
  r.created_by = actor.name;
  return m_log.commit<InhibitRule>(actor, [&](events::Change& change) -> Result<InhibitRule> {
    r.created_at = r.updated_at = change.now();
    r.id = kTable.insert(change.db(), [&](SQLite::Statement& st) {
      bind_rule(st, r);
      st.bind(":created_by", r.created_by);
      st.bind(":created_at", r.created_at);
    });
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
    kTable.update(change.db(), id, [&](SQLite::Statement& st) { bind_rule(st, r); });
    change.updated(kInhibitRules, id, to_json(r), diff, {{"changed", diff.changed}});
    return r;
  });
}

Result<void> InhibitService::remove(std::int64_t id, const Actor& actor) {
  return m_log.commit<void>(actor, [&](events::Change& change) -> Result<void> {
    const InhibitRule found = TT_TRY(kTable.remove(change.db(), id));
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
