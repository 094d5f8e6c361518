// ws/client_handshake.h — the client side of the RFC 6455 opening handshake, without I/O: the
// upgrade request, and the check of the server's answer. Also the parse of an HTTP/1.1 response
// head, which the check needs and a client's plain requests too. Pure; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace tt::ws {

// A random Sec-WebSocket-Key: base64 of 16 random bytes.
std::string random_key();

// The GET that asks to upgrade: `host` is the Host header's value ("hub.example:8080"), `path`
// starts with "/", `bearer` (may be empty: no Authorization header) is an API token.
std::string upgrade_request(std::string_view host, std::string_view path, std::string_view bearer,
                            std::string_view key);

struct ResponseHead {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, values trimmed
  // A header's value looked up case-insensitively (repeated ones joined with ", "); "" if absent.
  std::string header(std::string_view name) const;
};

// Parses "HTTP/1.x NNN reason" and header lines, up to and without the empty line that ends the
// head. Error: WS_BAD_RESPONSE.
Result<ResponseHead> parse_response_head(std::string_view head);

// Whether `response` accepts the upgrade asked for with `key`: 101, "Upgrade: websocket",
// "Connection: upgrade" and the Sec-WebSocket-Accept of the key, and no extension or protocol
// (none was offered). Errors: WS_UPGRADE_REFUSED for another status (its kind follows the status:
// 401 unauthenticated, 403 forbidden, 429 rate_limited, 5xx unavailable, others invalid_input),
// WS_BAD_RESPONSE for a 101 that is not right.
Result<void> check_upgrade_response(const ResponseHead& response, std::string_view key);

}  // namespace tt::ws
