// AuthService: the audit log, written by every subsystem's mutations.
#include "db/audit.h"

#include "auth/detail.h"
#include "auth/service.h"

namespace tt::auth {

void AuthService::record_audit(SQLite::Database& db, const AuditEntry& entry) {
  db::append_audit(db, entry.at, Actor{entry.actor, entry.remote}, entry.action, entry.target,
                   entry.details.is_null() ? std::string("{}") : entry.details.dump());
}

Result<Page<AuditEntry>> AuthService::list_audit(PageRequest page,
                                                 const std::optional<std::string>& actor,
                                                 const std::optional<std::string>& action) {
  page = detail::clamp(page);
  std::string where;
  std::vector<std::string> args;
  auto add = [&](const std::string& clause) {
    where += (where.empty() ? "WHERE " : " AND ") + clause;
  };
  if (actor) {
    add("actor = ?");
    args.push_back(*actor);
  }
  if (action && action->size() >= 2 && action->ends_with(".*")) {
    add("substr(action, 1, length(?)) = ?");
    const std::string prefix = action->substr(0, action->size() - 1);
    args.push_back(prefix);
    args.push_back(prefix);
  } else if (action) {
    add("action = ?");
    args.push_back(*action);
  }
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<AuditEntry>> {
    Page<AuditEntry> out;
    out.request = page;
    SQLite::Statement count(db, "SELECT COUNT(*) FROM audit_log " + where);
    for (std::size_t i = 0; i < args.size(); ++i) count.bind(static_cast<int>(i + 1), args[i]);
    count.executeStep();
    out.total = count.getColumn(0).getInt64();
    SQLite::Statement q(
        db, "SELECT id, at, actor, action, target, remote, details FROM audit_log " + where +
                " ORDER BY id DESC LIMIT ? OFFSET ?");
    int i = 1;
    for (const auto& a : args) q.bind(i++, a);
    q.bind(i++, page.per_page);
    q.bind(i++, page.offset());
    while (q.executeStep()) {
      AuditEntry e;
      e.id = q.getColumn(0).getInt64();
      e.at = q.getColumn(1).getInt64();
      e.actor = q.getColumn(2).getString();
      e.action = q.getColumn(3).getString();
      e.target = q.getColumn(4).getString();
      e.remote = q.getColumn(5).getString();
      e.details = nlohmann::json::parse(q.getColumn(6).getString(), nullptr, false);
      if (e.details.is_discarded()) e.details = nlohmann::json::object();
      out.items.push_back(std::move(e));
    }
    return out;
  });
}

}  // namespace tt::auth
