// core/json.h — parsing JSON that comes from outside. nlohmann's parser recurses once per
// nesting level, so a body of a million '[' would exhaust the stack: the depth is checked first.
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

#include "core/result.h"

namespace tt {

constexpr std::size_t kMaxJsonDepth = 64;

// INVALID_JSON (ErrorKind::invalid_input) with the byte offset of the first problem, or
// JSON_TOO_DEEP when objects and arrays nest deeper than max_depth.
Result<nlohmann::json> parse_json(std::string_view text, std::size_t max_depth = kMaxJsonDepth);

}  // namespace tt
