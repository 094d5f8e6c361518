#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ws/connection.h"

using namespace tt::ws;

namespace {

std::string masked(unsigned b0, std::string_view payload) {
  const unsigned char mask[4] = {0xA1, 0xB2, 0xC3, 0xD4};
  std::string out;
  out.push_back(static_cast<char>(b0));
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  out.append(reinterpret_cast<const char*>(mask), 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    out.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return out;
}

std::string close_frame(std::uint16_t code) {
  return masked(0x88, std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)});
}

struct Out {
  Opcode opcode;
  std::string payload;
  std::uint16_t code() const {
    return payload.size() >= 2
               ? static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                            static_cast<unsigned char>(payload[1]))
               : 0;
  }
};

// Decodes the server's (unmasked, unfragmented) frames and reports them written.
std::vector<Out> drain(Connection& c) {
  std::vector<Out> frames;
  std::size_t bytes = 0;
  for (const auto& chunk : c.take_output()) {
    bytes += chunk->size();
    const auto* p = reinterpret_cast<const unsigned char*>(chunk->data());
    REQUIRE(chunk->size() >= 2);
    REQUIRE((p[1] & 0x80) == 0);
    std::size_t len = p[1] & 0x7F, pos = 2;
    if (len == 126) {
      len = (p[2] << 8) | p[3];
      pos = 4;
    } else if (len == 127) {
      len = 0;
      for (int i = 2; i < 10; ++i) len = (len << 8) | p[i];
      pos = 10;
    }
    REQUIRE(chunk->size() == pos + len);
    frames.push_back({static_cast<Opcode>(p[0] & 0x0F), chunk->substr(pos)});
  }
  c.on_written(bytes);
  return frames;
}

struct Fixture {
  ConnectionOptions opts;
  std::vector<std::string> received;
  std::int64_t now = 1000;

  void feed(Connection& c, const std::string& bytes, std::size_t chunk = std::string::npos) {
    if (chunk == std::string::npos) chunk = bytes.size();
    for (std::size_t off = 0; off < bytes.size(); off += chunk)
      c.feed(bytes.data() + off, std::min(chunk, bytes.size() - off), now,
             [&](std::string&& m) { received.push_back(std::move(m)); });
  }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "connection: text messages reach the handler, fed byte by byte") {
  Connection c(opts, now);
  feed(c,
       masked(0x01, "{\"type\":") + masked(0x89, "x") + masked(0x80, "\"ping\"}") +
           masked(0x81, "second"),
       1);
  CHECK(received == std::vector<std::string>{"{\"type\":\"ping\"}", "second"});
  auto out = drain(c);
  REQUIRE(out.size() == 1);
  CHECK(out[0].opcode == Opcode::pong);
  CHECK(c.state() == Connection::State::open);
}

TEST_CASE_FIXTURE(Fixture, "connection: ping gets a pong with the same payload; pong is noted") {
  Connection c(opts, now);
  feed(c, masked(0x89, "hello-123"));
  auto out = drain(c);
  REQUIRE(out.size() == 1);
  CHECK(out[0].opcode == Opcode::pong);
  CHECK(out[0].payload == "hello-123");
  now = 5000;
  feed(c, masked(0x8A, "whatever"));
  CHECK(c.last_pong_ms() == 5000);
  CHECK(drain(c).empty());
}

TEST_CASE_FIXTURE(Fixture, "connection: peer close is echoed and finishes") {
  SUBCASE("with a code") {
    Connection c(opts, now);
    feed(c, close_frame(4001) + masked(0x81, "after close"));
    auto out = drain(c);
    REQUIRE(out.size() == 1);
    CHECK(out[0].opcode == Opcode::close);
    CHECK(out[0].code() == 4001);
    CHECK(c.finished());
    CHECK(received.empty());
  }
  SUBCASE("empty close is answered with 1000") {
    Connection c(opts, now);
    feed(c, masked(0x88, ""));
    auto out = drain(c);
    REQUIRE(out.size() == 1);
    CHECK(out[0].code() == kCloseNormal);
    CHECK(c.finished());
  }
}

TEST_CASE_FIXTURE(Fixture, "connection: protocol errors send the parser's close code and finish") {
  struct Case {
    std::string bytes;
    std::uint16_t code;
  };
  std::string unmasked = "\x81\x02hi";
  for (const auto& tc :
       std::vector<Case>{{unmasked, kCloseProtocolError},
                         {masked(0xC1, "x"), kCloseProtocolError},
                         {masked(0x81, "\xC0\x80"), kCloseInvalidPayload},
                         {masked(0x88, "\x03"), kCloseProtocolError},
                         {masked(0x81, std::string(200, 'a')), kCloseMessageTooBig}}) {
    ConnectionOptions o = opts;
    o.max_message_bytes = 100;
    Connection c(o, now);
    feed(c, tc.bytes + masked(0x81, "ignored"));
    auto out = drain(c);
    REQUIRE(out.size() == 1);
    CHECK(out[0].opcode == Opcode::close);
    CHECK(out[0].code() == tc.code);
    CHECK(c.finished());
    CHECK(c.close_code() == tc.code);
    feed(c, masked(0x81, "more"));
    CHECK(drain(c).empty());
  }
  CHECK(received.empty());
}

TEST_CASE_FIXTURE(Fixture, "connection: binary messages close with 1003 and await the reply") {
  Connection c(opts, now);
  feed(c, masked(0x82, "\x01\x02"));
  auto out = drain(c);
  REQUIRE(out.size() == 1);
  CHECK(out[0].code() == kCloseUnsupportedData);
  CHECK(c.state() == Connection::State::closing);
  feed(c, close_frame(kCloseUnsupportedData));
  CHECK(c.finished());
  CHECK(drain(c).empty());  // no second close
}

TEST_CASE_FIXTURE(Fixture, "connection: server-initiated close waits for the peer's close") {
  Connection c(opts, now);
  c.close(kCloseGoingAway, "bye", now);
  auto out = drain(c);
  REQUIRE(out.size() == 1);
  CHECK(out[0].code() == kCloseGoingAway);
  CHECK(out[0].payload.substr(2) == "bye");
  CHECK(c.state() == Connection::State::closing);
  CHECK(c.send_text("dropped"));  // ignored while closing
  feed(c, masked(0x81, "late") + masked(0x89, "p"));
  CHECK(received.empty());
  CHECK(drain(c).empty());
  feed(c, close_frame(kCloseGoingAway));
  CHECK(c.finished());
  CHECK(drain(c).empty());
}

TEST_CASE_FIXTURE(Fixture, "connection: server close times out without a reply") {
  Connection c(opts, now);
  c.close(kCloseGoingAway, "", now);
  c.on_tick(now + opts.close_timeout_ms - 1);
  CHECK(c.state() == Connection::State::closing);
  c.on_tick(now + opts.close_timeout_ms);
  CHECK(c.finished());
}

TEST_CASE_FIXTURE(Fixture, "connection: keepalive pings when idle and gives up without a pong") {
  Connection c(opts, now);
  c.on_tick(now + 29999);
  CHECK(drain(c).empty());
  c.on_tick(now + 30000);
  auto out = drain(c);
  REQUIRE(out.size() == 1);
  CHECK(out[0].opcode == Opcode::ping);
  c.on_tick(now + 30000 + 9999);
  CHECK(drain(c).empty());
  CHECK(c.state() == Connection::State::open);
  c.on_tick(now + 30000 + 10000);
  out = drain(c);
  REQUIRE(out.size() == 1);
  CHECK(out[0].code() == kCloseGoingAway);
  CHECK(c.finished());
}

TEST_CASE_FIXTURE(Fixture, "connection: any inbound frame counts as liveness") {
  Connection c(opts, now);
  c.on_tick(now + 30000);
  REQUIRE(drain(c).size() == 1);  // ping
  now += 35000;
  feed(c, masked(0x8A, "tt"));  // pong
  c.on_tick(now + 9999);
  CHECK(drain(c).empty());
  CHECK(c.state() == Connection::State::open);
  c.on_tick(now + 30000);  // idle again: a new ping, not a close
  auto out = drain(c);
  REQUIRE(out.size() == 1);
  CHECK(out[0].opcode == Opcode::ping);
  now += 30000 + 5000;
  feed(c, masked(0x81, "data"));  // a data frame instead of a pong
  c.on_tick(now + 20000);
  CHECK(drain(c).empty());
  CHECK(c.state() == Connection::State::open);
}

TEST_CASE_FIXTURE(Fixture, "connection: the outbound queue is bounded, counting bytes in flight") {
  ConnectionOptions o = opts;
  o.max_queue_bytes = 100;
  Connection c(o, now);
  const auto frame = make_text_frame(std::string(38, 'a'));  // 40 bytes
  CHECK(c.send_frame(frame));
  CHECK(c.send_frame(frame));
  CHECK(c.queued_bytes() == 80);
  auto taken = c.take_output();  // now in flight: still counted
  CHECK(taken.size() == 2);
  CHECK(c.queued_bytes() == 80);
  CHECK_FALSE(c.send_frame(frame));
  CHECK(c.overflowed());
  CHECK_FALSE(c.send_text("x"));  // stays overflowed
  c.on_written(80);
  CHECK(c.queued_bytes() == 0);
}

TEST_CASE_FIXTURE(Fixture, "connection: a ping flood from a client that never reads overflows") {
  ConnectionOptions o = opts;
  o.max_queue_bytes = 1000;
  Connection c(o, now);
  std::string flood;
  for (int i = 0; i < 200; ++i) flood += masked(0x89, "0123456789");
  feed(c, flood);
  CHECK(c.overflowed());
  CHECK(c.queued_bytes() <= 1000);
}

TEST_CASE_FIXTURE(Fixture, "connection: the handler may reply re-entrantly") {
  Connection c(opts, now);
  const std::string bytes = masked(0x81, "a") + masked(0x81, "b");
  c.feed(bytes.data(), bytes.size(), now, [&](std::string&& m) { CHECK(c.send_text("re:" + m)); });
  auto out = drain(c);
  REQUIRE(out.size() == 2);
  CHECK(out[0].payload == "re:a");
  CHECK(out[1].payload == "re:b");
}

TEST_CASE("connection: make_text_frame") {
  auto f = make_text_frame("hi");
  CHECK(*f == std::string("\x81\x02hi", 4));
}
