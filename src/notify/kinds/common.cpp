#include "notify/kinds/common.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>

#include "alerts/template.h"

namespace tt::notify::kinds {

std::string str(const json& c, const char* name) {
  return c.contains(name) ? c[name].get<std::string>() : std::string();
}

bool has_crlf(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

std::optional<std::string> bad_url(const std::string& url,
                                   std::initializer_list<std::string_view> schemes) {
  bool scheme_ok = false;
  for (auto s : schemes) scheme_ok = scheme_ok || url.rfind(std::string(s) + "://", 0) == 0;
  if (!scheme_ok) {
    std::string list;
    for (auto s : schemes) list += (list.empty() ? "" : " or ") + std::string(s) + "://";
    return "must be a URL starting with " + list;
  }
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return "must not contain spaces or control characters";
  auto host = url.find("://") + 3;
  if (host >= url.size() || url[host] == '/') return "needs a host";
  return std::nullopt;
}

std::vector<FieldError> check_http(const json& c, std::initializer_list<const char*> urls,
                                   std::initializer_list<const char*> header_values) {
  std::vector<FieldError> errs;
  for (const char* u : urls)
    if (c.contains(u))
      if (auto why = bad_url(c[u].get<std::string>(), {"http", "https"}))
        errs.push_back({std::string("config.") + u, *why});
  if (c.contains("headers"))
    for (const auto& [k, v] : c["headers"].items())
      if (has_crlf(k) || k.find(':') != std::string::npos || k.find(' ') != std::string::npos ||
          has_crlf(v.get<std::string>()))
        errs.push_back({"config.headers." + k,
                        "header names and values must not contain line breaks (or ':' in names)"});
  for (const char* name : header_values)
    if (has_crlf(str(c, name)))
      errs.push_back({std::string("config.") + name, "must not contain line breaks"});
  return errs;
}

void add_headers(Request& r, const json& c) {
  if (c.contains("headers"))
    for (const auto& [k, v] : c["headers"].items())
      r.headers.push_back(k + ": " + v.get<std::string>());
}

std::string percent_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
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

OptionSpec url_option(const char* name, const char* help, const char* default_url, bool secret) {
  OptionSpec o{name, OptionType::string, default_url ? json(default_url) : json(), help};
  o.required = !default_url;
  o.secret = secret;
  return o;
}

OptionSpec secret_option(const char* name, const char* help, bool required) {
  OptionSpec o{name, OptionType::string, json(), help};
  o.required = required;
  o.secret = true;
  return o;
}

OptionSpec string_option(const char* name, const char* help, bool required, const char* def) {
  OptionSpec o{name, OptionType::string, def ? json(def) : json(), help};
  o.required = required;
  return o;
}

OptionSpec headers_option() {
  return {"headers", OptionType::string_map, json(),
          "extra request headers, {\"X-Name\": \"value\"}"};
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
