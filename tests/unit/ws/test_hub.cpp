#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "core/metrics.h"
#include "ws/hub.h"

using namespace tt::ws;

namespace {

struct Frame {
  unsigned opcode = 0;
  std::string payload;
  std::uint16_t code() const {
    return payload.size() >= 2
               ? static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                            static_cast<unsigned char>(payload[1]))
               : 0;
  }
};

std::string masked(unsigned b0, std::string_view payload) {
  const unsigned char mask[4] = {1, 2, 3, 4};
  std::string out;
  out.push_back(static_cast<char>(b0));
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  out.append(reinterpret_cast<const char*>(mask), 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    out.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return out;
}

// A connected loopback TCP pair: {client, server}.
std::pair<int, int> tcp_pair(int client_rcvbuf = 0) {
  int lst = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(lst, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(lst, 4) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(lst, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  int cl = ::socket(AF_INET, SOCK_STREAM, 0);
  if (client_rcvbuf) ::setsockopt(cl, SOL_SOCKET, SO_RCVBUF, &client_rcvbuf, sizeof client_rcvbuf);
  REQUIRE(::connect(cl, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  int sv = ::accept(lst, nullptr, nullptr);
  REQUIRE(sv >= 0);
  ::close(lst);
  return {cl, sv};
}

struct TestClient {
  uv_loop_t* loop;
  int fd;
  std::string in;
  bool eof = false;

  TestClient(uv_loop_t* l, int f) : loop(l), fd(f) {}
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;
  ~TestClient() { ::close(fd); }

  void send_raw(const std::string& bytes) {
    REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size()));
  }
  void send_text(std::string_view text) { send_raw(masked(0x81, text)); }

  std::optional<Frame> take_frame() {
    if (in.size() < 2) return std::nullopt;
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    std::size_t len = p[1] & 0x7F, pos = 2;
    if (len == 126) {
      if (in.size() < 4) return std::nullopt;
      len = (p[2] << 8) | p[3];
      pos = 4;
    } else if (len == 127) {
      if (in.size() < 10) return std::nullopt;
      len = 0;
      for (int i = 2; i < 10; ++i) len = (len << 8) | p[i];
      pos = 10;
    }
    if (in.size() < pos + len) return std::nullopt;
    Frame f{p[0] & 0x0Fu, in.substr(pos, len)};
    in.erase(0, pos + len);
    return f;
  }

  // Runs the loop and reads until a frame arrives, EOF, or the timeout.
  std::optional<Frame> next(int timeout_ms = 2000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      if (auto f = take_frame()) return f;
      if (eof || std::chrono::steady_clock::now() > deadline) return std::nullopt;
      uv_run(loop, UV_RUN_NOWAIT);
      char buf[65536];
      const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        in.append(buf, static_cast<std::size_t>(n));
      } else if (n == 0) {
        eof = true;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }
  std::string next_text(int timeout_ms = 2000) {
    auto f = next(timeout_ms);
    REQUIRE(f.has_value());
    CHECK(f->opcode == 1u);
    return f->payload;
  }
  bool wait_eof(int timeout_ms = 2000) {
    while (auto f = next(timeout_ms)) {
    }
    return eof;
  }
};

double counter_value(const char* name) {
  return tt::metrics::registry().family(name, "", tt::metrics::Type::counter).counter().value();
}

double counter_value_labelled(const char* name, const char* reason) {
  return tt::metrics::registry()
      .family(name, "", tt::metrics::Type::counter)
      .counter({{"reason", reason}})
      .value();
}

struct HubFixture {
  tt::ManualClock clock{0};  // outlives the hub
  uv_loop_t loop{};
  std::unique_ptr<Hub> hub;

  HubFixture() {
    std::signal(SIGPIPE, SIG_IGN);  // as the server does: writes to closed peers return EPIPE
    uv_loop_init(&loop);
  }
  ~HubFixture() {
    if (hub) hub->close_all();
    uv_run(&loop, UV_RUN_DEFAULT);
    hub.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);  // every handle was closed and freed
  }
  void start(HubOptions opts = {}) { hub = std::make_unique<Hub>(&loop, opts); }
  std::unique_ptr<TestClient> connect(std::string leftover = {}, int client_rcvbuf = 0,
                                      ClientInfo info = {"alice", "viewer", "127.0.0.1"}) {
    auto [cl, sv] = tcp_pair(client_rcvbuf);
    hub->adopt(sv, std::move(info), std::move(leftover));
    return std::make_unique<TestClient>(&loop, cl);
  }
};

}  // namespace

TEST_CASE_FIXTURE(HubFixture, "hub: subscribe, publish, unsubscribe") {
  start();
  auto c = connect(masked(0x81, R"({"type":"subscribe","topics":["nodes"]})"));
  CHECK(hub->client_count() == 1);
  CHECK(c->next_text() == R"({"topics":["nodes"],"type":"subscribed"})");

  c->send_text(R"({"type":"subscribe","topics":["events","series:cpu{node=\"a\"}"]})");
  CHECK(c->next_text() ==
        R"({"topics":["events","nodes","series:cpu{node=\"a\"}"],"type":"subscribed"})");

  const double sent_before = counter_value("telltale_ws_messages_sent_total");
  hub->publish("nodes", std::make_shared<const std::string>(R"({"id":1,"name":"pi"})"));
  CHECK(c->next_text() == R"({"type":"event","topic":"nodes","data":{"id":1,"name":"pi"}})");
  CHECK(counter_value("telltale_ws_messages_sent_total") == sent_before + 1);

  hub->publish("checks", std::make_shared<const std::string>("1"));  // not subscribed
  hub->publish("series:cpu{node=\"a\"}", std::make_shared<const std::string>("[1,2]"));
  CHECK(c->next_text() == R"({"type":"event","topic":"series:cpu{node=\"a\"}","data":[1,2]})");

  c->send_text(R"({"type":"unsubscribe","topics":["nodes"]})");
  CHECK(c->next_text() == R"({"topics":["events","series:cpu{node=\"a\"}"],"type":"subscribed"})");
  hub->publish("nodes", std::make_shared<const std::string>("2"));
  hub->publish("events", std::make_shared<const std::string>("3"));
  CHECK(c->next_text() == R"({"type":"event","topic":"events","data":3})");
}

TEST_CASE_FIXTURE(HubFixture, "hub: one frame shared by several subscribers") {
  start();
  auto a = connect();
  auto b = connect();
  CHECK(hub->client_count() == 2);
  a->send_text(R"({"type":"subscribe","topics":["alerts"]})");
  b->send_text(R"({"type":"subscribe","topics":["alerts"]})");
  a->next_text();
  b->next_text();
  hub->publish("alerts", std::make_shared<const std::string>(R"({"x":true})"));
  CHECK(a->next_text() == R"({"type":"event","topic":"alerts","data":{"x":true}})");
  CHECK(b->next_text() == R"({"type":"event","topic":"alerts","data":{"x":true}})");
}

TEST_CASE_FIXTURE(HubFixture,
                  "hub: invalid JSON, bad messages and unknown topics keep the connection") {
  start();
  auto c = connect();
  const double received_before = counter_value("telltale_ws_messages_received_total");
  c->send_text("{not json");
  auto r = nlohmann::json::parse(c->next_text());
  CHECK(r["type"] == "error");
  CHECK(r["code"] == "WS_INVALID_JSON");
  CHECK(r["message"].is_string());
  c->send_text(R"({"type":"ping"})");
  CHECK(c->next_text() == R"({"type":"pong"})");
  CHECK(counter_value("telltale_ws_messages_received_total") == received_before + 2);

  for (const char* bad : {"[1,2]", "\"subscribe\"", "{}", R"({"type":5})", R"({"type":"nope"})",
                          R"({"type":"subscribe"})", R"({"type":"subscribe","topics":"nodes"})",
                          R"({"type":"subscribe","topics":[1]})"}) {
    CAPTURE(bad);
    c->send_text(bad);
    CHECK(nlohmann::json::parse(c->next_text())["code"] == "WS_BAD_MESSAGE");
  }
  for (const char* bad :
       {R"({"type":"subscribe","topics":["nodes","bogus"]})",
        R"({"type":"subscribe","topics":["series:"]})",
        R"({"type":"subscribe","topics":["Nodes"]})", R"({"type":"unsubscribe","topics":["x"]})"}) {
    CAPTURE(bad);
    c->send_text(bad);
    auto e = nlohmann::json::parse(c->next_text());
    CHECK(e["type"] == "error");
    CHECK(e["code"] == "WS_UNKNOWN_TOPIC");
  }
  // The rejected request changed nothing.
  c->send_text(R"({"type":"subscribe","topics":[]})");
  CHECK(c->next_text() == R"({"topics":[],"type":"subscribed"})");
  CHECK(hub->client_count() == 1);
}

TEST_CASE("hub: known topics") {
  for (const char* t : {"nodes", "events", "checks", "alerts", "series:x", "series:cpu{a=\"b\"}"})
    CHECK(Hub::is_known_topic(t));
  for (const char* t : {"", "node", "series:", "series", "alerts ", "NODES", "Series:x"})
    CHECK_FALSE(Hub::is_known_topic(t));
}

TEST_CASE_FIXTURE(HubFixture, "hub: a client that does not read is dropped") {
  HubOptions o;
  o.connection.max_queue_bytes = 64 * 1024;
  start(o);
  auto c = connect({}, 4096);
  c->send_text(R"({"type":"subscribe","topics":["events"]})");
  CHECK(c->next_text() == R"({"topics":["events"],"type":"subscribed"})");

  const double dropped_before = counter_value("telltale_ws_dropped_slow_total");
  auto data = std::make_shared<const std::string>("\"" + std::string(8000, 'z') + "\"");
  int published = 0;
  for (; published < 20000 && hub->client_count() == 1; ++published) {
    hub->publish("events", data);
    uv_run(&loop, UV_RUN_NOWAIT);
  }
  CHECK(hub->client_count() == 0);
  CHECK(counter_value("telltale_ws_dropped_slow_total") == dropped_before + 1);
  MESSAGE("dropped after " << published << " events");
  CHECK(c->wait_eof(3000));
}

TEST_CASE_FIXTURE(HubFixture, "hub: keepalive pings an idle client and drops it without a pong") {
  HubOptions o;
  o.tick_ms = 5;
  o.clock = &clock;
  start(o);
  auto c = connect();
  clock.advance_ms(30000);
  auto f = c->next();
  REQUIRE(f.has_value());
  CHECK(f->opcode == 9u);
  c->send_raw(masked(0x8A, f->payload));  // answered: still open
  CHECK_FALSE(c->next(50).has_value());   // lets the hub read the pong
  clock.advance_ms(30000 - 1);
  CHECK_FALSE(c->next(50).has_value());
  clock.advance_ms(1);
  f = c->next();
  REQUIRE(f.has_value());
  CHECK(f->opcode == 9u);
  clock.advance_ms(10000);  // not answered
  f = c->next();
  REQUIRE(f.has_value());
  CHECK(f->opcode == 8u);
  CHECK(f->code() == 1001);
  CHECK(c->wait_eof());
  CHECK(hub->client_count() == 0);
}

TEST_CASE_FIXTURE(HubFixture, "hub: deeply nested JSON is rejected or handled without crashing") {
  start();
  auto c = connect();
  c->send_raw(masked(0x81, std::string(60000, '[')));
  CHECK(nlohmann::json::parse(c->next_text())["code"] == "WS_INVALID_JSON");
  // Valid JSON nested beyond the depth limit is refused before nlohmann recurses into it.
  c->send_raw(masked(0x81, std::string(30000, '[') + std::string(30000, ']')));
  CHECK(nlohmann::json::parse(c->next_text())["code"] == "WS_INVALID_JSON");
  c->send_raw(masked(0x81, std::string(10, '[') + std::string(10, ']')));
  CHECK(nlohmann::json::parse(c->next_text())["code"] == "WS_BAD_MESSAGE");
}

TEST_CASE_FIXTURE(HubFixture, "hub: peer close is echoed and the socket closed") {
  start();
  auto c = connect();
  c->send_raw(masked(0x88, std::string("\x03\xE8"
                                       "done",
                                       6)));
  auto f = c->next();
  REQUIRE(f.has_value());
  CHECK(f->opcode == 8u);
  CHECK(f->code() == 1000);
  CHECK(c->wait_eof());
  CHECK(hub->client_count() == 0);
}

TEST_CASE_FIXTURE(HubFixture, "hub: protocol errors and binary messages close the connection") {
  start();
  auto a = connect();
  a->send_raw(std::string("\x81\x02hi", 4));  // unmasked
  auto f = a->next();
  REQUIRE(f.has_value());
  CHECK(f->code() == 1002);
  CHECK(a->wait_eof());

  auto b = connect();
  b->send_raw(masked(0x82, "bin"));
  f = b->next();
  REQUIRE(f.has_value());
  CHECK(f->code() == 1003);
  b->send_raw(masked(0x88, std::string("\x03\xEB", 2)));
  CHECK(b->wait_eof());
  CHECK(hub->client_count() == 0);
}

TEST_CASE_FIXTURE(HubFixture, "hub: close_all finishes within the grace period") {
  start();
  auto polite = connect();
  auto silent = connect();
  polite->send_text(R"({"type":"ping"})");
  polite->next_text();
  silent->send_text(R"({"type":"ping"})");
  silent->next_text();

  const auto t0 = std::chrono::steady_clock::now();
  hub->close_all(1001);
  // The polite client answers the close frame that close_all() wrote.
  char buf[64];
  const ssize_t n = ::recv(polite->fd, buf, sizeof buf, 0);
  REQUIRE(n >= 4);
  CHECK(n == 2 + (buf[1] & 0x7F));
  CHECK(static_cast<unsigned char>(buf[0]) == 0x88);
  CHECK(((static_cast<unsigned char>(buf[2]) << 8) | static_cast<unsigned char>(buf[3])) == 1001);
  polite->send_raw(masked(0x88, std::string("\x03\xE9", 2)));

  uv_run(&loop, UV_RUN_DEFAULT);  // returns once every client and timer is closed
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  CHECK(elapsed < std::chrono::milliseconds(1500));
  CHECK(hub->client_count() == 0);
  CHECK(polite->wait_eof(100));
  auto f = silent->next(100);
  REQUIRE(f.has_value());
  CHECK(f->code() == 1001);
  CHECK(silent->wait_eof(100));

  // Adoption is refused once shutting down.
  auto late = connect();
  CHECK(hub->client_count() == 0);
  CHECK(late->wait_eof(100));
}

TEST_CASE_FIXTURE(HubFixture, "hub: destroying the hub with live clients releases everything") {
  start();
  auto c = connect();
  c->send_text(R"({"type":"ping"})");
  c->next_text();
  hub.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(c->wait_eof(500));
}

TEST_CASE_FIXTURE(
    HubFixture,
    "hub: the series topics callback comes before the answer, and never inside publish") {
  HubOptions o;
  o.connection.max_queue_bytes = 64 * 1024;
  start(o);
  bool inside_hub = false;
  std::vector<std::set<std::string>> seen;
  hub->on_series_topics_changed([&](const std::set<std::string>& topics) {
    CHECK_FALSE(inside_hub);
    seen.push_back(topics);
  });
  auto slow = connect({}, 4096);
  auto other = connect();
  slow->send_text(R"({"type":"subscribe","topics":["series:a","series:b","events"]})");
  slow->next_text();
  CHECK(seen.size() == 1);
  other->send_text(R"({"type":"subscribe","topics":["series:b","nodes"]})");
  other->next_text();
  REQUIRE(seen.size() == 1);  // the second watcher of series:b changed nothing
  CHECK(seen.back() == std::set<std::string>{"series:a", "series:b"});

  // Publishing until the slow client is dropped: its topics go, but not from inside publish().
  auto data = std::make_shared<const std::string>("\"" + std::string(8000, 'z') + "\"");
  for (int i = 0; i < 20000 && hub->client_count() == 2; ++i) {
    inside_hub = true;
    hub->publish("series:a", data);
    inside_hub = false;
    uv_run(&loop, UV_RUN_NOWAIT);
  }
  REQUIRE(hub->client_count() == 1);
  uv_run(&loop, UV_RUN_NOWAIT);
  REQUIRE(seen.size() == 2);
  CHECK(seen.back() == std::set<std::string>{"series:b"});
  CHECK(hub->series_topics() == std::set<std::string>{"series:b"});

  // Topics other clients still watch, and other kinds of topic, change nothing.
  auto third = connect();
  third->send_text(R"({"type":"subscribe","topics":["series:b","alerts"]})");
  third->next_text();
  third->send_text(R"({"type":"unsubscribe","topics":["series:b"]})");
  third->next_text();
  uv_run(&loop, UV_RUN_NOWAIT);
  CHECK(seen.size() == 2);
  other.reset();  // disconnects the last watcher of series:b
  CHECK_FALSE(third->next(100).has_value());
  REQUIRE(seen.size() == 3);
  CHECK(seen.back().empty());
}

TEST_CASE_FIXTURE(HubFixture, "hub: series topics are bounded per connection and in all") {
  HubOptions o;
  o.max_series_topics_per_client = 3;
  o.max_series_topics = 4;
  start(o);
  auto a = connect();
  a->send_text(
      R"({"type":"subscribe","topics":["series:a1","series:a2","series:a3","series:a4"]})");
  auto e = nlohmann::json::parse(a->next_text());
  CHECK(e["code"] == "WS_TOO_MANY_TOPICS");
  CHECK(e["message"] == "at most 3 series: topics per connection");
  a->send_text(
      R"({"type":"subscribe","topics":["series:a1","series:a2","series:a3","nodes","events"]})");
  CHECK(nlohmann::json::parse(a->next_text())["type"] == "subscribed");

  auto b = connect();
  // Topics already watched cost nothing more in all.
  b->send_text(R"({"type":"subscribe","topics":["series:a1","series:b1"]})");
  CHECK(nlohmann::json::parse(b->next_text())["type"] == "subscribed");
  b->send_text(R"({"type":"subscribe","topics":["series:b2"]})");
  e = nlohmann::json::parse(b->next_text());
  CHECK(e["code"] == "WS_TOO_MANY_TOPICS");
  CHECK(e["message"].get<std::string>().starts_with(
      "the server follows at most 4 different series: topics"));
  // Freed when a watcher leaves.
  a->send_text(R"({"type":"unsubscribe","topics":["series:a3"]})");
  a->next_text();
  b->send_text(R"({"type":"subscribe","topics":["series:b2"]})");
  CHECK(nlohmann::json::parse(b->next_text())["type"] == "subscribed");
  CHECK(hub->series_topics().size() == 4);
}

TEST_CASE_FIXTURE(HubFixture, "hub: clients whose credential was revoked are closed with 1008") {
  start();
  auto session = connect({}, 0, {"alice", "viewer", "127.0.0.1", 7, "s-1", 0, 0});
  auto token = connect({}, 0, {"alice", "viewer", "127.0.0.1", 7, "", 42, 0});
  auto bob = connect({}, 0, {"bob", "admin", "127.0.0.1", 8, "s-2", 0, 0});
  for (auto* c : {session.get(), token.get(), bob.get()}) {
    c->send_text(R"({"type":"ping"})");
    c->next_text();
  }
  const double before = counter_value_labelled("telltale_ws_closed_credentials_total", "revoked");
  CHECK(hub->close_revoked([](const ClientInfo& c) { return c.token_id == 42; }) == 1);
  auto f = token->next();
  REQUIRE(f.has_value());
  CHECK(f->opcode == 8u);
  CHECK(f->code() == 1008);
  CHECK(f->payload.substr(2) == "credentials revoked");
  token->send_raw(masked(0x88, std::string("\x03\xF0", 2)));
  CHECK(token->wait_eof());
  CHECK(counter_value_labelled("telltale_ws_closed_credentials_total", "revoked") == before + 1);

  CHECK(hub->close_revoked([](const ClientInfo& c) { return c.user_id == 7; }) == 1);
  CHECK(session->next()->code() == 1008);
  CHECK(session->wait_eof(3000));  // no answer to our close: dropped after close_timeout_ms
  bob->send_text(R"({"type":"ping"})");
  CHECK(bob->next_text() == R"({"type":"pong"})");
  CHECK(hub->client_count() == 1);
}

TEST_CASE_FIXTURE(HubFixture, "hub: a client is closed when its credential expires") {
  HubOptions o;
  o.tick_ms = 5;
  o.clock = &clock;
  start(o);
  clock.set_ms(1'000'000);
  auto expiring = connect({}, 0, {"alice", "viewer", "127.0.0.1", 7, "", 42, 1'020'000});
  auto forever = connect({}, 0, {"bob", "viewer", "127.0.0.1", 8, "", 43, 0});
  const double before = counter_value_labelled("telltale_ws_closed_credentials_total", "expired");
  clock.set_ms(1'019'999);
  CHECK_FALSE(expiring->next(50).has_value());
  clock.set_ms(1'020'000);
  auto f = expiring->next();
  REQUIRE(f.has_value());
  CHECK(f->code() == 1008);
  CHECK(f->payload.substr(2) == "credentials expired");
  CHECK(counter_value_labelled("telltale_ws_closed_credentials_total", "expired") == before + 1);
  forever->send_text(R"({"type":"ping"})");
  CHECK(forever->next_text() == R"({"type":"pong"})");
}
