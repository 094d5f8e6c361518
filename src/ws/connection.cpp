#include "ws/connection.h"

#include <algorithm>

namespace tt::ws {

SharedBytes make_text_frame(std::string_view payload) {
  return std::make_shared<const std::string>(encode_frame(Opcode::text, payload));
}

Connection::Connection(ConnectionOptions options, std::int64_t now_ms)
    : m_options(options), m_parser(options.max_message_bytes), m_last_rx_ms(now_ms) {}

void Connection::feed(const char* data, std::size_t len, std::int64_t now_ms,
                      const TextHandler& on_text, const BinaryHandler& on_binary) {
  if (m_state == State::closed || len == 0) return;
  m_last_rx_ms = now_ms;
  m_ping_outstanding = false;
  m_parser.feed(data, len, [&](Message&& msg) {
    return on_message(std::move(msg), now_ms, on_text, on_binary);
  });
  if (m_parser.failed() && m_state != State::closed) {
    if (m_state == State::open) send_close(m_parser.error_code(), m_parser.error_reason());
    m_state = State::closed;
  }
}

bool Connection::on_message(Message&& msg, std::int64_t now_ms, const TextHandler& on_text,
                            const BinaryHandler& on_binary) {
  switch (msg.opcode) {
    case Opcode::ping:
      if (m_state == State::open &&
          !enqueue(std::make_shared<const std::string>(encode_frame(Opcode::pong, msg.payload)),
                   false))
        return false;
      return true;
    case Opcode::pong:
      m_last_pong_ms = now_ms;
      return true;
    case Opcode::close:
      if (m_state == State::open)
        send_close(msg.close_code == kCloseNoStatus ? kCloseNormal : msg.close_code, {});
      m_state = State::closed;
      return false;
    case Opcode::binary:
      if (!on_binary) {
        close(kCloseUnsupportedData, "binary messages are not supported", now_ms);
        return true;
      }
      if (m_state == State::open) on_binary(std::move(msg.payload));
      return m_state != State::closed && !m_overflowed;
    case Opcode::text:
      if (m_state == State::open) on_text(std::move(msg.payload));
      return m_state != State::closed && !m_overflowed;
    case Opcode::continuation:
      break;
  }
  return true;
}

void Connection::on_tick(std::int64_t now_ms) {
  if (m_state == State::closing) {
    if (now_ms - m_close_sent_ms >= m_options.close_timeout_ms) m_state = State::closed;
    return;
  }
  if (m_state != State::open) return;
  if (m_ping_outstanding) {
    if (now_ms - m_ping_sent_ms >= m_options.pong_timeout_ms) {
      send_close(kCloseGoingAway, "ping timeout");
      m_state = State::closed;
    }
    return;
  }
  if (now_ms - m_last_rx_ms >= m_options.ping_interval_ms) {
    if (!enqueue(std::make_shared<const std::string>(encode_frame(Opcode::ping, "tt")), false))
      return;
    m_ping_outstanding = true;
    m_ping_sent_ms = now_ms;
  }
}

bool Connection::send_frame(SharedBytes frame) {
  if (m_state != State::open) return true;
  if (m_overflowed) return false;
  return enqueue(std::move(frame), false);
}

bool Connection::send_text(std::string_view payload) {
  return send_frame(make_text_frame(payload));
}

void Connection::close(std::uint16_t code, std::string_view reason, std::int64_t now_ms) {
  if (m_state != State::open) return;
  send_close(code, reason);
  m_state = State::closing;
  m_close_sent_ms = now_ms;
}

bool Connection::enqueue(SharedBytes frame, bool force) {
  const std::size_t size = frame->size();
  if (!force && m_queued_bytes + size > m_options.max_queue_bytes) {
    m_overflowed = true;
    return false;
  }
  m_queued_bytes += size;
  m_pending.push_back(std::move(frame));
  return true;
}

void Connection::send_close(std::uint16_t code, std::string_view reason) {
  enqueue(std::make_shared<const std::string>(encode_close(code, reason)), true);
  m_close_code = code;
}

std::vector<SharedBytes> Connection::take_output() {
  std::vector<SharedBytes> out(std::make_move_iterator(m_pending.begin()),
                               std::make_move_iterator(m_pending.end()));
  m_pending.clear();
  return out;
}

void Connection::on_written(std::size_t bytes) {
  m_queued_bytes -= std::min(bytes, m_queued_bytes);
}

}  // namespace tt::ws
