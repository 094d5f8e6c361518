// http/parker.h — connections without a whole request head wait here instead of holding an
// HTTP thread. cpp-httplib gives each connection a pool thread until it closes, so eight idle
// browsers would starve the ninth, and four clients sending a head a byte at a time would stop
// the server. The parker's one epoll thread accepts new connections (within the caps of
// ConnectionLimits), reads what they send until a whole head is buffered, and only then hands
// them to the pool; it answers a head over the limits or past its deadline itself. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "http/connection.h"
#include "http/request_head.h"
#include "http/tls.h"

namespace tt::http {

inline constexpr std::size_t kMaxParkedBody = 64 * 1024;

// Whether a pool thread reads the request's body rather than the parker waiting for it: a
// chunked body, one over max_parked_body, or one the client sends only after a 100 Continue.
inline bool body_read_by_pool(const RequestHead& head, std::size_t max_parked_body) {
  return head.chunked || head.content_length > max_parked_body ||
         (head.content_length > 0 && head.field("Expect").has_value());
}
// Whether `buffered` bytes that start with `head` hold all the parker waits for.
inline bool body_buffered(const RequestHead& head, std::size_t buffered,
                          std::size_t max_parked_body) {
  return body_read_by_pool(head, max_parked_body) || buffered >= head.length + head.content_length;
}

class ConnectionParker {
 public:
  using Clock = std::chrono::steady_clock;
  // Called on the parker's thread with a connection whose buffer starts with a whole head.
  using Resume = std::function<void(std::unique_ptr<Connection>)>;

  struct Options {
    HeadLimits head;
    std::chrono::milliseconds idle_timeout{
        5000};  // nothing sent yet, or nothing since the last answer
    std::chrono::milliseconds head_timeout{
        10000};  // a head must be whole this long after its first byte
    // A body up to this size is waited for here as well (within head_timeout), so a small
    // request trickled a byte at a time holds no pool thread either; a larger one (an import)
    // is read by a pool thread, after Server's body gate has seen its credentials.
    std::size_t max_parked_body = kMaxParkedBody;
    std::size_t requests_per_connection = 1000;
    int write_timeout_ms = 10000;  // SO_SNDTIMEO of accepted sockets
    // Set for HTTPS: each accepted connection is parked until its TLS handshake is done, then
    // until its head is whole; a handshake must be done within idle_timeout.
    std::shared_ptr<const TlsContext> tls;
    // Peers (by peer_address) the per-client cap does not hold for: trusted reverse proxies.
    std::function<bool(const std::string& address)> uncapped;
  };

  ConnectionParker(Resume resume, ConnectionLimits& limits, Options options);
  ~ConnectionParker();  // stop()s
  ConnectionParker(const ConnectionParker&) = delete;
  ConnectionParker& operator=(const ConnectionParker&) = delete;

  // Accepts connections on listen_fd (a listening socket, made non-blocking) until stop().
  void listen(int listen_fd);
  // Waits for the connection's next whole head; its buffer may hold the start of it.
  void park(std::unique_ptr<Connection> conn);
  // After an error answer: stops sending and discards what the client still sends for up to a
  // second, so that it reads the answer rather than a reset, then closes.
  void linger(std::unique_ptr<Connection> conn);
  // Closes every waiting connection and joins the thread; no resume runs after it returns, and
  // connections parked later are closed at once.
  void stop();
  std::size_t parked() const;

 private:
  enum class Waiting { head, close };
  struct Entry {
    std::unique_ptr<Connection> conn;
    Waiting waiting;
    Clock::time_point since, deadline;
    bool want_write = false;  // the TLS handshake waits for the socket to take its bytes
  };
  void loop();
  void accept_new(Clock::time_point now);
  bool make_room(const std::string& client, ConnectionLimits::Verdict verdict);
  // Reads what the connection sent (after its TLS handshake, when it has one); returns it when
  // its head is whole (for resume).
  std::unique_ptr<Connection> on_readable(int fd, Clock::time_point now);
  void expire(Clock::time_point now);
  // Under m_mutex: keeps an entry and (re)arms its one-shot epoll registration.
  void add(Entry entry, bool registered);
  void start_closing(Entry& entry, Clock::time_point now);

  Resume m_resume;
  ConnectionLimits& m_limits;
  Options m_options;
  int m_epoll = -1;
  int m_wake = -1;  // eventfd that interrupts epoll_wait on stop()
  int m_listen = -1;
  Clock::time_point m_accept_paused_until{};  // after EMFILE: the listening socket is left alone
  mutable std::mutex m_mutex;
  std::unordered_map<int, Entry> m_waiting;
  bool m_stopped = false;
  std::thread m_thread;
};

}  // namespace tt::http
