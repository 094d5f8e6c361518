#include <doctest/doctest.h>

#include <cctype>
#include <map>
#include <string>

#include "ws/handshake.h"

using namespace tt::ws;

namespace {

struct CaseLess {
  bool operator()(const std::string& a, const std::string& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
      return std::tolower(static_cast<unsigned char>(x)) <
             std::tolower(static_cast<unsigned char>(y));
    });
  }
};

using Headers = std::map<std::string, std::string, CaseLess>;

Headers good_headers() {
  return {{"Host", "example.com"},
          {"Upgrade", "websocket"},
          {"Connection", "Upgrade"},
          {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
          {"Sec-WebSocket-Version", "13"}};
}

tt::Result<UpgradeResponse> check(const Headers& h, std::string_view method = "GET",
                                  std::string_view version = "HTTP/1.1") {
  return check_upgrade(method, version, [&](std::string_view name) {
    auto it = h.find(std::string(name));
    return it == h.end() ? std::string() : it->second;
  });
}

std::string error_code(const tt::Result<UpgradeResponse>& r) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == tt::ErrorKind::invalid_input);
  return r.error().code;
}

}  // namespace

// RFC 6455 section 1.3 (the value is 28 characters: base64 of a 20-byte SHA-1).
TEST_CASE("handshake: RFC 6455 example key") {
  CHECK(compute_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("handshake: a valid request yields the full 101 response") {
  auto r = check(good_headers());
  REQUIRE(r.ok());
  CHECK(r->accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  CHECK(r->response ==
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        "\r\n");
}

TEST_CASE("handshake: header names and tokens are case-insensitive") {
  Headers h;
  h["upgrade"] = "WebSocket";
  h["CONNECTION"] = "keep-alive, UpGrade";
  h["sec-websocket-key"] = " dGhlIHNhbXBsZSBub25jZQ== ";
  h["Sec-Websocket-Version"] = "13";
  auto r = check(h);
  REQUIRE(r.ok());
  CHECK(r->accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("handshake: method and HTTP version") {
  CHECK(error_code(check(good_headers(), "POST")) == "WS_BAD_METHOD");
  CHECK(error_code(check(good_headers(), "get")) == "WS_BAD_METHOD");
  CHECK(error_code(check(good_headers(), "GET", "HTTP/1.0")) == "WS_BAD_HTTP_VERSION");
}

TEST_CASE("handshake: Upgrade and Connection headers") {
  auto h = good_headers();
  h.erase("Upgrade");
  CHECK(error_code(check(h)) == "WS_BAD_UPGRADE");
  h = good_headers();
  h["Upgrade"] = "h2c";
  CHECK(error_code(check(h)) == "WS_BAD_UPGRADE");
  h = good_headers();
  h["Upgrade"] = "websockets";
  CHECK(error_code(check(h)) == "WS_BAD_UPGRADE");
  h = good_headers();
  h.erase("Connection");
  CHECK(error_code(check(h)) == "WS_BAD_UPGRADE");
  for (const char* bad : {"keep-alive", "upgraded", "keep-alive upgrade", ""}) {
    CAPTURE(bad);
    h = good_headers();
    h["Connection"] = bad;
    CHECK(error_code(check(h)) == "WS_BAD_UPGRADE");
  }
  for (const char* ok : {"upgrade", "keep-alive,upgrade", "Upgrade , keep-alive", "x, UPGRADE"}) {
    CAPTURE(ok);
    h = good_headers();
    h["Connection"] = ok;
    CHECK(check(h).ok());
  }
  CHECK(has_token("a, b ,c", "B"));
  CHECK_FALSE(has_token("ab", "a"));
}

TEST_CASE("handshake: Sec-WebSocket-Version must be 13, else 426 with the header") {
  for (const char* v : {"8", "12", "14", "", "13, 8"}) {
    CAPTURE(v);
    auto h = good_headers();
    h["Sec-WebSocket-Version"] = v;
    auto r = check(h);
    CHECK(error_code(r) == "WS_BAD_VERSION");
    CHECK(rejection_status(r.error()) == 426);
    const std::string resp = rejection_response(r.error());
    CHECK(resp.rfind("HTTP/1.1 426 Upgrade Required\r\n", 0) == 0);
    CHECK(resp.find("\r\nSec-WebSocket-Version: 13\r\n") != std::string::npos);
  }
  auto h = good_headers();
  h.erase("Sec-WebSocket-Version");
  CHECK(error_code(check(h)) == "WS_BAD_VERSION");
}

TEST_CASE("handshake: Sec-WebSocket-Key must decode to 16 bytes") {
  for (const char* key : {"", "dGhlIHNhbXBsZSBub25jZQ",                           // no padding
                          "dGhlIHNhbXBsZSBub25j",                                 // 15 bytes
                          "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQo=",  // 17 bytes
                          "dGhlIHNhbXBsZSBub25jZQ==dGhl", "dGhlIHNhbXBsZSBub25j*Q==",
                          "dGhlIHNhbXBsZSBub25jZ===", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    CAPTURE(key);
    auto h = good_headers();
    h["Sec-WebSocket-Key"] = key;
    auto r = check(h);
    CHECK(error_code(r) == "WS_BAD_KEY");
    CHECK(rejection_status(r.error()) == 400);
    CHECK(rejection_response(r.error()).find("Sec-WebSocket-Version") == std::string::npos);
  }
  auto h = good_headers();
  h.erase("Sec-WebSocket-Key");
  CHECK(error_code(check(h)) == "WS_BAD_KEY");
  CHECK(is_valid_key("AAAAAAAAAAAAAAAAAAAAAA=="));
  CHECK(is_valid_key("x3JJHMbDL1EzLkh9GBhXDw=="));
}

TEST_CASE("handshake: rejection responses are complete HTTP messages") {
  const auto e = tt::Error::make(tt::ErrorKind::invalid_input, "WS_BAD_KEY", "bad key");
  const std::string resp = rejection_response(e);
  CHECK(resp.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
  CHECK(resp.find("Content-Length: 8\r\n") != std::string::npos);
  CHECK(resp.substr(resp.size() - 12) == "\r\n\r\nbad key\n");
}
