// inventory/pins.h — queries pinned to a node's page: a title and a PromQL expression that the
// page draws as a chart (the Explore page pins them). Stored in `node_pins`, deleted with their
// node; at most kMaxPinsPerNode a node. Each change commits with its event (topic `nodes`, the
// node's id as subject, so the node's page hears of it) and audit row. Thread-safe: called from
// HTTP pool threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bus/bus.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/options.h"
#include "core/result.h"
#include "db/database.h"
#include "db/writer.h"
#include "events/change.h"

namespace tt::inventory {

inline constexpr std::size_t kMaxPinsPerNode = 32;
inline constexpr std::size_t kMaxPinTitleLen = 100;
inline constexpr std::size_t kMaxPinQueryLen = 4096;

struct Pin {
  std::int64_t id = 0;
  std::int64_t node_id = 0;
  std::string title;
  std::string query;
  std::string created_by;
  TimeMs created_at = 0;
};

nlohmann::json to_json(const Pin& p);

struct PinInput {
  std::string title;
  std::string query;
};

// The fields of a pin's body.
const OptionSpecs& pin_fields();

// Decodes a pin's body: `title` (a display name, at most kMaxPinTitleLen characters) and `query`
// (at most kMaxPinQueryLen), both required. Errors: VALIDATION_FAILED per field; a query that
// does not parse as PromQL, or is not an instant vector or a scalar (what a chart can draw), is
// BAD_QUERY with the parser's message ("at position N: ...") on the field `query`.
Result<PinInput> decode_pin_input(const nlohmann::json& body);

class PinService {
 public:
  PinService(db::Writer& writer, db::Readers& readers, bus::Bus& bus, const Clock& clock)
      : m_log(writer, &bus, clock), m_readers(readers) {}

  // The node's pins, oldest first. NODE_NOT_FOUND for a node that does not exist.
  Result<std::vector<Pin>> list(std::int64_t node_id);
  // NODE_NOT_FOUND; TOO_MANY_PINS (409) when the node has kMaxPinsPerNode already.
  Result<Pin> create(std::int64_t node_id, const PinInput& in, const Actor& actor);
  // PIN_NOT_FOUND for a pin that is not the node's.
  Result<void> remove(std::int64_t node_id, std::int64_t pin_id, const Actor& actor);

 private:
  events::Log m_log;
  db::Readers& m_readers;
};

}  // namespace tt::inventory
