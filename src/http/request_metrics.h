// http/request_metrics.h — telltale_http_requests_total, counted by the router for what it
// answers and by the server for the heads it refuses before routing. Any thread.
#pragma once

#include <string>
#include <string_view>

namespace tt::http {

// The method as a label value: one the API serves, else "other", so a client can neither add
// series nor put bytes the exposition format cannot carry into /metrics.
std::string_view method_label(std::string_view method);

// Counts one answered request.
void count_request(const std::string& route, std::string_view method, int status);

}  // namespace tt::http
