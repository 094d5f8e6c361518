#include "client/link.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "core/text.h"
#include "ws/client_handshake.h"
#include "ws/handshake.h"

namespace tt::client {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxHeadBytes = 64 * 1024;
constexpr std::size_t kReadBytes = 64 * 1024;
constexpr auto kCloseWait = std::chrono::seconds(1);

Error unreachable(std::string message) {
  return Error::make(ErrorKind::unavailable, "HUB_UNREACHABLE", std::move(message));
}
Error timed_out(std::string message) {
  return Error::make(ErrorKind::gateway_timeout, "HUB_TIMEOUT", std::move(message));
}
Error bad_reply(std::string message) {
  return Error::make(ErrorKind::bad_gateway, "HUB_BAD_REPLY", std::move(message));
}
Error invalid_url(std::string message) {
  return Error::make(ErrorKind::validation, "HUB_URL_INVALID", std::move(message));
}
Error tls_error(std::string message) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    message += fmt::format(" ({})", buf);
  }
  return Error::make(ErrorKind::bad_gateway, "HUB_TLS", std::move(message));
}

int ms_until(Clock::time_point until) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, 1 << 30));
}

// Waits until `fd` is ready for `events` or `until` passes: 1 ready, 0 timed out, -1 error.
int wait_for(int fd, short events, Clock::time_point until) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, ms_until(until));
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

// Owns a socket until released.
struct Socket {
  int fd = -1;
  ~Socket() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

// A connection's socket and, with TLS, its session: every byte goes through the session.
struct Peer {
  int fd;
  ssl_st* ssl;
};

// What a TLS call's outcome means as send()/recv() would say it: bytes, 0 at the end, or -1
// with errno (EAGAIN: poll for `wait`).
ssize_t tls_io(ssl_st* ssl, int rc, short& wait) {
  if (rc > 0) return rc;
  switch (SSL_get_error(ssl, rc)) {
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    case SSL_ERROR_WANT_READ:
      wait = POLLIN;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      wait = POLLOUT;
      errno = EAGAIN;
      return -1;
    default:
      ERR_clear_error();
      errno = ECONNRESET;
      return -1;
  }
}

ssize_t send_some(Peer p, std::string_view data, short& wait) {
  wait = POLLOUT;
  if (!p.ssl) return ::send(p.fd, data.data(), data.size(), MSG_NOSIGNAL);
  ERR_clear_error();
  return tls_io(
      p.ssl,
      SSL_write(p.ssl, data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 20))),
      wait);
}

ssize_t recv_some(Peer p, char* buf, std::size_t size, short& wait) {
  wait = POLLIN;
  if (!p.ssl) return ::recv(p.fd, buf, size, 0);
  ERR_clear_error();
  return tls_io(p.ssl, SSL_read(p.ssl, buf, static_cast<int>(size)), wait);
}

// A non-blocking socket connected to the first of the hub's addresses that answers, from
// `source` (an IPv4 address) when one is given.
Result<int> connect_tcp(const ServerUrl& hub, Clock::time_point deadline,
                        const std::string& source) {
  addrinfo hints{};
  hints.ai_family = source.empty() ? AF_UNSPEC : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(hub.port);
  if (int rc = ::getaddrinfo(hub.host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return unreachable(fmt::format("resolving {}: {}", hub.host, ::gai_strerror(rc)));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
  std::string why = "no address";
  for (const addrinfo* a = found; a; a = a->ai_next) {
    Socket s{::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol)};
    if (s.fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    if (!source.empty()) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      if (::inet_pton(AF_INET, source.c_str(), &local.sin_addr) != 1 ||
          ::bind(s.fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
        why = fmt::format("binding to {}: {}", source, std::strerror(errno));
        continue;
      }
    }
    if (::connect(s.fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      why = std::strerror(errno);
      continue;
    }
    const int ready = wait_for(s.fd, POLLOUT, deadline);
    if (ready == 0) return timed_out(fmt::format("connecting to {}:{}", hub.host, hub.port));
    int err = 0;
    socklen_t len = sizeof err;
    if (ready < 0 || ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err == 0) return s.release();
    why = std::strerror(err);
  }
  return unreachable(fmt::format("connecting to {}:{}: {}", hub.host, hub.port, why));
}

Result<void> write_all(Peer p, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    short wait = POLLOUT;
    const ssize_t n = send_some(p, data, wait);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      return unreachable(fmt::format("sending to the hub: {}", std::strerror(errno)));
    const int ready = wait_for(p.fd, wait, deadline);
    if (ready == 0) return timed_out("the hub took nothing more in time");
    if (ready < 0) return unreachable(fmt::format("sending to the hub: {}", std::strerror(errno)));
  }
  return ok();
}

// Appends what `fd` has to `out`, waiting until `until`: the number of bytes, 0 at the end of the
// stream, nullopt when nothing came in time.
Result<std::optional<std::size_t>> read_some(Peer p, std::string& out, Clock::time_point until) {
  for (;;) {
    char buf[kReadBytes];
    short wait = POLLIN;
    const ssize_t n = recv_some(p, buf, sizeof buf, wait);
    if (n >= 0) {
      out.append(buf, static_cast<std::size_t>(n));
      return std::optional<std::size_t>(static_cast<std::size_t>(n));
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return unreachable(fmt::format("reading from the hub: {}", std::strerror(errno)));
    const int ready = wait_for(p.fd, wait, until);
    if (ready == 0) return std::optional<std::size_t>();
    if (ready < 0)
      return unreachable(fmt::format("reading from the hub: {}", std::strerror(errno)));
  }
}

// Reads up to the end of a response head; `data` keeps what came after it.
Result<ws::ResponseHead> read_head(Peer p, std::string& data, Clock::time_point deadline) {
  std::size_t end;
  while ((end = data.find("\r\n\r\n")) == std::string::npos) {
    if (data.size() > kMaxHeadBytes) return bad_reply("the server's answer has an endless head");
    auto n = TT_TRY(read_some(p, data, deadline));
    if (!n) return timed_out("the hub did not answer in time");
    if (*n == 0) return unreachable("the server closed the connection without an answer");
  }
  auto head = ws::parse_response_head(std::string_view(data).substr(0, end));
  data.erase(0, end + 4);
  if (!head) return bad_reply(head.error().message);
  return std::move(head).value();
}

std::optional<std::uint64_t> parse_number(std::string_view s, int base) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The body of a chunked message whose bytes so far are `data`; nullopt while incomplete.
Result<std::optional<std::string>> decode_chunked(std::string_view data, std::size_t max) {
  std::string body;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t eol = data.find("\r\n", pos);
    if (eol == std::string_view::npos) return std::optional<std::string>();
    const std::string_view line = data.substr(pos, eol - pos);
    const auto size = parse_number(trim(line.substr(0, line.find(';'))), 16);
    if (!size) return bad_reply("a malformed chunk size");
    pos = eol + 2;
    if (*size == 0) break;
    if (*size > max - body.size()) return bad_reply("the server's answer is too large");
    if (data.size() < pos + *size + 2) return std::optional<std::string>();
    body.append(data.substr(pos, *size));
    if (data.substr(pos + *size, 2) != "\r\n") return bad_reply("a chunk without its CRLF");
    pos += *size + 2;
  }
  for (;;) {  // trailers, up to an empty line
    const std::size_t eol = data.find("\r\n", pos);
    if (eol == std::string_view::npos) return std::optional<std::string>();
    if (eol == pos) return std::optional<std::string>(std::move(body));
    pos = eol + 2;
  }
}

// The body after `head`, whose bytes so far are `data`.
Result<std::string> read_body(Peer p, const ws::ResponseHead& head, std::string& data,
                              Clock::time_point deadline, std::size_t max) {
  if (head.status == 204 || head.status == 304) return std::string();
  const bool chunked = ws::has_token(head.header("Transfer-Encoding"), "chunked");
  const std::string length_text = head.header("Content-Length");
  std::optional<std::uint64_t> length;
  if (!chunked && !length_text.empty()) {
    length = parse_number(length_text, 10);
    if (!length) return bad_reply("a malformed Content-Length");
    if (*length > max) return bad_reply("the server's answer is too large");
  }
  for (;;) {
    if (chunked) {
      if (auto body = TT_TRY(decode_chunked(data, max))) return std::move(*body);
    } else if (length && data.size() >= *length) {
      data.resize(static_cast<std::size_t>(*length));
      return std::move(data);
    }
    if (data.size() > max + kMaxHeadBytes) return bad_reply("the server's answer is too large");
    auto n = TT_TRY(read_some(p, data, deadline));
    if (!n) return timed_out("the server's answer did not come whole in time");
    if (*n > 0) continue;
    if (chunked || length) return unreachable("the server closed the connection inside its answer");
    if (data.size() > max) return bad_reply("the server's answer is too large");
    return std::move(data);  // delimited by the close
  }
}

using SslPtr = std::unique_ptr<ssl_st, SslFree>;

// A TLS session over the connected socket, its handshake done within `deadline`: the hub's
// certificate verified against ca_file's CAs, or the system's, and for the URL's host (a name,
// sent as SNI too, or an address).
Result<SslPtr> start_tls(int fd, const ServerUrl& hub, Clock::time_point deadline) {
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  if (!ctx) return tls_error("cannot make a TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (hub.ca_file.empty()
          ? SSL_CTX_set_default_verify_paths(ctx.get()) != 1
          : SSL_CTX_load_verify_locations(ctx.get(), hub.ca_file.c_str(), nullptr) != 1)
    return tls_error(hub.ca_file.empty() ? "cannot load the system's CAs"
                                         : "cannot read the CA file " + hub.ca_file);
  SslPtr ssl(SSL_new(ctx.get()));
  if (!ssl) return tls_error("cannot make a TLS session");
  SSL_set_fd(ssl.get(), fd);
  in6_addr ignored;
  const bool address = ::inet_pton(AF_INET, hub.host.c_str(), &ignored) == 1 ||
                       ::inet_pton(AF_INET6, hub.host.c_str(), &ignored) == 1;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
  if (address ? X509_VERIFY_PARAM_set1_ip_asc(param, hub.host.c_str()) != 1
              : (SSL_set_tlsext_host_name(ssl.get(), hub.host.c_str()) != 1 ||
                 SSL_set1_host(ssl.get(), hub.host.c_str()) != 1))
    return tls_error("cannot verify for " + hub.host);
  for (;;) {
    ERR_clear_error();
    const int rc = SSL_connect(ssl.get());
    if (rc == 1) return ssl;
    const int error = SSL_get_error(ssl.get(), rc);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
      const long verify = SSL_get_verify_result(ssl.get());
      if (verify != X509_V_OK)
        return tls_error(fmt::format("the certificate of {} is not trusted: {}", hub.host,
                                     X509_verify_cert_error_string(verify)));
      return tls_error(fmt::format("the TLS handshake with {}:{} failed", hub.host, hub.port));
    }
    const int ready = wait_for(fd, error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
    if (ready == 0)
      return timed_out(fmt::format("the TLS handshake with {}:{}", hub.host, hub.port));
    if (ready < 0) return unreachable(fmt::format("the TLS handshake: {}", std::strerror(errno)));
  }
}

// A connection to the hub, with its TLS session when the URL asks for one.
Result<std::pair<int, SslPtr>> open_link(const ServerUrl& hub, Clock::time_point deadline,
                                         const std::string& source) {
  Socket s{TT_TRY(connect_tcp(hub, deadline, source))};
  SslPtr ssl;
  if (hub.tls) ssl = TT_TRY(start_tls(s.fd, hub, deadline));
  return std::pair<int, SslPtr>(s.release(), std::move(ssl));
}

}  // namespace

void SslFree::operator()(ssl_st* ssl) const { SSL_free(ssl); }

std::string ServerUrl::host_header() const {
  const bool v6 = host.find(':') != std::string::npos;
  const std::string name = v6 ? "[" + host + "]" : host;
  return port == (tls ? 443 : 80) ? name : fmt::format("{}:{}", name, port);
}

Result<ServerUrl> parse_server_url(std::string_view url) {
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) return invalid_url("the hub's URL needs http://");
  const std::string scheme = ascii_lower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https" && scheme != "ws" && scheme != "wss")
    return invalid_url("the hub's URL needs http:// or https://");
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F)
      return invalid_url("the hub's URL has a space or a control character");
  std::string_view rest = url.substr(sep + 3);
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (path.find_first_of("?#") != std::string_view::npos ||
      authority.find('@') != std::string_view::npos)
    return invalid_url("the hub's URL takes no user, query or fragment");
  ServerUrl hub;
  hub.tls = scheme == "https" || scheme == "wss";
  hub.port = hub.tls ? 443 : 80;
  std::optional<std::string_view> port;
  if (authority.starts_with("[")) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid_url("an IPv6 address without its ']'");
    hub.host = std::string(authority.substr(1, close - 1));
    if (hub.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos)
      return invalid_url("not an IPv6 address between the brackets");
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(":")) return invalid_url("bytes after the ']'");
    if (!after.empty()) port = after.substr(1);
  } else {
    const std::size_t colon = authority.find(':');
    hub.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (hub.host.empty()) return invalid_url("the hub's URL needs a host");
  if (port) {
    const auto n = parse_number(*port, 10);
    if (!n || *n == 0 || *n > 65535) return invalid_url("the hub's port is not 1-65535");
    hub.port = static_cast<std::uint16_t>(*n);
  }
  while (path.ends_with("/")) path.remove_suffix(1);
  hub.prefix = std::string(path);
  return hub;
}

Result<HttpReply> request(const ServerUrl& server, std::string_view method, std::string_view path,
                          std::string_view bearer, std::string_view json_body,
                          std::chrono::milliseconds timeout, std::size_t max_reply_bytes) {
  const auto deadline = Clock::now() + timeout;
  auto [fd, ssl] = TT_TRY(open_link(server, deadline, {}));
  Socket s{fd};
  const Peer p{fd, ssl.get()};
  const bool with_body = !json_body.empty() || method == "POST" || method == "PATCH";
  const std::string head = fmt::format(
      "{} {}{} HTTP/1.1\r\n"
      "Host: {}\r\n"
      "{}"
      "{}"
      "Accept: application/json\r\n"
      "Connection: close\r\n"
      "\r\n",
      method, server.prefix, path, server.host_header(),
      bearer.empty() ? "" : fmt::format("Authorization: Bearer {}\r\n", bearer),
      with_body ? fmt::format("Content-Type: application/json\r\nContent-Length: {}\r\n",
                              json_body.size())
                : "");
  TT_TRY(write_all(p, head, deadline));
  TT_TRY(write_all(p, json_body, deadline));
  std::string data;
  const auto reply_head = TT_TRY(read_head(p, data, deadline));
  HttpReply reply;
  reply.status = reply_head.status;
  reply.body = TT_TRY(read_body(p, reply_head, data, deadline, max_reply_bytes));
  return reply;
}

WsLink::WsLink(int fd, SslPtr ssl, WsLinkOptions options)
    : m_fd(fd),
      m_ssl(std::move(ssl)),
      m_options(options),
      m_parser(options.max_message_bytes, ws::Role::client),
      m_last_received(Clock::now()) {}

WsLink::WsLink(WsLink&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)),
      m_ssl(std::move(other.m_ssl)),
      m_options(other.m_options),
      m_parser(std::move(other.m_parser)),
      m_inbox(std::move(other.m_inbox)),
      m_last_received(other.m_last_received),
      m_pong_due(other.m_pong_due),
      m_failed(std::move(other.m_failed)),
      m_peer_close(std::move(other.m_peer_close)),
      m_close_sent(other.m_close_sent) {}

WsLink& WsLink::operator=(WsLink&& other) noexcept {
  if (this != &other) {
    drop_socket();
    m_fd = std::exchange(other.m_fd, -1);
    m_ssl = std::move(other.m_ssl);
    m_options = other.m_options;
    m_parser = std::move(other.m_parser);
    m_inbox = std::move(other.m_inbox);
    m_last_received = other.m_last_received;
    m_pong_due = other.m_pong_due;
    m_failed = std::move(other.m_failed);
    m_peer_close = std::move(other.m_peer_close);
    m_close_sent = other.m_close_sent;
  }
  return *this;
}

WsLink::~WsLink() { drop_socket(); }

void WsLink::drop_socket() {
  m_ssl.reset();
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
}

Error WsLink::fail(Error error) {
  drop_socket();
  m_failed = error;
  return error;
}

Result<WsLink> WsLink::connect(const ServerUrl& hub, std::string_view path, std::string_view bearer,
                               std::chrono::milliseconds timeout, WsLinkOptions options) {
  const auto deadline = Clock::now() + timeout;
  auto [fd, ssl] = TT_TRY(open_link(hub, deadline, options.source));
  Socket s{fd};
  const Peer p{fd, ssl.get()};
  const std::string key = ws::random_key();
  TT_TRY(write_all(
      p, ws::upgrade_request(hub.host_header(), hub.prefix + std::string(path), bearer, key),
      deadline));
  std::string data;
  const auto head = TT_TRY(read_head(p, data, deadline));
  TT_TRY(ws::check_upgrade_response(head, key));
  WsLink link(s.release(), std::move(ssl), options);
  if (!data.empty()) TT_TRY(link.feed(data));  // frames sent right after the 101
  return link;
}

Result<void> WsLink::feed(std::string_view bytes) {
  m_parser.feed(bytes.data(), bytes.size(), [this](ws::Message&& m) {
    m_inbox.push_back(std::move(m));
    return true;
  });
  if (!m_parser.failed()) return ok();
  (void)send_frame(ws::Opcode::close,
                   ws::make_close_payload(m_parser.error_code(), m_parser.error_reason()));
  return fail(bad_reply("the hub broke RFC 6455: " + m_parser.error_reason()));
}

Result<void> WsLink::send_frame(ws::Opcode opcode, std::string_view payload) {
  if (m_failed) return *m_failed;
  std::string frame;
  ws::append_masked_frame(frame, opcode, payload, ws::random_mask_key());
  if (opcode == ws::Opcode::close) m_close_sent = true;
  if (auto sent = write_all({m_fd, m_ssl.get()}, frame, Clock::now() + m_options.send_timeout);
      !sent)
    return fail(std::move(sent).error());
  return ok();
}

Result<void> WsLink::send_text(std::string_view text) { return send_frame(ws::Opcode::text, text); }

Result<void> WsLink::send_binary(std::string_view bytes) {
  return send_frame(ws::Opcode::binary, bytes);
}

Result<void> WsLink::read_into_inbox(Clock::time_point until) {
  std::string data;
  auto n = read_some({m_fd, m_ssl.get()}, data, until);
  if (!n) return fail(std::move(n).error());
  if (!*n) return ok();  // nothing yet
  if (**n == 0) return fail(unreachable("the hub dropped the connection"));
  // Bytes TLS holds already decrypted would not wake a caller that polls fd().
  while (m_ssl && SSL_pending(m_ssl.get()) > 0)
    if (auto more = read_some({m_fd, m_ssl.get()}, data, Clock::now()); !more || !*more || !**more)
      break;
  m_last_received = Clock::now();
  m_pong_due.reset();  // anything from the hub shows it is there
  return feed(data);
}

Result<std::optional<std::string>> WsLink::take(ws::Message&& message) {
  switch (message.opcode) {
    case ws::Opcode::text:
      return std::optional<std::string>(std::move(message.payload));
    case ws::Opcode::ping:
      TT_TRY(send_frame(ws::Opcode::pong, message.payload));
      break;
    case ws::Opcode::close: {
      m_peer_close = PeerClose{message.close_code, message.payload};
      if (!m_close_sent) {
        const std::uint16_t echo =
            message.close_code == ws::kCloseNoStatus ? ws::kCloseNormal : message.close_code;
        (void)send_frame(ws::Opcode::close, ws::make_close_payload(echo, {}));
      }
      const auto kind = message.close_code == ws::kClosePolicyViolation ? ErrorKind::forbidden
                                                                        : ErrorKind::unavailable;
      return fail(Error::make(
          kind, "HUB_CLOSED",
          fmt::format("the server closed the link: {} {}", message.close_code, message.payload)));
    }
    default:  // pongs (any bytes count as an answer) and binary messages, which the hub never sends
      break;
  }
  return std::optional<std::string>();
}

Result<std::optional<std::string>> WsLink::receive(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  bool read_once = false;  // a zero timeout still takes what the socket holds
  for (;;) {
    if (m_failed) return *m_failed;
    while (!m_inbox.empty()) {
      ws::Message message = std::move(m_inbox.front());
      m_inbox.pop_front();
      if (auto text = TT_TRY(take(std::move(message)))) return text;
    }
    const auto now = Clock::now();
    if (m_pong_due && now >= *m_pong_due)
      return fail(timed_out(fmt::format("the hub did not answer a ping within {} ms",
                                        m_options.pong_within.count())));
    if (!m_pong_due && now - m_last_received >= m_options.ping_after) {
      TT_TRY(send_frame(ws::Opcode::ping, {}));
      m_pong_due = now + m_options.pong_within;
    }
    if (read_once && now >= deadline) return std::optional<std::string>();
    const auto keepalive = m_pong_due ? *m_pong_due : m_last_received + m_options.ping_after;
    TT_TRY(read_into_inbox(std::min(deadline, keepalive)));
    read_once = true;
  }
}

void WsLink::close(std::uint16_t code, std::string_view reason) {
  if (m_fd < 0) return;
  if (!m_close_sent && send_frame(ws::Opcode::close, ws::make_close_payload(code, reason))) {
    // The hub answers with its close and then ends the connection; wait a moment for that.
    const auto until = Clock::now() + kCloseWait;
    std::string ignored;
    for (;;) {
      auto n = read_some({m_fd, m_ssl.get()}, ignored, until);
      if (!n || !*n || **n == 0) break;
      ignored.clear();
    }
  }
  if (!m_failed)
    m_failed = Error::make(ErrorKind::unavailable, "HUB_CLOSED", "the agent closed the link");
  drop_socket();
}

}  // namespace tt::client
