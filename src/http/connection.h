// http/connection.h — one client connection as the server hands it between the parker's thread
// (accepting, waiting for a whole request head) and the pool (serving), and the caps on how many
// may be open, per client address and in all, kept below the descriptor limit so that the store
// and the probes always have descriptors left. Thread-safe.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/result.h"

struct ssl_st;

namespace tt::http {

struct SslFree {
  void operator()(ssl_st* ssl) const;
};
using SslPtr = std::unique_ptr<ssl_st, SslFree>;

class ConnectionLimits {
 public:
  ConnectionLimits(std::size_t total_cap, std::size_t per_client_cap);

  enum class Verdict { admitted, over_client_cap, over_total_cap };
  // Whether the per-client cap holds for a client: not for a trusted reverse proxy, whose
  // connections are many clients'.
  enum class ClientCap { applies, exempt };
  // Takes a place for a new connection from `client` (a client_key) when both caps allow.
  Verdict admit(const std::string& client, ClientCap cap = ClientCap::applies);
  void release(const std::string& client);

  std::size_t open() const;
  std::size_t total_cap() const { return m_total_cap; }
  std::size_t per_client_cap() const { return m_per_client_cap; }

 private:
  std::size_t m_total_cap, m_per_client_cap;
  mutable std::mutex m_mutex;
  std::size_t m_open = 0;
  std::unordered_map<std::string, std::size_t> m_by_client;
};

// The total cap for a soft descriptor limit: the limit less a reserve (up to 128, half of a
// small limit) for the store and the probes, and never more than 4096. WebSockets count as
// connections.
std::size_t connection_cap_for(std::size_t fd_limit);
// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force.
std::size_t raise_fd_limit();
// Whom a peer address counts as: its IPv4 address, or its IPv6 /64 (a host usually has a
// whole /64, so single addresses would not bound it).
std::string client_key(const sockaddr_storage& peer);
// A peer's address as text (an IPv4-mapped IPv6 address as IPv4); "?" for another family.
std::string peer_address(const sockaddr_storage& peer);

// An open, admitted connection. Destroying it closes the socket and gives its place back.
struct Connection {
  using Clock = std::chrono::steady_clock;

  Connection(int fd, std::string client, ConnectionLimits& limits)
      : fd(fd), client(std::move(client)), m_limits(limits) {}
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Gives the socket away (a WebSocket upgrade took it). The connection's place in the caps
  // stays taken until the returned handle, which the socket's new owner keeps, is destroyed:
  // a WebSocket is an open descriptor like any other. The limits must outlive the handle.
  std::shared_ptr<void> hand_over();

  // An HTTPS connection's I/O goes through `ssl`, on the socket made non-blocking; a plain one's
  // straight to the socket.
  enum class Io { done, want_read, want_write, failed };
  // Advances the TLS handshake without waiting.
  Io handshake();
  // Reads what has arrived without waiting: bytes (> 0), 0 at the end, or -1 with errno (EAGAIN
  // when nothing has; then wait for wait_events(POLLIN)).
  ssize_t read_now(char* data, std::size_t size);
  // Writes what the socket takes without waiting: bytes, or -1 with errno (EAGAIN: full).
  ssize_t write_now(const char* data, std::size_t size);
  // Whether TLS holds bytes already read from the socket, which poll() would not announce.
  bool read_pending() const;
  // What to poll for before retrying a read (POLLIN) or write (POLLOUT) that found nothing:
  // TLS may need the other direction first.
  short wait_events(short wanted) const;
  // Stops sending: TLS's close_notify first, then the socket's write side.
  void shutdown_write();

  int fd;
  SslPtr ssl;
  bool handshaken = false;  // of `ssl`
  std::string client;
  std::string buffer;             // bytes read and not served yet: part of a head, a head, a body
  std::size_t requests_left = 0;  // before the connection is closed (keep-alive max count)
  Clock::time_point head_started{};  // when the first byte of the head in `buffer` came

 private:
  ConnectionLimits& m_limits;
  bool m_want_write = false;  // the last TLS operation waits for the socket to take bytes
  bool m_tls_done = false;    // TLS failed or sent its close_notify: nothing more to send
};

// Sends an error answer (the envelope, Connection: close) without waiting: when the socket
// cannot take it at once the client is not reading anyway.
void send_error_answer(int fd, int status, const Error& error);
void send_error_answer(Connection& conn, int status, const Error& error);

}  // namespace tt::http
