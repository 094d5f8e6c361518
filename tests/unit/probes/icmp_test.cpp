// The ICMP probe against the loopback interface, and inside network namespaces the tests create
// (unshare(CLONE_NEWNET) on a thread of their own: the namespace ends with the thread, so
// nothing is left behind even when a check fails). Loss is made with routes, not netem (this
// kernel has no sch_netem): a route of 10.99.0.0/24 to lo whose addresses are not local drops
// requests silently; an "unreachable" route makes sendto fail with EHOSTUNREACH.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "fixture.h"
#include "probes/icmp_packet.h"
#include "probes/kinds.h"

using namespace tt::probes;
using probe_test::Harness;
using probe_test::metric;

namespace {

bool has_ipv6_loopback() {
  int s = ::socket(AF_INET6, SOCK_DGRAM, 0);
  if (s < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

void check_clean_round(const Observation& o, int packets, const std::string& address) {
  REQUIRE_MESSAGE(o.ok, o.error << ": " << o.message);
  CHECK(o.facts["sent"] == packets);
  CHECK(o.facts["received"] == packets);
  CHECK(o.facts["loss"] == 0.0);
  CHECK(o.facts["address"] == address);
  const double lo = o.facts["rtt_min"], avg = o.facts["latency"], hi = o.facts["rtt_max"];
  CHECK(lo > 0);
  CHECK(lo <= avg);
  CHECK(avg <= hi);
  CHECK(hi < 0.5);
  CHECK(o.facts["jitter"].get<double>() >= 0);
  CHECK(o.facts["jitter"].get<double>() <= hi - lo + 1e-9);
  CHECK(metric(o, "probe_icmp_rtt_seconds", "avg") == avg);
  CHECK(metric(o, "probe_icmp_loss_ratio") == 0);
}

// Runs `body` on a thread inside a fresh network namespace with lo up. Returns false (and the
// test skips) when namespaces cannot be made here.
bool in_netns(const std::function<void()>& body) {
  bool made = false;
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) return;
    // `ip` is forked from this thread, so it works in this thread's namespace.
    if (std::system("ip link set lo up") != 0) return;
    made = true;
    body();
  });
  t.join();
  if (!made)
    MESSAGE("skipped: cannot create a network namespace (needs CAP_SYS_ADMIN and iproute2)");
  return made;
}

void sh(const std::string& cmd) { REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, cmd); }

void write_sysctl(const std::string& path, const std::string& value) {
  std::ofstream f(path);
  f << value;
  f.close();
  REQUIRE_MESSAGE(f.good(), path);
}

// Ping sockets of this thread's namespace, as the kernel lists them.
int ping_sockets() {
  std::ifstream f("/proc/thread-self/net/icmp");
  std::string line;
  int n = -1;  // the header
  while (std::getline(f, line)) ++n;
  return n;
}

}  // namespace

TEST_CASE("icmp: echo requests built here parse back; raw IPv4 headers and unreachables too") {
  auto req = icmp::build_echo_request(false, 0x1234, 7, 0xA1B2C3D4E5F60718ULL, 56);
  CHECK(req.size() == 64);
  CHECK(icmp::checksum(req.data(), req.size()) == 0);  // a valid checksum sums to zero

  // As a raw IPv4 socket returns a reply: [IPv4 header][echo reply].
  std::vector<std::uint8_t> raw(20, 0);
  raw[0] = 0x45;
  raw[9] = 1;
  auto reply = req;
  reply[0] = 0;
  raw.insert(raw.end(), reply.begin(), reply.end());
  auto r = icmp::parse_reply(raw.data(), raw.size(), false, true);
  REQUIRE(r);
  CHECK(r->kind == icmp::ReplyKind::echo_reply);
  CHECK(r->id == 0x1234);
  CHECK(r->seq == 7);
  CHECK(icmp::cookie_matches(*r, 0xA1B2C3D4E5F60718ULL, 56));
  CHECK_FALSE(icmp::cookie_matches(*r, 0xA1B2C3D4E5F60719ULL, 56));
  // Our own request, seen by a raw socket on lo, is not a reply.
  CHECK_FALSE(icmp::parse_reply(req.data(), req.size(), false, false));

  // Destination unreachable quoting [IPv4 header][first 8 bytes of our request].
  std::vector<std::uint8_t> unreach{3, 1, 0, 0, 0, 0, 0, 0};
  std::vector<std::uint8_t> inner(20, 0);
  inner[0] = 0x45;
  inner[9] = 1;
  unreach.insert(unreach.end(), inner.begin(), inner.end());
  unreach.insert(unreach.end(), req.begin(), req.begin() + 8);
  auto u = icmp::parse_reply(unreach.data(), unreach.size(), false, false);
  REQUIRE(u);
  CHECK(u->kind == icmp::ReplyKind::unreachable);
  CHECK(u->code == 1);
  CHECK(u->seq == 7);
  CHECK(icmp::cookie_matches(*u, 0xA1B2C3D4E5F60718ULL, 56));  // cut short: nothing to compare

  // ICMPv6: echo reply 129, no IP header.
  auto req6 = icmp::build_echo_request(true, 1, 65535, 5, 3);
  req6[0] = 129;
  auto r6 = icmp::parse_reply(req6.data(), req6.size(), true, false);
  REQUIRE(r6);
  CHECK(r6->seq == 65535);
  CHECK(icmp::cookie_matches(*r6, 5, 3));

  CHECK_FALSE(icmp::parse_reply(raw.data(), 27, false, true));  // truncated
}

TEST_CASE("icmp: round summary") {
  icmp::Round r;
  r.sent = 4;
  r.rtts_s = {0.010, 0.030, 0.020};
  r.address = "192.0.2.1";
  auto o = icmp::summarize(r);
  CHECK(o.ok);
  CHECK(o.facts["loss"] == doctest::Approx(0.25));
  CHECK(o.facts["latency"] == doctest::Approx(0.020));
  CHECK(o.facts["rtt_min"] == doctest::Approx(0.010));
  CHECK(o.facts["rtt_max"] == doctest::Approx(0.030));
  CHECK(o.facts["jitter"] == doctest::Approx(0.015));  // (|30-10| + |20-30|) / 2 ms
  CHECK(metric(o, "probe_ip_protocol") == 4);
  r.rtts_s.clear();
  CHECK(icmp::summarize(r).error == "timeout");
  r.unreachable = true;
  CHECK(icmp::summarize(r).error == "unreachable");
}

TEST_CASE("icmp: 127.0.0.1, several packets") {
  Harness h(icmp_kind());
  auto o = h.run(h.request("127.0.0.1", {{"packets", 4}, {"packet_interval", "20ms"}}, 2000));
  check_clean_round(o, 4, "127.0.0.1");
  CHECK(metric(o, "probe_ip_protocol") == 4);
  CHECK(o.duration_s >= 0.055);  // three intervals
}

TEST_CASE("icmp: ::1, several packets") {
  if (!has_ipv6_loopback()) {
    MESSAGE("skipped: no IPv6 loopback here");
    return;
  }
  Harness h(icmp_kind());
  auto o =
      h.run(h.request("::1", {{"packets", 3}, {"packet_interval", "20ms"}, {"size", 100}}, 2000));
  check_clean_round(o, 3, "::1");
  CHECK(metric(o, "probe_ip_protocol") == 6);
}

TEST_CASE("icmp: a host name is resolved, family honoured") {
  Harness h(icmp_kind());
  auto o = h.run(h.request("localhost", {{"packets", 1}, {"family", "ipv4"}}, 2000));
  check_clean_round(o, 1, "127.0.0.1");
  auto bad = h.run(h.request("no-such-host.invalid", {{"packets", 1}}, 2000));
  CHECK(bad.error == "resolve");
}

TEST_CASE("icmp: tiny and large payloads") {
  Harness h(icmp_kind());
  check_clean_round(h.run(h.request("127.0.0.1", {{"packets", 1}, {"size", 0}}, 2000)), 1,
                    "127.0.0.1");
  check_clean_round(h.run(h.request("127.0.0.1", {{"packets", 1}, {"size", 5}}, 2000)), 1,
                    "127.0.0.1");
  check_clean_round(h.run(h.request("127.0.0.1", {{"packets", 1}, {"size", 9000}}, 2000)), 1,
                    "127.0.0.1");
}

TEST_CASE("icmp: 200 concurrent runs to 200 loopback addresses all match their own replies") {
  Harness h(icmp_kind());
  std::vector<std::shared_ptr<std::optional<Observation>>> slots;
  for (int i = 1; i <= 200; ++i)
    slots.push_back(h.start(h.request("127.0.0." + std::to_string(i),
                                      {{"packets", 3}, {"packet_interval", "10ms"}}, 3000)));
  h.wait(slots);
  for (int i = 1; i <= 200; ++i) {
    const auto& o = **slots[static_cast<std::size_t>(i - 1)];
    CHECK_MESSAGE(o.ok, o.error << ": " << o.message);
    CHECK(o.facts["received"] == 3);
    CHECK(o.facts["address"] == "127.0.0." + std::to_string(i));
  }
}

TEST_CASE("icmp: close() cancels runs in flight and closes every handle") {
  Harness h(icmp_kind());
  std::vector<std::shared_ptr<std::optional<Observation>>> slots;
  for (int i = 0; i < 10; ++i)
    slots.push_back(
        h.start(h.request("127.0.0.1", {{"packets", 5}, {"packet_interval", "1s"}}, 5000)));
  slots.push_back(
      h.start(h.request("localhost", {{"packets", 1}}, 5000)));  // maybe still resolving
  h.probe().close();
  for (const auto& s : slots) {
    REQUIRE(s->has_value());
    CHECK((*s)->error == "cancelled");
  }
  auto after = h.start(h.request("127.0.0.1", {}, 1000));
  REQUIRE(after->has_value());
  CHECK((*after)->error == "cancelled");
  h.finish();
}

TEST_CASE("icmp: loss, partial loss and unreachable routes in a network namespace") {
  in_netns([] {
    sh("ip addr add 10.99.0.1/32 dev lo && ip route add 10.99.0.0/24 dev lo");
    sh("ip route add unreachable 10.98.0.0/24");
    Harness h(icmp_kind());

    SUBCASE("every packet dropped: timeout, loss 1") {
      const auto t0 = std::chrono::steady_clock::now();
      auto o = h.run(h.request("10.99.0.5", {{"packets", 2}, {"packet_interval", "50ms"}}, 300));
      const auto took = std::chrono::steady_clock::now() - t0;
      CHECK_FALSE(o.ok);
      CHECK(o.error == "timeout");
      CHECK(o.facts["loss"] == 1.0);
      CHECK(o.facts["sent"] == 2);
      CHECK(o.facts["received"] == 0);
      CHECK(metric(o, "probe_icmp_loss_ratio") == 1.0);
      CHECK(took >= std::chrono::milliseconds(280));
      CHECK(took < std::chrono::milliseconds(800));
    }
    SUBCASE("half the packets dropped: ok, loss 0.5") {
      // Packets at 0, 150, 300, 450 ms; the address goes away at 220 ms.
      uv_timer_t cut;
      uv_timer_init(h.loop(), &cut);
      uv_timer_start(
          &cut, [](uv_timer_t*) { sh("ip addr del 10.99.0.1/32 dev lo"); }, 220, 0);
      auto o = h.run(h.request("10.99.0.1", {{"packets", 4}, {"packet_interval", "150ms"}}, 900));
      uv_close(reinterpret_cast<uv_handle_t*>(&cut), nullptr);
      uv_run(h.loop(), UV_RUN_NOWAIT);  // the close completes while `cut` is still in scope
      CHECK_MESSAGE(o.ok, o.error << ": " << o.message);
      CHECK(o.facts["sent"] == 4);
      CHECK(o.facts["received"] == 2);
      CHECK(o.facts["loss"] == 0.5);
    }
    SUBCASE("unreachable route: unreachable, ended before the timeout") {
      auto o = h.run(h.request("10.98.0.7", {{"packets", 2}, {"packet_interval", "20ms"}}, 2000));
      CHECK_FALSE(o.ok);
      CHECK(o.error == "unreachable");
      CHECK(o.duration_s < 1.0);
    }
  });
}

TEST_CASE("icmp: a router's unreachable ends the run, on raw and on ping sockets") {
  in_netns([] {
    // A second namespace routes 10.97.0.0/24 and fd00:97::/64 nowhere: it answers our packets
    // with destination unreachable, as a router does.
    const std::string r = "tt-router-" + std::to_string(::getpid());
    sh("ip netns add " + r);
    sh("ip link add ttr0 type veth peer name ttr1 netns " + r);
    sh("ip addr add 10.96.0.1/30 dev ttr0 && ip -6 addr add fd00:96::1/64 dev ttr0 nodad && ip "
       "link set ttr0 up");
    sh("ip route add 10.97.0.0/24 via 10.96.0.2 && ip -6 route add fd00:97::/64 via fd00:96::2");
    sh("ip -n " + r + " addr add 10.96.0.2/30 dev ttr1 && ip -n " + r +
       " -6 addr add fd00:96::2/64 dev ttr1 nodad");
    sh("ip -n " + r + " link set ttr1 up && ip -n " + r + " route add unreachable 10.97.0.0/24");
    sh("ip -n " + r + " -6 route add unreachable fd00:97::/64");
    // The router answers every packet: its ICMP error rate limits (1 per second per destination
    // for IPv6) would otherwise drop the unreachable of a run that follows another closely.
    sh("ip netns exec " + r +
       " sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 "
       "net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0");
    // The kernel starts moving packets on a veth once both ends are operationally up, which it
    // may note a while after `link set up` on a busy machine; until then neighbour discovery
    // is lost and retried a second later, which the timed runs below would count.
    sh("for i in $(seq 100); do ip -o link show ttr0 | grep -q 'state UP' && "
       "ip -n " +
       r + " -o link show ttr1 | grep -q 'state UP' && exit 0; sleep 0.05; done; exit 1");
    for (const bool ping_socket : {false, true}) {
      CAPTURE(ping_socket);
      if (ping_socket) write_sysctl("/proc/sys/net/ipv4/ping_group_range", "0 2147483647");
      Harness h(icmp_kind());
      // The router's neighbour entries first (untimed), so the runs below time only its answer.
      for (const std::string router : {"10.96.0.2", "fd00:96::2"})
        h.run(h.request(router, {{"packets", 1}}, 3000));
      // One packet a run: routers limit the unreachables they send.
      for (const std::string target : {"10.97.0.7", "fd00:97::7"}) {
        CAPTURE(target);
        auto o = h.run(h.request(target, {{"packets", 1}}, 3000));
        CHECK_FALSE(o.ok);
        CHECK(o.error == "unreachable");
        CHECK(o.duration_s < 1.5);
      }
      if (ping_socket) CHECK(ping_sockets() >= 1);
      // The socket still reads replies after its error queue was drained.
      check_clean_round(
          h.run(h.request("10.96.0.2", {{"packets", 2}, {"packet_interval", "10ms"}}, 2000)), 2,
          "10.96.0.2");
    }
    sh("ip netns del " + r);
  });
}

TEST_CASE("icmp: unprivileged ping sockets when ping_group_range allows them") {
  in_netns([] {
    // The sysctl is per namespace: this changes nothing outside the test.
    write_sysctl("/proc/sys/net/ipv4/ping_group_range", "0 2147483647");
    Harness h(icmp_kind());
    check_clean_round(
        h.run(h.request("127.0.0.1", {{"packets", 3}, {"packet_interval", "10ms"}}, 2000)), 3,
        "127.0.0.1");
    CHECK(ping_sockets() >= 1);  // a ping socket, not a raw one, carried it
    std::vector<std::shared_ptr<std::optional<Observation>>> slots;
    for (int i = 1; i <= 50; ++i)
      slots.push_back(h.start(h.request("127.0.0." + std::to_string(i),
                                        {{"packets", 2}, {"packet_interval", "10ms"}}, 2000)));
    h.wait(slots);
    for (const auto& s : slots) CHECK((*s)->facts["received"] == 2);
    if (has_ipv6_loopback())
      check_clean_round(
          h.run(h.request("::1", {{"packets", 2}, {"packet_interval", "10ms"}}, 2000)), 2, "::1");
  });
}

TEST_CASE("icmp: without cap_net_raw and ping sockets, runs fail with 'permission'") {
  in_netns([] {
    // The new namespace's ping_group_range is "1 0" (none); drop CAP_NET_RAW from this thread.
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    REQUIRE(::syscall(SYS_capget, &hdr, data) == 0);
    data[CAP_NET_RAW / 32].effective &= ~(1U << (CAP_NET_RAW % 32));
    REQUIRE(::syscall(SYS_capset, &hdr, data) == 0);
    Harness h(icmp_kind());
    auto o = h.run(h.request("127.0.0.1", {{"packets", 1}}, 1000));
    CHECK(o.error == "permission");
    CHECK(o.message.find("cap_net_raw") != std::string::npos);
  });
}
