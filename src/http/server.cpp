#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>

#include "core/log.h"
#include "core/text.h"
#include "http/base_path.h"
#include "http/envelope.h"
#include "http/headers.h"
#include "http/request_head.h"
#include "http/request_metrics.h"

namespace tt::http {

namespace {

constexpr std::size_t kRequestsPerTurn = 16;
constexpr int kListenBacklog = 1024;
constexpr std::size_t kConnectionsPerClient = 64;

std::string peer_ip(int fd, bool local, int& port) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  int rc = local ? getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len)
                 : getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (rc != 0) return {};
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    port = ntohs(a->sin6_port);
  }
  return buf;
}

// A socket stream over the connection's buffer, which holds what was read and not yet served
// between requests and between threads, so the request head (and a chunked body) can be
// inspected before cpp-httplib parses it. Every wait is cut into short slices so a stopping
// server is never held up by a slow client.
class BufferedStream final : public httplib::Stream {
 public:
  BufferedStream(Connection& conn, int read_timeout_ms, int write_timeout_ms,
                 const std::atomic<bool>& stopping)
      : m_conn(conn),
        m_fd(conn.fd),
        m_buf(conn.buffer),
        m_read_timeout_ms(read_timeout_ms),
        m_write_timeout_ms(write_timeout_ms),
        m_stopping(stopping) {}

  bool is_readable() const override {
    return buffered() > 0 || m_conn.read_pending() || wait(POLLIN, m_read_timeout_ms);
  }
  bool is_writable() const override { return wait(POLLOUT, m_write_timeout_ms); }

  ssize_t read(char* ptr, size_t size) override {
    if (buffered() == 0 && !fill()) return -1;
    size_t n = std::min(size, buffered());
    std::memcpy(ptr, m_buf.data() + m_pos, n);
    m_pos += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!m_conn.ssl) {
      if (!is_writable()) return -1;
      return ::send(m_fd, ptr, size, MSG_NOSIGNAL);
    }
    for (;;) {  // the TLS socket is non-blocking
      ssize_t n = m_conn.write_now(ptr, size);
      if (n >= 0 || errno != EAGAIN) return n;
      if (!wait(m_conn.wait_events(POLLOUT), m_write_timeout_ms)) return -1;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = peer_ip(m_fd, false, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = peer_ip(m_fd, true, port);
  }
  socket_t socket() const override { return m_fd; }

  enum class Body { complete, too_large, broken };
  // Reads a whole chunked body (RFC 9112 §7.1) that follows a head of head_len bytes into the
  // buffer, so cpp-httplib, which has no limit of its own for chunked bodies, parses it from
  // memory. too_large as soon as the decoded size passes max_body.
  Body buffer_chunked_body(size_t head_len, size_t max_body) {
    size_t at = head_len, decoded = 0;
    auto line = [&](std::string_view& out) {
      for (;;) {
        auto view = pending();
        auto eol = view.find("\r\n", at);
        if (eol != std::string_view::npos) {
          out = view.substr(at, eol - at);
          at = eol + 2;
          return true;
        }
        if (view.size() - at > kMaxChunkLine || !fill()) return false;
      }
    };
    for (;;) {
      std::string_view size_line;
      if (!line(size_line)) return Body::broken;
      size_t size = 0, digits = 0;
      for (char c : size_line) {
        int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                            : -1;
        if (d < 0) break;  // chunk extensions follow ';'
        if (++digits > 12) return Body::too_large;
        size = size * 16 + static_cast<size_t>(d);
      }
      if (digits == 0) return Body::broken;
      if (size == 0) break;
      decoded += size;
      if (decoded > max_body) return Body::too_large;
      while (buffered() < at + size + 2)
        if (!fill()) return Body::broken;
      if (pending().substr(at + size, 2) != "\r\n") return Body::broken;
      at += size + 2;
    }
    for (std::string_view trailer;;) {  // trailer fields, then the empty line
      if (!line(trailer)) return Body::broken;
      if (trailer.empty()) return Body::complete;
    }
  }

  std::string_view pending() const { return {m_buf.data() + m_pos, buffered()}; }
  // Leaves the connection's buffer with what was not consumed, for whoever serves it next.
  void keep_unread() {
    m_buf.erase(0, m_pos);
    m_pos = 0;
  }
  void consume(size_t n) { m_pos += n; }
  void insert(size_t offset, std::string_view text) { m_buf.insert(m_pos + offset, text); }
  void replace(size_t offset, size_t length, std::string_view text) {
    m_buf.replace(m_pos + offset, length, text);
  }
  size_t buffered() const { return m_buf.size() - m_pos; }

  // Reads what has arrived without waiting (a pipelined request); false when nothing has.
  bool fill_now() { return fill(0); }

 private:
  static constexpr int kSliceMs = 100;
  static constexpr size_t kMaxChunkLine = 4096;

  // Waits up to timeout_ms for events, in slices, giving up early when the server stops.
  bool wait(short events, int timeout_ms) const {
    for (int waited = 0;; waited += kSliceMs) {
      pollfd p{m_fd, events, 0};
      int slice = std::min(kSliceMs, timeout_ms - waited);
      int rc = ::poll(&p, 1, std::max(0, slice));
      if (rc < 0 && errno == EINTR) continue;
      if (rc != 0) return rc > 0 && (p.revents & (events | POLLHUP | POLLERR));
      if (waited + kSliceMs >= timeout_ms || m_stopping) return false;
    }
  }

  bool fill() { return fill(m_read_timeout_ms); }
  bool fill(int timeout_ms) {
    if (!m_conn.read_pending() && !wait(POLLIN, timeout_ms)) return false;
    if (m_pos > 0 && m_pos == m_buf.size()) {
      m_buf.clear();
      m_pos = 0;
    }
    char tmp[16384];
    ssize_t n;
    for (;;) {
      n = m_conn.ssl ? m_conn.read_now(tmp, sizeof tmp) : ::recv(m_fd, tmp, sizeof tmp, 0);
      if (n >= 0 || errno == EINTR) {
        if (n >= 0) break;
        continue;
      }
      // TLS: a record not yet whole, or the session needs to write first.
      if (errno != EAGAIN || !wait(m_conn.wait_events(POLLIN), timeout_ms)) return false;
    }
    if (n <= 0) return false;
    m_buf.append(tmp, static_cast<size_t>(n));
    return true;
  }

  Connection& m_conn;
  int m_fd;
  std::string& m_buf;
  int m_read_timeout_ms, m_write_timeout_ms;
  const std::atomic<bool>& m_stopping;
  size_t m_pos = 0;
};

bool asks_for_websocket(const RequestHead& head) {
  auto upgrade = head.field("Upgrade");
  if (!upgrade) return false;
  std::string value(*upgrade);
  for (auto& c : value) c = ascii_lower(c);
  return value.find("websocket") != std::string::npos;
}

// Writes all of `data`, waiting up to timeout_ms each time the socket is full.
bool write_all(Connection& conn, std::string_view data, int timeout_ms) {
  while (!data.empty()) {
    ssize_t n = conn.write_now(data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{conn.fd, conn.wait_events(POLLOUT), 0};
      if (::poll(&p, 1, timeout_ms) <= 0) return false;
      continue;
    }
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

Server::Server(std::size_t threads) : m_threads(threads) {
  new_task_queue = [this] {
    auto* pool = new httplib::ThreadPool(m_threads);
    m_queue = pool;
    return pool;
  };
  // cpp-httplib appends a body to an empty string a few KiB at a time: a 1 MB import grew it
  // about nine times, each time copying it into fresh pages (a sixth of an import's CPU). This
  // hook runs before the body is read; the request is process_request's own (non-const) local.
  set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
    auto it = req.headers.find("Content-Length");
    std::size_t len = 0;
    if (it != req.headers.end()) {
      auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), len);
      if (ec == std::errc() && len <= payload_max_length_)
        const_cast<httplib::Request&>(req).body.reserve(len);
    }
    return HandlerResponse::Unhandled;
  });
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, which lets a second telltale
  // bind the same port and silently take half the connections.
  set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
}

Server::~Server() {
  if (m_parker) m_parker->stop();
}

int Server::bind(const std::string& host, int port) {
  int bound = port == 0 ? bind_to_any_port(host) : (bind_to_port(host, port) ? port : -1);
  if (bound <= 0) return bound;
  // cpp-httplib listens with a backlog of 5; a burst of browsers or agents needs more.
  ::listen(svr_sock_, kListenBacklog);
  auto fd_limit = raise_fd_limit();
  m_limits =
      std::make_unique<ConnectionLimits>(connection_cap_for(fd_limit), kConnectionsPerClient);
  log::info("http: at most {} connections, {} per client address (descriptor limit {})",
            m_limits->total_cap(), m_limits->per_client_cap(), fd_limit);
  return bound;
}

bool Server::listen_after_bind() {
  if (!m_limits) return false;
  std::unique_ptr<httplib::TaskQueue> queue(new_task_queue());
  ConnectionParker::Options options;
  options.idle_timeout = std::chrono::seconds(keep_alive_timeout_sec_);
  options.requests_per_connection = keep_alive_max_count_;
  options.write_timeout_ms =
      static_cast<int>(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000);
  options.tls = m_tls;
  options.uncapped = m_uncapped;
  {
    std::unique_lock lock(m_run_mutex);
    if (!m_stopping) {
      m_parker = std::make_unique<ConnectionParker>(
          [this](std::unique_ptr<Connection> c) { resume(std::move(c)); }, *m_limits, options);
      m_parker->listen(svr_sock_);
      m_running = true;
      m_run_cv.wait(lock, [this] { return m_stopping.load(); });
    }
  }
  // The parker goes first: after it stops no connection is handed to the pool, whose queued
  // and running requests see m_stopping and finish.
  if (m_parker) m_parker->stop();
  queue->shutdown();
  m_queue = nullptr;
  ::close(svr_sock_.exchange(INVALID_SOCKET));
  m_running = false;
  return true;
}

void Server::shutdown() {
  {
    std::lock_guard lock(m_run_mutex);
    m_stopping = true;
  }
  m_run_cv.notify_all();
}

void Server::resume(std::unique_ptr<Connection> conn) {
  if (m_stopping || !m_queue) return;  // closes
  // The pool's queue takes copyable tasks only: the connection travels as a raw pointer, and the
  // pool runs every queued task before it stops.
  m_queue->enqueue([this, c = conn.release()] { serve(std::unique_ptr<Connection>(c)); });
}

void Server::answer_and_close(std::unique_ptr<Connection> conn, int status, const Error& error,
                              std::string_view method) {
  send_error_answer(*conn, status, error);
  count_request("unmatched", method, status);
  m_parker->linger(std::move(conn));
}

void Server::serve(std::unique_ptr<Connection> conn) {
  BufferedStream strm(*conn, static_cast<int>(read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000),
                      static_cast<int>(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000),
                      m_stopping);
  const HeadLimits limits;
  for (std::size_t served = 0; !m_stopping && conn->requests_left > 0; ++served) {
    // Threads serve requests, not connections: one without a whole head is parked, and one
    // that has had its turn goes to the back of the queue.
    // What has arrived is read now, up to a whole head and its parked body: bytes TLS holds
    // decrypted would not wake the parker's epoll.
    auto parse = parse_request_head(strm.pending(), limits);
    auto incomplete = [&] {
      return parse.state == HeadState::need_more ||
             (parse.state == HeadState::complete &&
              !body_buffered(parse.head, strm.buffered(), kMaxParkedBody));
    };
    while (incomplete() && strm.fill_now()) parse = parse_request_head(strm.pending(), limits);
    if (parse.state == HeadState::invalid)
      return answer_and_close(std::move(conn), parse.error.status, parse.error.error, parse.method);
    if (incomplete()) {
      strm.keep_unread();
      return m_parker->park(std::move(conn));
    }
    if (served >= kRequestsPerTurn) {
      strm.keep_unread();
      return resume(std::move(conn));
    }
    if (auto edit = without_base_path(parse.head, strm.pending(), m_base_path)) {
      strm.replace(edit->offset, edit->length, edit->text);
      parse = parse_request_head(strm.pending(), limits);
    }
    const auto& head = parse.head;
    if (auto encoding = head.field("Content-Encoding");
        encoding && !encoding->empty() && !iequals(*encoding, "identity")) {
      // cpp-httplib would inflate without bound: a small gzip bomb could fill memory.
      return answer_and_close(std::move(conn), 415,
                              Error::make(ErrorKind::unsupported_type, "UNSUPPORTED_MEDIA_TYPE",
                                          "compressed request bodies are not accepted"),
                              head.method);
    }
    if (m_upgrade && asks_for_websocket(head) &&
        std::find(m_upgrade_paths.begin(), m_upgrade_paths.end(), head.path()) !=
            m_upgrade_paths.end()) {
      UpgradeRequest up{std::string(head.method),
                        std::string(head.target),
                        std::string(head.path()),
                        std::string(head.version),
                        {},
                        {},
                        conn->fd,
                        {}};
      for (const auto& f : head.fields)
        up.headers.emplace(std::string(f.name), std::string(f.value));
      int port = 0;
      up.remote = peer_ip(conn->fd, false, port);
      strm.consume(head.length);
      up.leftover = std::string(strm.pending());
      up.hand_over = [&conn] { return conn->hand_over(); };
      up.scheme = conn->ssl ? Scheme::https : Scheme::http;
      up.send = [&conn, timeout_ms = static_cast<int>(write_timeout_sec_ * 1000 +
                                                      write_timeout_usec_ / 1000)](
                    std::string_view data) { return write_all(*conn, data, timeout_ms); };
      up.take_tls = [&conn]() -> std::unique_ptr<TlsPipe> {
        return conn->ssl ? std::make_unique<TlsPipe>(std::move(conn->ssl)) : nullptr;
      };
      if (!m_upgrade(up)) return m_parker->linger(std::move(conn));
      if (conn->fd >= 0) (void)conn->hand_over();  // the socket now belongs to the core loop
      return;
    }
    if (m_body_gate && body_read_by_pool(head, kMaxParkedBody) &&
        !m_body_gate(std::string(head.field("Authorization").value_or("")),
                     std::string(head.field("Cookie").value_or(""))))
      return answer_and_close(
          std::move(conn), 401,
          Error::make(
              ErrorKind::unauthenticated, "UNAUTHENTICATED",
              "a request body over 64 KiB, chunked or sent after 100 Continue needs credentials"),
          head.method);
    std::size_t head_len = head.length;
    std::string method(head.method);  // the buffer may move under the head's views
    bool body_method = method == "POST" || method == "PUT" || method == "PATCH";
    if (head.chunked) {
      auto body = strm.buffer_chunked_body(head_len, payload_max_length_);
      if (body == BufferedStream::Body::too_large)
        return answer_and_close(std::move(conn), 413,
                                Error::make(ErrorKind::too_large, "PAYLOAD_TOO_LARGE",
                                            "the request body is over the limit"),
                                method);
      if (body == BufferedStream::Body::broken)
        return answer_and_close(
            std::move(conn), 400,
            Error::make(ErrorKind::invalid_input, "BAD_REQUEST", "malformed chunked request body"),
            method);
    } else if (body_method && !head.field("Content-Length")) {
      // RFC 9112: a request without either header has an empty body. cpp-httplib would
      // instead read until the client closes, so say it explicitly.
      constexpr std::string_view kNoBody = "Content-Length: 0\r\n";
      strm.insert(head_len - 2, kNoBody);
      head_len += kNoBody.size();
    }
    if (auto edit = without_brotli(strm.pending().substr(0, head_len), kClientAcceptEncoding))
      strm.replace(edit->offset, edit->length, edit->text);
    bool connection_closed = false;
    bool ok = process_request(strm, conn->requests_left == 1, connection_closed, nullptr);
    if (!ok || connection_closed) break;
    --conn->requests_left;
    conn->head_started = Connection::Clock::now();  // of the next head, should part of it be here
  }
}

}  // namespace tt::http
