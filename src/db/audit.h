// db/audit.h — appends to the audit log inside a writer job, so a change and its audit row
// commit together (or not at all). Reading the log is auth/'s business.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <string>

#include "core/actor.h"
#include "core/clock.h"

namespace tt::db {

// details_json must be a JSON object ("{}" when there is nothing to add).
void append_audit(SQLite::Database& db, TimeMs at, const Actor& actor, const std::string& action,
                  const std::string& target, const std::string& details_json = "{}");

}  // namespace tt::db
