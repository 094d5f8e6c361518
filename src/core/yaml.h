// core/yaml.h — the YAML that configuration files are written in, read into JSON and written from
// it, for `telltale ctl` and `telltale apply`. YAML 1.2's core schema on block mappings and
// sequences, flow collections on one line, plain, quoted and block (| >) scalars, comments, and one
// document. What a configuration file has no use for is refused with its line, not half-read:
// anchors and aliases (a billion laughs), tags, multi-line plain or quoted scalars, complex keys,
// more than one document, duplicate keys, tabs in indentation.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tt {

inline constexpr std::size_t kMaxYamlDepth = 64;
inline constexpr std::size_t kMaxYamlBytes = 16 << 20;

// The document as JSON (an empty one is null). Errors: YAML_INVALID (validation), its message
// "line L, column C: what".
Result<nlohmann::json> parse_yaml(std::string_view text);

// A configuration file's text: JSON when it starts like JSON ('{' or '['), else YAML. Errors:
// parse_json's or parse_yaml's.
Result<nlohmann::json> parse_json_or_yaml(std::string_view text);

// Block-style YAML that parse_yaml reads back as `value` (numbers as JSON has them; strings quoted
// where they would read as something else; multi-line strings as | blocks). Ends in a newline.
std::string to_yaml(const nlohmann::json& value);

}  // namespace tt
