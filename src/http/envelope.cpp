#include "http/envelope.h"

#include <fmt/format.h>

#include "core/clock.h"

namespace tt::http {

int status_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_input:
      return 400;
    case ErrorKind::validation:
      return 422;
    case ErrorKind::unauthenticated:
      return 401;
    case ErrorKind::forbidden:
      return 403;
    case ErrorKind::not_found:
      return 404;
    case ErrorKind::conflict:
      return 409;
    case ErrorKind::too_large:
      return 413;
    case ErrorKind::unsupported_type:
      return 415;
    case ErrorKind::rate_limited:
      return 429;
    case ErrorKind::unavailable:
      return 503;
    case ErrorKind::bad_gateway:
      return 502;
    case ErrorKind::gateway_timeout:
      return 504;
    case ErrorKind::internal:
      return 500;
  }
  return 500;
}

const std::vector<std::pair<std::string, std::string>>& security_headers() {
  static const std::vector<std::pair<std::string, std::string>> h = {
      // Images from anywhere: the map's optional base-map tiles come from a tile server the
      // user names (often another host of the site). Scripts, styles and connections stay ours.
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: http: "
       "https:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
  };
  return h;
}

std::string raw_error_response(int status, const Error& e, const std::string& request_id,
                               Scheme scheme) {
  const char* reason = "Error";
  switch (status) {
    case 400:
      reason = "Bad Request";
      break;
    case 401:
      reason = "Unauthorized";
      break;
    case 403:
      reason = "Forbidden";
      break;
    case 408:
      reason = "Request Timeout";
      break;
    case 413:
      reason = "Payload Too Large";
      break;
    case 414:
      reason = "URI Too Long";
      break;
    case 415:
      reason = "Unsupported Media Type";
      break;
    case 426:
      reason = "Upgrade Required";
      break;
    case 431:
      reason = "Request Header Fields Too Large";
      break;
    case 501:
      reason = "Not Implemented";
      break;
    case 503:
      reason = "Service Unavailable";
      break;
    case 505:
      reason = "HTTP Version Not Supported";
      break;
  }
  std::string body = error_body(e, request_id);
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
      "Connection: close\r\nCache-Control: no-store\r\nX-Request-ID: {}\r\n",
      status, reason, body.size(), request_id);
  for (const auto& [k, v] : security_headers()) out += k + ": " + v + "\r\n";
  if (scheme == Scheme::https)
    out += kStrictTransportSecurity.first + ": " + kStrictTransportSecurity.second + "\r\n";
  if (status == 426) out += "Sec-WebSocket-Version: 13\r\n";
  return out + "\r\n" + body;
}

nlohmann::json meta(const std::string& request_id) {
  return {{"request_id", request_id},
          {"timestamp", format_rfc3339(SystemClock::instance().now_ms())}};
}

// Written as text around the data's: a tree of the envelope would copy the data's whole tree.
// The keys keep the order a tree gives them.
std::string success_body_text(std::string_view data, const std::string& request_id) {
  std::string out;
  out.reserve(data.size() + 96);
  out += R"({"data":)";
  out += data;
  out += R"(,"meta":)";
  out += meta(request_id).dump();
  out += R"(,"success":true})";
  return out;
}

std::string success_body(const nlohmann::json& data, const std::string& request_id) {
  return success_body_text(data.dump(), request_id);
}

std::string list_body(const nlohmann::json& items, std::int64_t total, const PageRequest& page,
                      const std::string& request_id) {
  std::int64_t pages = total == 0 ? 0 : (total + page.per_page - 1) / page.per_page;
  nlohmann::json pagination{
      {"page", page.page},    {"per_page", page.per_page},     {"total", total},
      {"total_pages", pages}, {"has_next", page.page < pages}, {"has_prev", page.page > 1}};
  std::string out = R"({"data":)";
  out += items.dump();
  out += R"(,"meta":)";
  out += meta(request_id).dump();
  out += R"(,"pagination":)";
  out += pagination.dump();
  out += R"(,"success":true})";
  return out;
}

std::string error_body(const Error& e, const std::string& request_id) {
  nlohmann::json details = nlohmann::json::object();
  if (!e.fields.empty()) {
    auto& fields = details["fields"] = nlohmann::json::array();
    for (const auto& f : e.fields) fields.push_back({{"field", f.field}, {"message", f.message}});
  }
  if (e.retry_after_s) details["retry_after"] = *e.retry_after_s;
  return nlohmann::json{{"success", false},
                        {"error", {{"code", e.code}, {"message", e.message}, {"details", details}}},
                        {"meta", meta(request_id)}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tt::http
