// Fuzzes the WebSocket frame parser, in both roles, and the connection state machine. The first
// input byte picks where the rest is split into two chunks; both must parse exactly like a single
// feed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "ws/connection.h"
#include "ws/frame.h"

using namespace tt::ws;

namespace {

constexpr std::size_t kMaxMessage = 64 * 1024;

void check(bool ok) {
  if (!ok) std::abort();
}

struct Run {
  std::vector<Message> msgs;
  std::uint16_t error = 0;
};

Run parse(const char* data, std::size_t n, std::size_t split, Role role) {
  Run r;
  FrameParser p(kMaxMessage, role);
  const auto sink = [&](Message&& m) {
    check(m.opcode != Opcode::continuation);
    if (m.opcode == Opcode::text || m.opcode == Opcode::binary) {
      check(m.payload.size() <= kMaxMessage);
      check(m.payload.capacity() <= kMaxMessage + 32);
    } else {
      check(m.payload.size() <= kMaxControlPayload);
    }
    if (m.opcode == Opcode::text) check(is_valid_utf8(m.payload));
    if (m.opcode == Opcode::close)
      check(m.close_code == kCloseNoStatus || is_valid_close_code(m.close_code));
    r.msgs.push_back(std::move(m));
    return true;
  };
  const std::size_t a = p.feed(data, split, sink);
  check(a == split || p.failed());
  if (!p.failed()) {
    const std::size_t b = p.feed(data + split, n - split, sink);
    check(b == n - split || p.failed());
  }
  if (p.failed()) {
    check(p.error_code() == kCloseProtocolError || p.error_code() == kCloseInvalidPayload ||
          p.error_code() == kCloseMessageTooBig);
    check(p.feed(data, n, sink) == 0);  // stays failed
  }
  r.error = p.error_code();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const char* body = reinterpret_cast<const char*>(data + 1);
  const std::size_t n = size - 1;
  const std::size_t split = static_cast<std::size_t>(data[0]) * (n + 1) / 256;

  for (Role role : {Role::server, Role::client}) {
    const Run whole = parse(body, n, n, role);
    const Run parts = parse(body, n, split, role);
    check(whole.error == parts.error);
    check(whole.msgs.size() == parts.msgs.size());
    for (std::size_t i = 0; i < whole.msgs.size(); ++i) {
      check(whole.msgs[i].opcode == parts.msgs[i].opcode);
      check(whole.msgs[i].payload == parts.msgs[i].payload);
      check(whole.msgs[i].close_code == parts.msgs[i].close_code);
    }
  }

  ConnectionOptions opts;
  opts.max_message_bytes = 4096;
  opts.max_queue_bytes = 8192;
  std::int64_t now = 0;
  Connection conn(opts, now);
  std::size_t delivered = 0;
  const auto on_text = [&](std::string&& m) {
    check(m.size() <= opts.max_message_bytes);
    ++delivered;
    if (m.size() % 3 == 0) conn.send_text(m);  // echo some, exercising the bound
  };
  const auto bounded = [&] {
    // Only close frames (<= 127 bytes) may go past the bound.
    check(conn.queued_bytes() <= opts.max_queue_bytes + 2 * (kMaxControlPayload + 2));
  };
  conn.feed(body, split, now, on_text);
  bounded();
  std::size_t in_flight = 0;
  for (const auto& chunk : conn.take_output()) in_flight += chunk->size();
  now += (data[0] & 1) ? 30000 : 1000;
  conn.on_tick(now);
  conn.feed(body + split, n - split, now, on_text);
  bounded();
  conn.on_written(in_flight);
  now += 20000;
  conn.on_tick(now);
  conn.close(kCloseGoingAway, "fuzz", now);
  conn.on_tick(now + 5000);
  check(conn.finished() || conn.overflowed() || conn.state() == Connection::State::closing);
  (void)conn.take_output();
  return 0;
}
