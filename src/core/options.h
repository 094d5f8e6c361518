// core/options.h — typed field tables: the options of probe kinds and notification channels, and
// the bodies of the API's resources (checks, alert rules, nodes, silences, ...). A table declares
// each field's type, default, help, range, whether it is required or a secret; one walker
// validates against it (422 VALIDATION_FAILED with a detail per field, nested fields named by
// path: "flap_damping.fires", "escalations[1].after", "labels.site"), and the same table is what
// the UI's forms are built from (`to_json`). Enums declare their names once (`EnumNames`), which
// gives to_string, parse and the choices of their fields. Pure; any thread.
#pragma once

#include <array>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
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
  id,           // a reference to another resource: an integer >= 1
  id_list,      // [3, 5]: ids without repeats (repeats are dropped)
  labels,       // {"site": "lab"}: label names checked, values strings of min..max characters
  object,       // a nested table (`fields`), errors "field.name"; without one, any object
  object_list,  // a list of nested tables: errors "field[i].name"
};

struct OptionSpec;
using OptionSpecs = std::vector<OptionSpec>;

// A check beyond what the type says, run once the type's checks passed: returns why the value is
// wrong, or nullopt, and may normalize it in place (a MAC address to lower case). For labels it
// runs on each name (a string), and its error is the label's ("labels.alertname").
using FieldCheck = std::function<std::optional<std::string>(nlohmann::json& value)>;

struct OptionSpec {
  std::string name;
  std::string label;  // what a form calls it: "Accepted status codes" for expected_status
  OptionType type = OptionType::string;
  nlohmann::json default_value;  // null: no default (absent stays absent unless required)
  std::string help;
  std::vector<std::string> choices;  // for choice
  // integer, number, duration (ms): the range; string, labels (values), string_list (entries):
  // the lengths. Ignored when min == max.
  double min = 0, max = 0;
  bool required = false;  // in a resource body: on create only
  bool secret = false;    // never returned by GET
  // For resource bodies:
  bool nullable = false;        // null is a value (it clears the field), not an absent field
  std::size_t max_items = 0;    // lists and maps: most entries (0: 256, labels 64)
  const OptionSpecs* fields{};  // object, object_list: the nested table
  std::string message;          // replaces the messages about the field as a whole
  FieldCheck check;
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

enum class InputMode { create, patch };

// Validates a resource's body (a JSON object) against `specs`: every wrong field is a FieldError
// named by its path; unknown names are "is not a field of <noun>s"; `required` fields are
// required on create only, except in nested objects, where a missing one is the object's error
// ("escalations[1]": "must have channels"); null is a wrong value unless the field is nullable.
// Returns the body with durations in their shortest spelling. A body that is not an object is
// INVALID_JSON (400). `extra` (may be empty) adds the errors the table cannot express (one field
// against another); it sees the fields that are valid, also when others are not, so every error is
// told at once.
using FieldsCheck = std::function<void(const nlohmann::json& valid, std::vector<FieldError>&)>;
Result<nlohmann::json> decode_fields(const OptionSpecs& specs, const nlohmann::json& body,
                                     InputMode mode, std::string_view noun,
                                     const FieldsCheck& extra = {});

// The 422 of a resource: "invalid <noun>" with the fields.
Error invalid_fields(std::string_view noun, std::vector<FieldError> fields);

// The `name` field every named resource has: required, not blank, at most `max` characters of
// what core/names.h allows.
OptionSpec name_field(double max = 200);

// The names of an enum whose values are 0, 1, 2, ... (the default), declared once in the
// enum's order: to_string, parse and the `choices` of its fields.
template <typename E, std::size_t N>
struct EnumNames {
  std::array<std::string_view, N> spelled;

  constexpr std::string_view name(E e) const {
    auto i = static_cast<std::size_t>(e);
    return i < N ? spelled[i] : spelled[0];
  }
  constexpr std::optional<E> parse(std::string_view s) const {
    for (std::size_t i = 0; i < N; ++i)
      if (spelled[i] == s) return static_cast<E>(i);
    return std::nullopt;
  }
  std::vector<std::string> names() const { return {spelled.begin(), spelled.end()}; }
};

// Typed reads of a decoded body: each sets `out` only when the field is present, so a PATCH
// leaves what it does not name alone.
template <typename T>
void take(const nlohmann::json& body, const char* name, std::optional<T>& out) {
  if (auto it = body.find(name); it != body.end()) out = it->template get<T>();
}
// A nullable field: null sets `out` to an empty optional (which clears).
template <typename T>
void take(const nlohmann::json& body, const char* name, std::optional<std::optional<T>>& out) {
  if (auto it = body.find(name); it != body.end())
    out = it->is_null() ? std::optional<T>() : std::optional<T>(it->template get<T>());
}
template <typename E, std::size_t N>
void take(const nlohmann::json& body, const char* name, std::optional<E>& out,
          const EnumNames<E, N>& names) {
  if (auto it = body.find(name); it != body.end())
    out = names.parse(it->template get_ref<const std::string&>());
}
// A duration field, in milliseconds.
void take_ms(const nlohmann::json& body, const char* name, std::optional<std::int64_t>& out);

// Durations in integer milliseconds.
nlohmann::json resolved_options(const std::vector<OptionSpec>& specs,
                                const nlohmann::json& options);

// Every secret that is set replaced by "********", for GET answers.
inline constexpr std::string_view kMaskedSecret = "********";
nlohmann::json redact_options(const std::vector<OptionSpec>& specs, const nlohmann::json& options);

// The table as JSON for the UI's forms.
nlohmann::json to_json(const std::vector<OptionSpec>& specs);

}  // namespace tt
