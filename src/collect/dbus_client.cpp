#include "collect/dbus_client.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tt::collect::dbus {

namespace {

// Calls in flight at once: the peer queues the replies of a pipeline while we still send, and
// a bounded batch keeps that queue small.
constexpr std::size_t kBatch = 64;
constexpr std::size_t kMaxAuthLine = 1024;

// EXTERNAL's initial response: the uid in decimal, hex-encoded.
std::string external_credentials() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : std::to_string(::getuid())) {
    out += kHex[static_cast<unsigned char>(c) >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

}  // namespace

Error Connection::failed(int err) const {
  if (err == ETIMEDOUT)
    return Error::make(ErrorKind::gateway_timeout, "DBUS_TIMEOUT", m_path + ": no answer in time");
  return Error::make(ErrorKind::bad_gateway, "DBUS_UNREACHABLE",
                     m_path + ": " + std::strerror(err));
}

Result<Connection> Connection::open(const std::string& socket_path, UnixStream::Deadline deadline) {
  Connection c(UnixStream(), socket_path, deadline);
  if (int err = c.m_stream.connect(socket_path, deadline)) return c.failed(err);
  std::string auth("\0AUTH EXTERNAL ", 15);
  auth += external_credentials() + "\r\n";
  if (int err = c.m_stream.send_all(auth, deadline)) return c.failed(err);
  auto answer = TT_TRY(c.read_line());
  if (!answer.starts_with("OK "))
    return Error::make(ErrorKind::bad_gateway, "DBUS_AUTH_REJECTED",
                       socket_path + ": EXTERNAL authentication answered \"" + answer + "\"");
  if (int err = c.m_stream.send_all("BEGIN\r\n", deadline)) return c.failed(err);
  OutMessage hello{.destination = "org.freedesktop.DBus",
                   .path = "/org/freedesktop/DBus",
                   .interface = "org.freedesktop.DBus",
                   .member = "Hello"};
  TT_TRY(c.call({&hello, 1}));
  return c;
}

Result<std::string> Connection::read_line() {
  while (true) {
    if (auto end = m_in.find("\r\n"); end != std::string::npos) {
      auto line = m_in.substr(0, end);
      m_in.erase(0, end + 2);
      return line;
    }
    if (m_in.size() > kMaxAuthLine)
      return Error::make(ErrorKind::bad_gateway, "DBUS_BAD_MESSAGE",
                         m_path + ": an authentication line of over 1 KiB");
    bool closed = false;
    if (int err = m_stream.receive(m_in, m_deadline, closed)) return failed(err);
    if (closed) return failed(ECONNRESET);
  }
}

Result<Message> Connection::read_message() {
  while (true) {
    if (auto size = TT_TRY(message_size(m_in)); size && m_in.size() >= *size) {
      auto m = parse_message(std::string_view(m_in).substr(0, *size));
      m_in.erase(0, *size);
      return m;
    }
    bool closed = false;
    if (int err = m_stream.receive(m_in, m_deadline, closed)) return failed(err);
    if (closed) return failed(ECONNRESET);
  }
}

Result<std::vector<Message>> Connection::call(std::span<const OutMessage> calls) {
  std::vector<Message> replies(calls.size());
  for (std::size_t first = 0; first < calls.size(); first += kBatch) {
    const std::size_t n = std::min(kBatch, calls.size() - first);
    const std::uint32_t first_serial = m_serial + 1;
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += marshal(calls[first + i], ++m_serial);
    if (int err = m_stream.send_all(out, m_deadline)) return failed(err);
    for (std::size_t waiting = n; waiting > 0;) {
      auto m = TT_TRY(read_message());
      bool answer = m.type == static_cast<std::uint8_t>(MessageType::method_return) ||
                    m.type == static_cast<std::uint8_t>(MessageType::error);
      std::uint32_t index = m.reply_serial - first_serial;  // wraps for serials before the batch
      if (!answer || index >= n || replies[first + index].serial != 0) continue;
      replies[first + index] = std::move(m);
      --waiting;
    }
  }
  return replies;
}

}  // namespace tt::collect::dbus
