#include "http/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/metrics.h"
#include "core/random.h"
#include "http/envelope.h"

namespace tt::http {

namespace {

metrics::Gauge& open_gauge() {
  static auto& g = metrics::gauge("telltale_http_connections",
                                  "Open HTTP connections (WebSockets not included).");
  return g;
}

}  // namespace

ConnectionLimits::ConnectionLimits(std::size_t total_cap, std::size_t per_client_cap)
    : m_total_cap(total_cap), m_per_client_cap(std::min(per_client_cap, total_cap)) {}

ConnectionLimits::Verdict ConnectionLimits::admit(const std::string& client) {
  std::lock_guard lock(m_mutex);
  auto& mine = m_by_client[client];
  if (mine >= m_per_client_cap) return Verdict::over_client_cap;
  if (m_open >= m_total_cap) {
    if (mine == 0) m_by_client.erase(client);
    return Verdict::over_total_cap;
  }
  ++mine;
  ++m_open;
  open_gauge().inc();
  return Verdict::admitted;
}

void ConnectionLimits::release(const std::string& client) {
  std::lock_guard lock(m_mutex);
  auto it = m_by_client.find(client);
  if (it == m_by_client.end()) return;
  if (--it->second == 0) m_by_client.erase(it);
  --m_open;
  open_gauge().dec();
}

std::size_t ConnectionLimits::open() const {
  std::lock_guard lock(m_mutex);
  return m_open;
}

std::size_t connection_cap_for(std::size_t fd_limit) {
  constexpr std::size_t kMaxConnections = 4096, kMaxReserve = 128;
  std::size_t reserve = std::min(kMaxReserve, fd_limit / 2);
  return std::clamp<std::size_t>(fd_limit - reserve, 1, kMaxConnections);
}

std::size_t raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised{lim.rlim_max, lim.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return lim.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20
                                       : static_cast<std::size_t>(lim.rlim_cur);
}

std::string client_key(const sockaddr_storage& peer) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (peer.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(peer).sin_addr, buf, sizeof buf);
    return buf;
  }
  if (peer.ss_family != AF_INET6) return "?";
  in6_addr addr = reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr;
  if (IN6_IS_ADDR_V4MAPPED(&addr)) {
    ::inet_ntop(AF_INET, addr.s6_addr + 12, buf, sizeof buf);
    return buf;
  }
  std::memset(addr.s6_addr + 8, 0, 8);
  ::inet_ntop(AF_INET6, &addr, buf, sizeof buf);
  return std::string(buf) + "/64";
}

Connection::~Connection() {
  if (fd < 0) return;
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
  m_limits.release(client);
}

std::shared_ptr<void> Connection::hand_over() {
  fd = -1;
  return std::shared_ptr<void>(
      nullptr, [limits = &m_limits, client = client](void*) { limits->release(client); });
}

void send_error_answer(int fd, int status, const Error& error) {
  auto answer = raw_error_response(status, error, random_hex(8));
  (void)!::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace tt::http
