#include "http/parker.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "core/log.h"
#include "core/metrics.h"
#include "http/request_metrics.h"

namespace tt::http {

namespace {

constexpr auto kLinger = std::chrono::seconds(1);
constexpr auto kAcceptPause = std::chrono::milliseconds(100);
constexpr int kAcceptsPerWake = 64;

const char* reason_label(ConnectionLimits::Verdict verdict) {
  return verdict == ConnectionLimits::Verdict::over_client_cap ? "per_client" : "total";
}

metrics::Family& refused_family() {
  static auto& f = metrics::registry().family("telltale_http_connections_refused_total",
                                              "Connections closed at accept because a connection "
                                              "cap was reached and none could be evicted, by cap.",
                                              metrics::Type::counter);
  return f;
}

metrics::Family& evicted_family() {
  static auto& f = metrics::registry().family(
      "telltale_http_connections_evicted_total",
      "Waiting connections (idle or with an unfinished head) closed to admit a new one, by cap.",
      metrics::Type::counter);
  return f;
}

}  // namespace

ConnectionParker::ConnectionParker(Resume resume, ConnectionLimits& limits, Options options)
    : m_resume(std::move(resume)), m_limits(limits), m_options(options) {
  m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
  m_wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (m_epoll < 0 || m_wake < 0) throw std::runtime_error("cannot create the connection parker");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = m_wake;
  ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wake, &ev);
  m_thread = std::thread([this] { loop(); });
}

ConnectionParker::~ConnectionParker() {
  stop();
  ::close(m_epoll);
  ::close(m_wake);
}

void ConnectionParker::listen(int listen_fd) {
  ::fcntl(listen_fd, F_SETFL, ::fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
  m_listen = listen_fd;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd;
  ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, listen_fd, &ev);
}

void ConnectionParker::add(Entry entry, bool registered) {
  if (m_stopped) return;  // the entry's connection closes
  int fd = entry.conn->fd;
  epoll_event ev{};
  ev.events = (entry.want_write ? EPOLLOUT : EPOLLIN) | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.fd = fd;
  if (::epoll_ctl(m_epoll, registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0) return;
  m_waiting.emplace(fd, std::move(entry));
}

void ConnectionParker::park(std::unique_ptr<Connection> conn) {
  auto now = Clock::now();
  auto deadline = conn->buffer.empty() ? now + m_options.idle_timeout
                                       : conn->head_started + m_options.head_timeout;
  std::lock_guard lock(m_mutex);
  add(Entry{std::move(conn), Waiting::head, now, deadline}, false);
}

void ConnectionParker::start_closing(Entry& entry, Clock::time_point now) {
  entry.conn->shutdown_write();
  entry.want_write = false;
  entry.conn->buffer.clear();
  entry.waiting = Waiting::close;
  entry.deadline = now + kLinger;
}

void ConnectionParker::linger(std::unique_ptr<Connection> conn) {
  auto now = Clock::now();
  Entry entry{std::move(conn), Waiting::close, now, now};
  start_closing(entry, now);
  std::lock_guard lock(m_mutex);
  add(std::move(entry), false);
}

void ConnectionParker::stop() {
  {
    std::lock_guard lock(m_mutex);
    if (m_stopped) return;
    m_stopped = true;
  }
  std::uint64_t one = 1;
  (void)!::write(m_wake, &one, sizeof one);
  if (m_thread.joinable()) m_thread.join();
  std::lock_guard lock(m_mutex);
  m_waiting.clear();
}

std::size_t ConnectionParker::parked() const {
  std::lock_guard lock(m_mutex);
  return m_waiting.size();
}

bool ConnectionParker::make_room(const std::string& client, ConnectionLimits::Verdict verdict) {
  // The oldest waiting connection goes (those already answered first): it costs its client a
  // reconnect at most, while refusing would let a few sockets that never finish a head keep
  // everyone else out. Over the per-client cap only the client's own are candidates.
  std::lock_guard lock(m_mutex);
  auto victim = m_waiting.end();
  for (auto it = m_waiting.begin(); it != m_waiting.end(); ++it) {
    const auto& e = it->second;
    if (verdict == ConnectionLimits::Verdict::over_client_cap && e.conn->client != client) continue;
    if (victim == m_waiting.end() ||
        std::pair(e.waiting != Waiting::close, e.since) <
            std::pair(victim->second.waiting != Waiting::close, victim->second.since))
      victim = it;
  }
  if (victim == m_waiting.end()) return false;
  m_waiting.erase(victim);
  evicted_family().counter({{"reason", reason_label(verdict)}}).inc();
  return true;
}

void ConnectionParker::accept_new(Clock::time_point now) {
  for (int i = 0; i < kAcceptsPerWake; ++i) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    int fd = ::accept4(m_listen, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors elsewhere (the caps keep connections below the limit): the
        // pending connection waits in the backlog rather than spinning this thread.
        log::warn("http: cannot accept a connection: {}; pausing accepts for {} ms",
                  std::strerror(errno), kAcceptPause.count());
        epoll_event ev{};
        ev.data.fd = m_listen;
        ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, m_listen, &ev);
        m_accept_paused_until = now + kAcceptPause;
      }
      return;
    }
    timeval send_timeout{m_options.write_timeout_ms / 1000,
                         (m_options.write_timeout_ms % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    auto client = client_key(peer);
    const auto cap = m_options.uncapped && m_options.uncapped(peer_address(peer))
                         ? ConnectionLimits::ClientCap::exempt
                         : ConnectionLimits::ClientCap::applies;
    auto verdict = m_limits.admit(client, cap);
    if (verdict != ConnectionLimits::Verdict::admitted && make_room(client, verdict))
      verdict = m_limits.admit(client, cap);
    if (verdict != ConnectionLimits::Verdict::admitted) {
      refused_family().counter({{"reason", reason_label(verdict)}}).inc();
      // A TLS client could not read a plain answer, and the handshake would cost what the
      // caps save: it is closed at once.
      if (!m_options.tls)
        send_error_answer(fd, 503,
                          Error::make(ErrorKind::unavailable, "TOO_MANY_CONNECTIONS",
                                      verdict == ConnectionLimits::Verdict::over_client_cap
                                          ? "too many connections from this address"
                                          : "too many connections"));
      ::close(fd);
      continue;
    }
    auto conn = std::make_unique<Connection>(fd, std::move(client), m_limits);
    conn->requests_left = m_options.requests_per_connection;
    if (m_options.tls && !(conn->ssl = m_options.tls->accept(fd))) {
      count_handshake("failed");
      continue;  // closes
    }
    std::lock_guard lock(m_mutex);
    add(Entry{std::move(conn), Waiting::head, now, now + m_options.idle_timeout}, false);
  }
}

std::unique_ptr<Connection> ConnectionParker::on_readable(int fd, Clock::time_point now) {
  Entry entry;
  {
    std::lock_guard lock(m_mutex);
    auto it = m_waiting.find(fd);
    if (it == m_waiting.end()) return nullptr;
    entry = std::move(it->second);
    m_waiting.erase(it);
  }
  // Out of the map the entry is this thread's alone; its one-shot registration is disarmed.
  auto& conn = *entry.conn;
  char tmp[16384];
  bool eof = false;
  if (entry.waiting == Waiting::close) {
    for (std::size_t discarded = 0; discarded < (std::size_t{1} << 20);) {
      ssize_t n = ::recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
      if (n > 0) {
        discarded += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      eof = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
      break;
    }
    if (eof) return nullptr;  // closes
    std::lock_guard lock(m_mutex);
    add(std::move(entry), true);
    return nullptr;
  }
  if (conn.ssl && !conn.handshaken) {
    auto step = conn.handshake();
    if (step == Connection::Io::failed) {
      count_handshake("failed");
      return nullptr;  // closes
    }
    if (step != Connection::Io::done) {
      entry.want_write = step == Connection::Io::want_write;
      std::lock_guard lock(m_mutex);
      add(std::move(entry), true);
      return nullptr;
    }
    count_handshake("ok");
    entry.want_write = false;
    entry.deadline = now + m_options.idle_timeout;  // for the first request's first byte
  }
  bool had_bytes = !conn.buffer.empty();
  while (conn.buffer.size() <= m_options.head.max_head_bytes + m_options.max_parked_body) {
    ssize_t n = conn.read_now(tmp, sizeof tmp);
    if (n > 0) {
      conn.buffer.append(tmp, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    eof = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    break;
  }
  entry.want_write = conn.wait_events(POLLIN) == POLLOUT;  // TLS must write before it reads on
  if (!had_bytes && !conn.buffer.empty()) {
    conn.head_started = now;
    entry.deadline = now + m_options.head_timeout;
  }
  auto parse = parse_request_head(conn.buffer, m_options.head);
  if (parse.state == HeadState::complete &&
      body_buffered(parse.head, conn.buffer.size(), m_options.max_parked_body)) {
    ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
    return std::move(entry.conn);
  }
  if (parse.state == HeadState::invalid) {
    send_error_answer(conn, parse.error.status, parse.error.error);
    count_request("unmatched", parse.method, parse.error.status);
    start_closing(entry, now);
  } else if (eof) {
    return nullptr;  // the client went away mid-head (or between requests)
  }
  std::lock_guard lock(m_mutex);
  add(std::move(entry), true);
  return nullptr;
}

void ConnectionParker::expire(Clock::time_point now) {
  std::lock_guard lock(m_mutex);
  for (auto it = m_waiting.begin(); it != m_waiting.end();) {
    auto& entry = it->second;
    if (entry.deadline > now) {
      ++it;
    } else if (entry.waiting == Waiting::head && !entry.conn->buffer.empty()) {
      auto method = parse_request_head(entry.conn->buffer, m_options.head).method;
      send_error_answer(*entry.conn, 408,
                        Error::make(ErrorKind::invalid_input, "REQUEST_TIMEOUT",
                                    fmt::format("the request did not arrive whole within {} s",
                                                m_options.head_timeout.count() / 1000)));
      count_request("unmatched", method, 408);
      start_closing(entry, now);
      ++it;
    } else {
      if (entry.conn->ssl && !entry.conn->handshaken) count_handshake("timeout");
      it = m_waiting.erase(it);  // idle past the keep-alive timeout, or done lingering
    }
  }
}

void ConnectionParker::loop() {
  std::vector<epoll_event> events(64);
  auto last_sweep = Clock::now();
  for (;;) {
    int n = ::epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), 250);
    {
      std::lock_guard lock(m_mutex);
      if (m_stopped) return;
    }
    auto now = Clock::now();
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == m_wake) continue;
      if (fd == m_listen) {
        accept_new(now);
        continue;
      }
      if (auto conn = on_readable(fd, now)) m_resume(std::move(conn));
    }
    if (m_accept_paused_until != Clock::time_point{} && now >= m_accept_paused_until) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = m_listen;
      ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, m_listen, &ev);
      m_accept_paused_until = {};
    }
    if (now - last_sweep > std::chrono::milliseconds(250)) {
      expire(now);
      last_sweep = now;
    }
  }
}

}  // namespace tt::http
