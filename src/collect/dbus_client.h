// collect/dbus_client.h — a blocking D-Bus client on a unix socket (the system bus's, or a
// peer-to-peer one such as systemd's /run/systemd/private): the EXTERNAL authentication as the
// process's uid, Hello (a bus daemon wants it first; a peer answers it with an error, which is
// fine), then method calls sent in a pipeline. No unix fds, no signals subscribed. One thread;
// one deadline covers the connection's whole life.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "collect/dbus.h"
#include "collect/unix_stream.h"
#include "core/result.h"

namespace tt::collect::dbus {

class Connection {
 public:
  // DBUS_UNREACHABLE (no socket, refused), DBUS_AUTH_REJECTED, DBUS_TIMEOUT, DBUS_BAD_MESSAGE.
  static Result<Connection> open(const std::string& socket_path, UnixStream::Deadline deadline);

  // Sends the calls and waits for the reply to each: replies[i] answers calls[i], a method
  // return or an error (Message::type). Other messages (a bus daemon's signals) are skipped.
  // Errors as open's; after one the connection is not used again.
  Result<std::vector<Message>> call(std::span<const OutMessage> calls);

 private:
  Connection(UnixStream stream, std::string path, UnixStream::Deadline deadline)
      : m_stream(std::move(stream)), m_path(std::move(path)), m_deadline(deadline) {}
  Result<std::string> read_line();
  Result<Message> read_message();
  Error failed(int err) const;

  UnixStream m_stream;
  std::string m_path;
  UnixStream::Deadline m_deadline;
  std::uint32_t m_serial = 0;
  std::string m_in;  // bytes read and not yet taken
};

}  // namespace tt::collect::dbus
