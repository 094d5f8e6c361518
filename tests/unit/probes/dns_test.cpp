// The DNS probe against a real dnsmasq started on 127.0.0.1 with a free port.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"
#include "probes/dns_answer.h"
#include "probes/kinds.h"

using namespace tt::probes;
using probe_test::Harness;
using probe_test::metric;

namespace {

constexpr const char* kDnsmasq = "/usr/sbin/dnsmasq";

// A port on 127.0.0.1 free for both UDP and TCP at the time of the call.
int free_port() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int u = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(u, reinterpret_cast<sockaddr*>(&a), &len);
    int t = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const bool ok = ::bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(t);
    ::close(u);
    if (ok) return ntohs(a.sin_port);
  }
  FAIL("no free port");
  return 0;
}

bool tcp_listening(int port) {
  int t = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(t);
  return ok;
}

// dnsmasq serving a small zone "test"; killed when the fixture ends, even on failure.
struct Dnsmasq {
  pid_t pid = -1;
  int port = 0;

  Dnsmasq() {
    REQUIRE(::access(kDnsmasq, X_OK) == 0);
    port = free_port();
    std::vector<std::string> args{
        kDnsmasq,
        "--no-daemon",
        "--no-resolv",
        "--no-hosts",
        "--bind-interfaces",
        "--listen-address=127.0.0.1",
        "--port=" + std::to_string(port),
        "--pid-file=",
        "--user=root",
        "--log-facility=/dev/null",
        "--local=/test/",  // unknown names in .test: NXDOMAIN, not REFUSED
        "--host-record=host.test,192.0.2.10,2001:db8::10",
        "--cname=alias.test,host.test",
        "--mx-host=mail.test,mx1.test,10",
        "--mx-host=mail.test,mx2.test,20",
        "--txt-record=txt.test,v=spf1 -all",
        "--txt-record=multi.test,part one ,part two",
        "--auth-server=ns1.test,127.0.0.1",
        "--auth-zone=test,192.0.2.0/24,2001:db8::/64",  // the subnet adds its reverse zone
        "--auth-soa=2024010101,hostmaster.test,1200,120,604800"};
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      const int null = ::open("/dev/null", O_WRONLY);  // its start-up lines bypass --log-facility
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execv(kDnsmasq, argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 100 && !tcp_listening(port); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE_MESSAGE(tcp_listening(port), "dnsmasq did not start");
  }
  ~Dnsmasq() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }
  std::string server() const { return "127.0.0.1:" + std::to_string(port); }
};

std::vector<std::string> lines(const nlohmann::json& answers) {
  std::vector<std::string> out;
  std::string s = answers.get<std::string>(), cur;
  for (char c : s) {
    if (c == '\n')
      out.push_back(std::move(cur)), cur.clear();
    else
      cur += c;
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace

TEST_CASE("dns: reverse names and rcode names") {
  CHECK(dns::reverse_name("192.0.2.1") == "1.2.0.192.in-addr.arpa");
  CHECK(dns::reverse_name("2001:db8::1") ==
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  CHECK_FALSE(dns::reverse_name("host.test"));
  CHECK(dns::rcode_name(0) == "NOERROR");
  CHECK(dns::rcode_name(3) == "NXDOMAIN");
  CHECK(dns::rcode_name(5) == "REFUSED");
  CHECK(dns::rcode_name(12) == "RCODE12");
}

TEST_CASE("dns: an answer shorter than a header is an io error, not a crash") {
  const unsigned char junk[5] = {1, 2, 3, 4, 5};
  auto o = dns::observe(dns::RecordType::a, junk, sizeof junk, {}, 0.1);
  CHECK_FALSE(o.ok);
  CHECK(o.error == "io");
}

TEST_CASE("dns: record types against dnsmasq") {
  Dnsmasq srv;
  Harness h(dns_kind());
  auto ask = [&](const std::string& name, const std::string& type,
                 nlohmann::json extra = nlohmann::json::object()) {
    extra["server"] = srv.server();
    extra["record_type"] = type;
    return h.run(h.request(name, extra, 2000));
  };

  SUBCASE("A, with facts and metrics") {
    auto o = ask("host.test", "A");
    REQUIRE_MESSAGE(o.ok, o.error << ": " << o.message);
    CHECK(o.facts["rcode"] == "NOERROR");
    CHECK(o.facts["answers"] == "192.0.2.10");
    CHECK(o.facts["answer_count"] == 1);
    CHECK(o.facts["latency"].get<double>() > 0);
    CHECK(o.facts["latency"].get<double>() < 1);
    CHECK(metric(o, "probe_dns_answer_rrs") == 1);
    CHECK(metric(o, "probe_dns_lookup_time_seconds") > 0);
    metric(o, "probe_dns_authority_rrs");
    metric(o, "probe_dns_additional_rrs");
    for (const auto& m : o.metrics) CHECK(m.name.rfind("probe_dns_", 0) == 0);
  }
  SUBCASE("each record type in its canonical text") {
    struct Case {
      const char* name;
      const char* type;
      std::vector<std::string> answers;  // sorted
    };
    for (const auto& c : std::vector<Case>{
             {"host.test", "AAAA", {"2001:db8::10"}},
             {"alias.test", "CNAME", {"host.test"}},
             {"mail.test", "MX", {"10 mx1.test", "20 mx2.test"}},  // "preference host"
             {"txt.test", "TXT", {"v=spf1 -all"}},
             {"multi.test", "TXT", {"part one part two"}},  // the strings of one record joined
             // In auth mode dnsmasq serves the PTRs its host records imply (not --ptr-record).
             {"192.0.2.10", "PTR", {"host.test"}},
             {"2001:db8::10", "PTR", {"host.test"}},
             {"test", "SOA", {"ns1.test hostmaster.test 2024010101 1200 120 604800 600"}},
             {"test", "NS", {"ns1.test"}},
         }) {
      auto o = ask(c.name, c.type);
      REQUIRE_MESSAGE(o.ok, c.name << " " << c.type << ": " << o.error << ": " << o.message);
      auto l = lines(o.facts["answers"]);
      std::sort(l.begin(), l.end());
      CHECK_MESSAGE(l == c.answers, c.name << " " << c.type);
    }
  }
  SUBCASE("expected: one match is enough, case and trailing dot do not matter") {
    auto o = ask("host.test", "A", {{"expected", {"192.0.2.99", "192.0.2.10"}}});
    CHECK(o.ok);
    auto c = ask("alias.test", "CNAME", {{"expected", {"HOST.test."}}});
    CHECK(c.ok);
  }
  SUBCASE("expected missing: error lists what came") {
    auto o = ask("host.test", "A", {{"expected", {"192.0.2.99"}}});
    CHECK_FALSE(o.ok);
    CHECK(o.error == "expected");
    CHECK(o.message.find("192.0.2.10") != std::string::npos);
  }
  SUBCASE("NXDOMAIN is a failure named in the message") {
    auto o = ask("missing.test", "A");
    CHECK_FALSE(o.ok);
    CHECK(o.error == "rcode");
    CHECK(o.message == "NXDOMAIN");
    CHECK(o.facts["rcode"] == "NXDOMAIN");
    CHECK(o.facts["answers"] == "");
  }
  SUBCASE("NOERROR without a record of the type is no_answer") {
    auto o = ask("txt.test", "A");
    CHECK_FALSE(o.ok);
    CHECK(o.error == "no_answer");
    CHECK(o.facts["rcode"] == "NOERROR");
  }
  SUBCASE("over TCP, without recursion") {
    auto o = ask("host.test", "A", {{"protocol", "tcp"}, {"recursion", false}});
    REQUIRE_MESSAGE(o.ok, o.error << ": " << o.message);
    CHECK(o.facts["answers"] == "192.0.2.10");
  }
  SUBCASE("many queries at once") {
    std::vector<std::shared_ptr<std::optional<Observation>>> slots;
    for (int i = 0; i < 50; ++i)
      slots.push_back(
          h.start(h.request(i % 2 ? "host.test" : "alias.test", {{"server", srv.server()}}, 2000)));
    h.wait(slots);
    for (const auto& s : slots) CHECK((*s)->facts["answers"] == "192.0.2.10");
  }
}

TEST_CASE("dns: a server that never answers times out on time") {
  int silent = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(::bind(silent, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  ::getsockname(silent, reinterpret_cast<sockaddr*>(&a), &len);
  Harness h(dns_kind());
  const auto t0 = std::chrono::steady_clock::now();
  auto o = h.run(
      h.request("host.test", {{"server", "127.0.0.1:" + std::to_string(ntohs(a.sin_port))}}, 300));
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK_FALSE(o.ok);
  CHECK(o.error == "timeout");
  CHECK(took >= std::chrono::milliseconds(250));
  CHECK(took < std::chrono::milliseconds(800));
  ::close(silent);
}

TEST_CASE("dns: nothing listening over TCP is refused") {
  const int port = free_port();
  Harness h(dns_kind());
  auto o = h.run(h.request(
      "host.test", {{"server", "127.0.0.1:" + std::to_string(port)}, {"protocol", "tcp"}}, 1000));
  CHECK_FALSE(o.ok);
  CHECK(o.error == "refused");
}

TEST_CASE("dns: server option syntax") {
  Harness h(dns_kind());
  auto named = h.run(h.request("host.test", {{"server", "dns.example"}}, 300));
  CHECK(named.error == "config");
  CHECK(named.message.find("IP address") != std::string::npos);
  auto port = h.run(h.request("host.test", {{"server", "127.0.0.1:99999"}}, 300));
  CHECK(port.error == "config");
  // An IPv6 server in brackets parses (nothing listens there: refused or timeout, not config).
  auto v6 = h.run(h.request("host.test", {{"server", "[::1]:1"}, {"protocol", "tcp"}}, 300));
  CHECK(v6.error != "config");
}

TEST_CASE("dns: close() cancels runs in flight and closes every handle") {
  int silent = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(::bind(silent, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  ::getsockname(silent, reinterpret_cast<sockaddr*>(&a), &len);
  Harness h(dns_kind());
  std::vector<std::shared_ptr<std::optional<Observation>>> slots;
  for (int i = 0; i < 5; ++i)
    slots.push_back(h.start(h.request(
        "host.test", {{"server", "127.0.0.1:" + std::to_string(ntohs(a.sin_port))}}, 5000)));
  uv_run(h.loop(), UV_RUN_NOWAIT);
  h.probe().close();
  for (const auto& s : slots) {
    REQUIRE(s->has_value());
    CHECK((*s)->error == "cancelled");
  }
  auto after = h.run(h.request("host.test", {{"server", "127.0.0.1:53"}}, 300));
  CHECK(after.error == "cancelled");
  h.finish();
  ::close(silent);
}
