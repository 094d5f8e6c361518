#include "collect/unix_http.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tt::collect {

namespace {

using Clock = std::chrono::steady_clock;

Error unreachable(const std::string& path, int err) {
  return Error::make(ErrorKind::bad_gateway, "CONTAINER_ENGINE_UNREACHABLE",
                     path + ": " + std::strerror(err));
}

Error timed_out(const std::string& path) {
  return Error::make(ErrorKind::gateway_timeout, "CONTAINER_ENGINE_TIMEOUT",
                     path + ": no whole reply in time");
}

class Fd {
 public:
  explicit Fd(int fd) : m_fd(fd) {}
  ~Fd() {
    if (m_fd >= 0) ::close(m_fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return m_fd; }

 private:
  int m_fd;
};

// Waits until `fd` is ready for `events` or the deadline passes; false on the deadline.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // the next call on fd reports the error
  }
}

}  // namespace

Result<HttpReply> unix_http_get(const std::string& socket_path, std::string_view target,
                                std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) return unreachable(socket_path, ENAMETOOLONG);
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());

  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return unreachable(socket_path, errno);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    // A unix socket whose backlog is full answers EAGAIN: wait for room, then try once more.
    if (errno != EAGAIN && errno != EINPROGRESS) return unreachable(socket_path, errno);
    if (!wait_for(fd.get(), POLLOUT, deadline)) return timed_out(socket_path);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 &&
        errno != EISCONN)
      return unreachable(socket_path, errno);
  }

  std::string request = "GET " + std::string(target) +
                        " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: telltale-agent\r\n"
                        "Accept: application/json\r\nConnection: close\r\n\r\n";
  std::string_view unsent = request;
  while (!unsent.empty()) {
    ssize_t n = ::send(fd.get(), unsent.data(), unsent.size(), MSG_NOSIGNAL);
    if (n > 0) {
      unsent.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd.get(), POLLOUT, deadline)) return timed_out(socket_path);
    } else {
      return unreachable(socket_path, n < 0 ? errno : EPIPE);
    }
  }

  std::string bytes;
  char buf[65536];
  while (true) {
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd.get(), POLLIN, deadline)) return timed_out(socket_path);
      continue;
    }
    if (n < 0) return unreachable(socket_path, errno);
    bytes.append(buf, static_cast<std::size_t>(n));
    auto reply = parse_http_reply(bytes, n == 0);
    if (!reply) return std::move(reply).error();
    if (*reply) return std::move(**reply);
    if (Clock::now() >= deadline) return timed_out(socket_path);
  }
}

}  // namespace tt::collect
