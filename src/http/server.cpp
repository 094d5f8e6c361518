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

#include "core/random.h"
#include "http/envelope.h"
#include "http/headers.h"

namespace tt::http {

namespace {

constexpr std::size_t kMaxHeadBytes = 16 * 1024;
constexpr int kFirstRequestWaitMs = 5;   // a new connection's request is usually on its way
constexpr std::size_t kRequestsPerTurn = 16;
constexpr int kListenBacklog = 1024;

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

// A socket stream with a read buffer that survives between requests on one connection, so
// the request head (and a chunked body) can be inspected before cpp-httplib parses it. Every
// wait is cut into short slices so a stopping server is never held up by a slow client.
class BufferedStream final : public httplib::Stream {
 public:
  BufferedStream(int fd, int read_timeout_ms, int write_timeout_ms, const std::atomic<bool>& stopping)
      : m_fd(fd), m_read_timeout_ms(read_timeout_ms), m_write_timeout_ms(write_timeout_ms), m_stopping(stopping) {}

  bool is_readable() const override { return buffered() > 0 || wait(POLLIN, m_read_timeout_ms); }
  bool is_writable() const override { return wait(POLLOUT, m_write_timeout_ms); }

  ssize_t read(char* ptr, size_t size) override {
    if (buffered() == 0 && !fill()) return -1;
    size_t n = std::min(size, buffered());
    std::memcpy(ptr, m_buf.data() + m_pos, n);
    m_pos += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    return ::send(m_fd, ptr, size, MSG_NOSIGNAL);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = peer_ip(m_fd, false, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { ip = peer_ip(m_fd, true, port); }
  socket_t socket() const override { return m_fd; }

  // Reads until the buffer holds a whole request head ("\r\n\r\n"), the head limit is reached,
  // or the peer stops sending. Returns the head's length including the terminator, or 0.
  size_t buffer_head() {
    for (;;) {
      auto end = pending().find("\r\n\r\n");
      if (end != std::string_view::npos) return end + 4;
      if (buffered() >= kMaxHeadBytes || !fill()) return 0;
    }
  }

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
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
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
  void consume(size_t n) { m_pos += n; }
  void insert(size_t offset, std::string_view text) { m_buf.insert(m_pos + offset, text); }
  void replace(size_t offset, size_t length, std::string_view text) { m_buf.replace(m_pos + offset, length, text); }
  size_t buffered() const { return m_buf.size() - m_pos; }

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

 private:
  static constexpr int kSliceMs = 100;
  static constexpr size_t kMaxChunkLine = 4096;

  bool fill() {
    if (!wait(POLLIN, m_read_timeout_ms)) return false;
    if (m_pos > 0 && m_pos == m_buf.size()) {
      m_buf.clear();
      m_pos = 0;
    }
    char tmp[16384];
    ssize_t n;
    do n = ::recv(m_fd, tmp, sizeof tmp, 0); while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    m_buf.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int m_fd;
  int m_read_timeout_ms, m_write_timeout_ms;
  const std::atomic<bool>& m_stopping;
  std::string m_buf;
  size_t m_pos = 0;
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Parses a request head far enough to route it. Returns whether it asks for a WebSocket.
bool parse_head(std::string_view head, UpgradeRequest& out) {
  auto line_end = head.find("\r\n");
  auto line = head.substr(0, line_end);
  auto sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return false;
  out.method = std::string(line.substr(0, sp1));
  out.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  out.version = std::string(line.substr(sp2 + 1));
  out.path = out.target.substr(0, out.target.find('?'));
  bool upgrade = false;
  auto rest = head.substr(line_end + 2);
  while (!rest.empty()) {
    auto e = rest.find("\r\n");
    auto h = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view{} : rest.substr(e + 2);
    auto colon = h.find(':');
    if (colon == std::string_view::npos) continue;
    std::string key(h.substr(0, colon));
    auto value = h.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (lower(key) == "upgrade" && lower(value).find("websocket") != std::string::npos) upgrade = true;
    out.headers.emplace(std::move(key), std::string(value));
  }
  return upgrade;
}

}  // namespace

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

Server::Server(std::size_t threads) : m_threads(threads) {
  new_task_queue = [this] {
    auto* pool = new httplib::ThreadPool(m_threads);
    m_queue = pool;
    return pool;
  };
  m_parker = std::make_unique<ConnectionParker>([this](int fd, std::size_t left) { resume(fd, left); });
  // cpp-httplib appends a body to an empty string a few KiB at a time: a 1 MB import grew it
  // about nine times, each time copying it into fresh pages (a sixth of an import's CPU). This
  // hook runs before the body is read; the request is process_request's own (non-const) local.
  set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
    auto it = req.headers.find("Content-Length");
    std::size_t len = 0;
    if (it != req.headers.end()) {
      auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), len);
      if (ec == std::errc() && len <= payload_max_length_) const_cast<httplib::Request&>(req).body.reserve(len);
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

Server::~Server() { m_parker->stop(); }

int Server::bind(const std::string& host, int port) {
  int bound = port == 0 ? bind_to_any_port(host) : (bind_to_port(host, port) ? port : -1);
  // cpp-httplib listens with a backlog of 5; a burst of browsers or agents needs more.
  if (bound > 0) ::listen(svr_sock_, kListenBacklog);
  return bound;
}

void Server::shutdown() {
  m_stopping = true;
  // The parker goes first: after it stops no parked socket is handed to the pool, which
  // httplib shuts down and frees when listen() returns.
  m_parker->stop();
  stop();
}

void Server::resume(int fd, std::size_t requests_left) {
  if (m_stopping || !m_queue) {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    return;
  }
  m_queue->enqueue([this, fd, requests_left] { serve(fd, requests_left); });
}

bool Server::process_and_close_socket(socket_t sock) { return serve(sock, keep_alive_max_count_); }

bool Server::answer_and_close(int fd, int status, Error error) {
  write_all(fd, raw_error_response(status, error, random_hex(8)));
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
  return false;
}

bool Server::serve(socket_t sock, std::size_t requests_left) {
  BufferedStream strm(sock, static_cast<int>(read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000),
                      static_cast<int>(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000), m_stopping);
  bool ret = false;
  for (std::size_t served = 0; !m_stopping && requests_left > 0; ++served) {
    // Threads serve requests, not connections: a connection with nothing to read is parked,
    // and one that has had its turn goes to the back of the queue.
    if (strm.buffered() == 0) {
      if (!strm.wait(POLLIN, served == 0 ? kFirstRequestWaitMs : 0)) {
        m_parker->park(sock, requests_left,
                       ConnectionParker::Clock::now() + std::chrono::seconds(keep_alive_timeout_sec_));
        return true;
      }
      if (served >= kRequestsPerTurn) {
        resume(sock, requests_left);
        return true;
      }
    }

    size_t head_len = strm.buffer_head();
    UpgradeRequest up;
    bool upgrade = head_len > 0 && parse_head(strm.pending().substr(0, head_len), up);
    if (head_len > 0) {
      auto encoding = lower(up.headers.count("Content-Encoding") ? up.headers.find("Content-Encoding")->second : "");
      if (!encoding.empty() && encoding != "identity") {
        // cpp-httplib would inflate without bound: a small gzip bomb could fill memory.
        return answer_and_close(sock, 415, Error::make(ErrorKind::unsupported_type, "UNSUPPORTED_MEDIA_TYPE",
                                                       "compressed request bodies are not accepted"));
      }
      bool body_method = up.method == "POST" || up.method == "PUT" || up.method == "PATCH";
      if (up.headers.count("Transfer-Encoding")) {
        auto body = strm.buffer_chunked_body(head_len, payload_max_length_);
        if (body == BufferedStream::Body::too_large)
          return answer_and_close(sock, 413, Error::make(ErrorKind::too_large, "PAYLOAD_TOO_LARGE",
                                                         "the request body is over the limit"));
        if (body == BufferedStream::Body::broken)
          return answer_and_close(sock, 400, Error::make(ErrorKind::invalid_input, "BAD_REQUEST",
                                                         "malformed chunked request body"));
      } else if (body_method && !up.headers.count("Content-Length")) {
        // RFC 9112: a request without either header has an empty body. cpp-httplib would
        // instead read until the client closes, so say it explicitly.
        strm.insert(head_len - 2, "Content-Length: 0\r\n");
      }
    }
    if (m_upgrade && upgrade && up.path == m_upgrade_path) {
      strm.consume(head_len);
      up.fd = sock;
      up.leftover = std::string(strm.pending());
      int port = 0;
      up.remote = peer_ip(sock, false, port);
      if (m_upgrade(up)) return true;  // the socket now belongs to the core loop
      break;
    }
    if (head_len > 0)
      if (auto edit = without_brotli(strm.pending().substr(0, strm.buffer_head()), kClientAcceptEncoding))
        strm.replace(edit->offset, edit->length, edit->text);
    bool connection_closed = false;
    ret = process_request(strm, requests_left == 1, connection_closed, nullptr);
    if (!ret || connection_closed) break;
    --requests_left;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ret;
}

}  // namespace tt::http
