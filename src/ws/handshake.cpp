#include "ws/handshake.h"

#include <fmt/format.h>

#include "core/text.h"
#include "ws/digest.h"

namespace tt::ws {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

Error bad(std::string_view code, std::string message) {
  return Error::make(ErrorKind::invalid_input, std::string(code), std::move(message));
}

}  // namespace

bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool is_valid_key(std::string_view key) {
  // 16 bytes encode to 22 characters plus "==".
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  for (std::size_t i = 0; i < 22; ++i)
    if (base64_value(key[i]) < 0) return false;
  return true;
}

std::string compute_accept(std::string_view key) {
  std::string input(key);
  input.append(kGuid);
  return base64(sha1(input));
}

Result<UpgradeResponse> check_upgrade(std::string_view method, std::string_view http_version,
                                      const HeaderLookup& header) {
  if (method != "GET") return bad(kErrBadMethod, "WebSocket upgrade requires GET");
  if (http_version != "HTTP/1.1")
    return bad(kErrBadHttpVersion, "WebSocket upgrade requires HTTP/1.1");
  if (!has_token(header("Upgrade"), "websocket"))
    return bad(kErrBadUpgrade, "missing 'Upgrade: websocket'");
  if (!has_token(header("Connection"), "upgrade"))
    return bad(kErrBadUpgrade, "'Connection' header lacks the 'upgrade' token");
  if (trim(header("Sec-WebSocket-Version")) != "13")
    return bad(kErrBadVersion, "unsupported Sec-WebSocket-Version; only 13 is supported");
  const std::string key_header = header("Sec-WebSocket-Key");
  const std::string_view key = trim(key_header);
  if (!is_valid_key(key)) return bad(kErrBadKey, "Sec-WebSocket-Key must be base64 of 16 bytes");

  UpgradeResponse r;
  r.accept = compute_accept(key);
  r.response = fmt::format(
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: {}\r\n"
      "\r\n",
      r.accept);
  return r;
}

int rejection_status(const Error& error) { return error.code == kErrBadVersion ? 426 : 400; }

std::string rejection_response(const Error& error) {
  const int status = rejection_status(error);
  const std::string body = error.message + "\n";
  return fmt::format(
      "HTTP/1.1 {} {}\r\n"
      "{}"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Length: {}\r\n"
      "Connection: close\r\n"
      "\r\n"
      "{}",
      status, status == 426 ? "Upgrade Required" : "Bad Request",
      status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "", body.size(), body);
}

}  // namespace tt::ws
