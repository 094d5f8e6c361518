// alerts/maintenance_service.h — maintenance windows stored in SQLite: create, read, update,
// delete, list. Every change commits with its event (topic `alerts`) and its audit row, as
// silences do. Thread-safe: called from HTTP pool threads.
#pragma once

#include <optional>
#include <vector>

#include "alerts/maintenance.h"
#include "bus/bus.h"
#include "core/actor.h"
#include "core/page.h"
#include "db/database.h"
#include "db/writer.h"
#include "events/change.h"

namespace tt::alerts {

// Every stored window with the current names of its nodes, oldest first; for marking alerts
// (AlertService) inside a read job.
std::vector<MaintenanceWindow> load_windows(SQLite::Database& db);

class MaintenanceService {
 public:
  MaintenanceService(db::Writer& writer, db::Readers& readers, bus::Bus& bus, const Clock& clock)
      : m_log(writer, &bus, clock), m_readers(readers), m_clock(clock) {}

  // node_ids must name existing nodes (VALIDATION_FAILED on node_ids otherwise).
  Result<MaintenanceWindow> create(MaintenanceWindow w, const Actor& actor);
  Result<MaintenanceWindow> get(std::int64_t id);
  // `patch` is a JSON merge patch of the window's fields (see apply_patch).
  Result<MaintenanceWindow> update(std::int64_t id, const nlohmann::json& patch,
                                   const Actor& actor);
  Result<void> remove(std::int64_t id, const Actor& actor);
  // Newest first; active_only: those active now.
  Result<Page<MaintenanceWindow>> list(bool active_only, const PageRequest& page);

 private:
  events::Log m_log;
  db::Readers& m_readers;
  const Clock& m_clock;
};

}  // namespace tt::alerts
