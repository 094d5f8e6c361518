// core/json.h — parsing JSON that comes from outside, and comparing records' JSON. nlohmann's
// parser recurses once per nesting level, so a body of a million '[' would exhaust the stack: the
// depth is checked first.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tt {

constexpr std::size_t kMaxJsonDepth = 64;

// INVALID_JSON (ErrorKind::invalid_input) with the byte offset of the first problem, or
// JSON_TOO_DEEP when objects and arrays nest deeper than max_depth.
Result<nlohmann::json> parse_json(std::string_view text, std::size_t max_depth = kMaxJsonDepth);

// What a PATCH changed in a record, as its update event and audit row tell it: the top-level
// fields whose values differ between the record's JSON before and after (`updated_at` aside;
// a field that disappeared counts), and their values before.
struct FieldChanges {
  std::vector<std::string> changed;
  nlohmann::json before = nlohmann::json::object();
  bool empty() const { return changed.empty(); }
};
FieldChanges changed_fields(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace tt
