// probes/http.cpp — HTTP(S) requests through libcurl's multi interface on the core loop.
#include "probes/kinds.h"

namespace tt::probes {

namespace {

std::optional<std::string> check_url(const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) return "must be a URL starting with http:// or https://";
  if (url.size() > 8192) return "URL is longer than 8192 characters";
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return "URL must not contain spaces or control characters";
  auto host_start = url.find("://") + 3;
  if (host_start >= url.size() || url[host_start] == '/') return "URL needs a host";
  return std::nullopt;
}

}  // namespace

const KindDescriptor& http_kind() {
  static const KindDescriptor k{
      "http",
      "HTTP(S)",
      "URL, http:// or https://",
      check_url,
      {
          {"method", OptionType::choice, "GET", "request method", {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}},
          {"headers", OptionType::string_map, nullptr, "request headers"},
          {"body", OptionType::string, nullptr, "request body"},
          {"expected_status", OptionType::string, "200-399", "accepted status codes: \"200\", \"200-299,301\""},
          {"keyword", OptionType::string, nullptr, "text the body must contain"},
          {"invert_keyword", OptionType::boolean, false, "the body must not contain the keyword"},
          {"follow_redirects", OptionType::boolean, true, "follow redirects"},
          {"max_redirects", OptionType::integer, 10, "redirects followed at most", {}, 0, 50},
          {"tls_verify", OptionType::boolean, true, "verify the certificate chain and host name"},
          {"basic_auth_user", OptionType::string, nullptr, "user for HTTP basic authentication"},
          {"basic_auth_password", OptionType::string, nullptr, "password for HTTP basic authentication", {}, 0, 0, false, true},
          {"max_body_bytes", OptionType::integer, 1048576, "body bytes kept for keyword and JSON conditions", {}, 0, 16777216},
      },
      {
          {"status", FactType::number, "HTTP status code"},
          {"latency", FactType::duration, "total time of the request"},
          {"dns_time", FactType::duration, "name resolution"},
          {"connect_time", FactType::duration, "TCP connect, after resolution"},
          {"tls_time", FactType::duration, "TLS handshake"},
          {"first_byte_time", FactType::duration, "from the request sent to the first byte of the answer"},
          {"body", FactType::string, "the answer's body (up to max_body_bytes)"},
          {"body_size", FactType::number, "bytes of the body"},
          {"headers", FactType::string, "the answer's headers, as an object; header(\"Name\") in conditions"},
          {"redirects", FactType::number, "redirects followed"},
          {"final_url", FactType::string, "the URL of the last answer"},
          {"http_version", FactType::string, "1.0, 1.1 or 2"},
          {"cert_days", FactType::number, "days until the server certificate expires (https)"},
          {"cert_issuer", FactType::string, "issuer of the server certificate (https)"},
      },
      60000,
      10000,
      256,
      {},
  };
  return k;
}

}  // namespace tt::probes
