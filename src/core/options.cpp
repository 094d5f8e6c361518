#include "core/options.h"

#include <fmt/format.h>

#include <cmath>

#include "core/duration.h"
#include "core/redact.h"

namespace tt {

namespace {

std::string_view type_name(OptionType t) {
  switch (t) {
    case OptionType::string:
      return "string";
    case OptionType::integer:
      return "integer";
    case OptionType::number:
      return "number";
    case OptionType::boolean:
      return "boolean";
    case OptionType::duration:
      return "duration";
    case OptionType::choice:
      return "choice";
    case OptionType::string_list:
      return "string_list";
    case OptionType::string_map:
      return "string_map";
  }
  return "string";
}

constexpr std::size_t kMaxStringOption = 65536;

// Checks one value; returns the normalized value or sets `why`.
nlohmann::json check_value(const OptionSpec& o, const nlohmann::json& v, std::string& why) {
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
  switch (o.type) {
    case OptionType::string:
      if (!v.is_string()) return why = "must be a string", nullptr;
      if (v.get_ref<const std::string&>().size() > kMaxStringOption)
        return why = "is too long", nullptr;
      return v;
    case OptionType::integer: {
      if (!v.is_number_integer()) return why = "must be an integer", nullptr;
      auto x = v.get<std::int64_t>();
      return range(static_cast<double>(x)) ? v : nullptr;
    }
    case OptionType::number: {
      if (!v.is_number()) return why = "must be a number", nullptr;
      double x = v.get<double>();
      if (!std::isfinite(x)) return why = "must be finite", nullptr;
      return range(x) ? v : nullptr;
    }
    case OptionType::boolean:
      if (!v.is_boolean()) return why = "must be true or false", nullptr;
      return v;
    case OptionType::duration: {
      std::optional<std::int64_t> ms;
      if (v.is_string()) ms = parse_duration_ms(v.get_ref<const std::string&>());
      if (!ms) return why = "must be a duration such as \"500ms\", \"5s\" or \"1m\"", nullptr;
      return range(static_cast<double>(*ms)) ? nlohmann::json(format_duration_ms(*ms)) : nullptr;
    }
    case OptionType::choice: {
      if (v.is_string())
        for (const auto& c : o.choices)
          if (c == v.get_ref<const std::string&>()) return v;
      std::string list;
      for (const auto& c : o.choices) list += (list.empty() ? "" : ", ") + c;
      why = "must be one of " + list;
      return nullptr;
    }
    case OptionType::string_list:
      if (!v.is_array()) return why = "must be a list of strings", nullptr;
      if (v.size() > 256) return why = "has more than 256 entries", nullptr;
      for (const auto& e : v)
        if (!e.is_string() || e.get_ref<const std::string&>().size() > kMaxStringOption)
          return why = "must be a list of strings", nullptr;
      return v;
    case OptionType::string_map:
      if (!v.is_object()) return why = "must be an object of strings", nullptr;
      if (v.size() > 256) return why = "has more than 256 entries", nullptr;
      for (const auto& [k, e] : v.items())
        if (k.empty() || !e.is_string() ||
            e.get_ref<const std::string&>().size() > kMaxStringOption)
          return why = "must be an object of non-empty names and string values", nullptr;
      return v;
  }
  return nullptr;
}

}  // namespace

Result<nlohmann::json> normalize_options(
    const std::vector<OptionSpec>& specs, const nlohmann::json& options, const OptionOwner& owner,
    const std::function<std::vector<FieldError>(const nlohmann::json&)>& extra) {
  std::vector<FieldError> errs;
  nlohmann::json out = nlohmann::json::object();
  std::string prefix = std::string(owner.field) + ".";
  std::string invalid = fmt::format("invalid {}", owner.noun);
  if (!options.is_null() && !options.is_object())
    return Error{ErrorKind::validation,
                 "VALIDATION_FAILED",
                 invalid,
                 {{std::string(owner.field), "must be an object"}},
                 {}};
  if (options.is_object()) {
    for (const auto& [name, v] : options.items()) {
      bool known = false;
      for (const auto& o : specs) known = known || o.name == name;
      if (!known)
        errs.push_back(
            {prefix + name, fmt::format("is not an option of {} {}s", owner.kind, owner.noun)});
    }
  }
  for (const auto& o : specs) {
    const nlohmann::json* given =
        options.is_object() && options.contains(o.name) ? &options.at(o.name) : nullptr;
    if (given && given->is_null()) given = nullptr;
    if (!given) {
      if (o.required)
        errs.push_back({prefix + o.name, "is required"});
      else if (!o.default_value.is_null()) {
        std::string ignored;
        out[o.name] = check_value(o, o.default_value, ignored);
      }
      continue;
    }
    std::string why;
    auto v = check_value(o, *given, why);
    if (!why.empty())
      errs.push_back({prefix + o.name, why});
    else
      out[o.name] = std::move(v);
  }
  if (errs.empty() && extra) errs = extra(out);
  if (!errs.empty())
    return Error{ErrorKind::validation, "VALIDATION_FAILED", invalid, std::move(errs), {}};
  return out;
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
    nlohmann::json j{{"name", o.name},
                     {"type", type_name(o.type)},
                     {"help", o.help},
                     {"required", o.required},
                     {"secret", o.secret}};
    j["default"] = o.default_value;
    if (!o.choices.empty()) j["choices"] = o.choices;
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
