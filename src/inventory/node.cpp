#include "inventory/node.h"

#include <array>
#include <cctype>
#include <cmath>

#include "core/names.h"
#include "core/series.h"

namespace tt::inventory {

namespace {

constexpr std::array<std::string_view, 5> kTypeNames = {"baremetal", "vm", "container", "network",
                                                        "iot"};
constexpr std::array<std::string_view, 4> kStatusNames = {"unknown", "up", "down", "degraded"};
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

const char* json_type_name(const nlohmann::json& j) { return j.type_name(); }

}  // namespace

std::string_view to_string(NodeType t) { return kTypeNames[static_cast<std::size_t>(t)]; }
std::string_view to_string(NodeStatus s) { return kStatusNames[static_cast<std::size_t>(s)]; }

std::optional<NodeType> parse_node_type(std::string_view s) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i)
    if (kTypeNames[i] == s) return static_cast<NodeType>(i);
  return std::nullopt;
}

std::optional<NodeStatus> parse_node_status(std::string_view s) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i)
    if (kStatusNames[i] == s) return static_cast<NodeStatus>(i);
  return std::nullopt;
}

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

Result<NodeInput> decode_node_input(const nlohmann::json& body, InputMode mode) {
  std::vector<FieldError> errs;
  auto fail = [&](std::string field, std::string msg) {
    errs.push_back({std::move(field), std::move(msg)});
  };
  if (!body.is_object()) {
    return Error{ErrorKind::validation,
                 "VALIDATION_FAILED",
                 "the body must be a JSON object",
                 {{"", std::string("expected an object, got ") + json_type_name(body)}},
                 {}};
  }
  NodeInput in;
  for (const auto& [key, v] : body.items()) {
    if (key == "name") {
      if (!v.is_string()) {
        fail(key, "must be a string");
        continue;
      }
      auto s = v.get<std::string>();
      if (s.empty() || s.size() > kMaxNameLen)
        fail(key, "must be 1 to 253 characters");
      else if (auto why = display_name_problem(s))
        fail(key, *why);
      else
        in.name = s;
    } else if (key == "type") {
      auto t = v.is_string() ? parse_node_type(v.get<std::string>()) : std::nullopt;
      if (!t)
        fail(key, "must be one of baremetal, vm, container, network, iot");
      else
        in.type = *t;
    } else if (key == "address") {
      if (!v.is_string())
        fail(key, "must be a string");
      else if (!valid_address(v.get<std::string>()))
        fail(key, "must be a host name or IP address");
      else
        in.address = v.get<std::string>();
    } else if (key == "labels") {
      if (!v.is_object()) {
        fail(key, "must be an object of string values");
        continue;
      }
      if (v.size() > kMaxLabels) {
        fail(key, "at most 64 labels");
        continue;
      }
      Labels labels;
      bool ok = true;
      for (const auto& [lk, lv] : v.items()) {
        if (!valid_label_name(lk)) {
          fail("labels." + lk, "label names match [a-zA-Z_][a-zA-Z0-9_]*");
          ok = false;
        } else if (!lv.is_string()) {
          fail("labels." + lk, "must be a string");
          ok = false;
        } else if (lv.get<std::string>().size() > kMaxLabelValueLen) {
          fail("labels." + lk, "at most 1024 characters");
          ok = false;
        } else
          labels[lk] = lv.get<std::string>();
      }
      if (ok) in.labels = std::move(labels);
    } else if (key == "metadata") {
      if (!v.is_object())
        fail(key, "must be an object");
      else if (v.dump().size() > kMaxMetadataBytes)
        fail(key, "at most 64 KiB");
      else
        in.metadata = v;
    } else if (key == "location") {
      if (v.is_null()) {
        in.location = std::optional<Location>{};
        continue;
      }
      if (!v.is_object()) {
        fail(key, "must be an object with lat and lon, or null");
        continue;
      }
      Location loc;
      bool ok = true;
      auto lat = v.find("lat"), lon = v.find("lon");
      if (lat == v.end() || !lat->is_number() || !std::isfinite(lat->get<double>()) ||
          std::abs(lat->get<double>()) > 90) {
        fail("location.lat", "must be a number from -90 to 90");
        ok = false;
      }
      if (lon == v.end() || !lon->is_number() || !std::isfinite(lon->get<double>()) ||
          std::abs(lon->get<double>()) > 180) {
        fail("location.lon", "must be a number from -180 to 180");
        ok = false;
      }
      if (auto place = v.find("place"); place != v.end() && !place->is_null()) {
        if (!place->is_string() || place->get<std::string>().size() > kMaxPlaceLen) {
          fail("location.place", "must be a string of at most 200 characters");
          ok = false;
        } else
          loc.place = place->get<std::string>();
      }
      for (const auto& [lk, lv] : v.items())
        if (lk != "lat" && lk != "lon" && lk != "place") {
          fail("location." + lk, "unknown field");
          ok = false;
        }
      if (ok) {
        loc.lat = lat->get<double>();
        loc.lon = lon->get<double>();
        in.location = std::optional<Location>{loc};
      }
    } else if (key == "mac") {
      if (v.is_null()) {
        in.mac = std::optional<std::string>{};
        continue;
      }
      auto m = v.is_string() ? normalize_mac(v.get<std::string>()) : std::nullopt;
      if (!m)
        fail(key, "must be a MAC address like 00:11:22:33:44:55, or null");
      else
        in.mac = std::optional<std::string>{*m};
    } else if (key == "status" || key == "last_seen" || key == "created_at" ||
               key == "updated_at" || key == "id") {
      fail(key, "is derived by Telltale and cannot be set");
    } else {
      fail(key, "unknown field");
    }
  }
  if (mode == InputMode::create) {
    if (!body.contains("name")) fail("name", "is required");
    if (!body.contains("type")) fail("type", "is required");
  }
  if (!errs.empty()) {
    return Error{ErrorKind::validation,
                 "VALIDATION_FAILED",
                 "some fields are not valid",
                 std::move(errs),
                 {}};
  }
  return in;
}

}  // namespace tt::inventory
