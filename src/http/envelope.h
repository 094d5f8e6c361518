// http/ — the HTTP face of Telltale: the server (cpp-httplib, with WebSocket upgrades taken
// over for the core loop), routing, middleware (request ids, security headers, limits, auth,
// CSRF, roles), the JSON envelope and the embedded UI. api/ registers handlers here; domain
// folders never include this.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/page.h"
#include "core/result.h"

namespace tt::http {

int status_for(ErrorKind kind);

// Headers every response carries: a CSP without inline script, nosniff, no framing.
const std::vector<std::pair<std::string, std::string>>& security_headers();

// {"success":true,"data":…,"meta":{…}} and its list and error variants.
nlohmann::json meta(const std::string& request_id);
std::string success_body(const nlohmann::json& data, const std::string& request_id);
// The same around data already written as JSON text: for answers too large to build as a tree.
std::string success_body_text(std::string_view data, const std::string& request_id);
std::string list_body(const nlohmann::json& items, std::int64_t total, const PageRequest& page,
                      const std::string& request_id);
std::string error_body(const Error& e, const std::string& request_id);

// What every HTTPS answer carries besides: browsers that saw it use nothing but HTTPS for a year.
inline const std::pair<std::string, std::string> kStrictTransportSecurity{
    "Strict-Transport-Security", "max-age=31536000"};
enum class Scheme { http, https };

// A whole HTTP/1.1 error response, for the answers written outside cpp-httplib (refused request
// heads and connections, refused WebSocket upgrades, bodies refused before parsing). Closes the
// connection.
std::string raw_error_response(int status, const Error& e, const std::string& request_id,
                               Scheme scheme = Scheme::http);

}  // namespace tt::http
