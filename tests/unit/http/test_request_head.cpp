// The request head as the server checks it before cpp-httplib: when it is whole, the limits
// (answered as soon as they are crossed) and the framing rules against request smuggling.
#include <doctest/doctest.h>

#include <string>

#include "http/parker.h"
#include "http/request_head.h"

using namespace tt::http;
using namespace std::string_literals;

namespace {

const std::string kHost = "Host: x\r\n";

std::string get(const std::string& fields) {
  return "GET / HTTP/1.1\r\n" + kHost + fields + "\r\n";
}

}  // namespace

TEST_CASE("head: a whole head gives its parts, its length, and what follows stays") {
  std::string bytes =
      "POST /api/v1/nodes?x=1 HTTP/1.1\r\nHost: a:1\r\nContent-Length: 2\r\nX-Sp:  v w "
      "\t\r\n\r\n{}";
  auto p = parse_request_head(bytes);
  REQUIRE(p.state == HeadState::complete);
  CHECK(p.head.length == bytes.size() - 2);
  CHECK(p.head.method == "POST");
  CHECK(p.head.target == "/api/v1/nodes?x=1");
  CHECK(p.head.path() == "/api/v1/nodes");
  CHECK(p.head.version == "HTTP/1.1");
  REQUIRE(p.head.fields.size() == 3);
  CHECK(p.head.field("content-length") == "2");
  CHECK(p.head.field("x-sp") == "v w");
  CHECK_FALSE(p.head.field("Upgrade"));
  CHECK_FALSE(p.head.chunked);

  // Empty lines before the request line are skipped (RFC 9112 §2.2).
  CHECK(parse_request_head("\r\n" + get("")).state == HeadState::complete);
  // HTTP/1.0 needs no Host.
  CHECK(parse_request_head("GET / HTTP/1.0\r\n\r\n").state == HeadState::complete);
}

TEST_CASE("head: every beginning of a valid head needs more") {
  std::string bytes = get("Accept: */*\r\nTransfer-Encoding: chunked\r\n");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    CAPTURE(n);
    CHECK(parse_request_head(std::string_view(bytes).substr(0, n)).state == HeadState::need_more);
  }
  auto p = parse_request_head(bytes);
  REQUIRE(p.state == HeadState::complete);
  CHECK(p.head.chunked);
}

TEST_CASE("head: refusals, each with its status and code") {
  struct Case {
    std::string bytes;
    int status;
    const char* code;
  };
  const std::string long_line(9000, 'a');
  std::string many_fields;
  for (int i = 0; i < 101; ++i) many_fields += "X-" + std::to_string(i) + ": 1\r\n";
  std::string big_head;
  for (int i = 0; i < 3; ++i)
    big_head += "X-" + std::to_string(i) + ": " + std::string(6000, 'b') + "\r\n";
  for (const auto& c : std::initializer_list<Case>{
           // Limits, answered before the head is whole.
           {"GET /" + long_line, 414, "URI_TOO_LONG"},
           {"GET /" + long_line + " HTTP/1.1\r\n", 414, "URI_TOO_LONG"},
           {"GET / HTTP/1.1\r\nX-Big: " + long_line, 431, "REQUEST_HEADER_TOO_LARGE"},
           {"GET / HTTP/1.1\r\n" + many_fields, 431, "REQUEST_HEADER_TOO_LARGE"},
           {"GET / HTTP/1.1\r\n" + big_head, 431, "REQUEST_HEADER_TOO_LARGE"},
           // Request line.
           {"GARBAGE\r\n\r\n", 400, "BAD_REQUEST"},
           {"GET  / HTTP/1.1\r\n\r\n", 400, "BAD_REQUEST"},
           {"D\xff\xfe / HTTP/1.1\r\n" + kHost + "\r\n", 400, "BAD_REQUEST"},
           {"GET /a\x01 HTTP/1.1\r\n\r\n", 400, "BAD_REQUEST"},
           {"GET / HTTP/2.0\r\n\r\n", 505, "HTTP_VERSION_NOT_SUPPORTED"},
           {"GET / HTTP/1.1x\r\n\r\n", 400, "BAD_REQUEST"},
           {"GET / HTTP/1.1\n\n", 400, "BAD_REQUEST"},
           // Fields (RFC 9112 §5, RFC 9110 §5.5).
           {get("X-Nul: a\0b\r\n"s), 400, "BAD_REQUEST"},
           {get("X-Cr: a\rb\r\n"), 400, "BAD_REQUEST"},
           {get("X-Esc: \x1b[31m\r\n"), 400, "BAD_REQUEST"},
           {get("X-Fold: a\r\n b\r\n"), 400, "BAD_REQUEST"},
           {get("X-Space : a\r\n"), 400, "BAD_REQUEST"},
           {get("X Space: a\r\n"), 400, "BAD_REQUEST"},
           {get(": empty name\r\n"), 400, "BAD_REQUEST"},
           {get("no colon\r\n"), 400, "BAD_REQUEST"},
           // Host (§3.2).
           {"GET / HTTP/1.1\r\n\r\n", 400, "BAD_REQUEST"},
           {get("Host: y\r\n"), 400, "BAD_REQUEST"},
           // Framing (§6.1, §6.3).
           {get("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"), 400, "BAD_REQUEST"},
           {get("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n"), 400, "BAD_REQUEST"},
           {get("Content-Length: 3\r\nContent-Length: 4\r\n"), 400, "BAD_REQUEST"},
           {get("Content-Length: 3\r\nContent-Length: 3\r\n"), 400, "BAD_REQUEST"},
           {get("Content-Length: 3, 3\r\n"), 400, "BAD_REQUEST"},
           {get("Content-Length: +3\r\n"), 400, "BAD_REQUEST"},
           {get("Content-Length: 0x10\r\n"), 400, "BAD_REQUEST"},
           {get("Content-Length: 99999999999999999999\r\n"), 400, "BAD_REQUEST"},
           {get("Content-Length:\r\n"), 400, "BAD_REQUEST"},
           {get("Transfer-Encoding: chunked, identity\r\n"), 400, "BAD_REQUEST"},
           {get("Transfer-Encoding: identity\r\n"), 400, "BAD_REQUEST"},
           {get("Transfer-Encoding: chunked, chunked\r\n"), 400, "BAD_REQUEST"},
           {get("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400,
            "BAD_REQUEST"},
           {get("Transfer-Encoding: chunked,\r\n"), 400, "BAD_REQUEST"},
           {get("Transfer-Encoding: \r\n"), 400, "BAD_REQUEST"},
           {"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "BAD_REQUEST"},
           {get("Transfer-Encoding: gzip, chunked\r\n"), 501, "NOT_IMPLEMENTED"},
       }) {
    CAPTURE(c.bytes.substr(0, 120));
    auto p = parse_request_head(c.bytes);
    REQUIRE(p.state == HeadState::invalid);
    CHECK(p.error.status == c.status);
    CHECK(p.error.error.code == c.code);
    CHECK_FALSE(p.error.error.message.empty());
  }
}

TEST_CASE("head: the limits are exact") {
  HeadLimits limits;
  limits.max_head_bytes = 64;
  limits.max_line_bytes = 32;
  limits.max_fields = 2;
  std::string target(16, 'a');  // "GET /" + target + " HTTP/1.1\r\n": 32 bytes
  CHECK(parse_request_head("GET /" + target + " HTTP/1.1\r\n", limits).state ==
        HeadState::need_more);
  CHECK(parse_request_head("GET /" + target + "a HTTP/1.1\r\n", limits).error.status == 414);
  CHECK(parse_request_head("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\n\r\n", limits).state ==
        HeadState::complete);
  CHECK(parse_request_head("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n", limits).error.status ==
        431);
  limits.max_line_bytes = 64;
  std::string head = "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\n\r\n";  // 33 bytes
  std::string fill(64 - head.size(), 'v');
  CHECK(parse_request_head("GET / HTTP/1.1\r\nHost: x\r\nA: 1" + fill + "\r\n\r\n", limits).state ==
        HeadState::complete);
  CHECK(parse_request_head("GET / HTTP/1.1\r\nHost: x\r\nA: 1" + fill + "v\r\n\r\n", limits)
            .error.status == 431);
}

TEST_CASE("head: a refused head still names its method for the metrics") {
  auto bytes = get("Content-Length: x\r\n");
  auto p = parse_request_head(bytes);
  CHECK(p.state == HeadState::invalid);
  CHECK(p.method == "GET");
}

TEST_CASE("head: which bodies the parker waits for") {
  auto post = [](const std::string& fields) {
    return "POST /x HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n";
  };
  auto head_of = [](const std::string& bytes) {
    auto p = parse_request_head(bytes);
    REQUIRE(p.state == HeadState::complete);
    return p.head;
  };
  auto small = post("Content-Length: 10\r\n");
  auto h = head_of(small);
  CHECK(h.content_length == 10);
  CHECK_FALSE(body_read_by_pool(h, kMaxParkedBody));
  CHECK_FALSE(body_buffered(h, small.size() + 9, kMaxParkedBody));
  CHECK(body_buffered(h, small.size() + 10, kMaxParkedBody));
  CHECK(body_buffered(head_of(post("")), small.size(), kMaxParkedBody));  // no body at all
  // These a pool thread reads, after the body gate: too large, chunked, or after 100 Continue.
  CHECK(body_read_by_pool(head_of(post("Content-Length: 65537\r\n")), kMaxParkedBody));
  CHECK_FALSE(body_read_by_pool(head_of(post("Content-Length: 65536\r\n")), kMaxParkedBody));
  CHECK(body_read_by_pool(head_of(post("Transfer-Encoding: chunked\r\n")), kMaxParkedBody));
  CHECK(body_read_by_pool(head_of(post("Content-Length: 10\r\nExpect: 100-continue\r\n")),
                          kMaxParkedBody));
}
