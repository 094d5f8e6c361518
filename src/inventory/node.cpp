#include "inventory/node.h"

#include <cctype>

#include "core/options.h"
#include "core/series.h"

namespace tt::inventory {

namespace {

constexpr EnumNames<NodeType, 5> kTypeNames{{"baremetal", "vm", "container", "network", "iot"}};
constexpr EnumNames<NodeStatus, 4> kStatusNames{{"unknown", "up", "down", "degraded"}};
constexpr std::size_t kMaxNameLen = 253;
constexpr std::size_t kMaxLabels = 64;
constexpr std::size_t kMaxLabelValueLen = 1024;
constexpr std::size_t kMaxMetadataBytes = 64 * 1024;
constexpr std::size_t kMaxPlaceLen = 200;

bool valid_address(std::string_view s) {
  if (s.size() > kMaxNameLen) return false;
  for (unsigned char c : s) {
    if (!(std::isalnum(c) || c == '.' || c == '-' || c == ':' || c == '_' || c == '%' || c == '[' ||
          c == ']'))
      return false;
  }
  return true;
}

// Accepts aa:bb:cc:dd:ee:ff or aa-bb-cc-dd-ee-ff in any case; returns the canonical form.
std::optional<std::string> normalize_mac(std::string_view s) {
  if (s.size() != 17) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < 17; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (i % 3 == 2) {
      if (c != ':' && c != '-') return std::nullopt;
      out += ':';
    } else {
      if (!std::isxdigit(c)) return std::nullopt;
      out += static_cast<char>(std::tolower(c));
    }
  }
  return out;
}

std::optional<std::string> address_check(nlohmann::json& v) {
  if (valid_address(v.get_ref<const std::string&>())) return std::nullopt;
  return "must be a host name or IP address";
}

std::optional<std::string> mac_check(nlohmann::json& v) {
  auto mac = normalize_mac(v.get_ref<const std::string&>());
  if (!mac) return "must be a MAC address like 00:11:22:33:44:55, or null";
  v = *mac;
  return std::nullopt;
}

std::optional<std::string> label_name_check(nlohmann::json& name) {
  if (valid_label_name(name.get_ref<const std::string&>())) return std::nullopt;
  return "is not a valid label name";
}

std::optional<std::string> metadata_check(nlohmann::json& v) {
  if (v.dump().size() > kMaxMetadataBytes) return "at most 64 KiB";
  return std::nullopt;
}

}  // namespace

std::string_view to_string(NodeType t) { return kTypeNames.name(t); }
std::string_view to_string(NodeStatus s) { return kStatusNames.name(s); }
std::optional<NodeType> parse_node_type(std::string_view s) { return kTypeNames.parse(s); }
std::optional<NodeStatus> parse_node_status(std::string_view s) { return kStatusNames.parse(s); }

bool valid_label_name(std::string_view s) { return s.size() <= 128 && tt::valid_label_name(s); }

nlohmann::json to_json(const Node& n) {
  nlohmann::json j = {
      {"id", n.id},
      {"name", n.name},
      {"type", to_string(n.type)},
      {"address", n.address},
      {"labels", n.labels},
      {"metadata", n.metadata},
      {"location", nullptr},
      {"mac", nullptr},
      {"status", to_string(n.status)},
      {"created_at", format_rfc3339(n.created_at)},
      {"updated_at", format_rfc3339(n.updated_at)},
      {"last_seen", nullptr},
  };
  if (n.location) {
    j["location"] = {
        {"lat", n.location->lat}, {"lon", n.location->lon}, {"place", n.location->place}};
  }
  if (n.mac) j["mac"] = *n.mac;
  if (n.last_seen) j["last_seen"] = format_rfc3339(*n.last_seen);
  return j;
}

const OptionSpecs& node_fields() {
  using T = OptionType;
  static const OptionSpecs location{
      {.name = "lat",
       .type = T::number,
       .min = -90,
       .max = 90,
       .required = true,
       .message = "must be a number from -90 to 90"},
      {.name = "lon",
       .type = T::number,
       .min = -180,
       .max = 180,
       .required = true,
       .message = "must be a number from -180 to 180"},
      {.name = "place", .type = T::string, .max = kMaxPlaceLen, .nullable = true},
  };
  static const OptionSpecs specs{
      name_field(kMaxNameLen),
      {.name = "type", .type = T::choice, .choices = kTypeNames.names(), .required = true},
      {.name = "address", .type = T::string, .check = address_check},
      {.name = "labels",
       .type = T::labels,
       .min = 0,
       .max = kMaxLabelValueLen,
       .max_items = kMaxLabels,
       .check = label_name_check},
      {.name = "metadata", .type = T::object, .check = metadata_check},
      {.name = "location",
       .type = T::object,
       .nullable = true,
       .fields = &location,
       .message = "must be an object with lat and lon, or null"},
      {.name = "mac", .type = T::string, .nullable = true, .check = mac_check},
  };
  return specs;
}

Result<NodeInput> decode_node_input(const nlohmann::json& body, InputMode mode) {
  if (!body.is_object())
    return Error{ErrorKind::validation,
                 "VALIDATION_FAILED",
                 "the body must be a JSON object",
                 {{"", std::string("expected an object, got ") + body.type_name()}},
                 {}};
  // Derived fields are named as such, not as unknown ones.
  nlohmann::json given = body;
  std::vector<FieldError> errs;
  for (const char* derived : {"id", "status", "last_seen", "created_at", "updated_at"})
    if (given.erase(derived)) errs.push_back({derived, "is derived by Telltale and cannot be set"});
  auto v = decode_fields(node_fields(), given, mode, "node");
  if (!v.ok())
    for (const auto& f : v.error().fields) errs.push_back(f);
  if (!errs.empty()) return invalid_fields("node", std::move(errs));
  NodeInput in;
  take(*v, "name", in.name);
  take(*v, "type", in.type, kTypeNames);
  take(*v, "address", in.address);
  take(*v, "labels", in.labels);
  take(*v, "metadata", in.metadata);
  take(*v, "mac", in.mac);
  if (auto it = v->find("location"); it != v->end()) {
    in.location.emplace();
    if (!it->is_null()) {
      auto place = it->value("place", nlohmann::json());
      *in.location = Location{it->at("lat").get<double>(), it->at("lon").get<double>(),
                              place.is_string() ? place.get<std::string>() : std::string()};
    }
  }
  return in;
}

}  // namespace tt::inventory
