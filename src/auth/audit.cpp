// AuthService: the audit log, written by every subsystem's mutations.
#include "db/audit.h"

#include "auth/detail.h"
#include "auth/service.h"
#include "db/row.h"
#include "db/table.h"

namespace tt::auth {

namespace {

AuditEntry read_entry(SQLite::Statement& q) {
  AuditEntry e;
  std::string details;
  db::read_row(q, e.id, e.at, e.actor, e.action, e.target, e.remote, details);
  e.details = nlohmann::json::parse(details, nullptr, false);
  if (e.details.is_discarded()) e.details = nlohmann::json::object();
  return e;
}

// Listed only, never fetched by id: the plain NOT_FOUND would do.
constexpr db::Table<AuditEntry> kAudit{"audit_log",
                                       "id, at, actor, action, target, remote, details", read_entry,
                                       "audit entry", "NOT_FOUND"};

}  // namespace

void AuthService::record_audit(SQLite::Database& db, const AuditEntry& entry) {
  db::append_audit(db, entry.at, Actor{entry.actor, entry.remote}, entry.action, entry.target,
                   entry.details.is_null() ? std::string("{}") : entry.details.dump());
}

Result<Page<AuditEntry>> AuthService::list_audit(PageRequest page,
                                                 const std::optional<std::string>& actor,
                                                 const std::optional<std::string>& action) {
  page = detail::clamp(page);
  db::Filter filter;
  if (actor) filter.add("actor = ?", *actor);
  if (action && action->size() >= 2 && action->ends_with(".*")) {
    const std::string prefix = action->substr(0, action->size() - 1);
    filter.add("substr(action, 1, length(?)) = ?", prefix, prefix);
  } else if (action) {
    filter.add("action = ?", *action);
  }
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<AuditEntry>> {
    return kAudit.page(db, page, "id DESC", filter);
  });
}

}  // namespace tt::auth
