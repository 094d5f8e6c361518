// The client side of RFC 6455: the parser in the client role, masked frames, the upgrade request
// and the check of the server's 101.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ws/client_handshake.h"
#include "ws/frame.h"
#include "ws/handshake.h"

using namespace tt;
using namespace tt::ws;

namespace {

std::vector<Message> parse_all(FrameParser& p, std::string_view bytes, std::size_t chunk) {
  std::vector<Message> out;
  for (std::size_t off = 0; off < bytes.size() && !p.failed(); off += chunk)
    p.feed(bytes.data() + off, std::min(chunk, bytes.size() - off), [&](Message&& m) {
      out.push_back(std::move(m));
      return true;
    });
  return out;
}

constexpr MaskKey kKey = {0x37, 0xfa, 0x21, 0x3d};

std::string head_of(std::string_view response) {
  return std::string(response.substr(0, response.find("\r\n\r\n")));
}

}  // namespace

TEST_CASE("client frames: RFC 6455's masked 'Hello' example, as a client encodes it") {
  std::string out;
  append_masked_frame(out, Opcode::text, "Hello", kKey);
  const unsigned char want[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  CHECK(out == std::string(reinterpret_cast<const char*>(want), sizeof want));
}

TEST_CASE("client frames: a server's parser reads every length a client encodes") {
  for (std::size_t size : {0, 1, 125, 126, 300, 65535, 65536, 70000}) {
    CAPTURE(size);
    const std::string payload(size, 'p');
    std::string stream;
    append_masked_frame(stream, Opcode::binary, payload, random_mask_key());
    append_masked_frame(stream, Opcode::close, make_close_payload(kCloseNormal, "bye"), kKey);
    FrameParser server;
    auto msgs = parse_all(server, stream, 4096);
    REQUIRE_FALSE(server.failed());
    REQUIRE(msgs.size() == 2);
    CHECK(msgs[0].payload == payload);
    CHECK(msgs[1].close_code == kCloseNormal);
    CHECK(msgs[1].payload == "bye");
  }
}

TEST_CASE("client frames: the client's parser reads unmasked server frames, split anywhere") {
  const std::string big(70000, 'y');
  const std::string stream = encode_frame(Opcode::text, "Hel", false) +
                             encode_frame(Opcode::ping, "are you there") +
                             encode_frame(Opcode::continuation, "lo") +
                             encode_frame(Opcode::text, big) + encode_close(1008, "token revoked");
  for (std::size_t chunk : {std::size_t{1}, std::size_t{5}, std::size_t{4096}, stream.size()}) {
    CAPTURE(chunk);
    FrameParser client(kDefaultMaxMessageBytes, Role::client);
    auto msgs = parse_all(client, stream, chunk);
    REQUIRE_FALSE(client.failed());
    REQUIRE(msgs.size() == 4);
    CHECK(msgs[0].opcode == Opcode::ping);
    CHECK(msgs[1].payload == "Hello");
    CHECK(msgs[2].payload == big);
    CHECK(msgs[3].close_code == 1008);
    CHECK(msgs[3].payload == "token revoked");
  }
}

TEST_CASE("client frames: a masked frame from a server is a protocol error (1002)") {
  std::string masked;
  append_masked_frame(masked, Opcode::text, "Hello", kKey);
  FrameParser client(kDefaultMaxMessageBytes, Role::client);
  parse_all(client, masked, masked.size());
  CHECK(client.error_code() == kCloseProtocolError);
  FrameParser server;  // and the server still refuses what is unmasked
  const std::string plain = encode_frame(Opcode::text, "Hello");
  parse_all(server, plain, plain.size());
  CHECK(server.error_code() == kCloseProtocolError);
}

TEST_CASE("client frames: a server's close reason is cut at 123 bytes, not inside a character") {
  const std::string reason = std::string(122, 'r') + "\xC3\xA9";
  const std::string payload = make_close_payload(kCloseGoingAway, reason);
  CHECK(payload.size() == 2 + 122);
}

TEST_CASE("client handshake: the upgrade request a server accepts") {
  const std::string key = random_key();
  CHECK(is_valid_key(key));
  CHECK(random_key() != key);
  const std::string request = upgrade_request("hub.example:8080", "/api/v1/ws", "tt_secret", key);
  CHECK(request.starts_with("GET /api/v1/ws HTTP/1.1\r\n"));
  CHECK(request.find("\r\nHost: hub.example:8080\r\n") != std::string::npos);
  CHECK(request.find("\r\nAuthorization: Bearer tt_secret\r\n") != std::string::npos);
  CHECK(request.ends_with("\r\n\r\n"));
  CHECK(upgrade_request("h", "/", "", key).find("Authorization") == std::string::npos);

  // The server's own check of it (its headers read with the response head parser), and the
  // client's check of the server's answer.
  const std::string headers = head_of(request.substr(request.find("\r\n") + 2));
  auto as_head = parse_response_head("HTTP/1.1 200 OK\r\n" + headers);
  REQUIRE(as_head.ok());
  const auto lookup = [&](std::string_view name) { return as_head.value().header(name); };
  auto accepted = check_upgrade("GET", "HTTP/1.1", lookup);
  REQUIRE(accepted.ok());
  auto response = parse_response_head(head_of(accepted.value().response));
  REQUIRE(response.ok());
  CHECK(response.value().status == 101);
  CHECK(check_upgrade_response(response.value(), key).ok());
  CHECK(check_upgrade_response(response.value(), random_key()).error().code == "WS_BAD_RESPONSE");
}

TEST_CASE("client handshake: a 101 that is not right, and a refusal") {
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  const std::string accept = compute_accept(key);
  const auto check = [&](const std::string& head) -> Result<void> {
    auto parsed = parse_response_head(head);
    if (!parsed) return parsed.error();
    return check_upgrade_response(parsed.value(), key);
  };
  CHECK(check("HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: upgrade\r\n"
              "Sec-WebSocket-Accept: " +
              accept)
            .ok());
  CHECK(check("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nSec-WebSocket-Accept: " +
              accept)
            .error()
            .code == "WS_BAD_RESPONSE");
  CHECK(check("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: " +
              accept)
            .error()
            .code == "WS_BAD_RESPONSE");
  CHECK(check("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
              "Sec-WebSocket-Accept: " +
              accept + "\r\nSec-WebSocket-Extensions: permessage-deflate")
            .error()
            .code == "WS_BAD_RESPONSE");
  const auto refused = check("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0");
  CHECK(refused.error().code == "WS_UPGRADE_REFUSED");
  CHECK(refused.error().kind == ErrorKind::unauthenticated);
  CHECK(check("HTTP/1.1 503 Service Unavailable").error().kind == ErrorKind::unavailable);
  for (const char* bad : {"", "HTTP/1.1", "HTTP/2 200 OK", "HTTP/1.1 20 OK", "HTTP/1.1 2000 OK",
                          "ICY 200 OK", "HTTP/1.1 101 X\r\nNo colon", "HTTP/1.1 101 X\r\n: v",
                          "HTTP/1.1 101 X\r\nA B: v", "HTTP/1.1 101 X\r\n\r\nA: b"}) {
    CAPTURE(bad);
    CHECK(check(bad).error().code == "WS_BAD_RESPONSE");
  }
}

TEST_CASE("client handshake: response headers are found case-insensitively, repeats joined") {
  auto head = parse_response_head("HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a:  2 \r\nContent-Length: 3");
  REQUIRE(head.ok());
  CHECK(head.value().reason == "OK");
  CHECK(head.value().header("X-a") == "1, 2");
  CHECK(head.value().header("content-length") == "3");
  CHECK(head.value().header("missing").empty());
  CHECK(parse_response_head("HTTP/1.1 204").value().reason.empty());
}
