// The engine on a loop of the test's own, against small UDP agents in a thread: one that answers
// as told, one that reads and drops, one that answers garbage, and a closed port. (Walks against
// net-snmp's snmpd are in tests/integration/test_snmp.py.)
#include "snmp/engine.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "../probes/fixture.h"

using namespace tt::snmp;

namespace {

// A UDP peer on the loopback address of `family`, answering each datagram with what `reply`
// returns (nothing: drop), in a thread of its own.
class Peer {
 public:
  using Reply = std::function<std::optional<std::string>(std::span<const std::uint8_t>)>;

  Peer(Reply reply, int family = AF_INET) : m_reply(std::move(reply)) {
    m_fd = ::socket(family, SOCK_DGRAM, 0);
    REQUIRE(m_fd >= 0);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (family == AF_INET6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *a;
    }
    REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&ss), len) == 0);
    REQUIRE(::getsockname(m_fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0);
    m_port = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                      : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~Peer() {
    m_stop = true;
    m_thread.join();
    ::close(m_fd);
  }
  std::uint16_t port() const { return m_port; }
  std::vector<std::string> received() {
    std::lock_guard lock(m_mutex);
    return m_received;
  }

 private:
  void serve() {
    std::vector<std::uint8_t> buf(65535);
    while (!m_stop) {
      pollfd p{m_fd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      ssize_t n =
          ::recvfrom(m_fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) continue;
      {
        std::lock_guard lock(m_mutex);
        m_received.emplace_back(reinterpret_cast<char*>(buf.data()), static_cast<std::size_t>(n));
      }
      if (auto out = m_reply({buf.data(), static_cast<std::size_t>(n)}))
        ::sendto(m_fd, out->data(), out->size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }

  Reply m_reply;
  int m_fd = -1;
  std::uint16_t m_port = 0;
  std::atomic<bool> m_stop{false};
  std::mutex m_mutex;
  std::vector<std::string> m_received;
  std::thread m_thread;
};

// Answers every request with the same variables, each valued with its OID's last arc, or with
// `error_status` at index 1.
std::optional<std::string> echo(std::span<const std::uint8_t> in, std::int32_t error_status = 0) {
  auto m = decode(in);
  if (!m.ok()) return std::nullopt;
  m->pdu.type = PduType::response;
  for (auto& vb : m->pdu.varbinds) vb.value = Value::make_integer(vb.oid.back());
  m->pdu.error_status = error_status;
  m->pdu.error_index = error_status ? 1 : 0;
  return encode(m.value());
}

Target target(const char* host, std::uint16_t port, int retries = 0, int timeout_ms = 2000) {
  Target t;
  t.endpoint = *endpoint_from_literal(host, port);
  t.retries = retries;
  t.timeout = std::chrono::milliseconds(timeout_ms);
  return t;
}

struct Run {
  std::optional<tt::Result<Pdu>> result;
  bool done() const { return result.has_value(); }
};

}  // namespace

TEST_CASE("snmp engine: a GET is answered, by request id, over IPv4 and IPv6") {
  for (int family : {AF_INET, AF_INET6}) {
    Peer peer([](auto in) { return echo(in); }, family);
    probe_test::Loop loop;
    Engine engine(&loop.loop);
    Run run;
    engine.get(target(family == AF_INET ? "127.0.0.1" : "::1", peer.port()),
               {*parse_oid("1.3.6.1.2.1.1.3.0"), *parse_oid("1.3.6.7")},
               [&](tt::Result<Pdu> r) { run.result = std::move(r); });
    REQUIRE(loop.run_until([&] { return run.done(); }));
    REQUIRE_MESSAGE(run.result->ok(), run.result->error().message);
    REQUIRE(run.result->value().varbinds.size() == 2);
    CHECK(run.result->value().varbinds[1].value == Value::make_integer(7));
    CHECK(engine.in_flight() == 0);
    engine.close();
  }
}

TEST_CASE("snmp engine: many requests in flight each get their own answer") {
  Peer peer([](auto in) { return echo(in); });
  probe_test::Loop loop;
  Engine engine(&loop.loop);
  constexpr int kRequests = 300;
  int answered = 0, right = 0;
  for (int i = 0; i < kRequests; ++i) {
    engine.get(
        target("127.0.0.1", peer.port(), 2, 1000), {{1, 3, 6, static_cast<std::uint32_t>(i)}},
        [&, i](tt::Result<Pdu> r) {
          ++answered;
          if (r.ok() && r->varbinds.size() == 1 && r->varbinds[0].value == Value::make_integer(i))
            ++right;
        });
  }
  CHECK(engine.in_flight() == kRequests);
  REQUIRE(loop.run_until([&] { return answered == kRequests; }));
  CHECK(right == kRequests);
  engine.close();
}

TEST_CASE(
    "snmp engine: an agent that never answers times out after every retry, same request id each "
    "time") {
  Peer peer([](auto) { return std::nullopt; });
  probe_test::Loop loop;
  Engine engine(&loop.loop);
  Run run;
  engine.get(target("127.0.0.1", peer.port(), 2, 100), {*parse_oid("1.3.6.1.2.1.1.5.0")},
             [&](tt::Result<Pdu> r) { run.result = std::move(r); });
  REQUIRE(loop.run_until([&] { return run.done(); }));
  REQUIRE_FALSE(run.result->ok());
  CHECK(run.result->error().code == "SNMP_TIMEOUT");
  CHECK(run.result->error().kind == tt::ErrorKind::gateway_timeout);
  CHECK(run.result->error().message.find("after 3 tries") != std::string::npos);
  CHECK(run.result->error().message.find("community is wrong") != std::string::npos);
  auto got = peer.received();
  REQUIRE(got.size() == 3);
  CHECK(got[0] == got[1]);
  CHECK(got[1] == got[2]);
  engine.close();
}

TEST_CASE("snmp engine: a closed port is unreachable at once, through the ICMP error") {
  std::uint16_t port = 0;
  {
    Peer gone([](auto) { return std::nullopt; });
    port = gone.port();
  }
  probe_test::Loop loop;
  Engine engine(&loop.loop);
  Run run;
  engine.get(target("127.0.0.1", port, 3, 5000), {*parse_oid("1.3.6.1.2.1.1.5.0")},
             [&](tt::Result<Pdu> r) { run.result = std::move(r); });
  // Well before the first try's 5 s timeout.
  REQUIRE(loop.run_until([&] { return run.done(); }, std::chrono::seconds(3)));
  REQUIRE_FALSE(run.result->ok());
  CHECK(run.result->error().code == "SNMP_UNREACHABLE");
  CHECK(run.result->error().message.find("port unreachable") != std::string::npos);
  // The socket keeps working for other agents after the ICMP error.
  Peer live([](auto in) { return echo(in); });
  Run next;
  engine.get(target("127.0.0.1", live.port()), {*parse_oid("1.3.6.1.2.1.1.5.0")},
             [&](tt::Result<Pdu> r) { next.result = std::move(r); });
  REQUIRE(loop.run_until([&] { return next.done(); }, std::chrono::seconds(3)));
  CHECK(next.result->ok());
  engine.close();
}

TEST_CASE("snmp engine: garbage and error-status answers are precise errors") {
  Peer garbage([](auto) { return std::string("\x30\x03\x02\x01", 4); });
  Peer refusing([](auto in) { return echo(in, 5); });
  probe_test::Loop loop;
  Engine engine(&loop.loop);
  Run bad, err;
  engine.get(target("127.0.0.1", garbage.port()), {*parse_oid("1.3.6.1.2.1.1.5.0")},
             [&](tt::Result<Pdu> r) { bad.result = std::move(r); });
  engine.get(target("127.0.0.1", refusing.port()), {*parse_oid("1.3.6.1.2.1.1.5.0")},
             [&](tt::Result<Pdu> r) { err.result = std::move(r); });
  REQUIRE(loop.run_until([&] { return bad.done() && err.done(); }));
  REQUIRE_FALSE(bad.result->ok());
  CHECK(bad.result->error().code == "SNMP_MALFORMED");
  CHECK(bad.result->error().message ==
        "malformed answer from 127.0.0.1:" + std::to_string(garbage.port()) +
            ": byte 2: length 3 runs past the end (2 bytes left)");
  REQUIRE_FALSE(err.result->ok());
  CHECK(err.result->error().code == "SNMP_ERROR_STATUS");
  CHECK(err.result->error().message == "the agent answered genErr (5) for variable 1 (sysName.0)");
  engine.close();
}

TEST_CASE("snmp engine: close answers what is in flight with SNMP_CANCELLED") {
  Peer peer([](auto) { return std::nullopt; });
  probe_test::Loop loop;
  Engine engine(&loop.loop);
  Run run;
  engine.get(target("127.0.0.1", peer.port()), {*parse_oid("1.3.6.1.2.1.1.5.0")},
             [&](tt::Result<Pdu> r) { run.result = std::move(r); });
  engine.close();
  REQUIRE(run.done());
  CHECK(run.result->error().code == "SNMP_CANCELLED");
}

TEST_CASE("snmp engine: GETBULK carries non-repeaters and max-repetitions") {
  Peer peer([](auto in) { return echo(in); });
  probe_test::Loop loop;
  Engine engine(&loop.loop);
  Run run;
  engine.get_bulk(target("127.0.0.1", peer.port()), 1, 7,
                  {*parse_oid("1.3.6.1.2.1.1.3"), *parse_oid("1.3.6.1.2.1.2.2.1.2")},
                  [&](tt::Result<Pdu> r) { run.result = std::move(r); });
  REQUIRE(loop.run_until([&] { return run.done(); }));
  REQUIRE(run.result->ok());
  auto sent = peer.received();
  REQUIRE(sent.size() == 1);
  auto m = decode({reinterpret_cast<const std::uint8_t*>(sent[0].data()), sent[0].size()});
  REQUIRE(m.ok());
  CHECK(m->pdu.type == PduType::get_bulk);
  CHECK(m->pdu.error_status == 1);
  CHECK(m->pdu.error_index == 7);
  engine.close();
}

TEST_CASE("snmp engine: a walk fails as malformed when the agent's OIDs do not increase") {
  // Answers every request with the same variable under the walked root.
  Peer loops([](std::span<const std::uint8_t> in) -> std::optional<std::string> {
    auto m = decode(in);
    if (!m.ok()) return std::nullopt;
    m->pdu.type = PduType::response;
    m->pdu.error_status = m->pdu.error_index = 0;
    m->pdu.varbinds = {
        {*parse_oid("1.3.6.1.2.1.2.2.1.2.1"), Value::make_bytes(Type::octet_string, "lo")}};
    return encode(m.value());
  });
  probe_test::Loop loop;
  Engine engine(&loop.loop);
  std::optional<tt::Result<std::vector<std::vector<VarBind>>>> result;
  engine.walk(target("127.0.0.1", loops.port()), {*parse_oid("1.3.6.1.2.1.2.2.1.2")},
              [&](auto r) { result = std::move(r); });
  REQUIRE(loop.run_until([&] { return result.has_value(); }));
  REQUIRE_FALSE(result->ok());
  CHECK(result->error().code == "SNMP_MALFORMED");
  CHECK(result->error().message.find(
            "answered 1.3.6.1.2.1.2.2.1.2.1 after 1.3.6.1.2.1.2.2.1.2.1: OIDs must increase") !=
        std::string::npos);
  CHECK(loops.received().size() == 2);
  engine.close();
}

namespace {

// A v3 agent for a noAuthNoPriv user: engine discovery (an empty engine id) gets the
// usmStatsUnknownEngineIDs report with `engine_id`; a request to that engine gets its variables
// back, valued as echo() does.
std::optional<std::string> v3_agent(std::span<const std::uint8_t> in,
                                    const std::string& engine_id) {
  auto d = decode_v3(in);
  if (!d.ok()) return std::nullopt;
  const auto& scoped = d->message.scoped;
  auto s = decode_scoped_pdu({reinterpret_cast<const std::uint8_t*>(scoped.data()), scoped.size()},
                             false);
  if (!s.ok()) return std::nullopt;
  MessageV3 out;
  out.msg_id = d->message.msg_id;
  out.usm.engine_id = engine_id;
  out.usm.engine_boots = 1;
  out.usm.engine_time = 100;
  out.usm.user = d->message.usm.user;
  ScopedPdu reply{engine_id, "", {}};
  reply.pdu.request_id = s->pdu.request_id;
  if (d->message.usm.engine_id.empty()) {
    reply.pdu.type = PduType::report;
    reply.pdu.varbinds = {
        {*parse_oid("1.3.6.1.6.3.15.1.1.4.0"), Value::make_unsigned(Type::counter32, 1)}};
  } else {
    reply.pdu.type = PduType::response;
    reply.pdu.varbinds = s->pdu.varbinds;
    for (auto& vb : reply.pdu.varbinds) vb.value = Value::make_integer(vb.oid.back());
  }
  out.scoped = encode(reply);
  return encode(out);
}

// Engine discoveries among what an agent received (those name no engine id).
std::size_t discoveries(Peer& agent) {
  std::size_t n = 0;
  for (const auto& d : agent.received())
    if (auto m = decode_v3({reinterpret_cast<const std::uint8_t*>(d.data()), d.size()});
        m.ok() && m->message.usm.engine_id.empty())
      ++n;
  return n;
}

}  // namespace

TEST_CASE(
    "snmp engine: the v3 agent cache keeps the agents used most recently, and an evicted one is "
    "rediscovered") {
  Peer a([](auto in) { return v3_agent(in, "engine-a"); });
  Peer b([](auto in) { return v3_agent(in, "engine-b"); });
  Peer c([](auto in) { return v3_agent(in, "engine-c"); });
  probe_test::Loop loop;
  Engine engine(&loop.loop, 2);
  const auto get = [&](Peer& agent) {
    Target t = target("127.0.0.1", agent.port());
    t.version = Version::v3;
    t.user.name = "reader";
    Run run;
    engine.get(t, {*parse_oid("1.3.6.1.2.1.1.3.0")},
               [&](tt::Result<Pdu> r) { run.result = std::move(r); });
    REQUIRE(loop.run_until([&] { return run.done(); }));
    REQUIRE_MESSAGE(run.result->ok(), run.result->error().message);
    CHECK(run.result->value().varbinds.at(0).value == Value::make_integer(0));
  };
  get(a);
  get(b);
  get(a);  // cached: no discovery; a is now the most recently used
  CHECK(discoveries(a) == 1);
  CHECK(a.received().size() == 3);
  get(c);  // evicts b, the least recently used
  CHECK(engine.agents_cached() == 2);
  get(a);
  CHECK(discoveries(a) == 1);
  get(b);  // evicted: discovered again, and the request still succeeds
  CHECK(discoveries(b) == 2);
  CHECK(b.received().size() == 4);
  CHECK(engine.agents_cached() == 2);
  get(c);  // evicted by b (a was used after c)
  CHECK(discoveries(c) == 2);
  engine.close();
}
