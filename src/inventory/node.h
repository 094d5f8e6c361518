// inventory/ — the nodes Telltale watches (hosts, VMs, containers, network gear, IoT devices)
// and the event log of their changes. Called by api/ handlers and, later, by probes and agents
// through the domain services; it writes through db::Writer and announces changes on the bus.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/options.h"
#include "core/result.h"

namespace tt::inventory {

enum class NodeType { baremetal, vm, container, network, iot };
enum class NodeStatus { unknown, up, down, degraded };

std::string_view to_string(NodeType t);
std::string_view to_string(NodeStatus s);
std::optional<NodeType> parse_node_type(std::string_view s);
std::optional<NodeStatus> parse_node_status(std::string_view s);

struct Location {
  double lat = 0;  // degrees, -90..90
  double lon = 0;  // degrees, -180..180
  std::string place;
  bool operator==(const Location&) const = default;
};

using Labels = std::map<std::string, std::string>;

struct Node {
  std::int64_t id = 0;
  std::string name;
  NodeType type = NodeType::baremetal;
  std::string address;
  Labels labels;
  nlohmann::json metadata = nlohmann::json::object();
  std::optional<Location> location;
  std::optional<std::string> mac;  // lowercase aa:bb:cc:dd:ee:ff
  NodeStatus status = NodeStatus::unknown;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
  std::optional<TimeMs> last_seen;
};

nlohmann::json to_json(const Node& n);

// What a client may set. On create, name and type are required; on update (PATCH) every field
// is optional and `null` clears location and mac. Status and times are derived, never set.
struct NodeInput {
  std::optional<std::string> name;
  std::optional<NodeType> type;
  std::optional<std::string> address;
  std::optional<Labels> labels;
  std::optional<nlohmann::json> metadata;
  std::optional<std::optional<Location>> location;
  std::optional<std::optional<std::string>> mac;
};

using InputMode = tt::InputMode;

// The fields of a node's body, for the decoder and the UI's form.
const OptionSpecs& node_fields();

// Decodes and validates a request body. Every problem is reported, each with its field
// (VALIDATION_FAILED, ErrorKind::validation), so a form can show them all at once.
Result<NodeInput> decode_node_input(const nlohmann::json& body, InputMode mode);

// Prometheus label-name rules, shared with series labels later.
bool valid_label_name(std::string_view s);

}  // namespace tt::inventory
