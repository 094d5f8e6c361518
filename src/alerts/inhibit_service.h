// alerts/inhibit_service.h — inhibit rules stored in SQLite: create, read, update, delete,
// list. Every change commits with its event (topic `alerts`) and its audit row, as maintenance
// windows do. Thread-safe: called from HTTP pool threads.
#pragma once

#include <vector>

#include "alerts/inhibit.h"
#include "bus/bus.h"
#include "core/actor.h"
#include "core/page.h"
#include "db/database.h"
#include "db/writer.h"
#include "events/change.h"

namespace tt::alerts {

// Every stored rule, oldest first; for marking alerts (AlertService) inside a read job.
std::vector<InhibitRule> load_inhibit_rules(SQLite::Database& db);

class InhibitService {
 public:
  InhibitService(db::Writer& writer, db::Readers& readers, bus::Bus& bus, const Clock& clock)
      : m_log(writer, &bus, clock), m_readers(readers) {}

  Result<InhibitRule> create(InhibitRule r, const Actor& actor);
  Result<InhibitRule> get(std::int64_t id);
  // `patch` is a JSON merge patch of the rule's fields.
  Result<InhibitRule> update(std::int64_t id, const nlohmann::json& patch, const Actor& actor);
  Result<void> remove(std::int64_t id, const Actor& actor);
  Result<Page<InhibitRule>> list(const PageRequest& page);  // newest first

 private:
  events::Log m_log;
  db::Readers& m_readers;
};

}  // namespace tt::alerts
