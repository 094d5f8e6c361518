// Request headers the server reads itself: Accept-Encoding, If-None-Match, and the head rewrite
// that keeps cpp-httplib's on-the-fly compression off brotli.
#include <doctest/doctest.h>

#include "http/headers.h"

using namespace tt::http;

TEST_CASE("headers: Accept-Encoding admits a coding when named or *, unless its q is 0") {
  struct Case {
    const char* header;
    const char* coding;
    bool accepted;
  };
  for (const auto& c : std::initializer_list<Case>{
           {"gzip, deflate, br", "br", true},
           {"gzip, deflate, br", "gzip", true},
           {"GZIP", "gzip", true},
           {"deflate", "gzip", false},
           {"", "gzip", false},
           {"*", "br", true},
           {"br;q=0, gzip", "br", false},
           {"br;q=0, gzip", "gzip", true},
           {"br; q=0.0", "br", false},
           {"br;q=0.5", "br", true},
           {"gzip;q=1.0", "gzip", true},
           {"x-gzip", "gzip", false},
           {"brotli", "br", false},
           {" , ,br", "br", true},
       }) {
    CAPTURE(c.header);
    CAPTURE(c.coding);
    CHECK(accepts_coding(c.header, c.coding) == c.accepted);
  }
}

TEST_CASE("headers: If-None-Match compares weakly against a list or *") {
  CHECK(etag_matches(R"("abc-br")", R"("abc-br")"));
  CHECK(etag_matches(R"("x", W/"abc-br")", R"("abc-br")"));
  CHECK(etag_matches("*", R"("abc")"));
  CHECK_FALSE(etag_matches(R"("abc")", R"("abc-br")"));
  CHECK_FALSE(etag_matches("", R"("abc")"));
  CHECK_FALSE(etag_matches(R"(abc)", R"("abc")"));
}

TEST_CASE("headers: a head whose Accept-Encoding names br is rewritten without it") {
  std::string head =
      "GET /api/v1/nodes HTTP/1.1\r\nHost: x\r\naccept-encoding: gzip, deflate, br\r\nX-A: "
      "1\r\n\r\n";
  auto edit = without_brotli(head, "X-Client-AE");
  REQUIRE(edit);
  head.replace(edit->offset, edit->length, edit->text);
  CHECK(head ==
        "GET /api/v1/nodes HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, deflate\r\nX-Client-AE: "
        "gzip, deflate, br\r\n"
        "X-A: 1\r\n\r\n");

  edit = without_brotli("GET / HTTP/1.1\r\nAccept-Encoding: br\r\n\r\n", "X-Client-AE");
  REQUIRE(edit);
  CHECK(edit->text == "Accept-Encoding: \r\nX-Client-AE: br");

  // Nothing to do: no such header, no br in it, or br only in another header or past the head.
  CHECK_FALSE(without_brotli("GET / HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n", "X"));
  CHECK_FALSE(without_brotli("GET /br HTTP/1.1\r\nX-br: br\r\n\r\n", "X"));
  CHECK_FALSE(without_brotli("GET / HTTP/1.1\r\n\r\nAccept-Encoding: br\r\n", "X"));
  CHECK_FALSE(without_brotli("no line end", "X"));
}
