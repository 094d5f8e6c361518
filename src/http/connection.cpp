#include "http/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
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

ConnectionLimits::Verdict ConnectionLimits::admit(const std::string& client, ClientCap cap) {
  std::lock_guard lock(m_mutex);
  auto& mine = m_by_client[client];
  if (cap == ClientCap::applies && mine >= m_per_client_cap) return Verdict::over_client_cap;
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

namespace {

// The address as text, its IPv6 interface half cleared when `ipv6_prefix_only`.
std::string address_text(const sockaddr_storage& peer, bool ipv6_prefix_only) {
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
  if (!ipv6_prefix_only) {
    ::inet_ntop(AF_INET6, &addr, buf, sizeof buf);
    return buf;
  }
  std::memset(addr.s6_addr + 8, 0, 8);
  ::inet_ntop(AF_INET6, &addr, buf, sizeof buf);
  return std::string(buf) + "/64";
}

}  // namespace

std::string client_key(const sockaddr_storage& peer) { return address_text(peer, true); }

std::string peer_address(const sockaddr_storage& peer) { return address_text(peer, false); }

void SslFree::operator()(ssl_st* ssl) const { SSL_free(ssl); }

Connection::~Connection() {
  if (fd < 0) return;
  if (ssl && handshaken && !m_tls_done) (void)SSL_shutdown(ssl.get());  // close_notify, no wait
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
  m_limits.release(client);
}

std::shared_ptr<void> Connection::hand_over() {
  fd = -1;
  return std::shared_ptr<void>(
      nullptr, [limits = &m_limits, client = client](void*) { limits->release(client); });
}

Connection::Io Connection::handshake() {
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl.get());
  if (rc == 1) {
    handshaken = true;
    return Io::done;
  }
  switch (SSL_get_error(ssl.get(), rc)) {
    case SSL_ERROR_WANT_READ:
      return Io::want_read;
    case SSL_ERROR_WANT_WRITE:
      return Io::want_write;
    default:
      m_tls_done = true;
      return Io::failed;
  }
}

namespace {

// An OpenSSL call's outcome as read()/write() would tell it.
ssize_t tls_result(ssl_st* ssl, int rc, bool& want_write, bool& failed) {
  if (rc > 0) return rc;
  switch (SSL_get_error(ssl, rc)) {
    case SSL_ERROR_ZERO_RETURN:
      return 0;  // close_notify (or, with SSL_OP_IGNORE_UNEXPECTED_EOF, a bare end)
    case SSL_ERROR_WANT_READ:
      want_write = false;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      want_write = true;
      errno = EAGAIN;
      return -1;
    default:
      failed = true;
      errno = ECONNRESET;
      return -1;
  }
}

}  // namespace

ssize_t Connection::read_now(char* data, std::size_t size) {
  if (!ssl) return ::recv(fd, data, size, MSG_DONTWAIT);
  ERR_clear_error();
  int rc = SSL_read(ssl.get(), data, static_cast<int>(std::min<std::size_t>(size, INT_MAX)));
  return tls_result(ssl.get(), rc, m_want_write, m_tls_done);
}

ssize_t Connection::write_now(const char* data, std::size_t size) {
  if (!ssl) return ::send(fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (size == 0) return 0;
  ERR_clear_error();
  int rc = SSL_write(ssl.get(), data, static_cast<int>(std::min<std::size_t>(size, INT_MAX)));
  return tls_result(ssl.get(), rc, m_want_write, m_tls_done);
}

bool Connection::read_pending() const { return ssl && SSL_pending(ssl.get()) > 0; }

short Connection::wait_events(short wanted) const { return ssl && m_want_write ? POLLOUT : wanted; }

void Connection::shutdown_write() {
  if (ssl && handshaken && !m_tls_done) {
    (void)SSL_shutdown(ssl.get());
    m_tls_done = true;
  }
  ::shutdown(fd, SHUT_WR);
}

void send_error_answer(int fd, int status, const Error& error) {
  auto answer = raw_error_response(status, error, random_hex(8));
  (void)!::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

void send_error_answer(Connection& conn, int status, const Error& error) {
  auto answer =
      raw_error_response(status, error, random_hex(8), conn.ssl ? Scheme::https : Scheme::http);
  (void)conn.write_now(answer.data(), answer.size());
}

}  // namespace tt::http
