// The client of a server (client/link.h): the URL, one HTTP request and the WebSocket,
// against a scripted peer in a thread (replies and faults a real hub does not make on demand)
// and against the real server (`telltale serve`, when TELLTALE_BIN names the binary).
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <regex>
#include <thread>

#include "client/link.h"
#include "core/random.h"
#include "ws/client_handshake.h"
#include "ws/frame.h"
#include "ws/handshake.h"

using namespace tt;
using namespace tt::client;
using namespace std::chrono_literals;

namespace {

// One connection's peer: accepts on 127.0.0.1 and runs `script` on the accepted socket in a
// thread of its own (blocking I/O).
class ScriptedPeer {
 public:
  explicit ScriptedPeer(std::function<void(int fd)> script) {
    m_listen = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(m_listen, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    REQUIRE(::listen(m_listen, 4) == 0);
    REQUIRE(::getsockname(m_listen, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
    m_thread = std::thread([this, script = std::move(script)] {
      const int fd = ::accept(m_listen, nullptr, nullptr);
      if (fd < 0) return;
      script(fd);
      ::close(fd);
    });
  }
  ~ScriptedPeer() {
    ::shutdown(m_listen, SHUT_RDWR);  // wakes an accept that got no connection
    m_thread.join();
    ::close(m_listen);
  }
  ServerUrl url() const {
    return parse_server_url(fmt::format("http://127.0.0.1:{}", port)).value();
  }
  std::uint16_t port = 0;

 private:
  int m_listen = -1;
  std::thread m_thread;
};

// Reads up to the end of a request head; `rest` gets what came after it.
std::string read_head(int fd, std::string* rest = nullptr) {
  std::string data;
  char buf[4096];
  std::size_t end;
  while ((end = data.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return data;
    data.append(buf, static_cast<std::size_t>(n));
  }
  if (rest) *rest = data.substr(end + 4);
  return data.substr(0, end + 4);
}

// Reads a whole request, head and Content-Length body (unread bytes would make the close a reset).
std::string read_request(int fd) {
  std::string body;
  std::string head = read_head(fd, &body);
  const std::size_t at = head.find("Content-Length: ");
  const std::size_t length = at == std::string::npos ? 0 : std::stoul(head.substr(at + 16));
  char buf[4096];
  while (body.size() < length) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    body.append(buf, static_cast<std::size_t>(n));
  }
  return head + body;
}

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Answers a client's upgrade as the server does (ws::check_upgrade). Runs in the peer's thread,
// so it checks with CHECK (a REQUIRE there would end the process).
void accept_upgrade(int fd) {
  const std::string head = read_head(fd);
  const std::size_t first = head.find("\r\n") + 2;
  auto headers =
      ws::parse_response_head("HTTP/1.1 200 OK\r\n" + head.substr(first, head.size() - 4 - first));
  CHECK(headers.ok());
  if (!headers) return;
  auto up = ws::check_upgrade("GET", "HTTP/1.1",
                              [&](std::string_view name) { return headers.value().header(name); });
  CHECK(up.ok());
  if (up) send_all(fd, up.value().response);
}

// The next message a client sent, read with the server's parser.
ws::Message next_client_message(int fd, ws::FrameParser& parser) {
  std::optional<ws::Message> got;
  char buf[4096];
  while (!got) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return {};
    parser.feed(buf, static_cast<std::size_t>(n), [&](ws::Message&& m) {
      got = std::move(m);
      return false;  // one at a time: the tests send one before each answer
    });
  }
  return std::move(*got);
}

}  // namespace

TEST_CASE("hub link: hub URLs") {
  auto hub = parse_server_url("http://hub.example");
  REQUIRE(hub.ok());
  CHECK(hub.value().host == "hub.example");
  CHECK(hub.value().port == 80);
  CHECK(hub.value().prefix.empty());
  CHECK(hub.value().host_header() == "hub.example");

  hub = parse_server_url("HTTP://10.0.0.5:8080/telltale/");
  REQUIRE(hub.ok());
  CHECK(hub.value().host == "10.0.0.5");
  CHECK(hub.value().port == 8080);
  CHECK(hub.value().prefix == "/telltale");
  CHECK(hub.value().host_header() == "10.0.0.5:8080");

  hub = parse_server_url("http://[fd00::1]:9000");
  REQUIRE(hub.ok());
  CHECK(hub.value().host == "fd00::1");
  CHECK(hub.value().host_header() == "[fd00::1]:9000");

  hub = parse_server_url("https://hub.example/tt");
  REQUIRE(hub.ok());
  CHECK(hub.value().tls);
  CHECK(hub.value().port == 443);
  CHECK(hub.value().host_header() == "hub.example");
  hub = parse_server_url("wss://hub.example:8470");
  REQUIRE(hub.ok());
  CHECK(hub.value().tls);
  CHECK(hub.value().host_header() == "hub.example:8470");
  CHECK_FALSE(parse_server_url("http://hub.example:443").value().tls);
  CHECK(parse_server_url("http://hub.example:443").value().host_header() == "hub.example:443");
  for (const char* bad :
       {"hub.example", "ftp://hub", "http://", "http://:80", "http://hub:0", "http://hub:65536",
        "http://hub:x", "http://hub:", "http://user@hub", "http://hub/?q", "http://hub/#f",
        "http://hub name", "http://[fd00::1", "http://[fd00::1]x", "http://[hub]"}) {
    CAPTURE(bad);
    CHECK(parse_server_url(bad).error().code == "HUB_URL_INVALID");
  }
}

TEST_CASE("hub link: post_json sends one request and reads a chunked reply") {
  std::string request;
  ScriptedPeer peer([&](int fd) {
    request = read_request(fd);
    send_all(fd,
             "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n");
  });
  auto hub = peer.url();
  hub.prefix = "/tt";
  auto reply = post_json(hub, "/api/v1/agents", "tok", R"({"id":"a1"})", 2s);
  REQUIRE_MESSAGE(reply.ok(), (reply.ok() ? "" : reply.error().message));
  CHECK(reply.value().status == 201);
  CHECK(reply.value().body == "hello world");
  CHECK(request.starts_with("POST /tt/api/v1/agents HTTP/1.1\r\n"));
  CHECK(request.find("\r\nAuthorization: Bearer tok\r\n") != std::string::npos);
  CHECK(request.find("\r\nContent-Length: 11\r\n") != std::string::npos);
  CHECK(request.ends_with("\r\n\r\n{\"id\":\"a1\"}"));
}

TEST_CASE("hub link: post_json reads a reply by Content-Length or to the close, bounded") {
  SUBCASE("length") {
    ScriptedPeer peer([](int fd) {
      read_request(fd);
      send_all(fd, "HTTP/1.1 409 Conflict\r\nContent-Length: 4\r\n\r\n{}{}trailing bytes");
    });
    auto reply = post_json(peer.url(), "/x", "", "{}", 2s);
    REQUIRE(reply.ok());
    CHECK(reply.value().status == 409);
    CHECK(reply.value().body == "{}{}");
  }
  SUBCASE("close") {
    ScriptedPeer peer([](int fd) {
      read_request(fd);
      send_all(fd, "HTTP/1.1 200 OK\r\n\r\nall of it");
    });
    auto reply = post_json(peer.url(), "/x", "", "{}", 2s);
    REQUIRE(reply.ok());
    CHECK(reply.value().body == "all of it");
  }
  SUBCASE("too large") {
    ScriptedPeer peer([](int fd) {
      read_request(fd);
      send_all(fd,
               fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", kMaxReplyBytes + 1));
    });
    CHECK(post_json(peer.url(), "/x", "", "{}", 2s).error().code == "HUB_BAD_REPLY");
  }
  SUBCASE("cut short") {
    ScriptedPeer peer([](int fd) {
      read_request(fd);
      send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
    });
    CHECK(post_json(peer.url(), "/x", "", "{}", 2s).error().code == "HUB_UNREACHABLE");
  }
}

TEST_CASE("hub link: a hub that does not answer is a timeout, one that is not there unreachable") {
  {
    ScriptedPeer peer([](int fd) {
      char c;
      while (::recv(fd, &c, 1, 0) > 0) {  // reads, never answers, until the client gives up
      }
    });
    const auto start = std::chrono::steady_clock::now();
    CHECK(post_json(peer.url(), "/x", "", "{}", 200ms).error().code == "HUB_TIMEOUT");
    CHECK(std::chrono::steady_clock::now() - start < 2s);
  }
  ServerUrl gone;
  {
    gone = ScriptedPeer([](int) {}).url();
  }  // closed: nothing listens there now
  CHECK(post_json(gone, "/x", "", "{}", 1s).error().code == "HUB_UNREACHABLE");
  CHECK(WsLink::connect(gone, "/ws", "", 1s).error().code == "HUB_UNREACHABLE");
}

TEST_CASE("hub link: the WebSocket answers pings, delivers text, and reports the hub's close") {
  std::string pong;
  std::string got;
  ScriptedPeer peer([&](int fd) {
    accept_upgrade(fd);
    send_all(fd, ws::encode_frame(ws::Opcode::ping, "beat"));
    ws::FrameParser parser;
    pong = next_client_message(fd, parser).payload;
    got = next_client_message(fd, parser).payload;
    send_all(fd, ws::encode_frame(ws::Opcode::text, R"({"type":"ack","seq":7})"));
    send_all(fd, ws::encode_close(ws::kClosePolicyViolation, "token revoked"));
    next_client_message(fd, parser);  // the client's close
  });
  auto link = WsLink::connect(peer.url(), "/api/v1/agent/ws", "tok", 2s);
  REQUIRE_MESSAGE(link.ok(), (link.ok() ? "" : link.error().message));
  CHECK(link.value().fd() >= 0);
  auto nothing = link.value().receive(100ms);  // the ping comes and is answered, no text
  REQUIRE(nothing.ok());
  CHECK_FALSE(nothing.value().has_value());
  REQUIRE(link.value().send_text(R"({"type":"batch"})").ok());
  // As a caller that polls the socket beside other things does: receive(0) takes what is there.
  Result<std::optional<std::string>> text = std::optional<std::string>();
  for (int i = 0; i < 100 && text.ok() && !text.value(); ++i) {
    pollfd p{link.value().fd(), POLLIN, 0};
    ::poll(&p, 1, 20);
    text = link.value().receive(0ms);
  }
  REQUIRE(text.ok());
  CHECK(text.value() == R"({"type":"ack","seq":7})");
  auto closed = link.value().receive(2s);
  REQUIRE_FALSE(closed.ok());
  CHECK(closed.error().code == "HUB_CLOSED");
  CHECK(closed.error().kind == ErrorKind::forbidden);
  REQUIRE(link.value().peer_close().has_value());
  CHECK(link.value().peer_close()->code == ws::kClosePolicyViolation);
  CHECK(link.value().peer_close()->reason == "token revoked");
  CHECK(link.value().send_text("{}").error().code == "HUB_CLOSED");  // failed for good
  CHECK(pong == "beat");
  CHECK(got == R"({"type":"batch"})");
}

TEST_CASE("hub link: a hub that stops answering fails the link after a ping goes unanswered") {
  bool pinged = false;
  {
    ScriptedPeer peer([&](int fd) {
      accept_upgrade(fd);
      ws::FrameParser parser;
      pinged = next_client_message(fd, parser).opcode == ws::Opcode::ping;
      next_client_message(fd, parser);  // until the client drops the connection
    });
    auto link =
        WsLink::connect(peer.url(), "/ws", "", 2s, {.ping_after = 50ms, .pong_within = 100ms});
    REQUIRE(link.ok());
    const auto start = std::chrono::steady_clock::now();
    auto r = link.value().receive(5s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "HUB_TIMEOUT");
    CHECK(std::chrono::steady_clock::now() - start < 2s);
    CHECK(link.value().fd() == -1);  // dropped: the peer's read ends
  }
  CHECK(pinged);
}

TEST_CASE("hub link: a refused upgrade and a server that breaks RFC 6455") {
  {
    ScriptedPeer peer([](int fd) {
      read_head(fd);
      send_all(fd, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
    });
    auto link = WsLink::connect(peer.url(), "/ws", "bad", 2s);
    CHECK(link.error().code == "WS_UPGRADE_REFUSED");
    CHECK(link.error().kind == ErrorKind::unauthenticated);
  }
  {
    ScriptedPeer peer([](int fd) {
      accept_upgrade(fd);
      std::string masked;
      ws::append_masked_frame(masked, ws::Opcode::text, "x", {1, 2, 3, 4});
      send_all(fd, masked);
      char c;
      (void)::recv(fd, &c, 1, 0);
    });
    // The bad frame may come with the 101, then connect() is what fails.
    auto link = WsLink::connect(peer.url(), "/ws", "", 2s);
    const Error failure = [&]() -> Error {
      if (!link.ok()) return link.error();
      auto r = link.value().receive(2s);
      REQUIRE_FALSE(r.ok());
      return r.error();
    }();
    CHECK(failure.code == "HUB_BAD_REPLY");
  }
}

// ---- against the real server ---------------------------------------------------------------

namespace {

std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p);
  char buf[512];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  REQUIRE_MESSAGE(::pclose(p) == 0, command);
  return out;
}

// `telltale serve` on a free port of 127.0.0.1 with a data directory of its own (and `option`,
// such as --tls-self-signed), stopped (SIGTERM) when destroyed.
class RealServer {
 public:
  RealServer(const std::string& bin, const std::string& data_dir, const char* option = nullptr) {
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    m_pid = ::fork();
    REQUIRE(m_pid >= 0);
    if (m_pid == 0) {
      ::dup2(pipe_fds[1], 2);
      ::close(pipe_fds[0]);
      ::execl(bin.c_str(), bin.c_str(), "serve", "--listen", "127.0.0.1:0", "--data",
              data_dir.c_str(), option, static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    m_log = pipe_fds[0];
    // Its log, up to the line that names the port.
    const std::regex listening(R"(listening on https?://127\.0\.0\.1:(\d+))");
    std::string log;
    std::smatch m;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!std::regex_search(log, m, listening) && std::chrono::steady_clock::now() < deadline) {
      pollfd p{m_log, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char buf[1024];
      const ssize_t n = ::read(m_log, buf, sizeof buf);
      if (n <= 0) break;
      log.append(buf, static_cast<std::size_t>(n));
    }
    if (m.empty()) {
      stop();  // the destructor of a constructor that throws does not run
      FAIL("the server did not start:\n" << log);
    }
    port = static_cast<std::uint16_t>(std::stoi(m[1].str()));
  }
  ~RealServer() { stop(); }
  void stop() {
    if (m_pid <= 0) return;
    ::kill(m_pid, SIGTERM);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
    ::close(m_log);
    m_pid = -1;
  }
  std::uint16_t port = 0;

 private:
  pid_t m_pid = -1;
  int m_log = -1;
};

// The binary (TELLTALE_BIN) and a fresh data directory with an operator and its API token, for
// a real server; nullopt (the test is skipped) without TELLTALE_BIN.
struct RealData {
  std::string bin;
  std::filesystem::path dir;
  std::string token;
};
std::optional<RealData> real_server_data() {
  const char* bin = std::getenv("TELLTALE_BIN");
  if (!bin || !*bin) {
    MESSAGE("skipped: set TELLTALE_BIN to the telltale binary to run it");
    return std::nullopt;
  }
  const auto dir = std::filesystem::temp_directory_path() / ("tt-hub-link-" + random_hex(6));
  std::filesystem::create_directories(dir);
  run(
      fmt::format("printf 'agent-password-1\\n' | '{}' user add agent-test --role operator "
                  "--password-stdin --data '{}' >/dev/null 2>&1",
                  bin, dir.string()));
  std::string out =
      run(fmt::format("'{}' token create --user agent-test --data '{}'", bin, dir.string()));
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return RealData{bin, dir, out.substr(out.rfind('\n') + 1)};
}

// A WebSocket to the server that answered a ping.
WsLink open_and_ping(const ServerUrl& hub, const std::string& token) {
  auto link = WsLink::connect(hub, "/api/v1/ws", token, 5s);
  REQUIRE_MESSAGE(link.ok(), (link.ok() ? "" : link.error().message));
  REQUIRE(link.value().send_text(R"({"type":"ping"})").ok());
  auto pong = link.value().receive(5s);
  REQUIRE_MESSAGE(pong.ok(), (pong.ok() ? "" : pong.error().message));
  CHECK(pong.value() == R"({"type":"pong"})");
  return std::move(link).value();
}

}  // namespace

TEST_CASE("hub link: against the real server (TELLTALE_BIN): ping over the WebSocket, one POST") {
  const auto real = real_server_data();
  if (!real) return;
  const auto& [bin, dir, token] = *real;
  {
    RealServer server(bin, dir.string());
    const auto hub = parse_server_url(fmt::format("http://127.0.0.1:{}", server.port)).value();

    open_and_ping(hub, token).close();

    auto refused = WsLink::connect(hub, "/api/v1/ws", "tt_not_a_token", 5s);
    CHECK(refused.error().code == "WS_UPGRADE_REFUSED");
    CHECK(refused.error().kind == ErrorKind::unauthenticated);

    auto created =
        post_json(hub, "/api/v1/nodes", token, R"({"name":"agent-node","type":"vm"})", 5s);
    REQUIRE_MESSAGE(created.ok(), (created.ok() ? "" : created.error().message));
    CHECK(created.value().status == 201);
    CHECK(created.value().body.find("\"agent-node\"") != std::string::npos);
    auto again = post_json(hub, "/api/v1/nodes", token, R"({"name":"agent-node","type":"vm"})", 5s);
    REQUIRE(again.ok());
    CHECK(again.value().status == 409);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("hub link: https:// and wss:// to a real server with a self-signed certificate") {
  const auto real = real_server_data();
  if (!real) return;
  const auto& [bin, dir, token] = *real;
  {
    RealServer server(bin, dir.string(), "--tls-self-signed");
    const std::string ca = (dir / "tls" / "cert.pem").string();
    for (const char* host : {"127.0.0.1", "localhost"}) {  // an address SAN and a name SAN
      CAPTURE(host);
      auto hub = parse_server_url(fmt::format("wss://{}:{}", host, server.port)).value();
      hub.ca_file = ca;
      auto link = open_and_ping(hub, token);
      // A message over one TLS record (16 KiB).
      REQUIRE(
          link.send_text(R"({"type":"subscribe","topics":[")" + std::string(40000, 'x') + R"("]})")
              .ok());
      auto unknown = link.receive(5s);
      REQUIRE(unknown.ok());
      CHECK(unknown.value()->find("WS_UNKNOWN_TOPIC") != std::string::npos);
      link.close();

      hub.tls = true;
      auto nodes = request(hub, "GET", "/api/v1/nodes", token, {}, 5s);
      REQUIRE_MESSAGE(nodes.ok(), (nodes.ok() ? "" : nodes.error().message));
      CHECK(nodes.value().status == 200);
    }
    // Not trusted by the system's CAs, nor by a CA file that is not the hub's.
    auto hub = parse_server_url(fmt::format("https://127.0.0.1:{}", server.port)).value();
    auto untrusted = request(hub, "GET", "/healthz", {}, {}, 5s);
    CHECK(untrusted.error().code == "HUB_TLS");
    CHECK(untrusted.error().message.find("not trusted") != std::string::npos);
    hub.ca_file = "/nonexistent/ca.pem";
    CHECK(request(hub, "GET", "/healthz", {}, {}, 5s).error().code == "HUB_TLS");
    // A plain client on the HTTPS port gets no answer it could take for one.
    auto plain = parse_server_url(fmt::format("http://127.0.0.1:{}", server.port)).value();
    CHECK_FALSE(request(plain, "GET", "/healthz", {}, {}, 5s).ok());
  }
  std::filesystem::remove_all(dir);
}
