// ctl/apply_file.h — the file `telltale apply -f` reads: YAML or JSON, one object of resources,
// with ${VARIABLE} references (secrets kept out of the file) filled in from the environment.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tt::ctl {

using Environment = std::function<std::optional<std::string>(std::string_view name)>;

// The document with every ${NAME} in its strings replaced by the variable's value ($${ is a
// literal ${). Errors: YAML_INVALID, INVALID_JSON, APPLY_BAD_FILE (not an object of lists),
// APPLY_UNSET_VARIABLE (with the field's path, e.g. channels[0].config.password).
Result<nlohmann::json> decode_apply_file(std::string_view text, const Environment& env);

}  // namespace tt::ctl
