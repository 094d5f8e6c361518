// probes/dns.cpp — DNS queries with c-ares on the core loop.
//
// c-ares is driven by the loop: ARES_OPT_SOCK_STATE_CB tells us which sockets to watch (one
// uv_poll_t each) and ares_timeout() when to call it back (one uv_timer_t). No threads.
//
// One channel per run, not one per server setting: c-ares 1.18 can only cancel every query of
// a channel at once (ares_cancel/ares_destroy), so a run's own channel is what lets its timeout
// and close() end exactly that query; each query also gets a fresh socket (a new random source
// port), and a changed /etc/resolv.conf is seen on the next run. The cost is a channel init per
// run (a small local file read when no server is given), negligible at check intervals.
#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "probes/dns_answer.h"
#include "probes/kinds.h"

namespace tt::probes {

namespace {

using dns::RecordType;

struct ServerAddr {
  ares_addr_port_node node{};
};

// "192.0.2.1", "192.0.2.1:5353", "2001:db8::1", "[2001:db8::1]:5353". Names are refused: the
// resolver's own address would need a resolver, and a blocking lookup is not allowed here.
std::optional<std::string> parse_server(const std::string& s, ServerAddr& out) {
  std::string host = s, port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string::npos) return "server: missing ']'";
    host = s.substr(1, close - 1);
    if (close + 1 < s.size()) {
      if (s[close + 1] != ':') return "server: expected ':' after ']'";
      port = s.substr(close + 2);
    }
  } else if (std::count(s.begin(), s.end(), ':') == 1) {
    host = s.substr(0, s.find(':'));
    port = s.substr(s.find(':') + 1);
  }
  int p = 53;
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
      return "server: bad port";
    p = std::stoi(port);
    if (p < 1 || p > 65535) return "server: port must be from 1 to 65535";
  }
  auto& n = out.node;
  n.udp_port = n.tcp_port = p;
  if (inet_pton(AF_INET, host.c_str(), &n.addr.addr4) == 1)
    n.family = AF_INET;
  else if (inet_pton(AF_INET6, host.c_str(), &n.addr.addr6) == 1)
    n.family = AF_INET6;
  else
    return fmt::format("server must be an IP address (optionally with :port), not a name: '{}'",
                       host);
  return std::nullopt;
}

class DnsProbe;

// One query. Owns its channel, timer and polls; deletes itself once every handle has closed,
// which may be after the probe is gone (it forgets the probe when it finishes).
class DnsRun {
 public:
  DnsRun(DnsProbe* probe, uv_loop_t* loop, Done done)
      : m_probe(probe), m_loop(loop), m_done(std::move(done)) {}

  void start(const Request& req);
  void finish(Observation o);

 private:
  struct Poll {
    uv_poll_t handle{};
    DnsRun* run = nullptr;
    ares_socket_t fd = ARES_SOCKET_BAD;
  };

  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable);
  static void on_answer(void* arg, int status, int timeouts, unsigned char* abuf, int alen);
  static void on_poll(uv_poll_t* h, int status, int events);
  static void on_timer(uv_timer_t* t);
  void after_ares();  // after every call into c-ares: report an answer, re-arm the timer
  void close_handle(uv_handle_t* h);
  void release();
  double elapsed_s() const { return static_cast<double>(uv_hrtime() - m_start_ns) / 1e9; }

  DnsProbe* m_probe;
  uv_loop_t* m_loop;
  Done m_done;
  ares_channel m_channel = nullptr;
  uv_timer_t m_timer{};
  bool m_timer_open = false;
  std::unordered_map<ares_socket_t, Poll*> m_polls;
  int m_open_handles = 0;
  bool m_finished = false;
  std::optional<Observation> m_answer;  // set by on_answer, reported by after_ares
  std::uint64_t m_start_ns = 0;
  std::uint64_t m_deadline_ns = 0;
  RecordType m_type = RecordType::a;
  std::vector<std::string> m_expected;
};

class DnsProbe final : public Probe {
 public:
  explicit DnsProbe(uv_loop_t* loop) : m_loop(loop) {
    static const int init = ares_library_init(ARES_LIB_INIT_ALL);
    (void)init;
  }
  ~DnsProbe() override { close(); }

  void run(const Request& req, Done done) override {
    if (m_closed) return done(failed("cancelled", "the probe is closed"));
    auto* r = new DnsRun(this, m_loop, std::move(done));
    m_runs.insert(r);
    r->start(req);
  }

  void close() override {
    m_closed = true;
    while (!m_runs.empty()) (*m_runs.begin())->finish(failed("cancelled", "the probe was closed"));
  }

  void forget(DnsRun* r) { m_runs.erase(r); }

 private:
  uv_loop_t* m_loop;
  std::unordered_set<DnsRun*> m_runs;
  bool m_closed = false;
};

void DnsRun::start(const Request& req) {
  m_start_ns = uv_hrtime();
  m_deadline_ns = m_start_ns + static_cast<std::uint64_t>(req.timeout.count()) * 1000000;
  const auto& opt = *req.options;
  auto type = dns::parse_record_type(opt.value("record_type", std::string("A")));
  if (!type) return finish(failed("config", "unknown record type"));
  m_type = *type;
  if (opt.contains("expected") && opt["expected"].is_array())
    for (const auto& e : opt["expected"])
      if (e.is_string()) m_expected.push_back(e.get<std::string>());

  std::string name = req.target;
  if (m_type == RecordType::ptr)
    if (auto rev = dns::reverse_name(req.target)) name = *rev;  // a name is queried as given

  ares_options o{};
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
  o.sock_state_cb = &DnsRun::on_sock_state;
  o.sock_state_cb_data = this;
  // One try for the whole budget: our deadline is the run's timeout, not c-ares' retry policy.
  o.timeout = static_cast<int>(std::max<std::int64_t>(req.timeout.count(), 1));
  o.tries = 1;
  // NOCHECKRESP: a SERVFAIL or REFUSED answer is reported with its rcode, not retried elsewhere.
  o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP;
  if (opt.value("protocol", std::string("udp")) == "tcp") o.flags |= ARES_FLAG_USEVC;
  if (!opt.value("recursion", true)) o.flags |= ARES_FLAG_NORECURSE;

  ServerAddr server;
  const std::string server_text =
      opt.contains("server") && opt["server"].is_string() ? opt["server"].get<std::string>() : "";
  if (!server_text.empty())
    if (auto why = parse_server(server_text, server)) return finish(failed("config", *why));

  if (int rc = ares_init_options(&m_channel, &o, mask); rc != ARES_SUCCESS) {
    m_channel = nullptr;
    return finish(failed("io", fmt::format("c-ares init: {}", ares_strerror(rc))));
  }
  if (!server_text.empty())
    if (int rc = ares_set_servers_ports(m_channel, &server.node); rc != ARES_SUCCESS)
      return finish(failed("io", fmt::format("c-ares server: {}", ares_strerror(rc))));

  uv_timer_init(m_loop, &m_timer);
  m_timer.data = this;
  m_timer_open = true;
  ++m_open_handles;
  ares_query(m_channel, name.c_str(), ns_c_in, dns::query_type(m_type), &DnsRun::on_answer, this);
  after_ares();
}

// A c-ares status without an answer as the run's failure.
Observation query_failure(int status) {
  static constexpr struct {
    int status;
    const char* code;
    const char* message;
  } kFailures[] = {
      {ARES_ETIMEOUT, "timeout", "no answer before the timeout"},
      {ARES_ECONNREFUSED, "refused", "connection refused by the server"},
      {ARES_ECANCELLED, "cancelled", "query cancelled"},
      {ARES_EBADNAME, "config", "the name cannot be queried"},
  };
  for (const auto& f : kFailures)
    if (f.status == status) return failed(f.code, f.message);
  return failed("io", ares_strerror(status));
}

void DnsRun::on_answer(void* arg, int status, int timeouts, unsigned char* abuf, int alen) {
  auto* self = static_cast<DnsRun*>(arg);
  if (self->m_finished || status == ARES_EDESTRUCTION) return;
  const double latency = self->elapsed_s();
  // c-ares hands over the answer for NXDOMAIN, SERVFAIL, ... too: the rcode comes from its header.
  if (abuf && alen > 0) {
    self->m_answer =
        dns::observe(self->m_type, abuf, static_cast<std::size_t>(alen), self->m_expected, latency);
    return;
  }
  self->m_answer = query_failure(status);
}

void DnsRun::after_ares() {
  if (m_finished) return;
  if (m_answer) {
    auto o = std::move(*m_answer);
    m_answer.reset();
    o.duration_s = elapsed_s();
    return finish(std::move(o));
  }
  const std::uint64_t now = uv_hrtime();
  if (now >= m_deadline_ns)
    return finish(failed("timeout", "no answer before the timeout", elapsed_s()));
  std::uint64_t wait_ms = (m_deadline_ns - now + 999999) / 1000000;
  timeval tv{};
  if (ares_timeout(m_channel, nullptr, &tv))
    wait_ms = std::min<std::uint64_t>(
        wait_ms, static_cast<std::uint64_t>(tv.tv_sec) * 1000 + (tv.tv_usec + 999) / 1000);
  uv_timer_start(&m_timer, &DnsRun::on_timer, wait_ms, 0);
}

void DnsRun::on_timer(uv_timer_t* t) {
  auto* self = static_cast<DnsRun*>(t->data);
  ares_process_fd(self->m_channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  self->after_ares();
}

void DnsRun::on_poll(uv_poll_t* h, int status, int events) {
  auto* p = static_cast<Poll*>(h->data);
  auto* self = p->run;
  const ares_socket_t fd = p->fd;
  // On a poll error let c-ares try both directions: its read or write sees the socket's error.
  const bool all = status < 0;
  ares_process_fd(self->m_channel, all || (events & UV_READABLE) ? fd : ARES_SOCKET_BAD,
                  all || (events & UV_WRITABLE) ? fd : ARES_SOCKET_BAD);
  self->after_ares();
}

void DnsRun::on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<DnsRun*>(data);
  auto it = self->m_polls.find(fd);
  if (!readable && !writable) {
    // c-ares closes the socket after this returns; uv_close stops the watch first.
    if (it != self->m_polls.end()) {
      self->close_handle(reinterpret_cast<uv_handle_t*>(&it->second->handle));
      self->m_polls.erase(it);
    }
    return;
  }
  Poll* p;
  if (it == self->m_polls.end()) {
    p = new Poll;
    p->run = self;
    p->fd = fd;
    if (uv_poll_init_socket(self->m_loop, &p->handle, fd) != 0) {
      delete p;
      return;
    }
    p->handle.data = p;
    ++self->m_open_handles;
    self->m_polls[fd] = p;
  } else {
    p = it->second;
  }
  uv_poll_start(&p->handle, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0),
                &DnsRun::on_poll);
}

void DnsRun::close_handle(uv_handle_t* h) {
  uv_close(h, [](uv_handle_t* h) {
    DnsRun* run;
    if (h->type == UV_POLL) {
      auto* p = static_cast<Poll*>(h->data);
      run = p->run;
      delete p;
    } else {
      run = static_cast<DnsRun*>(h->data);
    }
    run->release();
  });
}

void DnsRun::release() {
  if (--m_open_handles == 0 && m_finished) delete this;
}

void DnsRun::finish(Observation o) {
  if (m_finished) return;
  m_finished = true;
  if (m_probe) m_probe->forget(this);
  m_probe = nullptr;
  if (o.duration_s == 0) o.duration_s = m_start_ns ? elapsed_s() : 0;
  // Keep the callback: `done` may destroy the probe or start another run.
  Done done = std::move(m_done);
  // ares_destroy reports its sockets closed (closing our polls) and the query as destroyed.
  if (m_channel) ares_destroy(m_channel);
  m_channel = nullptr;
  for (auto& [fd, p] : m_polls) close_handle(reinterpret_cast<uv_handle_t*>(&p->handle));
  m_polls.clear();
  // Hold one reference while reporting, so a handle closing inside `done` cannot delete us.
  ++m_open_handles;
  if (m_timer_open) {
    m_timer_open = false;
    close_handle(reinterpret_cast<uv_handle_t*>(&m_timer));
  }
  done(std::move(o));
  release();
}

}  // namespace

const KindDescriptor& dns_kind() {
  static const KindDescriptor k{
      "dns",
      "DNS",
      "the name to look up (for PTR, an IP address)",
      "example.org",
      "rcode == \"NOERROR\"",
      check_host,
      {{"record_type",
        "Record type",
        OptionType::choice,
        "A",
        "record type",
        {"A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA", "PTR"}},
       {"server", "DNS server", OptionType::string, nullptr,
        "resolver as an IP address, IP:port or [IPv6]:port; empty: the system's resolvers"},
       {"expected", "Expected answers", OptionType::string_list, nullptr,
        "answers of which at least one must be present, as text: A/AAAA the address, "
        "CNAME/NS/PTR the name, MX `10 mail.example.com`, TXT the text, SOA `mname rname "
        "serial refresh retry expire minimum`"},
       {"protocol", "Transport", OptionType::choice, "udp", "transport", {"udp", "tcp"}},
       {"recursion", "Ask for recursion", OptionType::boolean, true, "ask the server to recurse"}},
      {duration_fact("latency", "time to the answer"),
       string_fact("rcode", "response code: NOERROR, NXDOMAIN, SERVFAIL, ..."),
       string_fact("answers", "the answer records as text, one per line"),
       number_fact("answer_count", "records in the answer section")},
      {},
      60000,
      5000,
      512,
      make_probe<DnsProbe>,
  };
  return k;
}

}  // namespace tt::probes
