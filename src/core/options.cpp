#include "core/options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/duration.h"
#include "core/names.h"
#include "core/redact.h"
#include "core/series.h"

namespace tt {

namespace {

constexpr EnumNames<OptionType, 13> kTypeNames{
    {"string", "integer", "number", "boolean", "duration", "choice", "string_list", "string_map",
     "id", "id_list", "labels", "object", "object_list"}};

constexpr std::size_t kMaxStringOption = 65536;

// How a table is walked: for options (null is absent, unknown names "is not an option of ...")
// or for a resource body (null is a value, required only on create).
struct Walk {
  std::string unknown;  // the message for a name not in the table
  bool body = false;
  InputMode mode = InputMode::create;
  std::vector<FieldError>& errs;
};

nlohmann::json walk_table(const OptionSpecs& specs, const nlohmann::json& obj,
                          const std::string& prefix, Walk& w);

std::string length_range(const OptionSpec& o) {
  auto max = static_cast<std::size_t>(o.max);
  return o.min >= 1 ? fmt::format("must be a non-empty string of at most {} characters", max)
                    : fmt::format("must be a string of at most {} characters", max);
}

bool length_ok(const OptionSpec& o, const nlohmann::json& v) {
  if (!v.is_string()) return false;
  auto n = v.get_ref<const std::string&>().size();
  if (o.min == o.max) return n <= kMaxStringOption;
  return n >= static_cast<std::size_t>(o.min) && n <= static_cast<std::size_t>(o.max);
}

// Checks one value at `path`: returns the normalized value, or nullopt with its errors pushed.
std::optional<nlohmann::json> check_value(const OptionSpec& o, const nlohmann::json& v,
                                          const std::string& path, Walk& w) {
  std::string why;
  bool ranged = o.min != o.max;
  auto range = [&](double x) {
    if (ranged && (x < o.min || x > o.max)) {
      why = o.type == OptionType::duration
                ? fmt::format("must be between {} and {}",
                              format_duration_ms(static_cast<std::int64_t>(o.min)),
                              format_duration_ms(static_cast<std::int64_t>(o.max)))
                : fmt::format("must be between {} and {}", o.min, o.max);
      return false;
    }
    return true;
  };
  std::size_t max_items = o.max_items ? o.max_items : o.type == OptionType::labels ? 64 : 256;
  nlohmann::json out = v;
  auto before = w.errs.size();  // nested values push their own errors
  switch (o.type) {
    case OptionType::string:
      if (!v.is_string())
        why = "must be a string";
      else if (!length_ok(o, v))
        why = ranged ? length_range(o) : "is too long";
      break;
    case OptionType::integer:
      if (!v.is_number_integer())
        why = "must be an integer";
      else
        range(static_cast<double>(v.get<std::int64_t>()));
      break;
    case OptionType::number:
      if (!v.is_number())
        why = "must be a number";
      else if (!std::isfinite(v.get<double>()))
        why = "must be finite";
      else
        range(v.get<double>());
      break;
    case OptionType::boolean:
      if (!v.is_boolean()) why = "must be true or false";
      break;
    case OptionType::duration: {
      std::optional<std::int64_t> ms;
      if (v.is_string()) ms = parse_duration_ms(v.get_ref<const std::string&>());
      if (!ms)
        why = "must be a duration such as \"500ms\", \"5s\" or \"1m\"";
      else if (range(static_cast<double>(*ms)))
        out = format_duration_ms(*ms);
      break;
    }
    case OptionType::choice: {
      bool known = false;
      if (v.is_string())
        for (const auto& c : o.choices) known = known || c == v.get_ref<const std::string&>();
      if (!known) {
        std::string list;
        for (const auto& c : o.choices) list += (list.empty() ? "" : ", ") + c;
        why = "must be one of " + list;
      }
      break;
    }
    case OptionType::string_list:
      if (!v.is_array())
        why = "must be a list of strings";
      else if (v.size() > max_items)
        why = fmt::format("has more than {} entries", max_items);
      else
        for (std::size_t i = 0; i < v.size(); ++i) {
          if (length_ok(o, v[i])) continue;
          if (!ranged) {
            why = "must be a list of strings";
            break;
          }
          w.errs.push_back({fmt::format("{}[{}]", path, i), length_range(o)});
        }
      break;
    case OptionType::string_map:
      if (!v.is_object())
        why = "must be an object of strings";
      else if (v.size() > max_items)
        why = fmt::format("has more than {} entries", max_items);
      else
        for (const auto& [k, e] : v.items())
          if (k.empty() || !e.is_string() ||
              e.get_ref<const std::string&>().size() > kMaxStringOption)
            why = "must be an object of non-empty names and string values";
      break;
    case OptionType::id:
      if (!v.is_number_integer() || v.get<std::int64_t>() < 1) why = "must be an id";
      break;
    case OptionType::id_list:
      if (!v.is_array() || v.size() > max_items) {
        why = fmt::format("must be an array of at most {} ids", max_items);
        break;
      }
      out = nlohmann::json::array();
      for (const auto& x : v) {
        if (!x.is_number_integer() || x.get<std::int64_t>() < 1) {
          why = fmt::format("must be an array of at most {} ids", max_items);
          break;
        }
        if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
      }
      break;
    case OptionType::labels:
      if (!v.is_object() || v.size() > max_items) {
        why = fmt::format("must be an object of at most {} string values", max_items);
        break;
      }
      for (const auto& [k, e] : v.items()) {
        std::string at = path + "." + k;
        nlohmann::json name = k;
        if (!valid_label_name(k) || k.starts_with("__"))
          w.errs.push_back({at, "is not a valid label name"});
        else if (auto bad = o.check ? o.check(name) : std::nullopt)
          w.errs.push_back({at, *bad});
        else if (!length_ok(o, e))
          w.errs.push_back({at, length_range(o)});
      }
      break;
    case OptionType::object: {
      if (!v.is_object()) {
        why = "must be an object";
        break;
      }
      if (o.fields) out = walk_table(*o.fields, v, path + ".", w);
      break;
    }
    case OptionType::object_list: {
      if (!v.is_array() || v.size() > max_items) {
        why = fmt::format("must be a list of at most {} objects", max_items);
        break;
      }
      out = nlohmann::json::array();
      for (std::size_t i = 0; i < v.size(); ++i) {
        auto at = fmt::format("{}[{}]", path, i);
        if (!v[i].is_object())
          w.errs.push_back({at, "must be an object"});
        else
          out.push_back(walk_table(*o.fields, v[i], at + ".", w));
      }
      break;
    }
  }
  if (w.errs.size() != before) return std::nullopt;
  if (why.empty() && o.check && o.type != OptionType::labels)
    if (auto bad = o.check(out)) why = *bad;
  if (!why.empty()) {
    w.errs.push_back({path, o.message.empty() ? why : o.message});
    return std::nullopt;
  }
  return out;
}

nlohmann::json walk_table(const OptionSpecs& specs, const nlohmann::json& obj,
                          const std::string& prefix, Walk& w) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, v] : obj.items()) {
    bool known = false;
    for (const auto& o : specs) known = known || o.name == name;
    if (!known) w.errs.push_back({prefix + name, w.unknown});
  }
  for (const auto& o : specs) {
    auto it = obj.find(o.name);
    const nlohmann::json* given = it == obj.end() ? nullptr : &*it;
    if (given && given->is_null()) {
      if (!w.body) {
        given = nullptr;  // an option set to null is an option not set
      } else if (o.nullable) {
        out[o.name] = nullptr;
        continue;
      }
    }
    if (!given) {
      // A PATCH names what it changes; a nested object is whole in any body. A list's element
      // that lacks a field is named as the element ("steps[2]: must have to").
      bool whole = !w.body || !prefix.empty() || w.mode == InputMode::create;
      if (o.required && w.body && prefix.ends_with("]."))
        w.errs.push_back({prefix.substr(0, prefix.size() - 1), "must have " + o.name});
      else if (o.required && whole)
        w.errs.push_back({prefix + o.name, "is required"});
      else if (!o.default_value.is_null() && whole)
        out[o.name] = check_value(o, o.default_value, prefix + o.name, w).value_or(nullptr);
      continue;
    }
    if (auto v = check_value(o, *given, prefix + o.name, w)) out[o.name] = std::move(*v);
  }
  return out;
}

}  // namespace

Result<nlohmann::json> normalize_options(
    const std::vector<OptionSpec>& specs, const nlohmann::json& options, const OptionOwner& owner,
    const std::function<std::vector<FieldError>(const nlohmann::json&)>& extra) {
  std::vector<FieldError> errs;
  std::string invalid = fmt::format("invalid {}", owner.noun);
  if (!options.is_null() && !options.is_object())
    return Error{ErrorKind::validation,
                 "VALIDATION_FAILED",
                 invalid,
                 {{std::string(owner.field), "must be an object"}},
                 {}};
  Walk w{fmt::format("is not an option of {} {}s", owner.kind, owner.noun), false,
         InputMode::create, errs};
  auto out = walk_table(specs, options.is_object() ? options : nlohmann::json::object(),
                        std::string(owner.field) + ".", w);
  if (errs.empty() && extra) errs = extra(out);
  if (!errs.empty())
    return Error{ErrorKind::validation, "VALIDATION_FAILED", invalid, std::move(errs), {}};
  return out;
}

Result<nlohmann::json> decode_fields(const OptionSpecs& specs, const nlohmann::json& body,
                                     InputMode mode, std::string_view noun,
                                     const FieldsCheck& extra) {
  if (!body.is_object())
    return Error::make(ErrorKind::invalid_input, "INVALID_JSON", "the body must be a JSON object");
  std::vector<FieldError> errs;
  Walk w{fmt::format("is not a field of {}s", noun), true, mode, errs};
  auto out = walk_table(specs, body, "", w);
  if (extra) extra(out, errs);
  if (!errs.empty()) return invalid_fields(noun, std::move(errs));
  return out;
}

Error invalid_fields(std::string_view noun, std::vector<FieldError> fields) {
  return Error{ErrorKind::validation,
               "VALIDATION_FAILED",
               fmt::format("invalid {}", noun),
               std::move(fields),
               {}};
}

OptionSpec name_field(double max) {
  return {.name = "name",
          .type = OptionType::string,
          .max = max,
          .required = true,
          .check = [](nlohmann::json& value) -> std::optional<std::string> {
            const auto& s = value.get_ref<const std::string&>();
            if (s.find_first_not_of(' ') == std::string::npos) return "must not be empty";
            return display_name_problem(s);
          }};
}

void take_ms(const nlohmann::json& body, const char* name, std::optional<std::int64_t>& out) {
  if (auto it = body.find(name); it != body.end())
    out = parse_duration_ms(it->get_ref<const std::string&>());
}

nlohmann::json resolved_options(const std::vector<OptionSpec>& specs,
                                const nlohmann::json& options) {
  nlohmann::json out = options;
  for (const auto& o : specs)
    if (o.type == OptionType::duration && out.contains(o.name) && out[o.name].is_string())
      out[o.name] = parse_duration_ms(out[o.name].get_ref<const std::string&>()).value_or(0);
  return out;
}

nlohmann::json redact_options(const std::vector<OptionSpec>& specs, const nlohmann::json& options) {
  // Secrets inside the others (a URL's password, an Authorization header): core/redact.h.
  nlohmann::json out = redact::tree(options);
  for (const auto& o : specs)
    if (o.secret && out.contains(o.name)) out[o.name] = kMaskedSecret;
  return out;
}

nlohmann::json to_json(const std::vector<OptionSpec>& specs) {
  nlohmann::json opts = nlohmann::json::array();
  for (const auto& o : specs) {
    nlohmann::json j{{"name", o.name}, {"label", o.label},       {"type", kTypeNames.name(o.type)},
                     {"help", o.help}, {"required", o.required}, {"secret", o.secret}};
    j["default"] = o.default_value;
    if (!o.choices.empty()) j["choices"] = o.choices;
    if (o.nullable) j["nullable"] = true;
    if (o.max_items) j["max_items"] = o.max_items;
    if (o.fields) j["fields"] = to_json(*o.fields);
    if (o.min != o.max) {
      j["min"] = o.type == OptionType::duration
                     ? nlohmann::json(format_duration_ms(static_cast<std::int64_t>(o.min)))
                     : nlohmann::json(o.min);
      j["max"] = o.type == OptionType::duration
                     ? nlohmann::json(format_duration_ms(static_cast<std::int64_t>(o.max)))
                     : nlohmann::json(o.max);
    }
    opts.push_back(std::move(j));
  }
  return opts;
}

}  // namespace tt
