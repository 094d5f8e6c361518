#include "probes/descriptor.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cmath>

#include "core/duration.h"
#include "probes/kinds.h"

namespace tt::probes {

namespace {

std::string_view type_name(OptionType t) {
  switch (t) {
    case OptionType::string: return "string";
    case OptionType::integer: return "integer";
    case OptionType::number: return "number";
    case OptionType::boolean: return "boolean";
    case OptionType::duration: return "duration";
    case OptionType::choice: return "choice";
    case OptionType::string_list: return "string_list";
    case OptionType::string_map: return "string_map";
  }
  return "string";
}

std::string_view fact_type_name(FactType t) {
  switch (t) {
    case FactType::number: return "number";
    case FactType::duration: return "duration";
    case FactType::ratio: return "ratio";
    case FactType::string: return "string";
    case FactType::boolean: return "boolean";
  }
  return "number";
}

constexpr std::size_t kMaxStringOption = 65536;

// Checks one value; returns the normalized value or sets `why`.
nlohmann::json check_value(const OptionSpec& o, const nlohmann::json& v, std::string& why) {
  bool ranged = o.min != o.max;
  auto range = [&](double x) {
    if (ranged && (x < o.min || x > o.max)) {
      why = o.type == OptionType::duration
                ? fmt::format("must be between {} and {}", format_duration_ms(static_cast<std::int64_t>(o.min)),
                              format_duration_ms(static_cast<std::int64_t>(o.max)))
                : fmt::format("must be between {} and {}", o.min, o.max);
      return false;
    }
    return true;
  };
  switch (o.type) {
    case OptionType::string:
      if (!v.is_string()) return why = "must be a string", nullptr;
      if (v.get_ref<const std::string&>().size() > kMaxStringOption) return why = "is too long", nullptr;
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
        if (k.empty() || !e.is_string() || e.get_ref<const std::string&>().size() > kMaxStringOption)
          return why = "must be an object of non-empty names and string values", nullptr;
      return v;
  }
  return nullptr;
}

}  // namespace

const std::vector<const KindDescriptor*>& kinds() {
  static const std::vector<const KindDescriptor*> all{&icmp_kind(), &tcp_kind(), &http_kind(), &dns_kind(),
                                                      &snmp_kind(), &push_kind()};
  return all;
}

const KindDescriptor* find_kind(std::string_view kind) {
  for (const auto* k : kinds())
    if (k->kind == kind) return k;
  return nullptr;
}

Result<nlohmann::json> normalize_options(const KindDescriptor& kind, const nlohmann::json& options) {
  std::vector<FieldError> errs;
  nlohmann::json out = nlohmann::json::object();
  if (!options.is_null() && !options.is_object())
    return Error{ErrorKind::validation, "VALIDATION_FAILED", "invalid check", {{"options", "must be an object"}}, {}};
  if (options.is_object()) {
    for (const auto& [name, v] : options.items()) {
      bool known = false;
      for (const auto& o : kind.options) known = known || o.name == name;
      if (!known) errs.push_back({"options." + name, fmt::format("is not an option of {} checks", kind.kind)});
    }
  }
  for (const auto& o : kind.options) {
    const nlohmann::json* given = options.is_object() && options.contains(o.name) ? &options.at(o.name) : nullptr;
    if (given && given->is_null()) given = nullptr;
    if (!given) {
      if (o.required) errs.push_back({"options." + o.name, "is required"});
      else if (!o.default_value.is_null()) {
        std::string ignored;
        out[o.name] = check_value(o, o.default_value, ignored);
      }
      continue;
    }
    std::string why;
    auto v = check_value(o, *given, why);
    if (!why.empty()) errs.push_back({"options." + o.name, why});
    else out[o.name] = std::move(v);
  }
  if (errs.empty() && kind.check_options) errs = kind.check_options(out);
  if (!errs.empty()) return Error{ErrorKind::validation, "VALIDATION_FAILED", "invalid check", std::move(errs), {}};
  return out;
}

nlohmann::json probe_options(const KindDescriptor& kind, const nlohmann::json& options) {
  nlohmann::json out = options;
  for (const auto& o : kind.options)
    if (o.type == OptionType::duration && out.contains(o.name) && out[o.name].is_string())
      out[o.name] = parse_duration_ms(out[o.name].get_ref<const std::string&>()).value_or(0);
  return out;
}

nlohmann::json redact_options(const KindDescriptor& kind, const nlohmann::json& options) {
  nlohmann::json out = options;
  for (const auto& o : kind.options)
    if (o.secret && out.contains(o.name)) out[o.name] = "********";
  return out;
}

nlohmann::json to_json(const KindDescriptor& kind) {
  nlohmann::json opts = nlohmann::json::array();
  for (const auto& o : kind.options) {
    nlohmann::json j{{"name", o.name}, {"type", type_name(o.type)}, {"help", o.help}, {"required", o.required},
                     {"secret", o.secret}};
    j["default"] = o.default_value;
    if (!o.choices.empty()) j["choices"] = o.choices;
    if (o.min != o.max) {
      j["min"] = o.type == OptionType::duration ? nlohmann::json(format_duration_ms(static_cast<std::int64_t>(o.min))) : nlohmann::json(o.min);
      j["max"] = o.type == OptionType::duration ? nlohmann::json(format_duration_ms(static_cast<std::int64_t>(o.max))) : nlohmann::json(o.max);
    }
    opts.push_back(std::move(j));
  }
  nlohmann::json facts = nlohmann::json::array();
  for (const auto& f : kind.facts) facts.push_back({{"name", f.name}, {"type", fact_type_name(f.type)}, {"help", f.help}});
  return {{"kind", kind.kind},
          {"title", kind.title},
          {"target_help", kind.target_help},
          {"options", opts},
          {"facts", facts},
          {"default_interval", format_duration_ms(kind.default_interval_ms)},
          {"default_timeout", format_duration_ms(kind.default_timeout_ms)},
          {"passive", !kind.make}};
}

std::optional<std::string> check_host(const std::string& host) {
  if (host.empty()) return "needs a host name or address";
  if (host.size() > 253) return "host name is longer than 253 characters";
  in6_addr a6{};
  in_addr a4{};
  if (inet_pton(AF_INET6, host.c_str(), &a6) == 1 || inet_pton(AF_INET, host.c_str(), &a4) == 1) return std::nullopt;
  // RFC 1123 host names: labels of letters, digits and hyphens, not starting or ending with '-'.
  std::size_t label = 0;
  for (std::size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      if (label == 0 && i != host.size()) return "host name has an empty label";
      if (label > 63) return "host name label is longer than 63 characters";
      if (label > 0 && (host[i - 1] == '-' || host[i - label] == '-')) return "host name label starts or ends with '-'";
      label = 0;
      continue;
    }
    char c = host[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return fmt::format("'{}' is not allowed in a host name", c);
    ++label;
  }
  return std::nullopt;
}

std::optional<std::string> check_host_port(const std::string& target) {
  std::string host, port;
  if (!target.empty() && target.front() == '[') {
    auto close = target.find(']');
    if (close == std::string::npos || close + 1 >= target.size() || target[close + 1] != ':')
      return "must be host:port, with IPv6 addresses in brackets: [::1]:443";
    host = target.substr(1, close - 1);
    port = target.substr(close + 2);
    in6_addr a6{};
    if (inet_pton(AF_INET6, host.c_str(), &a6) != 1) return "brackets must hold an IPv6 address";
  } else {
    auto colon = target.rfind(':');
    if (colon == std::string::npos) return "must be host:port, such as example.com:443";
    host = target.substr(0, colon);
    port = target.substr(colon + 1);
    if (host.find(':') != std::string::npos) return "IPv6 addresses need brackets: [::1]:443";
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) < 1 || std::stoi(port) > 65535)
    return "port must be a number from 1 to 65535";
  return check_host(host);
}

}  // namespace tt::probes
