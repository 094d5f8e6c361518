// ws/handshake.h — the server side of the RFC 6455 opening handshake, independent of any HTTP
// library: validate an upgrade request and build the 101 response. Pure; safe from any thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tt::ws {

// Error codes (all ErrorKind::invalid_input).
inline constexpr std::string_view kErrBadMethod = "WS_BAD_METHOD";             // not GET
inline constexpr std::string_view kErrBadHttpVersion = "WS_BAD_HTTP_VERSION";  // not HTTP/1.1
inline constexpr std::string_view kErrBadUpgrade = "WS_BAD_UPGRADE";  // Upgrade/Connection headers
inline constexpr std::string_view kErrBadVersion = "WS_BAD_VERSION";  // Sec-WebSocket-Version != 13
inline constexpr std::string_view kErrBadKey = "WS_BAD_KEY";          // key not 16 bytes of base64

// Returns a header's value looked up case-insensitively, or "" when absent. Repeated headers
// should be joined with ", ".
using HeaderLookup = std::function<std::string(std::string_view name)>;

struct UpgradeResponse {
  std::string accept;    // the Sec-WebSocket-Accept value
  std::string response;  // full "HTTP/1.1 101 Switching Protocols" head, ending in CRLF CRLF
};

// Validates an upgrade request. `http_version` is the request line's version, e.g. "HTTP/1.1".
Result<UpgradeResponse> check_upgrade(std::string_view method, std::string_view http_version,
                                      const HeaderLookup& header);

// base64(SHA-1(key + RFC 6455 GUID)).
std::string compute_accept(std::string_view key);

// True when `key` is base64 (with padding) for exactly 16 bytes.
bool is_valid_key(std::string_view key);

// True when the comma-separated `list` holds `token`, compared case-insensitively.
bool has_token(std::string_view list, std::string_view token);

// The HTTP status for a failed check: 426 for WS_BAD_VERSION (the response must then carry
// "Sec-WebSocket-Version: 13"), 400 otherwise.
int rejection_status(const Error& error);
// A complete HTTP/1.1 rejection response (status line, headers, short text body).
std::string rejection_response(const Error& error);

}  // namespace tt::ws
