#include "ws/client_handshake.h"

#include <fmt/format.h>

#include "core/random.h"
#include "core/text.h"
#include "ws/digest.h"
#include "ws/handshake.h"

namespace tt::ws {

namespace {

Error bad_response(std::string message) {
  return Error::make(ErrorKind::bad_gateway, "WS_BAD_RESPONSE", std::move(message));
}

ErrorKind kind_of_status(int status) {
  if (status == 401) return ErrorKind::unauthenticated;
  if (status == 403) return ErrorKind::forbidden;
  if (status == 429) return ErrorKind::rate_limited;
  if (status >= 500) return ErrorKind::unavailable;
  return ErrorKind::invalid_input;
}

}  // namespace

std::string random_key() { return base64(random_bytes(16)); }

std::string upgrade_request(std::string_view host, std::string_view path, std::string_view bearer,
                            std::string_view key) {
  return fmt::format(
      "GET {} HTTP/1.1\r\n"
      "Host: {}\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Key: {}\r\n"
      "Sec-WebSocket-Version: 13\r\n"
      "{}"
      "\r\n",
      path, host, key, bearer.empty() ? "" : fmt::format("Authorization: Bearer {}\r\n", bearer));
}

std::string ResponseHead::header(std::string_view name) const {
  std::string out;
  for (const auto& [key, value] : headers) {
    if (!iequals(key, name)) continue;
    if (!out.empty()) out += ", ";
    out += value;
  }
  return out;
}

Result<ResponseHead> parse_response_head(std::string_view head) {
  ResponseHead r;
  std::size_t eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, eol);
  // "HTTP/1.1 101 Switching Protocols": a version, a three-digit status, an optional reason.
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") || status_line[8] != ' ')
    return bad_response("not an HTTP/1.x status line");
  for (std::size_t i = 9; i < 12; ++i)
    if (status_line[i] < '0' || status_line[i] > '9')
      return bad_response("the status is not three digits");
  r.status = (status_line[9] - '0') * 100 + (status_line[10] - '0') * 10 + (status_line[11] - '0');
  if (status_line.size() > 12) {
    if (status_line[12] != ' ') return bad_response("no space after the status");
    r.reason = std::string(status_line.substr(13));
  }
  while (eol != std::string_view::npos) {
    const std::size_t start = eol + 2;
    eol = head.find("\r\n", start);
    const std::string_view line =
        head.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
    if (line.empty()) {
      if (eol != std::string_view::npos) return bad_response("bytes after the head's end");
      break;
    }
    const std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos)
      return bad_response("a header line without a name");
    const std::string_view name = line.substr(0, colon);
    for (char c : name)
      if (c == ' ' || c == '\t' || static_cast<unsigned char>(c) < 0x21)
        return bad_response("a header name with a space or a control character");
    r.headers.emplace_back(std::string(name), std::string(trim(line.substr(colon + 1))));
  }
  return r;
}

Result<void> check_upgrade_response(const ResponseHead& response, std::string_view key) {
  if (response.status != 101)
    return Error::make(
        kind_of_status(response.status), "WS_UPGRADE_REFUSED",
        fmt::format("the upgrade was refused: {} {}", response.status, response.reason));
  if (!has_token(response.header("Upgrade"), "websocket"))
    return bad_response("101 without 'Upgrade: websocket'");
  if (!has_token(response.header("Connection"), "upgrade"))
    return bad_response("101 without 'Connection: upgrade'");
  if (response.header("Sec-WebSocket-Accept") != compute_accept(key))
    return bad_response("101 with a wrong Sec-WebSocket-Accept");
  if (!response.header("Sec-WebSocket-Extensions").empty() ||
      !response.header("Sec-WebSocket-Protocol").empty())
    return bad_response("101 with an extension or protocol that was not asked for");
  return ok();
}

}  // namespace tt::ws
