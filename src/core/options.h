// core/options.h — typed option tables, as probe kinds and notification channels declare them:
// each option's type, default, help, range and whether it is a secret. One validator serves both
// (422 with a detail per field), and the same table is what the UI's forms are built from.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tt {

enum class OptionType {
  string,
  integer,
  number,
  boolean,
  duration,     // "900ms", "5s", "1m"; users of the options get integer milliseconds
  choice,       // one of `choices`
  string_list,  // ["a", "b"]
  string_map,   // {"Header": "value"}
};

struct OptionSpec {
  std::string name;
  OptionType type = OptionType::string;
  nlohmann::json default_value;  // null: no default (absent stays absent unless required)
  std::string help;
  std::vector<std::string> choices;  // for choice
  double min = 0, max = 0;           // for integer, number, duration (ms); ignored when min == max
  bool required = false;
  bool secret = false;  // never returned by GET
};

// Who owns a table, for the errors: fields are "<field>.<option>" ("options.port",
// "config.url"), unknown names "is not an option of <kind> <noun>s" ("of http checks").
struct OptionOwner {
  std::string_view field;  // options, config
  std::string_view kind;   // http, webhook
  std::string_view noun;   // check, channel
};

// Validates `options` (a JSON object or null) against `specs`: unknown names, wrong types,
// out-of-range values and missing required options are each a FieldError. Returns the options
// with defaults filled in and durations in their shortest spelling ("1500ms" -> "1s500ms"), so
// that the result validates again unchanged. `extra` (may be empty) runs on the normalized
// options for checks across options that the table cannot express.
Result<nlohmann::json> normalize_options(
    const std::vector<OptionSpec>& specs, const nlohmann::json& options, const OptionOwner& owner,
    const std::function<std::vector<FieldError>(const nlohmann::json&)>& extra);

// Durations in integer milliseconds.
nlohmann::json resolved_options(const std::vector<OptionSpec>& specs,
                                const nlohmann::json& options);

// Every secret that is set replaced by "********", for GET answers.
inline constexpr std::string_view kMaskedSecret = "********";
nlohmann::json redact_options(const std::vector<OptionSpec>& specs, const nlohmann::json& options);

// The table as JSON for the UI's forms.
nlohmann::json to_json(const std::vector<OptionSpec>& specs);

}  // namespace tt
