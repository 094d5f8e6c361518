#include "http/request_metrics.h"

#include "core/metrics.h"

namespace tt::http {

std::string_view method_label(std::string_view method) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    if (method == known) return known;
  return "other";
}

void count_request(const std::string& route, std::string_view method, int status) {
  static auto& family = metrics::registry().family(
      "telltale_http_requests_total", "HTTP requests answered, by route, method and status.",
      metrics::Type::counter);
  family
      .counter({{"route", route},
                {"method", std::string(method_label(method))},
                {"code", std::to_string(status)}})
      .inc();
}

}  // namespace tt::http
