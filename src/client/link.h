// client/link.h — a blocking client of a Telltale server, for the agent (registration, then its
// batches on a WebSocket), `telltale sim` and `telltale ctl`: the server's URL, one HTTP request,
// and one WebSocket, over TCP or TLS (OpenSSL, the certificate verified against the system's CAs or
// a given CA file, and the server's name or address). Blocking: no loop and no thread of its
// own; every call waits in poll() at most its timeout. Name resolution is getaddrinfo's and waits
// as long as the system's resolver does. A WsLink belongs to one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "ws/frame.h"

struct ssl_st;

namespace tt::client {

struct ServerUrl {
  std::string host;  // a name or an address; an IPv6 one without its brackets
  std::uint16_t port = 80;
  std::string prefix;  // where the hub's paths start: "" or "/path", never ending in "/"
  bool tls = false;    // https:// or wss://
  // With tls: the PEM file of the CAs to trust instead of the system's (a self-signed hub).
  std::string ca_file;
  // The Host header's value: "host", "host:port", "[v6]:port".
  std::string host_header() const;
};

// "http://host[:port][/prefix]", or https://, ws:// and wss:// (a trailing "/" is dropped); the
// port defaults to 80, or 443 with TLS. Error: HUB_URL_INVALID.
Result<ServerUrl> parse_server_url(std::string_view url);

struct SslFree {
  void operator()(ssl_st* ssl) const;
};

struct HttpReply {
  int status = 0;
  std::string body;
};

inline constexpr std::size_t kMaxReplyBytes = 1 << 20;

// Sends one request, `method` to the server's prefix + `path` (with its query), with
// "Authorization: Bearer <bearer>" (none when empty) and `json_body` (sent as JSON when not empty,
// or for a POST or PATCH), on a connection of its own, and returns the reply whatever its status;
// the body (by Content-Length, chunked, or up to the close) at most `max_reply_bytes`. The whole
// exchange takes at most `timeout`. Errors: HUB_UNREACHABLE, HUB_TIMEOUT, HUB_BAD_REPLY, HUB_TLS.
Result<HttpReply> request(const ServerUrl& server, std::string_view method, std::string_view path,
                          std::string_view bearer, std::string_view json_body,
                          std::chrono::milliseconds timeout,
                          std::size_t max_reply_bytes = kMaxReplyBytes);

inline Result<HttpReply> post_json(const ServerUrl& server, std::string_view path,
                                   std::string_view bearer, std::string_view json_body,
                                   std::chrono::milliseconds timeout) {
  return request(server, "POST", path, bearer, json_body, timeout);
}

struct WsLinkOptions {
  // With nothing received for ping_after, receive() sends a ping; with nothing received for
  // pong_within after that, the link fails (HUB_TIMEOUT): a hub or a path that went away silently.
  std::chrono::milliseconds ping_after{30'000};
  std::chrono::milliseconds pong_within{10'000};
  std::chrono::milliseconds send_timeout{10'000};  // for one send_text()
  std::size_t max_message_bytes = 1 << 20;
  // The local IPv4 address to connect from; empty: the system's choice. `telltale sim` spreads
  // its agents over 127.x.y.z, as many hosts would come from many addresses.
  std::string source;
};

// A WebSocket to the hub, client side: frames it sends are masked, frames it reads must not be.
// After any error the link is failed: every later call returns that error, and the caller makes
// a new one.
class WsLink {
 public:
  // Connects, sends the upgrade with the bearer token and checks the 101, within `timeout`.
  // Errors: HUB_UNREACHABLE, HUB_TIMEOUT, HUB_BAD_REPLY, HUB_TLS, WS_BAD_RESPONSE,
  // WS_UPGRADE_REFUSED (kind unauthenticated for a 401: the token is not, or no longer, valid).
  static Result<WsLink> connect(const ServerUrl& hub, std::string_view path,
                                std::string_view bearer, std::chrono::milliseconds timeout,
                                WsLinkOptions options = {});

  // One text message. Errors: HUB_TIMEOUT (the socket took nothing for send_timeout),
  // HUB_UNREACHABLE.
  Result<void> send_text(std::string_view text);
  // The same, as a binary message (an agent's compressed batch).
  Result<void> send_binary(std::string_view bytes);

  // The next text message, or nullopt when none came within `timeout` (0: none has arrived, for a
  // caller that polls fd()). Meanwhile answers pings,
  // and sends its own as WsLinkOptions says: call it regularly (a caller's loop waits in it).
  // Errors: HUB_CLOSED when the hub closed the WebSocket (peer_close() tells the code and reason;
  // kind forbidden for 1008, policy violation: the hub ended the credential, the agent must
  // register again or stop), HUB_TIMEOUT (no pong), HUB_UNREACHABLE (the connection dropped),
  // HUB_BAD_REPLY (frames that break RFC 6455; the link is closed with 1002).
  Result<std::optional<std::string>> receive(std::chrono::milliseconds timeout);

  // Sends a close frame and waits a moment (at most 1 s) for the hub's, then drops the connection.
  // Idempotent.
  void close(std::uint16_t code = ws::kCloseNormal, std::string_view reason = {});

  struct PeerClose {
    std::uint16_t code = 0;
    std::string reason;
  };
  const std::optional<PeerClose>& peer_close() const { return m_peer_close; }

  // The socket, for a caller that polls it beside other things (readable: call receive()); -1
  // once closed.
  int fd() const { return m_fd; }

  WsLink(WsLink&& other) noexcept;
  WsLink& operator=(WsLink&& other) noexcept;
  WsLink(const WsLink&) = delete;
  WsLink& operator=(const WsLink&) = delete;
  ~WsLink();

 private:
  using Clock = std::chrono::steady_clock;
  WsLink(int fd, std::unique_ptr<ssl_st, SslFree> ssl, WsLinkOptions options);

  Error fail(Error error);  // closes the socket and keeps the error for later calls
  Result<void> send_frame(ws::Opcode opcode, std::string_view payload);
  Result<void> feed(std::string_view bytes);  // into the parser, messages into the inbox
  Result<void> read_into_inbox(Clock::time_point until);
  // A control message is handled here; a text message is returned.
  Result<std::optional<std::string>> take(ws::Message&& message);
  void drop_socket();

  int m_fd = -1;
  std::unique_ptr<ssl_st, SslFree> m_ssl;  // with TLS
  WsLinkOptions m_options;
  ws::FrameParser m_parser;
  std::deque<ws::Message> m_inbox;
  Clock::time_point m_last_received;
  std::optional<Clock::time_point> m_pong_due;  // while our ping is unanswered
  std::optional<Error> m_failed;
  std::optional<PeerClose> m_peer_close;
  bool m_close_sent = false;
};

}  // namespace tt::client
