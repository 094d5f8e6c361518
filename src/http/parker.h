// http/parker.h — idle keep-alive connections wait here instead of holding an HTTP thread.
// cpp-httplib gives each connection a pool thread until it closes, so eight idle browsers
// would starve the ninth; parked sockets cost one epoll entry and are handed back to the pool
// when their next request arrives. Thread-safe; owns one thread.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace tt::http {

class ConnectionParker {
 public:
  using Clock = std::chrono::steady_clock;
  // Called on the parker's thread when a parked socket becomes readable (or is closed by the
  // peer); the callee owns the socket again.
  using Resume = std::function<void(int fd, std::size_t requests_left)>;

  explicit ConnectionParker(Resume resume);
  ~ConnectionParker();  // stop()s
  ConnectionParker(const ConnectionParker&) = delete;
  ConnectionParker& operator=(const ConnectionParker&) = delete;

  // Takes ownership of fd until it is readable (then resume) or the deadline passes (then it
  // is closed). After stop() the socket is closed at once.
  void park(int fd, std::size_t requests_left, Clock::time_point deadline);
  // Closes every parked socket and joins the thread; no resume runs after it returns.
  void stop();
  std::size_t parked() const;

 private:
  struct Entry {
    std::size_t requests_left;
    Clock::time_point deadline;
  };
  void loop();
  void close_expired(Clock::time_point now);

  Resume m_resume;
  int m_epoll = -1;
  int m_wake = -1;  // eventfd that interrupts epoll_wait on stop()
  mutable std::mutex m_mutex;
  std::unordered_map<int, Entry> m_parked;
  bool m_stopped = false;
  std::thread m_thread;
};

}  // namespace tt::http
