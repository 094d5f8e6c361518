#include "core/json.h"

#include <fmt/format.h>

namespace tt {

namespace {
// Depth of [ and { outside strings; stops counting once max is exceeded.
bool depth_within(std::string_view s, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}
}  // namespace

Result<nlohmann::json> parse_json(std::string_view text, std::size_t max_depth) {
  if (!depth_within(text, max_depth)) {
    return Error::make(ErrorKind::invalid_input, "JSON_TOO_DEEP",
                       fmt::format("JSON nests deeper than {} levels", max_depth));
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return Error::make(ErrorKind::invalid_input, "INVALID_JSON",
                       fmt::format("malformed JSON at byte {}", e.byte));
  } catch (const nlohmann::json::exception& e) {
    // e.g. out_of_range for a number such as 1e999 that no double holds.
    return Error::make(ErrorKind::invalid_input, "INVALID_JSON", e.what());
  }
}

FieldChanges changed_fields(const nlohmann::json& before, const nlohmann::json& after) {
  FieldChanges out;
  auto note = [&](const std::string& k, const nlohmann::json& old) {
    if (k == "updated_at") return;
    out.changed.push_back(k);
    out.before[k] = old;
  };
  for (const auto& [k, v] : after.items())
    if (auto old = before.value(k, nlohmann::json()); old != v) note(k, old);
  for (const auto& [k, v] : before.items())
    if (!after.contains(k)) note(k, v);
  return out;
}

}  // namespace tt
