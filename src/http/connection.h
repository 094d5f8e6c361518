// http/connection.h — one client connection as the server hands it between the parker's thread
// (accepting, waiting for a whole request head) and the pool (serving), and the caps on how many
// may be open, per client address and in all, kept below the descriptor limit so that the store
// and the probes always have descriptors left. Thread-safe.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/result.h"

namespace tt::http {

class ConnectionLimits {
 public:
  ConnectionLimits(std::size_t total_cap, std::size_t per_client_cap);

  enum class Verdict { admitted, over_client_cap, over_total_cap };
  // Takes a place for a new connection from `client` (a client_key) when both caps allow.
  Verdict admit(const std::string& client);
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

  int fd;
  std::string client;
  std::string buffer;             // bytes read and not served yet: part of a head, a head, a body
  std::size_t requests_left = 0;  // before the connection is closed (keep-alive max count)
  Clock::time_point head_started{};  // when the first byte of the head in `buffer` came

 private:
  ConnectionLimits& m_limits;
};

// Sends an error answer (the envelope, Connection: close) without waiting: when the socket
// cannot take it at once the client is not reading anyway.
void send_error_answer(int fd, int status, const Error& error);

}  // namespace tt::http
