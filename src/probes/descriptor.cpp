#include "probes/descriptor.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include "core/duration.h"
#include "probes/kinds.h"

namespace tt::probes {

namespace {

// The names the API serves, in the order of the enums.
constexpr std::string_view kFactTypeNames[] = {"number", "duration", "ratio", "string", "boolean"};
constexpr std::string_view kChartUnitNames[] = {"seconds", "ratio", "bytes_total"};

std::string_view fact_type_name(FactType t) { return kFactTypeNames[static_cast<int>(t)]; }
std::string_view chart_unit_name(ChartUnit u) { return kChartUnitNames[static_cast<int>(u)]; }

nlohmann::json chart_json(const ChartSpec& c) {
  nlohmann::json series = nlohmann::json::array();
  for (const auto& s : c.series) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [name, value] : s.labels) labels[name] = value;
    series.push_back({{"metric", s.metric}, {"matchers", s.matchers}, {"labels", labels}});
  }
  nlohmann::json j{{"id", c.id},
                   {"title", c.title},
                   {"unit", chart_unit_name(c.unit)},
                   {"series", series},
                   {"legend", c.legend}};
  if (!c.when_option.empty()) j["when_option"] = c.when_option;
  return j;
}

}  // namespace

const std::vector<const KindDescriptor*>& kinds() {
  static const std::vector<const KindDescriptor*> all{&icmp_kind(), &tcp_kind(),  &http_kind(),
                                                      &dns_kind(),  &snmp_kind(), &push_kind()};
  return all;
}

const KindDescriptor* find_kind(std::string_view kind) {
  for (const auto* k : kinds())
    if (k->kind == kind) return k;
  return nullptr;
}

Result<nlohmann::json> normalize_options(const KindDescriptor& kind,
                                         const nlohmann::json& options) {
  return tt::normalize_options(kind.options, options, {"options", kind.kind, "check"},
                               kind.check_options);
}

nlohmann::json probe_options(const KindDescriptor& kind, const nlohmann::json& options) {
  return resolved_options(kind.options, options);
}

nlohmann::json redact_options(const KindDescriptor& kind, const nlohmann::json& options) {
  return tt::redact_options(kind.options, options);
}

nlohmann::json to_json(const KindDescriptor& kind) {
  nlohmann::json facts = nlohmann::json::array();
  for (const auto& f : kind.facts)
    facts.push_back({{"name", f.name}, {"type", fact_type_name(f.type)}, {"help", f.help}});
  nlohmann::json charts = nlohmann::json::array();
  for (const auto& c : kind.charts) charts.push_back(chart_json(c));
  return {{"kind", kind.kind},
          {"title", kind.title},
          {"target_help", kind.target_help},
          {"target_example", kind.target_example},
          {"condition_example", kind.condition_example},
          {"options", tt::to_json(kind.options)},
          {"facts", facts},
          {"charts", charts},
          {"response", {{"metric", kind.response.metric}, {"matchers", kind.response.matchers}}},
          {"default_interval", format_duration_ms(kind.default_interval_ms)},
          {"default_timeout", format_duration_ms(kind.default_timeout_ms)},
          {"passive", !kind.make}};
}

std::optional<std::string> check_host(const std::string& host) {
  if (host.empty()) return "needs a host name or address";
  if (host.size() > 253) return "host name is longer than 253 characters";
  in6_addr a6{};
  in_addr a4{};
  if (inet_pton(AF_INET6, host.c_str(), &a6) == 1 || inet_pton(AF_INET, host.c_str(), &a4) == 1)
    return std::nullopt;
  // RFC 1123 host names: labels of letters, digits and hyphens, not starting or ending with '-'.
  std::size_t label = 0;
  for (std::size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      if (label == 0 && i != host.size()) return "host name has an empty label";
      if (label > 63) return "host name label is longer than 63 characters";
      if (label > 0 && (host[i - 1] == '-' || host[i - label] == '-'))
        return "host name label starts or ends with '-'";
      label = 0;
      continue;
    }
    char c = host[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
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
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
      std::stoi(port) > 65535)
    return "port must be a number from 1 to 65535";
  return check_host(host);
}

}  // namespace tt::probes
