#include "snmp/engine.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/errqueue.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "snmp/mib.h"
#include "snmp/polled_socket.h"

namespace tt::snmp {

namespace {

constexpr std::size_t kMaxDatagram = 65535;
// Variables asked for per GETBULK of a walk, over all its columns: an answer of this size fits a
// 1472-byte UDP payload for typical interface columns, and the agent trims what does not fit.
constexpr int kBulkVarBinds = 48;

std::uint16_t port_of(const sockaddr_storage& a) {
  return ntohs(a.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6&>(a).sin6_port
                                       : reinterpret_cast<const sockaddr_in&>(a).sin_port);
}

bool same_endpoint(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family || port_of(a) != port_of(b)) return false;
  if (a.ss_family == AF_INET)
    return reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in&>(b).sin_addr.s_addr;
  return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr,
                     &reinterpret_cast<const sockaddr_in6&>(b).sin6_addr, sizeof(in6_addr)) == 0;
}

Error cancelled() {
  return Error::make(ErrorKind::unavailable, "SNMP_CANCELLED", "the SNMP engine was closed");
}

Error unreachable(std::string message) {
  return Error::make(ErrorKind::bad_gateway, "SNMP_UNREACHABLE", std::move(message));
}

Error error_status(const Pdu& p) {
  std::string which = "no variable";
  if (p.error_index >= 1 && static_cast<std::size_t>(p.error_index) <= p.varbinds.size())
    which = fmt::format("variable {} ({})", p.error_index,
                        name_of(p.varbinds[static_cast<std::size_t>(p.error_index - 1)].oid));
  return Error::make(ErrorKind::bad_gateway, "SNMP_ERROR_STATUS",
                     fmt::format("the agent answered {} ({}) for {}",
                                 error_status_name(p.error_status), p.error_status, which));
}

Error usm_error(std::string code, std::string field, std::string message) {
  return Error{ErrorKind::validation,
               std::move(code),
               message,
               {{std::move(field), std::move(message)}},
               {}};
}

// RFC 3414 usmStats (1.3.6.1.6.3.15.1.1.N.0) and RFC 3412 snmpMPDStats contexts reports.
bool is_stat(const Oid& oid, const Oid& base, std::uint32_t n) {
  return oid.size() == base.size() + 2 && starts_with(oid, base) && oid[base.size()] == n &&
         oid.back() == 0;
}
const Oid kUsmStats = {1, 3, 6, 1, 6, 3, 15, 1, 1};
const Oid kTargetStats = {1, 3, 6,  1,
                          6, 3, 12, 1};  // snmpUnavailableContexts .4, snmpUnknownContexts .5

std::string key_of(const UsmUser& u) {
  const char sep = '\0';
  return u.name + sep + std::string(to_string(u.auth)) + sep + u.auth_password + sep +
         std::string(to_string(u.priv)) + sep + u.priv_password;
}

Pdu request_pdu(PduType type, const std::vector<Oid>& oids) {
  Pdu p;
  p.type = type;
  for (const auto& o : oids) p.varbinds.push_back({o, Value::make(Type::null)});
  return p;
}

PduDone checking_status(PduDone done) {
  return [done = std::move(done)](Result<Pdu> r) {
    if (r.ok() && r->error_status != 0) return done(error_status(r.value()));
    done(std::move(r));
  };
}

}  // namespace

std::optional<Endpoint> endpoint_from_literal(const std::string& host, std::uint16_t port) {
  sockaddr_storage ss{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
  } else {
    return std::nullopt;
  }
  return endpoint_from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), port);
}

Endpoint endpoint_from_sockaddr(const sockaddr* sa, std::uint16_t port) {
  const bool v6 = sa->sa_family == AF_INET6;
  Endpoint e;
  e.len = v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  std::memcpy(&e.addr, sa, e.len);
  char text[INET6_ADDRSTRLEN] = "";
  if (v6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&e.addr);
    in6->sin6_port = htons(port);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&e.addr);
    in4->sin_port = htons(port);
    inet_ntop(AF_INET, &in4->sin_addr, text, sizeof text);
  }
  e.text = v6 ? fmt::format("[{}]:{}", text, port) : fmt::format("{}:{}", text, port);
  return e;
}

// One UDP socket of one family. Heap-allocated; deletes itself once its poll handle closed,
// which may be after the engine is gone.
struct Engine::Socket {
  Engine* engine = nullptr;
  int fd = -1;
  int family = AF_INET;
  uv_poll_t poll{};
};

Engine::Engine(uv_loop_t* loop, std::size_t max_agents)
    : m_loop(loop), m_max_agents(std::max<std::size_t>(1, max_agents)) {
  std::random_device rd;
  m_salt = (std::uint64_t{rd()} << 32) | rd();
  m_next_id = rd();
}

Engine::~Engine() { close(); }

void Engine::close() {
  m_closed = true;
  while (!m_pending.empty()) finish(m_pending.begin()->first, cancelled());
  for (auto*& s : m_sockets) {
    if (!s) continue;
    s->engine = nullptr;
    close_polled_socket(s);
  }
  if (m_timer) {
    uv_close(reinterpret_cast<uv_handle_t*>(m_timer),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    m_timer = nullptr;
  }
}

// libuv stops a poll handle when epoll reports EPOLLERR, which a queued ICMP error raises; the
// socket is fine, so after draining the queue the handle is started again.
void Engine::start_polling(Socket* s) {
  uv_poll_start(&s->poll, UV_READABLE, [](uv_poll_t* h, int status, int) {
    auto* s = static_cast<Socket*>(h->data);
    if (!s->engine) return;
    s->engine->on_readable(*s);
    if (status < 0 && s->engine) start_polling(s);
  });
}

Engine::Socket* Engine::socket_for(int family, std::string& why) {
  auto*& slot = m_sockets[family == AF_INET6 ? 1 : 0];
  if (slot) return slot;
  int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    why = errno == EAFNOSUPPORT
              ? fmt::format("IPv{} is not available on this host", family == AF_INET6 ? 6 : 4)
              : fmt::format("cannot open a UDP socket: {}", std::strerror(errno));
    return nullptr;
  }
  // ICMP errors (port unreachable, no route) go to the socket's error queue with the address
  // they concern, so the requests to that agent end at once.
  int on = 1;
  if (family == AF_INET6)
    setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof on);
  else
    setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof on);
  // Many agents answering at once must not overflow the default receive buffer.
  int rcvbuf = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  auto* s = new Socket;
  s->engine = this;
  s->fd = fd;
  s->family = family;
  uv_poll_init(m_loop, &s->poll, fd);
  s->poll.data = s;
  start_polling(s);
  slot = s;
  return s;
}

std::int32_t Engine::take_id() {
  for (;;) {
    auto id =
        static_cast<std::int32_t>(m_next_id++ & 0x7fffffff);  // some agents mishandle negative ids
    if (id != 0 && !m_pending.contains(id)) return id;
  }
}

bool Engine::send(Pending& p, std::string& why) {
  Socket* s = m_sockets[p.family == AF_INET6 ? 1 : 0];
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::sendto(s->fd, p.packet.data(), p.packet.size(), 0,
                 reinterpret_cast<const sockaddr*>(&p.to.addr), p.to.len) >= 0)
      return true;
    // The socket reports a pending ICMP error of any earlier datagram on the next send; that
    // error may concern another agent, so the first failure of this kind is tried again.
    const bool maybe_stale = errno == ECONNREFUSED || errno == EHOSTUNREACH ||
                             errno == ENETUNREACH || errno == EHOSTDOWN;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
      return true;  // lost like any datagram: the retry resends
    if (!maybe_stale || attempt == 1) break;
  }
  why = fmt::format("cannot send to {}: {}", p.to.text, std::strerror(errno));
  return false;
}

void Engine::request(const Target& t, Pdu pdu, PduDone done) {
  if (m_closed) return done(cancelled());
  const int family = t.endpoint.addr.ss_family;
  std::string why;
  if (!socket_for(family, why)) return done(unreachable(why));
  Pending p;
  p.id = take_id();
  p.to = t.endpoint;
  p.family = family;
  p.version = t.version;
  p.community = t.community;
  p.timeout = t.timeout;
  p.max_tries = 1 + std::max(0, t.retries);
  p.tries = 1;
  pdu.request_id = p.id;
  if (t.version == Version::v3) {
    p.pdu = std::move(pdu);
    p.user = t.user;
    p.context = t.context;
    encode_v3(p);
  } else {
    p.packet = encode({t.version, t.community, std::move(pdu)});
  }
  if (!send(p, why)) return done(unreachable(why));
  if (!m_timer) {
    m_timer = new uv_timer_t;
    uv_timer_init(m_loop, m_timer);
    m_timer->data = this;
  }
  p.deadline_ms = uv_now(m_loop) + static_cast<std::uint64_t>(t.timeout.count());
  p.done = std::move(done);
  m_deadlines.emplace(p.deadline_ms, p.id);
  m_pending.emplace(p.id, std::move(p));
  arm_timer();
}

void Engine::finish(std::int32_t id, Result<Pdu> result) {
  auto it = m_pending.find(id);
  if (it == m_pending.end()) return;
  Pending p = std::move(it->second);
  m_pending.erase(it);
  m_deadlines.erase({p.deadline_ms, id});
  arm_timer();
  p.done(std::move(result));
}

void Engine::arm_timer() {
  if (!m_timer) return;
  if (m_deadlines.empty()) {
    uv_timer_stop(m_timer);
    return;
  }
  const std::uint64_t now = uv_now(m_loop), first = m_deadlines.begin()->first;
  uv_timer_start(
      m_timer, [](uv_timer_t* t) { static_cast<Engine*>(t->data)->on_timer(); },
      first > now ? first - now : 0, 0);
}

void Engine::on_timer() {
  const std::uint64_t now = uv_now(m_loop);
  while (!m_deadlines.empty() && m_deadlines.begin()->first <= now) {
    const std::int32_t id = m_deadlines.begin()->second;
    m_deadlines.erase(m_deadlines.begin());
    Pending& p = m_pending.at(id);
    if (p.tries < p.max_tries) {
      ++p.tries;
      std::string why;
      if (!send(p, why)) {
        p.deadline_ms = 0;  // already off the deadline set
        finish(id, unreachable(why));
        continue;
      }
      p.deadline_ms = now + static_cast<std::uint64_t>(p.timeout.count());
      m_deadlines.emplace(p.deadline_ms, id);
      continue;
    }
    if (p.version == Version::v3 && p.user.priv != PrivProtocol::none && !p.discovering &&
        !p.probing) {
      if (p.agent_answered) {
        p.deadline_ms = 0;
        finish(id, decryption_silence(p));
        continue;
      }
      // Is the agent there at all? An answer to an engine discovery says it is.
      p.probing = true;
      resend(p);
      continue;
    }
    auto message =
        fmt::format("no answer from {} after {} {} of {} ms each; {}", p.to.text, p.tries,
                    p.tries == 1 ? "try" : "tries", p.timeout.count(),
                    p.version == Version::v3
                        ? "an SNMPv3 agent stays silent when it cannot decrypt a request"
                        : "an SNMP v1/v2c agent also stays silent when the community is wrong");
    p.deadline_ms = 0;
    finish(id, Error::make(ErrorKind::gateway_timeout, "SNMP_TIMEOUT", std::move(message)));
  }
  arm_timer();
}

void Engine::fail_endpoint(const sockaddr_storage& to, const Error& e) {
  std::vector<std::int32_t> ids;
  for (const auto& [id, p] : m_pending)
    if (same_endpoint(p.to.addr, to)) ids.push_back(id);
  for (auto id : ids) finish(id, e);
}

void Engine::on_readable(Socket& s) {
  read_errors(s);
  static thread_local std::vector<std::uint8_t> buf(kMaxDatagram);
  // Bounded so one busy socket cannot hold the loop; the poll fires again for the rest.
  for (int i = 0; i < 256 && s.engine; ++i) {
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    ssize_t n =
        ::recvfrom(s.fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      read_errors(s);  // the pending ICMP error surfaced here; its details are in the queue
      continue;
    }
    on_datagram(from, {buf.data(), static_cast<std::size_t>(n)});
  }
}

void Engine::read_errors(Socket& s) {
  for (int i = 0; i < 256 && s.engine; ++i) {
    sockaddr_storage to{};
    char data[64];
    char control[512];
    iovec iov{data, sizeof data};
    msghdr msg{};
    msg.msg_name = &to;
    msg.msg_namelen = sizeof to;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(s.fd, &msg, MSG_ERRQUEUE) < 0) return;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      const bool v4 = c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR;
      const bool v6 = c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR;
      if (!v4 && !v6) continue;
      sock_extended_err ee;
      std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
      auto endpoint =
          endpoint_from_sockaddr(reinterpret_cast<const sockaddr*>(&to), port_of(to)).text;
      std::string message;
      if (ee.ee_errno == ECONNREFUSED)
        message = fmt::format(
            "{} is unreachable: ICMP port unreachable (no SNMP agent listens on that UDP port)",
            endpoint);
      else if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6)
        message =
            fmt::format("{} is unreachable: ICMP{} type {} code {} ({})", endpoint, v6 ? "v6" : "",
                        ee.ee_type, ee.ee_code, std::strerror(static_cast<int>(ee.ee_errno)));
      else
        message = fmt::format("{} is unreachable: {}", endpoint,
                              std::strerror(static_cast<int>(ee.ee_errno)));
      fail_endpoint(to, unreachable(std::move(message)));
    }
  }
}

void Engine::on_datagram(const sockaddr_storage& from, std::span<const std::uint8_t> data) {
  if (peek_version(data) == 3) return on_v3(from, data);
  auto m = decode(data);
  if (!m.ok()) {
    // We cannot tell which request this answers: every request to that agent ends with it.
    auto e = std::move(m).error();
    e.message = fmt::format(
        "malformed answer from {}: {}",
        endpoint_from_sockaddr(reinterpret_cast<const sockaddr*>(&from), port_of(from)).text,
        e.message);
    return fail_endpoint(from, e);
  }
  if (m->pdu.type != PduType::response) return;
  auto it = m_pending.find(m->pdu.request_id);
  // Another agent's answer, a late answer to a request already finished, or not from the
  // address we asked: not ours.
  if (it == m_pending.end() || !same_endpoint(it->second.to.addr, from) ||
      it->second.community != m->community)
    return;
  if (it->second.version != m->version)
    return finish(
        it->first,
        Error::make(ErrorKind::bad_gateway, "SNMP_MALFORMED",
                    fmt::format("{} answered an SNMP v{} request with SNMP v{}", it->second.to.text,
                                to_string(it->second.version), to_string(m->version))));
  finish(it->first, std::move(m->pdu));
}

Engine::Agent* Engine::find_agent(const std::string& endpoint) {
  auto it = m_agents.find(endpoint);
  if (it == m_agents.end()) return nullptr;
  m_agents_by_use.splice(m_agents_by_use.begin(), m_agents_by_use, it->second.used);
  return &it->second.agent;
}

Engine::Agent& Engine::learn_agent(const std::string& endpoint) {
  if (Agent* a = find_agent(endpoint)) return *a;
  while (m_agents.size() >= m_max_agents) {
    m_agents.erase(m_agents_by_use.back());
    m_agents_by_use.pop_back();
  }
  m_agents_by_use.push_front(endpoint);
  return m_agents.emplace(endpoint, CachedAgent{{}, m_agents_by_use.begin()}).first->second.agent;
}

const UsmKeys& Engine::keys_for(Agent& a, const UsmUser& u) {
  auto key = key_of(u);
  auto it = a.keys.find(key);
  if (it == a.keys.end()) {
    // Ku once per user, whatever the number of agents it polls; localising is a few hashes.
    auto master = m_master_keys.find(key);
    if (master == m_master_keys.end()) {
      if (m_master_keys.size() >= kMaxUsers) m_master_keys.clear();
      master = m_master_keys.emplace(key, master_keys(u)).first;
    }
    if (a.keys.size() >= kMaxKeysPerAgent) a.keys.clear();
    it = a.keys.emplace(std::move(key), localized_keys(master->second, a.engine_id)).first;
  }
  return it->second;
}

void Engine::encode_v3(Pending& p) {
  MessageV3 m;
  m.msg_id = p.id;
  ScopedPdu s;
  Agent* agent = find_agent(p.to.text);
  if (!agent || p.probing) {
    // RFC 3414 4: noAuthNoPriv with an empty engine id; the agent reports its engine id,
    // boots and time.
    p.discovering = true;
    m.flags = kFlagReportable;
    s.pdu.type = PduType::get;
    s.pdu.request_id = p.id;
    m.scoped = encode(s);
    p.packet = encode(m);
    return;
  }
  p.discovering = false;
  Agent& a = *agent;
  const UsmKeys& k = keys_for(a, p.user);
  m.flags = kFlagReportable | (k.auth != AuthProtocol::none ? kFlagAuth : 0) |
            (k.priv != PrivProtocol::none ? kFlagPriv : 0);
  m.usm.engine_id = a.engine_id;
  m.usm.engine_boots = static_cast<std::int32_t>(a.boots);
  m.usm.engine_time = static_cast<std::int32_t>(
      std::min<std::uint64_t>(a.time + (uv_now(m_loop) - a.synced_ms) / 1000, INT32_MAX));
  m.usm.user = p.user.name;
  s.context_engine_id = a.engine_id;
  s.context_name = p.context;
  s.pdu = p.pdu;
  p.packet = seal(std::move(m), k, s, m_salt++);
}

void Engine::resend(Pending& p) {
  encode_v3(p);
  const std::int32_t id = p.id;
  m_deadlines.erase({p.deadline_ms, id});
  p.tries = 1;
  std::string why;
  if (!send(p, why)) {
    p.deadline_ms = 0;
    return finish(id, unreachable(why));
  }
  p.deadline_ms = uv_now(m_loop) + static_cast<std::uint64_t>(p.timeout.count());
  m_deadlines.emplace(p.deadline_ms, id);
  arm_timer();
}

Error Engine::decryption_silence(const Pending& p) const {
  return usm_error(
      "SNMP_DECRYPTION_FAILED", "priv_password",
      fmt::format(
          "{} answers engine discovery but none of {} encrypted {} for user \"{}\": an agent drops "
          "what it cannot decrypt, so the privacy password or protocol ({}) is most likely wrong",
          p.to.text, p.tries, p.tries == 1 ? "request" : "requests", p.user.name,
          to_string(p.user.priv)));
}

void Engine::on_v3(const sockaddr_storage& from, std::span<const std::uint8_t> data) {
  const auto from_text = [&] {
    return endpoint_from_sockaddr(reinterpret_cast<const sockaddr*>(&from), port_of(from)).text;
  };
  auto d = decode_v3(data);
  if (!d.ok()) {
    auto e = std::move(d).error();
    e.message = fmt::format("malformed answer from {}: {}", from_text(), e.message);
    return fail_endpoint(from, e);
  }
  MessageV3& m = d->message;
  auto it = m_pending.find(m.msg_id);
  if (it == m_pending.end() || !same_endpoint(it->second.to.addr, from) ||
      it->second.version != Version::v3)
    return;
  Pending& p = it->second;
  const std::int32_t id = p.id;
  const auto bad = [&](std::string what) {
    finish(id, Error::make(ErrorKind::bad_gateway, "SNMP_MALFORMED",
                           fmt::format("{} {}", p.to.text, what)));
  };
  p.agent_answered = true;
  // Keys localised to the engine the message names (the cached one, or a new one the agent
  // now claims, which an authentic unknownEngineID report may then confirm).
  Agent scratch;
  Agent* a = &scratch;
  if (Agent* cached = find_agent(p.to.text); cached && cached->engine_id == m.usm.engine_id)
    a = cached;
  scratch.engine_id = m.usm.engine_id;
  const bool authentic = (m.flags & kFlagAuth) != 0;
  const UsmKeys* k = nullptr;
  if (authentic) {
    if (p.user.auth == AuthProtocol::none || m.usm.user != p.user.name)
      return bad(fmt::format(
          "answered with the authentication of user \"{}\", which the request did not use",
          m.usm.user));
    k = &keys_for(*a, p.user);
    std::string copy(reinterpret_cast<const char*>(data.data()), data.size());
    if (m.usm.auth_params.size() != mac_length(k->auth))
      return bad("answered with an HMAC of the wrong length");
    copy.replace(d->auth_params_at, m.usm.auth_params.size(), m.usm.auth_params.size(), '\0');
    if (authenticate(*k, copy) != m.usm.auth_params)
      return bad("answered with an HMAC that does not verify with this user's authentication key");
    // RFC 3414 3.2.7: an authentic message from the agent sets what we know of its clock.
    if (a != &scratch) {
      const auto now = uv_now(m_loop);
      const auto ours = a->time + (now - a->synced_ms) / 1000;
      const auto boots = static_cast<std::uint32_t>(m.usm.engine_boots),
                 time = static_cast<std::uint32_t>(m.usm.engine_time);
      if (boots > a->boots || (boots == a->boots && time > ours)) {
        a->boots = boots;
        a->time = time;
        a->synced_ms = now;
      }
    }
  }
  std::string plain;
  if (m.flags & kFlagPriv) {
    if (p.user.priv == PrivProtocol::none)
      return bad("answered encrypted to a request without privacy");
    auto r = decrypt(*k, static_cast<std::uint32_t>(m.usm.engine_boots),
                     static_cast<std::uint32_t>(m.usm.engine_time), m.usm.priv_params, m.scoped);
    if (!r.ok()) return finish(id, std::move(r).error());
    plain = std::move(r.value());
  } else {
    plain = std::move(m.scoped);
  }
  auto s = decode_scoped_pdu({reinterpret_cast<const std::uint8_t*>(plain.data()), plain.size()},
                             (m.flags & kFlagPriv) != 0);
  if (!s.ok()) {
    auto e = std::move(s).error();
    e.message = fmt::format("malformed {}scoped PDU from {}: {}",
                            m.flags & kFlagPriv ? "decrypted " : "", p.to.text, e.message);
    return finish(id, std::move(e));
  }
  if (s->pdu.type == PduType::report) return on_report(p, m, s->pdu);
  if (s->pdu.type != PduType::response || p.discovering || s->pdu.request_id != id) return;
  const std::uint8_t wanted = (p.user.auth != AuthProtocol::none ? kFlagAuth : 0) |
                              (p.user.priv != PrivProtocol::none ? kFlagPriv : 0);
  if ((m.flags & (kFlagAuth | kFlagPriv)) != wanted)
    return bad("answered at another security level than the request's");
  finish(id, std::move(s->pdu));
}

void Engine::on_report(Pending& p, const MessageV3& m, const Pdu& report) {
  const std::int32_t id = p.id;
  const Oid which = report.varbinds.empty() ? Oid{} : report.varbinds.front().oid;
  const std::string& user = p.user.name;
  if (is_stat(which, kUsmStats, 4)) {  // usmStatsUnknownEngineIDs: the answer to a discovery
    if (p.probing) return finish(id, decryption_silence(p));
    if (m.usm.engine_id.empty())
      return finish(
          id, Error::make(ErrorKind::bad_gateway, "SNMP_MALFORMED",
                          fmt::format("{} reported usmStatsUnknownEngineIDs without its engine id",
                                      p.to.text)));
    // A cached engine id the agent no longer has (it was replaced): discover once more.
    if (!p.discovering && ++p.resyncs > 1)
      return finish(
          id, Error::make(ErrorKind::bad_gateway, "SNMP_REPORT",
                          fmt::format("{} keeps reporting usmStatsUnknownEngineIDs", p.to.text)));
    Agent& a = learn_agent(p.to.text);
    if (a.engine_id != m.usm.engine_id) a = Agent{m.usm.engine_id, 0, 0, 0, {}};
    a.boots = static_cast<std::uint32_t>(m.usm.engine_boots);
    a.time = static_cast<std::uint32_t>(m.usm.engine_time);
    a.synced_ms = uv_now(m_loop);
    return resend(p);
  }
  if (is_stat(which, kUsmStats, 2)) {  // usmStatsNotInTimeWindows; an authentic one reset our clock
    if ((m.flags & kFlagAuth) && ++p.resyncs <= 1) return resend(p);
    return finish(
        id,
        usm_error(
            "SNMP_NOT_IN_TIME_WINDOW", "user",
            fmt::format(
                "{} reports the request outside its time window even after resynchronising (engine "
                "boots {}, time {})",
                p.to.text, m.usm.engine_boots, m.usm.engine_time)));
  }
  if (is_stat(which, kUsmStats, 3))
    return finish(id, usm_error("SNMP_UNKNOWN_USER", "user",
                                fmt::format("{} does not know the user \"{}\"", p.to.text, user)));
  if (is_stat(which, kUsmStats, 5))
    return finish(id, usm_error("SNMP_WRONG_DIGEST", "auth_password",
                                fmt::format("{} rejects the digest of user \"{}\": wrong "
                                            "authentication password or protocol ({})",
                                            p.to.text, user, to_string(p.user.auth))));
  if (is_stat(which, kUsmStats, 6))
    return finish(id, usm_error("SNMP_DECRYPTION_FAILED", "priv_password",
                                fmt::format("{} cannot decrypt the request of user \"{}\": wrong "
                                            "privacy password or protocol ({})",
                                            p.to.text, user, to_string(p.user.priv))));
  if (is_stat(which, kUsmStats, 1))
    return finish(
        id,
        usm_error("SNMP_UNSUPPORTED_SECURITY_LEVEL",
                  p.user.priv != PrivProtocol::none ? "priv_protocol" : "auth_protocol",
                  fmt::format(
                      "{} does not support this security level for user \"{}\" (auth {}, priv {})",
                      p.to.text, user, to_string(p.user.auth), to_string(p.user.priv))));
  if (is_stat(which, kTargetStats, 4) || is_stat(which, kTargetStats, 5))
    return finish(
        id, usm_error("SNMP_UNKNOWN_CONTEXT", "context",
                      fmt::format("{} does not know the context \"{}\"", p.to.text, p.context)));
  finish(id, Error::make(ErrorKind::bad_gateway, "SNMP_REPORT",
                         fmt::format("{} answered with a Report of {}", p.to.text,
                                     which.empty() ? "no variable" : name_of(which))));
}

void Engine::get(const Target& t, std::vector<Oid> oids, PduDone done) {
  request(t, request_pdu(PduType::get, oids), checking_status(std::move(done)));
}

void Engine::get_next(const Target& t, std::vector<Oid> oids, PduDone done) {
  request(t, request_pdu(PduType::get_next, oids), checking_status(std::move(done)));
}

void Engine::get_bulk(const Target& t, int non_repeaters, int max_repetitions,
                      std::vector<Oid> oids, PduDone done) {
  Pdu p = request_pdu(PduType::get_bulk, oids);
  p.error_status = non_repeaters;
  p.error_index = max_repetitions;
  request(t, std::move(p), checking_status(std::move(done)));
}

// A walk of several roots in lockstep. Each root is a column: it advances from the last OID
// seen under it and ends when the agent answers outside it or with endOfMibView (v1: when the
// agent answers noSuchName for it).
class Engine::Walk : public std::enable_shared_from_this<Engine::Walk> {
 public:
  Walk(Engine& engine, Target target, std::vector<Oid> roots, WalkDone done)
      : m_engine(engine),
        m_target(std::move(target)),
        m_roots(std::move(roots)),
        m_last(m_roots),
        m_active(m_roots.size(), true),
        m_results(m_roots.size()),
        m_done(std::move(done)) {}

  void step() {
    std::vector<std::size_t> columns;
    for (std::size_t i = 0; i < m_roots.size(); ++i)
      if (m_active[i]) columns.push_back(i);
    if (columns.empty()) return m_done(std::move(m_results));
    Pdu p;
    for (auto c : columns) p.varbinds.push_back({m_last[c], Value::make(Type::null)});
    if (m_target.version != Version::v1) {
      p.type = PduType::get_bulk;
      p.error_index =
          std::max(1, kBulkVarBinds / static_cast<int>(columns.size()));  // max-repetitions
    } else {
      p.type = PduType::get_next;
    }
    m_engine.request(m_target, std::move(p), [self = shared_from_this(), columns](Result<Pdu> r) {
      self->on_answer(columns, std::move(r));
    });
  }

 private:
  void on_answer(const std::vector<std::size_t>& columns, Result<Pdu> r) {
    if (!r.ok()) return m_done(std::move(r).error());
    const Pdu& p = r.value();
    if (p.error_status != 0) {
      // v1 ends a walk with noSuchName for the variable past the end of the MIB.
      if (m_target.version != Version::v1 || p.error_status != 2) return m_done(error_status(p));
      if (p.error_index >= 1 && static_cast<std::size_t>(p.error_index) <= columns.size())
        m_active[columns[static_cast<std::size_t>(p.error_index - 1)]] = false;
      else
        for (auto c : columns) m_active[c] = false;
      return step();
    }
    if (p.varbinds.empty()) return m_done(malformed("answered a walk request with no variables"));
    if (m_target.version == Version::v1 && p.varbinds.size() != columns.size())
      return m_done(malformed(fmt::format("answered {} variables to a GETNEXT of {}",
                                          p.varbinds.size(), columns.size())));
    for (std::size_t i = 0; i < p.varbinds.size(); ++i) {
      const std::size_t c = columns[i % columns.size()];
      if (!m_active[c]) continue;
      const VarBind& vb = p.varbinds[i];
      if (vb.value.is_exception() || !starts_with(vb.oid, m_roots[c])) {
        m_active[c] = false;
        continue;
      }
      if (vb.oid <= m_last[c])
        return m_done(malformed(fmt::format("answered {} after {}: OIDs must increase",
                                            to_string(vb.oid), to_string(m_last[c]))));
      m_last[c] = vb.oid;
      m_results[c].push_back(vb);
      if (++m_count > kMaxWalkVarBinds)
        return m_done(
            Error::make(ErrorKind::bad_gateway, "SNMP_WALK_TOO_LARGE",
                        fmt::format("the walk returned more than {} variables", kMaxWalkVarBinds)));
    }
    step();
  }

  Error malformed(std::string what) const {
    return Error::make(ErrorKind::bad_gateway, "SNMP_MALFORMED",
                       fmt::format("{} {}", m_target.endpoint.text, what));
  }

  Engine& m_engine;
  Target m_target;
  std::vector<Oid> m_roots, m_last;
  std::vector<bool> m_active;
  std::vector<std::vector<VarBind>> m_results;
  std::size_t m_count = 0;
  WalkDone m_done;
};

void Engine::walk(const Target& t, std::vector<Oid> roots, WalkDone done) {
  std::make_shared<Walk>(*this, t, std::move(roots), std::move(done))->step();
}

}  // namespace tt::snmp
