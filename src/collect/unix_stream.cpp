#include "collect/unix_stream.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace tt::collect {

namespace {

// Waits until `fd` is ready for `events` or the deadline passes; false on the deadline.
bool wait_for(int fd, short events, UnixStream::Deadline deadline) {
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // the next call on fd reports the error
  }
}

}  // namespace

UnixStream::~UnixStream() {
  if (m_fd >= 0) ::close(m_fd);
}

UnixStream::UnixStream(UnixStream&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

UnixStream& UnixStream::operator=(UnixStream&& other) noexcept {
  std::swap(m_fd, other.m_fd);
  return *this;
}

int UnixStream::connect(const std::string& path, Deadline deadline) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return ENAMETOOLONG;
  std::memcpy(addr.sun_path, path.data(), path.size());
  m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (m_fd < 0) return errno;
  const auto* sa = reinterpret_cast<const sockaddr*>(&addr);
  if (::connect(m_fd, sa, sizeof addr) == 0) return 0;
  // A unix socket whose backlog is full answers EAGAIN: wait for room, then try once more.
  if (errno != EAGAIN && errno != EINPROGRESS) return errno;
  if (!wait_for(m_fd, POLLOUT, deadline)) return ETIMEDOUT;
  if (::connect(m_fd, sa, sizeof addr) != 0 && errno != EISCONN) return errno;
  return 0;
}

int UnixStream::send_all(std::string_view bytes, Deadline deadline) {
  while (!bytes.empty()) {
    ssize_t n = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(m_fd, POLLOUT, deadline)) return ETIMEDOUT;
    } else {
      return n < 0 ? errno : EPIPE;
    }
  }
  return 0;
}

int UnixStream::receive(std::string& out, Deadline deadline, bool& closed) {
  char buf[65536];
  while (true) {
    ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(m_fd, POLLIN, deadline)) return ETIMEDOUT;
      continue;
    }
    if (n < 0) return errno;
    closed = n == 0;
    out.append(buf, static_cast<std::size_t>(n));
    return 0;
  }
}

}  // namespace tt::collect
