#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ws/frame.h"

using namespace tt::ws;

namespace {

enum class LenForm { minimal, len16, len64 };

// A client frame with an explicit first byte (FIN | RSV | opcode).
std::string cframe(unsigned b0, std::string_view payload, bool masked = true,
                   LenForm form = LenForm::minimal) {
  static const unsigned char kMask[4] = {0x12, 0x34, 0x56, 0x78};
  std::string out;
  out.push_back(static_cast<char>(b0));
  const std::uint64_t len = payload.size();
  const char m = masked ? static_cast<char>(0x80) : 0;
  if (form == LenForm::minimal && len < 126) {
    out.push_back(static_cast<char>(m | static_cast<char>(len)));
  } else if (form != LenForm::len64 && len <= 0xFFFF) {
    out.push_back(static_cast<char>(m | 126));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(len & 0xFF));
  } else {
    out.push_back(static_cast<char>(m | 127));
    for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>((len >> s) & 0xFF));
  }
  if (masked) out.append(reinterpret_cast<const char*>(kMask), 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    out.push_back(masked ? static_cast<char>(payload[i] ^ kMask[i % 4]) : payload[i]);
  return out;
}

std::string text(std::string_view p) { return cframe(0x81, p); }
std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string s;
  s.push_back(static_cast<char>(code >> 8));
  s.push_back(static_cast<char>(code & 0xFF));
  s.append(reason);
  return s;
}

struct Parsed {
  std::vector<Message> msgs;
  std::size_t consumed = 0;
};

Parsed parse(FrameParser& p, std::string_view bytes, std::size_t chunk = std::string::npos) {
  Parsed r;
  const auto sink = [&](Message&& m) {
    r.msgs.push_back(std::move(m));
    return true;
  };
  if (chunk == std::string::npos) chunk = bytes.size() ? bytes.size() : 1;
  for (std::size_t off = 0; off < bytes.size(); off += chunk) {
    const std::size_t n = std::min(chunk, bytes.size() - off);
    r.consumed += p.feed(bytes.data() + off, n, sink);
    if (p.failed()) break;
  }
  return r;
}

std::uint16_t error_of(std::string_view bytes, std::size_t max = kDefaultMaxMessageBytes) {
  FrameParser p(max);
  parse(p, bytes);
  return p.error_code();
}

std::uint16_t error_byte_by_byte(std::string_view bytes,
                                 std::size_t max = kDefaultMaxMessageBytes) {
  FrameParser p(max);
  parse(p, bytes, 1);
  return p.error_code();
}

}  // namespace

TEST_CASE("frame: RFC 6455 masked 'Hello' example") {
  const unsigned char bytes[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  FrameParser p;
  auto r = parse(p, std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
  REQUIRE(r.msgs.size() == 1);
  CHECK(r.msgs[0].opcode == Opcode::text);
  CHECK(r.msgs[0].payload == "Hello");
  CHECK(r.consumed == sizeof bytes);
  CHECK_FALSE(p.failed());
}

TEST_CASE("frame: every split, down to one byte, gives the same messages") {
  const std::string big16(300, 'x');
  const std::string big64(70000, 'y');
  std::string stream = cframe(0x01, "Hel") + cframe(0x89, "ping!") + cframe(0x00, "lo w\xC3") +
                       cframe(0x80, "\xA9rld") + cframe(0x82, big16) + cframe(0x81, big64) +
                       cframe(0x8A, "") + cframe(0x81, "") +
                       cframe(0x88, close_payload(1000, "bye"));
  for (std::size_t chunk : {std::string::npos, std::size_t{1}, std::size_t{2}, std::size_t{3},
                            std::size_t{7}, std::size_t{13}, std::size_t{4096}}) {
    CAPTURE(chunk);
    FrameParser p;
    auto r = parse(p, stream, chunk);
    CHECK_FALSE(p.failed());
    CHECK(r.consumed == stream.size());
    REQUIRE(r.msgs.size() == 7);
    CHECK(r.msgs[0].opcode == Opcode::ping);
    CHECK(r.msgs[0].payload == "ping!");
    CHECK(r.msgs[1].opcode == Opcode::text);
    CHECK(r.msgs[1].payload == "Hello w\xC3\xA9rld");
    CHECK(r.msgs[2].opcode == Opcode::binary);
    CHECK(r.msgs[2].payload == big16);
    CHECK(r.msgs[3].payload == big64);
    CHECK(r.msgs[4].opcode == Opcode::pong);
    CHECK(r.msgs[5].payload.empty());
    CHECK(r.msgs[6].opcode == Opcode::close);
    CHECK(r.msgs[6].close_code == 1000);
    CHECK(r.msgs[6].payload == "bye");
  }
  // And every two-chunk split of a smaller stream.
  const std::string small = cframe(0x01, "ab") + cframe(0x89, "p") + cframe(0x80, "cd");
  for (std::size_t cut = 0; cut <= small.size(); ++cut) {
    FrameParser p;
    std::vector<Message> msgs;
    auto sink = [&](Message&& m) {
      msgs.push_back(std::move(m));
      return true;
    };
    p.feed(small.data(), cut, sink);
    p.feed(small.data() + cut, small.size() - cut, sink);
    REQUIRE(msgs.size() == 2);
    CHECK(msgs[1].payload == "abcd");
  }
}

TEST_CASE("frame: unmasked client frames are rejected with 1002") {
  CHECK(error_of(cframe(0x81, "hi", false)) == kCloseProtocolError);
  CHECK(error_of(cframe(0x89, "", false)) == kCloseProtocolError);
  CHECK(error_byte_by_byte(cframe(0x81, "hi", false)) == kCloseProtocolError);
}

TEST_CASE("frame: RSV bits without extensions are 1002") {
  for (unsigned rsv : {0x40u, 0x20u, 0x10u, 0x70u}) {
    CAPTURE(rsv);
    CHECK(error_of(cframe(0x81 | rsv, "x")) == kCloseProtocolError);
    CHECK(error_of(cframe(0x89 | rsv, "")) == kCloseProtocolError);
  }
}

TEST_CASE("frame: unknown opcodes are 1002") {
  for (unsigned op : {3u, 4u, 5u, 6u, 7u, 0xBu, 0xCu, 0xDu, 0xEu, 0xFu}) {
    CAPTURE(op);
    CHECK(error_of(cframe(0x80 | op, "")) == kCloseProtocolError);
  }
}

TEST_CASE("frame: control frames must be final and at most 125 bytes") {
  for (unsigned op : {0x8u, 0x9u, 0xAu}) {
    CAPTURE(op);
    const std::string p125 =
        op == 0x8 ? close_payload(1000, std::string(123, 'r')) : std::string(125, 'a');
    FrameParser ok;
    auto r = parse(ok, cframe(0x80 | op, p125));
    CHECK_FALSE(ok.failed());
    CHECK(r.msgs.size() == 1);
    const std::string p126 =
        op == 0x8 ? close_payload(1000, std::string(124, 'r')) : std::string(126, 'a');
    CHECK(error_of(cframe(0x80 | op, p126)) == kCloseProtocolError);
    // A long length written with the 16-bit form is caught too.
    CHECK(error_of(cframe(0x80 | op, "ab", true, LenForm::len16)) == kCloseProtocolError);
    CHECK(error_of(cframe(op, "")) == kCloseProtocolError);  // FIN clear
  }
}

TEST_CASE("frame: control frames may interleave a fragmented message") {
  FrameParser p;
  auto r = parse(p, cframe(0x01, "a") + cframe(0x89, "1") + cframe(0x00, "b") + cframe(0x8A, "2") +
                        cframe(0x80, "c"));
  CHECK_FALSE(p.failed());
  REQUIRE(r.msgs.size() == 3);
  CHECK(r.msgs[0].opcode == Opcode::ping);
  CHECK(r.msgs[1].opcode == Opcode::pong);
  CHECK(r.msgs[2].payload == "abc");
}

TEST_CASE("frame: fragmentation sequence errors are 1002") {
  CHECK(error_of(cframe(0x80, "x")) == kCloseProtocolError);  // continuation, nothing open
  CHECK(error_of(cframe(0x00, "x")) == kCloseProtocolError);
  CHECK(error_of(cframe(0x01, "a") + cframe(0x81, "b")) == kCloseProtocolError);
  CHECK(error_of(cframe(0x01, "a") + cframe(0x02, "b")) == kCloseProtocolError);
  CHECK(error_of(cframe(0x02, "a") + cframe(0x81, "b")) == kCloseProtocolError);
  // A finished message leaves nothing open.
  CHECK(error_of(cframe(0x01, "a") + cframe(0x80, "b") + cframe(0x80, "c")) == kCloseProtocolError);
}

TEST_CASE("frame: 64-bit length with the top bit set is 1002") {
  std::string f = cframe(0x82, "", true, LenForm::len64);
  f[2] = static_cast<char>(0x80);
  CHECK(error_of(f) == kCloseProtocolError);
  CHECK(error_byte_by_byte(f) == kCloseProtocolError);
}

TEST_CASE("frame: non-minimal length encodings are accepted") {
  FrameParser p;
  auto r = parse(
      p, cframe(0x81, "abc", true, LenForm::len16) + cframe(0x81, "de", true, LenForm::len64));
  CHECK_FALSE(p.failed());
  REQUIRE(r.msgs.size() == 2);
  CHECK(r.msgs[0].payload == "abc");
  CHECK(r.msgs[1].payload == "de");
}

TEST_CASE("frame: message size limit is 1009, checked on the header before the payload") {
  const std::size_t max = 100;
  FrameParser exact(max);
  CHECK(parse(exact, text(std::string(100, 'a'))).msgs.size() == 1);
  CHECK_FALSE(exact.failed());

  CHECK(error_of(text(std::string(101, 'a')), max) == kCloseMessageTooBig);
  CHECK(error_of(cframe(0x01, std::string(60, 'a')) + cframe(0x80, std::string(41, 'b')), max) ==
        kCloseMessageTooBig);
  CHECK(error_of(cframe(0x02, std::string(60, 'a')) + cframe(0x89, "") +
                     cframe(0x80, std::string(41, 'b')),
                 max) == kCloseMessageTooBig);

  // Only the header of a huge frame: the parser fails before any payload is sent.
  std::string hdr = cframe(0x82, "", true, LenForm::len64);
  hdr[5] = 0x01;  // declared length 2^32, no payload follows
  FrameParser p(max);
  parse(p, hdr);
  CHECK(p.error_code() == kCloseMessageTooBig);
  CHECK(error_of(hdr) == kCloseMessageTooBig);  // default 1 MiB limit as well
}

TEST_CASE("frame: UTF-8 validation of text messages") {
  SUBCASE("valid multi-byte split across fragments and bytes") {
    const std::string s = "\xF0\x9F\x98\x80 caf\xC3\xA9 \xE2\x82\xAC \xF4\x8F\xBF\xBF";
    FrameParser p;
    auto r = parse(
        p, cframe(0x01, s.substr(0, 2)) + cframe(0x00, s.substr(2, 5)) + cframe(0x80, s.substr(7)),
        1);
    CHECK_FALSE(p.failed());
    REQUIRE(r.msgs.size() == 1);
    CHECK(r.msgs[0].payload == s);
  }
  SUBCASE("invalid sequences are 1007") {
    for (std::string bad : {"\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF",
                            "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF",          // overlongs
                            "\xED\xA0\x80", "\xED\xBF\xBF",                  // surrogates
                            "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF",  // > U+10FFFF
                            "\x80",
                            "a\xC3"
                            "a",
                            "\xE2\x82"}) {
      CAPTURE(bad);
      CHECK(error_of(text(bad)) == kCloseInvalidPayload);
      CHECK(error_byte_by_byte(text(bad)) == kCloseInvalidPayload);
    }
  }
  SUBCASE("incomplete sequence at the end of the final fragment is 1007") {
    CHECK(error_of(cframe(0x01, "ok") + cframe(0x80, "\xE2\x82")) == kCloseInvalidPayload);
    FrameParser p;
    parse(p, cframe(0x01, "\xE2\x82"));  // fine while the message is still open
    CHECK_FALSE(p.failed());
  }
  SUBCASE("fails fast, before the final fragment") {
    FrameParser p;
    parse(p, cframe(0x01, "\xFF"));
    CHECK(p.error_code() == kCloseInvalidPayload);
  }
  SUBCASE("binary messages are not validated") {
    FrameParser p;
    auto r = parse(p, cframe(0x82, "\xFF\xC0\x80"));
    CHECK_FALSE(p.failed());
    CHECK(r.msgs.size() == 1);
  }
}

TEST_CASE("frame: close frame payload rules") {
  {
    FrameParser p;
    auto r = parse(p, cframe(0x88, ""));
    REQUIRE(r.msgs.size() == 1);
    CHECK(r.msgs[0].close_code == kCloseNoStatus);
  }
  CHECK(error_of(cframe(0x88, "\x03")) == kCloseProtocolError);  // one byte
  for (std::uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                             3000, 3999, 4000, 4999}) {
    CAPTURE(code);
    FrameParser p;
    auto r = parse(p, cframe(0x88, close_payload(code, "why")));
    CHECK_FALSE(p.failed());
    REQUIRE(r.msgs.size() == 1);
    CHECK(r.msgs[0].close_code == code);
    CHECK(r.msgs[0].payload == "why");
  }
  for (std::uint16_t code : {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
    CAPTURE(code);
    CHECK(error_of(cframe(0x88, close_payload(code))) == kCloseProtocolError);
  }
  CHECK(error_of(cframe(0x88, close_payload(1000, "\xC3"))) == kCloseInvalidPayload);
  CHECK(error_of(cframe(0x88, close_payload(1000, "\xED\xA0\x80"))) == kCloseInvalidPayload);
}

TEST_CASE("frame: the parser stays failed") {
  FrameParser p;
  parse(p, cframe(0x81, "x", false));
  REQUIRE(p.error_code() == kCloseProtocolError);
  CHECK_FALSE(p.error_reason().empty());
  const std::string good = text("fine");
  int n = 0;
  CHECK(p.feed(good.data(), good.size(), [&](Message&&) {
    ++n;
    return true;
  }) == 0);
  CHECK(n == 0);
  CHECK(p.error_code() == kCloseProtocolError);
}

TEST_CASE("frame: a sink returning false stops parsing after that message") {
  FrameParser p;
  const std::string s = text("a") + text("b");
  std::vector<std::string> got;
  const std::size_t used = p.feed(s.data(), s.size(), [&](Message&& m) {
    got.push_back(m.payload);
    return false;
  });
  CHECK(used == text("a").size());
  REQUIRE(got.size() == 1);
  p.feed(s.data() + used, s.size() - used, [&](Message&& m) {
    got.push_back(m.payload);
    return true;
  });
  CHECK(got == std::vector<std::string>{"a", "b"});
}

TEST_CASE("frame: Utf8Validator") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ascii"));
  CHECK(is_valid_utf8("\xEF\xBF\xBF\xEE\x80\x80\xED\x9F\xBF"));
  CHECK_FALSE(is_valid_utf8("\xC3"));
  Utf8Validator v;
  CHECK(v.feed(std::string_view("\xF0\x9F")));
  CHECK_FALSE(v.complete());
  CHECK(v.feed(std::string_view("\x98\x80")));
  CHECK(v.complete());
  CHECK_FALSE(v.feed(std::string_view("\xC0")));
  CHECK_FALSE(v.feed(std::string_view("a")));  // stays failed
  v.reset();
  CHECK(v.complete());
}

TEST_CASE("frame: encoder writes unmasked server frames with minimal lengths") {
  CHECK(encode_frame(Opcode::text, "Hello") == std::string("\x81\x05Hello", 7));
  CHECK(encode_frame(Opcode::ping, "") == std::string("\x89\x00", 2));
  CHECK(encode_frame(Opcode::text, "ab", false) == std::string("\x01\x02"
                                                               "ab",
                                                               4));
  const std::string p125(125, 'a'), p126(126, 'a'), p65535(65535, 'a'), p65536(65536, 'a');
  CHECK(encode_frame(Opcode::binary, p125).substr(0, 2) == std::string("\x82\x7D", 2));
  CHECK(encode_frame(Opcode::binary, p126).substr(0, 4) == std::string("\x82\x7E\x00\x7E", 4));
  CHECK(encode_frame(Opcode::binary, p65535).substr(0, 4) == std::string("\x82\x7E\xFF\xFF", 4));
  CHECK(encode_frame(Opcode::binary, p65536).substr(0, 10) ==
        std::string("\x82\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10));
  CHECK(encode_frame(Opcode::binary, p65536).size() == 65536 + 10);
  CHECK(encode_frame(Opcode::ping, std::string(200, 'p')).size() == 2 + 125);
}

TEST_CASE("frame: encode_close") {
  CHECK(encode_close(1001, "bye") == std::string("\x88\x05\x03\xE9"
                                                 "bye",
                                                 7));
  // 122 ASCII bytes then a 2-byte character: the character does not fit in 123 and is dropped.
  const std::string reason = std::string(122, 'r') + "\xC3\xA9" + "tail";
  const std::string f = encode_close(1000, reason);
  CHECK(f.size() == 2 + 2 + 122);
  CHECK(is_valid_utf8(f.substr(4)));
  CHECK(is_valid_close_code(1000));
  CHECK_FALSE(is_valid_close_code(1005));
}
