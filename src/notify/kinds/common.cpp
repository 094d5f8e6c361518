#include "notify/kinds/common.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>

#include "alerts/template.h"
#include "core/text.h"

namespace tt::notify::kinds {

std::string str(const json& c, const char* name) {
  return c.contains(name) ? c[name].get<std::string>() : std::string();
}

void copy_options(json& body, const json& c, const std::vector<const char*>& names) {
  for (const char* name : names)
    if (c.contains(name)) body[name] = c[name];
}

std::vector<FieldError> check_http(const json& c, const std::vector<const char*>& urls,
                                   const std::vector<const char*>& header_values) {
  std::vector<FieldError> errs;
  for (const char* u : urls)
    if (c.contains(u))
      if (auto why = url_problem(c[u].get<std::string>(), {"http", "https"}))
        errs.push_back({std::string("config.") + u, *why});
  if (c.contains("headers"))
    for (const auto& [k, v] : c["headers"].items())
      if (!valid_header(k, v.get<std::string>()))
        errs.push_back({"config.headers." + k,
                        "header names must not be empty or contain ':', spaces or line breaks, nor "
                        "values line breaks"});
  for (const char* name : header_values)
    if (has_crlf(str(c, name)))
      errs.push_back({std::string("config.") + name, "must not contain line breaks"});
  return errs;
}

std::function<std::vector<FieldError>(const json&)> http_checks(
    std::vector<const char*> urls, std::vector<const char*> header_values) {
  return [urls = std::move(urls), header_values = std::move(header_values)](const json& c) {
    return check_http(c, urls, header_values);
  };
}

Request request_of(const json& c) {
  Request r;
  r.url = str(c, "url");
  r.method = str(c, "method");
  return r;
}

void add_bearer(Request& r, const json& c, const char* option) {
  if (c.contains(option)) r.headers.push_back("Authorization: Bearer " + str(c, option));
}

void add_headers(Request& r, const json& c) {
  if (c.contains("headers"))
    for (const auto& [k, v] : c["headers"].items())
      r.headers.push_back(k + ": " + v.get<std::string>());
}

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

json labels_json(const std::vector<std::pair<std::string, std::string>>& kv) {
  json j = json::object();
  for (const auto& [k, v] : kv) j[k] = v;
  return j;
}

json value_json(double v) { return std::isfinite(v) ? json(v) : json(alerts::go_float(v)); }

Request json_post(std::string url, const json& body) {
  Request r;
  r.url = std::move(url);
  r.headers.push_back("Content-Type: application/json");
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

std::string full_text(const Notice& n) { return notice_title(n) + "\n" + notice_text(n); }

std::string cut(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  s.resize(max - 3);
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80)
    s.pop_back();  // whole UTF-8 characters
  if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.pop_back();
  return s + "...";
}

json alert_json(const Notice& n) {
  json j{{"id", n.alert_id},
         {"rule", n.rule_name},
         {"severity", n.severity},
         {"labels", labels_json(n.labels)},
         {"annotations", labels_json(n.annotations)},
         {"value", value_json(n.value)},
         {"active_at", format_rfc3339(n.active_at)},
         {"fired_at", n.fired_at ? json(format_rfc3339(*n.fired_at)) : json()},
         {"resolved_at", n.resolved_at ? json(format_rfc3339(*n.resolved_at)) : json()}};
  return j;
}

OptionSpec url_option(const char* name, const char* label, const char* help,
                      const char* default_url, bool secret) {
  OptionSpec o{name, label, OptionType::string, default_url ? json(default_url) : json(), help};
  o.required = !default_url;
  o.secret = secret;
  return o;
}

OptionSpec secret_option(const char* name, const char* label, const char* help, bool required) {
  OptionSpec o{name, label, OptionType::string, json(), help};
  o.required = required;
  o.secret = true;
  return o;
}

OptionSpec string_option(const char* name, const char* label, const char* help, bool required,
                         const char* def) {
  OptionSpec o{name, label, OptionType::string, def ? json(def) : json(), help};
  o.required = required;
  return o;
}

OptionSpec choice_option(const char* name, const char* label, const char* help,
                         std::vector<std::string> choices) {
  json first = choices.front();
  return {name, label, OptionType::choice, std::move(first), help, std::move(choices)};
}

OptionSpec headers_option() {
  return {"headers", "Request headers", OptionType::string_map, json(),
          "extra request headers: a header's name, such as `X-Api-Key`, and its value"};
}

int priority_of(const Notice& n, int critical, int warning, int info, int resolved) {
  if (n.event == Notice::Event::resolved) return resolved;
  return n.severity == "critical" ? critical : n.severity == "warning" ? warning : info;
}

std::string dedup_key(const Notice& n) {
  return n.event == Notice::Event::test ? "telltale-test"
                                        : fmt::format("telltale-alert-{}", n.alert_id);
}

}  // namespace tt::notify::kinds
