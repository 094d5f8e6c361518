#include "ctl/api.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/json.h"
#include "core/text.h"

namespace tt::ctl {

using json = nlohmann::json;

namespace {

constexpr std::size_t kMaxReply = 64 << 20;  // a list page of 500 checks is far less
constexpr int kPerPage = 500;

ErrorKind kind_of(int status) {
  switch (status) {
    case 400:
      return ErrorKind::invalid_input;
    case 401:
      return ErrorKind::unauthenticated;
    case 403:
      return ErrorKind::forbidden;
    case 404:
      return ErrorKind::not_found;
    case 409:
      return ErrorKind::conflict;
    case 413:
      return ErrorKind::too_large;
    case 415:
      return ErrorKind::unsupported_type;
    case 422:
      return ErrorKind::validation;
    case 429:
      return ErrorKind::rate_limited;
    case 502:
      return ErrorKind::bad_gateway;
    case 504:
      return ErrorKind::gateway_timeout;
    case 503:
      return ErrorKind::unavailable;
    default:
      return status >= 500 ? ErrorKind::internal : ErrorKind::invalid_input;
  }
}

Error bad_reply(int status, std::string_view why) {
  return Error::make(
      ErrorKind::bad_gateway, "CTL_BAD_REPLY",
      fmt::format("the server's answer (HTTP {}) is not Telltale's: {}", status, why));
}

std::string default_config_path() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    return std::string(xdg) + "/telltale/ctl.conf";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.config/telltale/ctl.conf";
  return {};
}

// `key = value` lines (TOML's subset: # comments, values bare or in double quotes).
Result<void> read_config(const std::string& path, Target& target) {
  std::ifstream in(path);
  if (!in) return {};  // no file: nothing to fill in
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string_view l = trim(line);
    if (l.empty() || l[0] == '#' || l[0] == '[') continue;
    const std::size_t eq = l.find('=');
    if (eq == std::string_view::npos)
      return Error::make(ErrorKind::invalid_input, "CTL_CONFIG",
                         fmt::format("{}:{}: expected key = value", path, number));
    const std::string key(trim(l.substr(0, eq)));
    std::string value(trim(l.substr(eq + 1)));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    if (key == "server") {
      if (target.server.empty()) target.server = value;
    } else if (key == "token") {
      if (target.token.empty()) target.token = value;
    } else if (key == "ca_file") {
      if (target.ca_file.empty()) target.ca_file = value;
    } else {
      return Error::make(
          ErrorKind::invalid_input, "CTL_CONFIG",
          fmt::format("{}:{}: unknown key \"{}\" (server, token, ca_file)", path, number, key));
    }
  }
  return {};
}

bool is_id(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// The envelope's data, or its error with the kind the status says.
Result<json> unwrap(int status, const json& doc) {
  if (status == 204) return json(nullptr);
  if (!doc.is_object() || !doc.contains("success")) return bad_reply(status, "no envelope");
  if (status < 300 && doc["success"] == true) {
    auto data = doc.find("data");
    return data == doc.end() ? json(nullptr) : *data;
  }
  const json& e = doc.contains("error") && doc["error"].is_object() ? doc["error"] : json::object();
  Error error = Error::make(
      kind_of(status),
      e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>()
                                                  : fmt::format("HTTP_{}", status),
      e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "");
  if (e.contains("details") && e["details"].is_object() && e["details"].contains("fields") &&
      e["details"]["fields"].is_array())
    for (const json& f : e["details"]["fields"])
      if (f.is_object() && f.contains("field") && f["field"].is_string())
        error.fields.push_back(
            {f["field"].get<std::string>(), f.contains("message") && f["message"].is_string()
                                                ? f["message"].get<std::string>()
                                                : ""});
  return error;
}

}  // namespace

int exit_code(const Error& error) {
  if (error.code == "HUB_UNREACHABLE" || error.code == "HUB_TIMEOUT" ||
      error.code == "HUB_BAD_REPLY" || error.code == "CTL_BAD_REPLY" || error.code == "HUB_TLS" ||
      error.code == "WS_BAD_RESPONSE" || error.code == "HUB_CLOSED")
    return kUnreachable;
  switch (error.kind) {
    case ErrorKind::invalid_input:
    case ErrorKind::validation:
    case ErrorKind::too_large:
    case ErrorKind::unsupported_type:
      return kUsage;
    case ErrorKind::not_found:
      return kNotFound;
    case ErrorKind::unauthenticated:
    case ErrorKind::forbidden:
    case ErrorKind::conflict:
    case ErrorKind::rate_limited:
      return kRefused;
    default:
      return kServerError;
  }
}

int fail(const Error& error) {
  fmt::print(stderr, "error: {}: {}\n", error.code, error.message);
  for (const FieldError& f : error.fields) fmt::print(stderr, "  {}: {}\n", f.field, f.message);
  return exit_code(error);
}

Result<Api> Api::open(Target target) {
  if (target.server.empty())
    if (const char* env = std::getenv("TELLTALE_SERVER")) target.server = env;
  if (target.token.empty())
    if (const char* env = std::getenv("TELLTALE_TOKEN")) target.token = env;
  if (target.ca_file.empty())
    if (const char* env = std::getenv("TELLTALE_CA_FILE")) target.ca_file = env;
  if (target.config.empty()) target.config = default_config_path();
  if (!target.config.empty()) TT_TRY(read_config(target.config, target));
  if (target.server.empty()) target.server = "http://127.0.0.1:8470";
  auto url = TT_TRY(client::parse_server_url(target.server));
  url.ca_file = target.ca_file;
  return Api(std::move(target), std::move(url));
}

Result<std::pair<int, json>> Api::raw(std::string_view method, std::string_view path,
                                      const json* body) {
  const std::string text = body ? body->dump() : std::string();
  auto reply = TT_TRY(
      client::request(m_url, method, path, m_target.token, text, m_target.timeout, kMaxReply));
  if (reply.status == 204) return std::pair<int, json>(204, nullptr);
  auto parsed = parse_json(reply.body);
  if (!parsed) return bad_reply(reply.status, "not JSON");
  return std::pair<int, json>(reply.status, std::move(parsed.value()));
}

Result<json> Api::call(std::string_view method, std::string_view path, const json* body) {
  auto [status, doc] = TT_TRY(raw(method, path, body));
  return unwrap(status, doc);
}

Result<json> Api::list_all(std::string_view path, std::string_view query) {
  json all = json::array();
  for (int page = 1;; ++page) {
    const std::string url = fmt::format("{}?page={}&per_page={}{}{}", path, page, kPerPage,
                                        query.empty() ? "" : "&", query);
    auto [status, doc] = TT_TRY(raw("GET", url));
    if (status >= 300) return unwrap(status, doc).error();
    if (!doc.is_object() || !doc.contains("data") || !doc["data"].is_array())
      return bad_reply(status, "a list without its data");
    for (auto& item : doc["data"]) all.push_back(std::move(item));
    const auto pagination = doc.find("pagination");
    if (pagination == doc.end() || !pagination->is_object() || !pagination->contains("has_next") ||
        (*pagination)["has_next"] != true)
      return all;
  }
}

Result<std::string> Api::resolve(const Resource& resource, std::string_view ref) {
  if (is_id(ref) || resource.name_field.empty()) return std::string(ref);
  const json items = TT_TRY(list_all(resource.path));
  std::vector<std::string> ids;
  for (const json& item : items)
    if (item.is_object() && item.contains(resource.name_field) &&
        item[std::string(resource.name_field)] == ref && item.contains("id"))
      ids.push_back(item["id"].is_string() ? item["id"].get<std::string>() : item["id"].dump());
  if (ids.size() == 1) return ids[0];
  if (ids.empty())
    return Error::make(ErrorKind::not_found, std::string(resource.not_found),
                       fmt::format("no {} named \"{}\"", resource.singular, ref));
  return Error::make(ErrorKind::conflict, "CTL_AMBIGUOUS",
                     fmt::format("{} {} are named \"{}\" (ids {}): give the id", ids.size(),
                                 resource.name, ref, fmt::join(ids, ", ")));
}

}  // namespace tt::ctl
