#include "db/audit.h"

#include <nlohmann/json.hpp>

#include "core/redact.h"

namespace tt::db {

void append_audit(SQLite::Database& db, TimeMs at, const Actor& actor, const std::string& action,
                  const std::string& target, const std::string& details_json) {
  SQLite::Statement st(db,
                       "INSERT INTO audit_log(at, actor, action, target, remote, details) "
                       "VALUES (?, ?, ?, ?, ?, ?)");
  st.bind(1, static_cast<std::int64_t>(at));
  st.bind(2, actor.name);
  st.bind(3, action);
  st.bind(4, target);
  st.bind(5, actor.remote);
  // Whatever a caller put in, no URL password, secret query value or secret header is kept
  // (core/redact.h).
  auto details = nlohmann::json::parse(details_json, nullptr, false);
  st.bind(6, details.is_discarded() ? details_json : redact::tree(details).dump());
  st.exec();
}

}  // namespace tt::db
