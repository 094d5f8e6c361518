// probes/icmp.cpp — ICMP echo for IPv4 and IPv6.
//
// Sockets: one per address family, shared by every run of the probe, opened on first use and
// watched with a uv_poll_t. We try an unprivileged ping socket first (SOCK_DGRAM/IPPROTO_ICMP,
// allowed when net.ipv4.ping_group_range holds our group; the kernel picks the identifier and
// hands us only our own replies) and fall back to SOCK_RAW (root or cap_net_raw), which sees
// every ICMP packet of the host and therefore filters by type and identifier. A ping socket
// hears of unreachables through its error queue (IP_RECVERR), a raw socket as ICMP packets.
//
// Matching: each packet takes a 16-bit sequence number that no other packet in flight on that
// socket holds (so up to 65536 packets in flight per family, whatever the number of targets)
// and carries a random 64-bit cookie at the start of its payload. A reply counts only when its
// sequence is in flight, its cookie is that packet's, its source is the packet's destination
// and, on raw sockets, its identifier is ours: another pinger's replies, or a stale reply to a
// recycled sequence number, are ignored.
//
// A run ends at its timeout at the latest (the probe contract): a packet's wait is the run's
// timeout counted from the start of the run, and packets not yet sent by then are not sent.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory_resource>
#include <random>
#include <unordered_map>

#include "probes/icmp_packet.h"
#include "probes/kinds.h"
#include "snmp/polled_socket.h"

namespace tt::probes {

namespace {

class IcmpProbe;
class IcmpRun;

struct Address {
  sockaddr_storage sa{};
  socklen_t len = 0;
  bool ipv6 = false;
  std::string text;
};

bool same_host(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET)
    return reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in&>(b).sin_addr.s_addr;
  return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr,
                     &reinterpret_cast<const sockaddr_in6&>(b).sin6_addr, sizeof(in6_addr)) == 0;
}

std::optional<Address> literal_address(const std::string& host) {
  Address a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.sa);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.sa);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    a.len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    a.len = sizeof(sockaddr_in6);
    a.ipv6 = true;
  } else {
    return std::nullopt;
  }
  a.text = host;
  return a;
}

Address from_sockaddr(const sockaddr* sa) {
  Address a;
  char text[INET6_ADDRSTRLEN] = "";
  if (sa->sa_family == AF_INET6) {
    std::memcpy(&a.sa, sa, sizeof(sockaddr_in6));
    a.len = sizeof(sockaddr_in6);
    a.ipv6 = true;
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, text, sizeof text);
  } else {
    std::memcpy(&a.sa, sa, sizeof(sockaddr_in));
    a.len = sizeof(sockaddr_in);
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, text, sizeof text);
  }
  a.text = text;
  return a;
}

// On a raw socket, echo replies to other pingers of the host (another monitor, a person's
// ping) would each cost a wake-up and a read: a socket filter lets only replies carrying our
// identifier through, as iputils' ping does. Unreachables pass, to be matched by what they
// quote. Without the filter (an old kernel) the identifier check in read_all still holds.
void attach_ident_filter(int fd, bool ipv6, std::uint16_t ident) {
  const std::uint8_t echo_reply = ipv6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY;
  // IPv4 raw reads start with the IP header (X = its length); IPv6 ones with the ICMPv6 header.
  const sock_filter v4[] = {
      BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),                 // X = IP header length
      BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),                  // A = ICMP type
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, echo_reply, 0, 2),  // not a reply: accept
      BPF_STMT(BPF_LD | BPF_H | BPF_IND, 4),                  // A = identifier
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ident, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  const sock_filter v6[] = {
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, echo_reply, 0, 2),
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ident, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0xffffffff), BPF_STMT(BPF_RET | BPF_K, 0),
  };
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(ipv6 ? std::size(v6) : std::size(v4));
  prog.filter = const_cast<sock_filter*>(ipv6 ? v6 : v4);
  ::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

// A packet in flight on a socket, by sequence number.
struct InFlight {
  IcmpRun* run = nullptr;
  std::size_t index = 0;
  std::uint64_t cookie = 0;
  std::size_t payload = 0;
  sockaddr_storage to{};
};

// One ICMP socket of one family. Heap-allocated: it deletes itself when its poll handle has
// closed, which may be after the probe is gone.
struct IcmpSocket {
  IcmpProbe* probe = nullptr;
  bool ipv6 = false;
  bool dgram = false;  // ping socket: no IPv4 header on reads, the kernel owns the identifier
  int fd = -1;
  std::uint16_t ident = 0;
  std::uint16_t next_seq = 0;
  uv_poll_t poll{};
  // A packet's entry is made and dropped within a second, for every packet: its node comes from
  // a pool the socket keeps (sized by the peak in flight) instead of the allocator.
  std::pmr::unsynchronized_pool_resource pool;
  std::pmr::unordered_map<std::uint16_t, InFlight> in_flight{&pool};

  std::optional<std::uint16_t> take_seq() {
    if (in_flight.size() >= 65536) return std::nullopt;
    while (in_flight.contains(next_seq)) ++next_seq;
    return next_seq++;
  }
};

struct Packet {
  enum class State { unsent, in_flight, answered, unreachable, failed } state = State::unsent;
  std::uint16_t seq = 0;
  std::uint64_t sent_ns = 0;
  double rtt_s = 0;
};

class IcmpProbe final : public Probe {
 public:
  explicit IcmpProbe(uv_loop_t* loop) : m_loop(loop), m_rng(std::random_device{}()) {}
  ~IcmpProbe() override { close(); }

  void run(const Request& req, Done done) override;
  void close() override;

  uv_loop_t* loop() { return m_loop; }
  std::uint64_t random64() { return m_rng(); }
  void forget(IcmpRun* r);
  // The family's socket, opened on first use; nullptr with `why` set when neither kind opens.
  IcmpSocket* socket_for(bool ipv6, std::string& why);

 private:
  static void on_readable(uv_poll_t* h, int status, int events);
  void read_all(IcmpSocket& s);
  void read_errors(IcmpSocket& s);
  bool deliver(IcmpSocket& s, const icmp::Reply& reply, const sockaddr_storage& from,
               std::uint64_t now);

  uv_loop_t* m_loop;
  std::mt19937_64 m_rng;
  IcmpRun* m_first_run = nullptr;  // runs in flight, linked through the runs: no allocation per run
  IcmpSocket* m_sockets[2] = {nullptr, nullptr};  // [ipv6]
  bool m_closed = false;
};

// One round of packets to one target. Deletes itself once its timer (and a name lookup still in
// the thread pool) are done, which may be after the probe is gone; it forgets the probe when it
// finishes.
class IcmpRun {
 public:
  IcmpRun(IcmpProbe* probe, Done done) : m_probe(probe), m_done(std::move(done)) {}

  void start(const Request& req);
  void finish(std::optional<Observation> forced = std::nullopt);
  void on_reply(std::size_t index, std::uint64_t now_ns);
  void on_unreachable(std::size_t index);

 private:
  static void on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* res);
  static void on_timer(uv_timer_t* t);
  void begin(Address addr);
  void send_due();
  void arm();
  bool complete() const;
  void release() {
    if (--m_refs == 0) delete this;
  }
  double elapsed_s() const { return static_cast<double>(uv_hrtime() - m_start_ns) / 1e9; }

  friend class IcmpProbe;
  IcmpProbe* m_probe;
  IcmpRun* m_prev_run = nullptr;  // the probe's list of runs in flight
  IcmpRun* m_next_run = nullptr;
  Done m_done;
  IcmpSocket* m_socket = nullptr;
  uv_timer_t m_timer{};
  uv_getaddrinfo_t m_gai{};
  bool m_resolving = false;
  int m_refs = 1;  // the run itself until finished, plus the timer and a pending lookup
  bool m_finished = false;
  std::uint64_t m_start_ns = 0, m_deadline_ns = 0, m_first_send_ns = 0;
  std::uint64_t m_interval_ns = 0;
  std::size_t m_payload = 56;
  std::vector<Packet> m_packets;
  std::size_t m_next = 0;  // next packet to send
  Address m_addr;
  std::string m_send_error;
};

void IcmpProbe::run(const Request& req, Done done) {
  if (m_closed) return done(failed("cancelled", "the probe is closed"));
  auto* r = new IcmpRun(this, std::move(done));
  r->m_next_run = m_first_run;
  if (m_first_run) m_first_run->m_prev_run = r;
  m_first_run = r;
  r->start(req);
}

void IcmpProbe::forget(IcmpRun* r) {
  if (r->m_prev_run)
    r->m_prev_run->m_next_run = r->m_next_run;
  else
    m_first_run = r->m_next_run;
  if (r->m_next_run) r->m_next_run->m_prev_run = r->m_prev_run;
  r->m_prev_run = r->m_next_run = nullptr;
}

void IcmpProbe::close() {
  m_closed = true;
  while (m_first_run) m_first_run->finish(failed("cancelled", "the probe was closed"));
  for (auto*& s : m_sockets) {
    if (!s) continue;
    s->probe = nullptr;
    snmp::close_polled_socket(s);
  }
}

IcmpSocket* IcmpProbe::socket_for(bool ipv6, std::string& why) {
  if (m_sockets[ipv6]) return m_sockets[ipv6];
  const int family = ipv6 ? AF_INET6 : AF_INET;
  const int proto = ipv6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP};
  bool dgram = true;
  int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  const int dgram_errno = errno;
  if (fd < 0) {
    dgram = false;
    fd = ::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  }
  if (fd < 0) {
    if (errno == EAFNOSUPPORT || dgram_errno == EAFNOSUPPORT) {
      why = fmt::format("IPv{} is not available on this host", ipv6 ? 6 : 4);
    } else {
      why = fmt::format(
          "cannot open an ICMP socket ({}): run as root, grant the binary cap_net_raw "
          "(setcap cap_net_raw+ep /usr/bin/telltale, or AmbientCapabilities=CAP_NET_RAW in the "
          "unit), "
          "or allow ping sockets for its group (sysctl net.ipv4.ping_group_range=\"0 2147483647\")",
          std::strerror(errno));
    }
    return nullptr;
  }
  auto* s = new IcmpSocket;
  s->probe = this;
  s->ipv6 = ipv6;
  s->dgram = dgram;
  s->fd = fd;
  s->ident = static_cast<std::uint16_t>(m_rng());
  s->next_seq = static_cast<std::uint16_t>(m_rng());
  if (dgram) {
    // Without it a ping socket drops a router's unreachable: the run would end at its timeout.
    const int on = 1;
    if (ipv6)
      ::setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof on);
    else
      ::setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof on);
  } else {
    // A raw socket gets every ICMP packet of the host: let the kernel drop what we never use.
    if (ipv6) {
      icmp6_filter f;
      ICMP6_FILTER_SETBLOCKALL(&f);
      ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
      ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
      ::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f);
    } else {
      icmp_filter f{};
      f.data = ~((1U << ICMP_ECHOREPLY) | (1U << ICMP_DEST_UNREACH));
      ::setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof f);
    }
    attach_ident_filter(fd, ipv6, s->ident);
  }
  // Every target's replies share this socket, and a round's packets leave in bursts (all runs
  // due in one tick): the default 208 KiB buffer overflowed with 200 targets on loopback.
  // SO_RCVBUFFORCE passes rmem_max when we may (root, CAP_NET_ADMIN).
  const int rcvbuf = 4 << 20;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  uv_poll_init_socket(m_loop, &s->poll, fd);
  s->poll.data = s;
  uv_poll_start(&s->poll, UV_READABLE, &IcmpProbe::on_readable);
  m_sockets[ipv6] = s;
  return s;
}

void IcmpProbe::on_readable(uv_poll_t* h, int status, int events) {
  auto* s = static_cast<IcmpSocket*>(h->data);
  if (!s->probe) return;
  // libuv stops a poll handle on EPOLLERR, which a queued ICMP error raises; the socket is fine,
  // so once the queue is drained the handle is started again.
  if (status < 0) s->probe->read_errors(*s);
  if (s->probe) s->probe->read_all(*s);
  if (status < 0 && s->probe) uv_poll_start(&s->poll, UV_READABLE, &IcmpProbe::on_readable);
}

void IcmpProbe::read_all(IcmpSocket& s) {
  // Datagrams are read in batches: one call usually empties the socket, and a short batch says
  // so without the extra read that ends at EAGAIN.
  constexpr unsigned kBatch = 16;
  // Headers and the cookie are all a reply is matched by: a longer datagram is read cut short.
  constexpr std::size_t kMaxDatagram = 2048;
  static thread_local std::uint8_t bufs[kBatch][kMaxDatagram];
  sockaddr_storage from[kBatch];
  iovec iov[kBatch];
  mmsghdr msgs[kBatch];
  // Bounded, so one flooded socket cannot hold the loop; the poll fires again for the rest.
  for (int round = 0; round < 16; ++round) {
    for (unsigned i = 0; i < kBatch; ++i) {
      iov[i] = {bufs[i], kMaxDatagram};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int got = ::recvmmsg(s.fd, msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (got <= 0) return;  // EAGAIN, or an error queued for the socket (read and dropped)
    const std::uint64_t now = uv_hrtime();
    for (int i = 0; i < got; ++i) {
      const auto reply = icmp::parse_reply(bufs[i], msgs[i].msg_len, s.ipv6, !s.dgram && !s.ipv6);
      if (reply && !deliver(s, *reply, from[i], now)) return;
    }
    if (got < static_cast<int>(kBatch)) return;
  }
}

// A ping socket hears of a router's unreachable only through its error queue (IP_RECVERR):
// each entry hands back the request it concerns, addressed to where it was sent.
void IcmpProbe::read_errors(IcmpSocket& s) {
  for (int i = 0; i < 64; ++i) {
    std::uint8_t data[256];  // the request's header and cookie are all that is matched
    alignas(cmsghdr) char control[256];
    sockaddr_storage to{};
    iovec iov{data, sizeof data};
    msghdr msg{};
    msg.msg_name = &to;
    msg.msg_namelen = sizeof to;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(s.fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (n < 0) return;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (!(c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) &&
          !(c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR))
        continue;
      sock_extended_err ee;
      std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
      const bool unreachable =
          (ee.ee_origin == SO_EE_ORIGIN_ICMP && ee.ee_type == ICMP_DEST_UNREACH) ||
          (ee.ee_origin == SO_EE_ORIGIN_ICMP6 && ee.ee_type == ICMP6_DST_UNREACH);
      if (!unreachable) continue;
      const auto request =
          icmp::returned_request(data, static_cast<std::size_t>(n), s.ipv6, ee.ee_code);
      if (request && !deliver(s, *request, to, uv_hrtime())) return;
    }
  }
}

// Hands a reply or unreachable to the run whose packet it answers. False when that closed the
// probe.
bool IcmpProbe::deliver(IcmpSocket& s, const icmp::Reply& reply, const sockaddr_storage& from,
                        std::uint64_t now) {
  if (!s.dgram && reply.id != s.ident) return true;
  auto it = s.in_flight.find(reply.seq);
  if (it == s.in_flight.end()) return true;
  const InFlight f = it->second;
  if (!icmp::cookie_matches(reply, f.cookie, f.payload)) return true;
  // An echo reply must come from the address pinged; an unreachable comes from a router.
  if (reply.kind == icmp::ReplyKind::echo_reply && !same_host(from, f.to)) return true;
  s.in_flight.erase(it);
  if (reply.kind == icmp::ReplyKind::echo_reply)
    f.run->on_reply(f.index, now);
  else
    f.run->on_unreachable(f.index);
  return s.probe != nullptr;  // a `done` may have closed the probe
}

void IcmpRun::start(const Request& req) {
  m_start_ns = uv_hrtime();
  m_deadline_ns =
      m_start_ns +
      static_cast<std::uint64_t>(std::max<std::int64_t>(req.timeout.count(), 1)) * 1000000;
  const auto& o = *req.options;
  m_packets.resize(
      static_cast<std::size_t>(std::clamp<std::int64_t>(o.value("packets", 3), 1, 100)));
  m_interval_ns =
      static_cast<std::uint64_t>(std::max<std::int64_t>(o.value("packet_interval", 200), 1)) *
      1000000;
  m_payload = static_cast<std::size_t>(std::clamp<std::int64_t>(o.value("size", 56), 0, 65000));
  const std::string family = o.value("family", std::string("auto"));

  uv_timer_init(m_probe->loop(), &m_timer);
  m_timer.data = this;
  ++m_refs;
  if (auto literal = literal_address(req.target)) return begin(std::move(*literal));

  addrinfo hints{};
  // auto asks for both and prefers IPv4 (see on_resolved).
  hints.ai_family = family == "ipv4" ? AF_INET : family == "ipv6" ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_RAW;
  m_gai.data = this;
  if (int rc = uv_getaddrinfo(m_probe->loop(), &m_gai, &IcmpRun::on_resolved, req.target.c_str(),
                              nullptr, &hints);
      rc != 0)
    return finish(
        failed("resolve", fmt::format("cannot resolve {}: {}", req.target, uv_strerror(rc))));
  m_resolving = true;
  ++m_refs;
  arm();
}

void IcmpRun::on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
  auto* self = static_cast<IcmpRun*>(req->data);
  self->m_resolving = false;
  if (!self->m_finished) {
    // With family auto a name with both kinds of address is pinged over IPv4: hosts that
    // publish AAAA records without a working IPv6 route are common on small networks and
    // would read as down. Choose ipv6 to test IPv6.
    const addrinfo* pick = nullptr;
    for (const addrinfo* a = res; a; a = a->ai_next)
      if (a->ai_family == AF_INET || a->ai_family == AF_INET6)
        if (!pick || (pick->ai_family == AF_INET6 && a->ai_family == AF_INET)) pick = a;
    if (status != 0 || !pick)
      self->finish(failed("resolve", status ? fmt::format("cannot resolve: {}", uv_strerror(status))
                                            : std::string("no address of the requested family")));
    else
      self->begin(from_sockaddr(pick->ai_addr));
  }
  if (res) uv_freeaddrinfo(res);
  self->release();
}

void IcmpRun::begin(Address addr) {
  m_addr = std::move(addr);
  std::string why;
  m_socket = m_probe->socket_for(m_addr.ipv6, why);
  if (!m_socket) return finish(failed("permission", why, elapsed_s()));
  m_first_send_ns = uv_hrtime();
  send_due();
}

// Sends every packet whose time has come, then waits for the next event.
void IcmpRun::send_due() {
  const std::uint64_t now = uv_hrtime();
  while (m_next < m_packets.size() && m_first_send_ns + m_next * m_interval_ns <= now &&
         now < m_deadline_ns) {
    Packet& p = m_packets[m_next];
    const std::size_t index = m_next++;
    auto seq = m_socket->take_seq();
    if (!seq) {
      p.state = Packet::State::failed;
      m_send_error = "too many packets in flight";
      continue;
    }
    const std::uint64_t cookie = m_probe->random64();
    const auto bytes =
        icmp::build_echo_request(m_addr.ipv6, m_socket->ident, *seq, cookie, m_payload);
    p.seq = *seq;
    p.sent_ns = uv_hrtime();
    const ssize_t n = ::sendto(m_socket->fd, bytes.data(), bytes.size(), 0,
                               reinterpret_cast<const sockaddr*>(&m_addr.sa), m_addr.len);
    if (n < 0) {
      const int e = errno;
      if (e == ENETUNREACH || e == EHOSTUNREACH || e == EACCES || e == EPERM) {
        p.state = Packet::State::unreachable;
      } else {
        p.state = Packet::State::failed;
        m_send_error = std::strerror(e);
      }
      continue;
    }
    p.state = Packet::State::in_flight;
    m_socket->in_flight[*seq] = InFlight{this, index, cookie, m_payload, m_addr.sa};
  }
  if (complete()) return finish();
  arm();
}

bool IcmpRun::complete() const {
  if (m_next < m_packets.size()) return false;
  for (const auto& p : m_packets)
    if (p.state == Packet::State::in_flight) return false;
  return true;
}

void IcmpRun::arm() {
  std::uint64_t at = m_deadline_ns;
  if (m_socket && m_next < m_packets.size())
    at = std::min(at, m_first_send_ns + m_next * m_interval_ns);
  const std::uint64_t now = uv_hrtime();
  const std::uint64_t wait_ms = at > now ? (at - now + 999999) / 1000000 : 0;
  uv_timer_start(&m_timer, &IcmpRun::on_timer, wait_ms, 0);
}

void IcmpRun::on_timer(uv_timer_t* t) {
  auto* self = static_cast<IcmpRun*>(t->data);
  if (uv_hrtime() >= self->m_deadline_ns) {
    if (!self->m_socket)
      return self->finish(
          failed("timeout", "name lookup did not finish before the timeout", self->elapsed_s()));
    return self->finish();
  }
  if (self->m_socket)
    self->send_due();
  else
    self->arm();
}

void IcmpRun::on_reply(std::size_t index, std::uint64_t now_ns) {
  Packet& p = m_packets[index];
  p.state = Packet::State::answered;
  p.rtt_s = static_cast<double>(now_ns - p.sent_ns) / 1e9;
  if (complete()) finish();
}

void IcmpRun::on_unreachable(std::size_t index) {
  m_packets[index].state = Packet::State::unreachable;
  if (complete()) finish();
}

void IcmpRun::finish(std::optional<Observation> forced) {
  if (m_finished) return;
  m_finished = true;
  // Give back the sequence numbers still in flight: their late replies are now strays.
  if (m_socket)
    for (const auto& p : m_packets)
      if (p.state == Packet::State::in_flight) {
        auto it = m_socket->in_flight.find(p.seq);
        if (it != m_socket->in_flight.end() && it->second.run == this)
          m_socket->in_flight.erase(it);
      }
  if (m_probe) m_probe->forget(this);
  m_probe = nullptr;
  m_socket = nullptr;
  Observation o;
  if (forced) {
    o = std::move(*forced);
  } else {
    icmp::Round r;
    r.address = m_addr.text;
    r.ipv6 = m_addr.ipv6;
    r.send_error = m_send_error;
    for (const auto& p : m_packets) {
      if (p.state == Packet::State::unsent || p.state == Packet::State::failed) continue;
      ++r.sent;
      if (p.state == Packet::State::answered) r.rtts_s.push_back(p.rtt_s);
      if (p.state == Packet::State::unreachable) r.unreachable = true;
    }
    o = icmp::summarize(r);
  }
  o.duration_s = elapsed_s();
  if (m_resolving) uv_cancel(reinterpret_cast<uv_req_t*>(&m_gai));
  uv_close(reinterpret_cast<uv_handle_t*>(&m_timer),
           [](uv_handle_t* h) { static_cast<IcmpRun*>(h->data)->release(); });
  Done done = std::move(m_done);
  done(std::move(o));
  release();
}

}  // namespace

const KindDescriptor& icmp_kind() {
  static const KindDescriptor k{
      "icmp",
      "Ping (ICMP echo)",
      "host name or IP address",
      "example.org",
      "loss < 20% && latency < 100ms",
      check_host,
      {{"packets",
        "Packets per run",
        OptionType::integer,
        3,
        "echo requests per round",
        {},
        1,
        100},
       {"packet_interval",
        "Time between packets",
        OptionType::duration,
        "200ms",
        "time between the packets of a round",
        {},
        10,
        10000},
       {"size",
        "Payload size (bytes)",
        OptionType::integer,
        56,
        "payload bytes of each request",
        {},
        0,
        65000},
       {"family",
        "Address family",
        OptionType::choice,
        "auto",
        "address family used for host names (auto prefers IPv4)",
        {"auto", "ipv4", "ipv6"}}},
      {duration_fact("latency", "average round-trip time of the answered packets"),
       duration_fact("rtt_min", "smallest round-trip time"),
       duration_fact("rtt_max", "largest round-trip time"),
       duration_fact("jitter", "mean difference between consecutive round-trip times"),
       ratio_fact("loss", "share of packets without an answer"),
       number_fact("sent", "packets sent"), number_fact("received", "answers received"),
       string_fact("address", "the address pinged")},
      {{"rtt",
        "Ping round trip (avg)",
        ChartUnit::seconds,
        {{"probe_icmp_rtt_seconds", "stat=\"avg\""}}},
       {"loss", "Ping loss", ChartUnit::ratio, {{"probe_icmp_loss_ratio"}}}},
      60000,
      5000,
      1024,
      make_probe<IcmpProbe>,
      {},
      {"probe_icmp_rtt_seconds", "stat=\"avg\"", {}},
  };
  return k;
}

}  // namespace tt::probes
