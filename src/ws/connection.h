// ws/connection.h — one WebSocket connection's protocol state, without sockets: feed it inbound
// bytes and clock ticks, take the bytes it wants written. Not thread-safe; the owner drives it
// from a single thread and does the I/O.
//
// Lifecycle: open -> (closing: we sent close, awaiting the peer's) -> closed. Once finished(),
// the owner writes whatever take_output() still returns and then closes the socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ws/frame.h"

namespace tt::ws {

using SharedBytes = std::shared_ptr<const std::string>;

struct ConnectionOptions {
  std::size_t max_message_bytes = kDefaultMaxMessageBytes;
  std::size_t max_queue_bytes = 1 << 20;  // outbound bytes queued or in flight
  std::int64_t ping_interval_ms = 30000;  // ping after this long without inbound bytes
  std::int64_t pong_timeout_ms = 10000;   // give up when nothing arrives this long after a ping
  std::int64_t close_timeout_ms = 1000;   // wait this long for the peer's reply to our close
};

// A complete text frame for `payload`, shareable among connections.
SharedBytes make_text_frame(std::string_view payload);

class Connection {
 public:
  enum class State { open, closing, closed };
  // Receives each complete inbound text message. May call send_*() and close() re-entrantly.
  using TextHandler = std::function<void(std::string&& message)>;
  // The same for binary messages, for connections that take them; without one, a binary
  // message closes the connection (1003).
  using BinaryHandler = std::function<void(std::string&& message)>;

  Connection(ConnectionOptions options, std::int64_t now_ms);

  // Parses inbound bytes. Ignored once closed.
  void feed(const char* data, std::size_t len, std::int64_t now_ms, const TextHandler& on_text,
            const BinaryHandler& on_binary = nullptr);
  // Keepalive and close timeouts; call about once a second.
  void on_tick(std::int64_t now_ms);

  // Queue an outbound message. False when the queue bound would be exceeded: the connection is
  // then overflowed() and the owner must drop it. Silently ignored (true) unless open.
  bool send_frame(SharedBytes frame);  // a complete frame, e.g. from make_text_frame()
  bool send_text(std::string_view payload);

  // Server-initiated close: sends close(code) and waits close_timeout_ms for the peer's reply.
  void close(std::uint16_t code, std::string_view reason, std::int64_t now_ms);

  // Frames waiting to be written, in order; the owner then counts them as in flight until it
  // reports them with on_written(total bytes).
  std::vector<SharedBytes> take_output();
  bool has_output() const { return !m_pending.empty(); }
  void on_written(std::size_t bytes);

  State state() const { return m_state; }
  bool finished() const { return m_state == State::closed; }
  bool overflowed() const { return m_overflowed; }
  std::size_t queued_bytes() const { return m_queued_bytes; }  // pending + in flight
  // About: itself, its queue (frames shared with other clients counted in full) and buffers.
  std::size_t memory_bytes() const {
    return sizeof(*this) + 576 /* a deque's first node and map */ + m_queued_bytes +
           m_parser.buffered_bytes();
  }
  // The close code we sent (or echoed); 0 if none yet.
  std::uint16_t close_code() const { return m_close_code; }
  std::int64_t last_pong_ms() const { return m_last_pong_ms; }

 private:
  bool enqueue(SharedBytes frame, bool force);
  void send_close(std::uint16_t code, std::string_view reason);  // never refused by the bound
  bool on_message(Message&& msg, std::int64_t now_ms, const TextHandler& on_text,
                  const BinaryHandler& on_binary);

  ConnectionOptions m_options;
  FrameParser m_parser;
  State m_state = State::open;
  std::deque<SharedBytes> m_pending;
  std::size_t m_queued_bytes = 0;
  bool m_overflowed = false;
  std::uint16_t m_close_code = 0;

  std::int64_t m_last_rx_ms;
  std::int64_t m_last_pong_ms = 0;
  bool m_ping_outstanding = false;
  std::int64_t m_ping_sent_ms = 0;
  std::int64_t m_close_sent_ms = 0;
};

}  // namespace tt::ws
