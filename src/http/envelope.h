// http/ — the HTTP face of Telltale: the server (cpp-httplib, with WebSocket upgrades taken
// over for the core loop), routing, middleware (request ids, security headers, limits, auth,
// CSRF, roles), the JSON envelope and the embedded UI. api/ registers handlers here; domain
// folders never include this.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "core/page.h"
#include "core/result.h"

namespace tt::http {

int status_for(ErrorKind kind);

// {"success":true,"data":…,"meta":{…}} and its list and error variants.
nlohmann::json meta(const std::string& request_id);
std::string success_body(const nlohmann::json& data, const std::string& request_id);
std::string list_body(const nlohmann::json& items, std::int64_t total, const PageRequest& page,
                      const std::string& request_id);
std::string error_body(const Error& e, const std::string& request_id);

}  // namespace tt::http
