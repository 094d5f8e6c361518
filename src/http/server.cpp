#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace tt::http {

namespace {

constexpr std::size_t kMaxHeadBytes = 16 * 1024;
constexpr int kPollSliceMs = 100;

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
// the request head can be inspected before cpp-httplib parses it.
class BufferedStream final : public httplib::Stream {
 public:
  BufferedStream(int fd, int read_timeout_ms, int write_timeout_ms)
      : m_fd(fd), m_read_timeout_ms(read_timeout_ms), m_write_timeout_ms(write_timeout_ms) {}

  bool is_readable() const override { return buffered() > 0 || wait(POLLIN, m_read_timeout_ms); }
  bool is_writable() const override { return wait(POLLOUT, m_write_timeout_ms); }

  ssize_t read(char* ptr, size_t size) override {
    if (buffered() == 0) {
      if (!fill(m_read_timeout_ms)) return -1;
    }
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
      std::string_view view(m_buf.data() + m_pos, buffered());
      auto end = view.find("\r\n\r\n");
      if (end != std::string_view::npos) return end + 4;
      if (buffered() >= kMaxHeadBytes || !fill(m_read_timeout_ms)) return 0;
    }
  }
  std::string_view pending() const { return {m_buf.data() + m_pos, buffered()}; }
  void consume(size_t n) { m_pos += n; }
  void insert(size_t offset, std::string_view text) { m_buf.insert(m_pos + offset, text); }
  size_t buffered() const { return m_buf.size() - m_pos; }

  bool wait(short events, int timeout_ms) const {
    pollfd p{m_fd, events, 0};
    int rc;
    do rc = ::poll(&p, 1, timeout_ms); while (rc < 0 && errno == EINTR);
    return rc > 0 && (p.revents & (events | POLLHUP | POLLERR));
  }

 private:
  bool fill(int timeout_ms) {
    if (!wait(POLLIN, timeout_ms)) return false;
    if (m_pos > 0 && m_pos == m_buf.size()) {
      m_buf.clear();
      m_pos = 0;
    }
    char tmp[8192];
    ssize_t n;
    do n = ::recv(m_fd, tmp, sizeof tmp, 0); while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    m_buf.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int m_fd;
  int m_read_timeout_ms, m_write_timeout_ms;
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

bool Server::process_and_close_socket(socket_t sock) {
  BufferedStream strm(sock, static_cast<int>(read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000),
                      static_cast<int>(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000));
  bool ret = false;
  bool adopted = false;
  auto count = keep_alive_max_count_;
  while (svr_sock_ != INVALID_SOCKET && count > 0) {
    // Keep-alive wait in short slices, so a stopping server is not held up by idle clients.
    bool readable = strm.buffered() > 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(keep_alive_timeout_sec_);
    while (!readable && svr_sock_ != INVALID_SOCKET && std::chrono::steady_clock::now() < deadline)
      readable = strm.wait(POLLIN, kPollSliceMs);
    if (!readable || svr_sock_ == INVALID_SOCKET) break;

    size_t head_len = strm.buffer_head();
    UpgradeRequest up;
    bool upgrade = head_len > 0 && parse_head(strm.pending().substr(0, head_len), up);
    if (head_len > 0 && !up.headers.count("Content-Length") && !up.headers.count("Transfer-Encoding") &&
        (up.method == "POST" || up.method == "PUT" || up.method == "PATCH")) {
      // RFC 9112: a request without either header has an empty body. cpp-httplib would
      // instead read until the client closes, so say it explicitly.
      strm.insert(head_len - 2, "Content-Length: 0\r\n");
    }
    if (m_upgrade) {
      if (upgrade && up.path == m_upgrade_path) {
        strm.consume(head_len);
        up.fd = sock;
        up.leftover = std::string(strm.pending());
        int port = 0;
        up.remote = peer_ip(sock, false, port);
        adopted = m_upgrade(up);
        ret = adopted;
        break;
      }
    }
    bool connection_closed = false;
    ret = process_request(strm, count == 1, connection_closed, nullptr);
    if (!ret || connection_closed) break;
    --count;
  }
  if (!adopted) {
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
  }
  return ret;
}

}  // namespace tt::http
