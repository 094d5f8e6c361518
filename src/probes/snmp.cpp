// probes/snmp.cpp — SNMP checks: a GET of sysUpTime.0 and the check's `oids`, then (with
// `interfaces`) one walk of the IF-MIB columns of snmp::kPollColumns by GETBULK (GETNEXT for v1).
// The probe owns one snmp::Engine (two UDP sockets for all its checks) and, per check, the
// counter memory that turns raw counters into monotonic totals (snmp/interfaces.h): 32-bit wraps
// are added back, an agent restart (sysUpTime went back) restarts the totals, which rate() reads
// as a counter reset. Memory lives in the probe, so a restart of Telltale starts totals over too.
#include <fmt/format.h>
#include <netdb.h>

#include <algorithm>
#include <memory>
#include <unordered_map>

#include "probes/kinds.h"
#include "snmp/address.h"
#include "snmp/engine.h"
#include "snmp/interfaces.h"
#include "snmp/mib.h"

namespace tt::probes {

namespace {

constexpr std::uint16_t kDefaultPort = 161;
constexpr std::size_t kMaxCommunityLen = 255;
constexpr std::uint64_t kForgetAfterMs =
    24ULL * 3'600'000;  // memory of checks that stopped running

struct Config {
  snmp::Version version = snmp::Version::v2c;
  std::string community;  // v1, v2c
  snmp::UsmUser user;     // v3
  std::string context;    // v3
  int retries = 1;
  std::vector<std::pair<std::string, snmp::Oid>> oids;  // as written, resolved
  bool interfaces = false;
};

Config config_of(const nlohmann::json& o) {
  Config c;
  const auto version = o.value("version", std::string("2c"));
  c.version = version == "1"   ? snmp::Version::v1
              : version == "3" ? snmp::Version::v3
                               : snmp::Version::v2c;
  c.community = o.value("community", std::string("public"));
  c.user.name = o.value("user", std::string());
  c.user.auth = snmp::auth_protocol_from(o.value("auth_protocol", std::string("none")))
                    .value_or(snmp::AuthProtocol::none);
  c.user.auth_password = o.value("auth_password", std::string());
  c.user.priv = snmp::priv_protocol_from(o.value("priv_protocol", std::string("none")))
                    .value_or(snmp::PrivProtocol::none);
  c.user.priv_password = o.value("priv_password", std::string());
  c.context = o.value("context", std::string());
  c.retries = o.value("retries", 1);
  c.interfaces = o.value("interfaces", false);
  if (o.contains("oids"))
    for (const auto& name : o["oids"])
      if (auto oid = snmp::resolve_name(name.get<std::string>()))
        c.oids.emplace_back(name.get<std::string>(), *oid);
  return c;
}

// The short stable error of an observation: SNMP_TIMEOUT -> timeout, SNMP_ERROR_STATUS ->
// error_status.
std::string error_code(const Error& e) {
  std::string s = e.code.starts_with("SNMP_") ? e.code.substr(5) : e.code;
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A value as conditions read it: snmp::json_of, with TimeTicks in seconds (the facts' unit).
nlohmann::json fact_of(const snmp::Value& v) {
  if (v.type == snmp::Type::timeticks) return static_cast<double>(v.number) / 100.0;
  return snmp::json_of(v);
}

// What one run read, before it becomes facts and metrics.
struct Reading {
  double uptime_s = 0;
  nlohmann::json values = nlohmann::json::object();
  std::optional<snmp::Poll> poll;
};

// The facts of a run, in one place: conditions and the API's last result read them.
void set_facts(Observation& o, const Reading& r) {
  o.facts.reserve(6);
  o.facts["uptime"] = r.uptime_s;
  o.facts["latency"] = o.duration_s;
  o.facts["values"] = r.values;
  if (r.poll) {
    int up = 0, down = 0;
    for (const auto& i : r.poll->interfaces) {
      if (i.oper_status == 1)
        ++up;
      else if (i.admin_status == 1)
        ++down;  // down although it should be up
    }
    o.facts["interfaces"] = r.poll->interfaces.size();
    o.facts["interfaces_up"] = up;
    o.facts["interfaces_down"] = down;
  }
}

void add_metrics(Observation& o, const Reading& r) {
  o.metrics.push_back({"snmp_uptime_seconds", r.uptime_s});
  for (const auto& [name, v] : r.values.items())
    if (v.is_number()) o.metrics.push_back({"snmp_value", v.get<double>(), "name", name});
  if (!r.poll) return;
  for (const auto& i : r.poll->interfaces) {
    std::string index = std::to_string(i.index);
    for (std::size_t k = 0; k < snmp::kIfCounters; ++k)
      if (i.totals[k])
        o.metrics.push_back(
            {snmp::kIfCounterNames[k], *i.totals[k], "ifName", i.name, "ifIndex", index});
    if (i.oper_status)
      o.metrics.push_back({"if_oper_status", static_cast<double>(*i.oper_status), "ifName", i.name,
                           "ifIndex", index});
  }
}

nlohmann::json status_json(std::int64_t s) {
  if (const char* n = snmp::if_status_name(s)) return n;
  return s;
}

void add_events(Observation& o, const Reading& r, const std::string& target) {
  if (!r.poll) return;
  for (const auto& t : r.poll->transitions)
    o.events.push_back({t.to == 1 ? "snmp.interface_up" : "snmp.interface_down",
                        {{"target", target},
                         {"ifIndex", t.index},
                         {"ifName", t.name},
                         {"from", status_json(t.from)},
                         {"to", status_json(t.to)}}});
}

class SnmpProbe final : public Probe {
 public:
  explicit SnmpProbe(uv_loop_t* loop)
      : m_loop(loop), m_engine(loop), m_self(std::make_shared<SnmpProbe*>(this)) {}

  void run(const Request& req, Done done) override {
    if (m_closed) return done(failed("cancelled", "the probe was closed"));
    auto run = std::make_shared<Run>();
    run->id = m_next_run++;
    run->check_id = req.check_id;
    run->target_text = req.target;
    run->config = config_of(*req.options);
    run->timeout = req.timeout;
    run->started_ms = uv_now(m_loop);
    run->done = std::move(done);
    std::string host;
    std::uint16_t port = kDefaultPort;
    if (!snmp::split_address(req.target, host, port))
      return run->done(failed("resolve", fmt::format("'{}' is not host or host:port", req.target)));
    run->timer = new RunTimer{{}, this, run->id};
    run->timer->handle.data = run->timer;
    uv_timer_init(m_loop, &run->timer->handle);
    m_runs.emplace(run->id, run);
    uv_timer_start(
        &run->timer->handle,
        [](uv_timer_t* t) {
          auto* rt = static_cast<RunTimer*>(t->data);
          auto it = rt->probe->m_runs.find(rt->run_id);
          if (it == rt->probe->m_runs.end()) return;
          rt->probe->finish(rt->run_id,
                            failed("timeout", fmt::format("no complete answer within {} ms",
                                                          it->second->timeout.count())));
        },
        static_cast<std::uint64_t>(std::max<std::int64_t>(1, req.timeout.count())), 0);

    if (auto ep = snmp::endpoint_from_literal(host, port)) return query(*run, std::move(*ep));
    auto* gai = new Resolve{{}, m_self, run->id, port};
    gai->req.data = gai;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_ADDRCONFIG;
    int rc =
        uv_getaddrinfo(m_loop, &gai->req, &SnmpProbe::on_resolved, host.c_str(), nullptr, &hints);
    if (rc != 0) {
      delete gai;
      return finish(run->id,
                    failed("resolve", fmt::format("resolving {}: {}", host, uv_strerror(rc))));
    }
    m_resolving.push_back(&gai->req);
  }

  void close() override {
    if (m_closed) return;
    m_closed = true;
    *m_self = nullptr;  // resolutions still running find no probe
    for (auto* r : m_resolving) uv_cancel(reinterpret_cast<uv_req_t*>(r));
    m_resolving.clear();
    m_engine.close();  // answers its requests with SNMP_CANCELLED, which finishes their runs
    while (!m_runs.empty())
      finish(m_runs.begin()->first, failed("cancelled", "the probe was closed"));
  }

 private:
  struct RunTimer {
    uv_timer_t handle;
    SnmpProbe* probe;
    std::uint64_t run_id;
  };
  struct Run {
    std::uint64_t id = 0;
    std::int64_t check_id = 0;
    std::string target_text;
    Config config;
    std::chrono::milliseconds timeout{};
    std::uint64_t started_ms = 0;
    RunTimer* timer = nullptr;  // closed (and freed) when the run finishes
    snmp::Target target;
    Reading reading;
    Done done;
  };
  struct Resolve {
    uv_getaddrinfo_t req;
    std::shared_ptr<SnmpProbe*> probe;
    std::uint64_t run_id;
    std::uint16_t port;
  };
  struct Memory {
    std::string key;  // target and version: a change starts the counters over
    snmp::InterfaceMemory interfaces;
    std::uint64_t used_ms = 0;
  };

  static void on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
    std::unique_ptr<Resolve> gai(static_cast<Resolve*>(req->data));
    SnmpProbe* self = *gai->probe;
    if (self) std::erase(self->m_resolving, req);
    if (!self || !self->m_runs.contains(gai->run_id)) {
      uv_freeaddrinfo(res);
      return;
    }
    if (status != 0 || !res) {
      uv_freeaddrinfo(res);
      return self->finish(gai->run_id, failed("resolve", fmt::format("resolving the target: {}",
                                                                     uv_strerror(status))));
    }
    auto ep = snmp::endpoint_from_sockaddr(res->ai_addr, gai->port);
    uv_freeaddrinfo(res);
    self->query(*self->m_runs.at(gai->run_id), std::move(ep));
  }

  void query(Run& run, snmp::Endpoint ep) {
    const Config& c = run.config;
    run.target.endpoint = std::move(ep);
    run.target.version = c.version;
    run.target.community = c.community;
    run.target.user = c.user;
    run.target.context = c.context;
    run.target.retries = c.retries;
    run.target.timeout = std::max(std::chrono::milliseconds(100), run.timeout / (c.retries + 1));
    std::vector<snmp::Oid> oids{*snmp::resolve_name("sysUpTime.0")};
    for (const auto& [name, oid] : c.oids) oids.push_back(oid);
    const auto id = run.id;
    m_engine.get(run.target, std::move(oids),
                 [this, id](Result<snmp::Pdu> r) { on_get(id, std::move(r)); });
  }

  void on_get(std::uint64_t id, Result<snmp::Pdu> r) {
    auto it = m_runs.find(id);
    if (it == m_runs.end()) return;
    Run& run = *it->second;
    if (!r.ok()) return finish(id, failed(error_code(r.error()), r.error().message));
    const auto& vbs = r.value().varbinds;
    if (vbs.size() != run.config.oids.size() + 1 || vbs[0].value.type != snmp::Type::timeticks)
      return finish(
          id, failed("malformed",
                     fmt::format("{} answered the GET without sysUpTime.0 and the asked variables",
                                 run.target.endpoint.text)));
    run.reading.uptime_s = static_cast<double>(vbs[0].value.number) / 100.0;
    for (std::size_t i = 0; i < run.config.oids.size(); ++i)
      run.reading.values[run.config.oids[i].first] = fact_of(vbs[i + 1].value);
    if (!run.config.interfaces) return succeed(run);
    const std::uint64_t ticks = vbs[0].value.number;
    m_engine.walk(run.target, snmp::kPollColumns,
                  [this, id, ticks](Result<std::vector<std::vector<snmp::VarBind>>> w) {
                    auto it = m_runs.find(id);
                    if (it == m_runs.end()) return;
                    if (!w.ok())
                      return finish(id, failed(error_code(w.error()), w.error().message));
                    Run& run = *it->second;
                    run.reading.poll = memory_of(run).interfaces.apply(ticks, w.value());
                    succeed(run);
                  });
  }

  Memory& memory_of(const Run& run) {
    const std::uint64_t now = uv_now(m_loop);
    if (now - m_swept_ms > 3'600'000) {
      std::erase_if(m_memory,
                    [&](const auto& kv) { return now - kv.second.used_ms > kForgetAfterMs; });
      m_swept_ms = now;
    }
    std::string key =
        fmt::format("{} {}", run.target.endpoint.text, snmp::to_string(run.config.version));
    Memory& m = m_memory[run.check_id];
    if (m.key != key) m = Memory{std::move(key), {}, 0};
    m.used_ms = now;
    return m;
  }

  void succeed(Run& run) {
    Observation o;
    o.ok = true;
    o.duration_s = static_cast<double>(uv_now(m_loop) - run.started_ms) / 1000.0;
    const Reading& r = run.reading;
    o.message =
        r.poll ? fmt::format("up {:.0f}s, {} interfaces", r.uptime_s, r.poll->interfaces.size())
               : fmt::format("up {:.0f}s", r.uptime_s);
    if (r.poll && r.poll->restarted) o.message += ", the agent restarted";
    set_facts(o, r);
    add_metrics(o, r);
    add_events(o, r, run.target_text);
    finish(run.id, std::move(o));
  }

  void finish(std::uint64_t id, Observation o) {
    auto it = m_runs.find(id);
    if (it == m_runs.end()) return;
    auto run = std::move(it->second);
    m_runs.erase(it);
    if (o.duration_s == 0)
      o.duration_s = static_cast<double>(uv_now(m_loop) - run->started_ms) / 1000.0;
    uv_close(reinterpret_cast<uv_handle_t*>(&run->timer->handle),
             [](uv_handle_t* h) { delete static_cast<RunTimer*>(h->data); });
    run->done(std::move(o));
  }

  uv_loop_t* m_loop;
  snmp::Engine m_engine;
  std::shared_ptr<SnmpProbe*> m_self;
  std::vector<uv_getaddrinfo_t*> m_resolving;
  std::unordered_map<std::uint64_t, std::shared_ptr<Run>> m_runs;
  std::uint64_t m_next_run = 1;
  std::unordered_map<std::int64_t, Memory> m_memory;
  std::uint64_t m_swept_ms = 0;
  bool m_closed = false;
};

std::optional<std::string> check_target(const std::string& target) {
  std::string host;
  std::uint16_t port = kDefaultPort;
  if (!snmp::split_address(target, host, port))
    return "must be host, host:port, [IPv6]:port or an IPv6 address, with a port from 1 to 65535";
  return std::nullopt;
}

std::vector<FieldError> check_options(const nlohmann::json& o) {
  std::vector<FieldError> errs;
  const auto& community = o.value("community", std::string("public"));
  if (community.empty() || community.size() > kMaxCommunityLen)
    errs.push_back({"options.community", "must be 1 to 255 bytes"});
  if (o.value("version", std::string("2c")) == "3") {
    const auto user = o.value("user", std::string());
    if (user.empty() || user.size() > 32)
      errs.push_back({"options.user", "is required with version 3 (1 to 32 bytes)"});
    const bool auth = o.value("auth_protocol", std::string("none")) != "none";
    const bool priv = o.value("priv_protocol", std::string("none")) != "none";
    // net-snmp refuses shorter passphrases (RFC 3414 11.2 recommends at least 8).
    if (auth && o.value("auth_password", std::string()).size() < 8)
      errs.push_back({"options.auth_password", "must be 8 to 255 bytes with an auth_protocol"});
    if (priv && !auth)
      errs.push_back({"options.priv_protocol",
                      "needs auth_protocol too: USM has no privacy without authentication"});
    if (priv && o.value("priv_password", std::string()).size() < 8)
      errs.push_back({"options.priv_password", "must be 8 to 255 bytes with a priv_protocol"});
  }
  if (o.contains("oids")) {
    for (const auto& name : o["oids"])
      if (!snmp::resolve_name(name.get<std::string>()))
        errs.push_back({"options.oids",
                        fmt::format("'{}' is neither a known name (sysUpTime.0, ifHCInOctets.3, "
                                    "hrProcessorLoad.196608) nor a dotted OID",
                                    name.get<std::string>())});
    if (o["oids"].size() > 64) errs.push_back({"options.oids", "has more than 64 entries"});
  }
  return errs;
}

}  // namespace

const KindDescriptor& snmp_kind() {
  static const KindDescriptor k{
      "snmp",
      "SNMP",
      "the agent: host, host:port (default port 161) or [IPv6]:port",
      "192.0.2.1",
      "interfaces_down == 0",
      check_target,
      {{"version", "SNMP version", OptionType::choice, "2c", "SNMP version", {"1", "2c", "3"}},
       {"community",
        "Community",
        OptionType::string,
        "public",
        "community string, versions 1 and 2c (kept on the server, never shown again)",
        {},
        0,
        0,
        false,
        true},
       {"user", "User (v3)", OptionType::string, nullptr, "version 3: the USM user name"},
       {"auth_protocol",
        "Authentication protocol (v3)",
        OptionType::choice,
        "none",
        "version 3: authentication",
        {"none", "md5", "sha", "sha224", "sha256", "sha384", "sha512"}},
       {"auth_password",
        "Authentication passphrase (v3)",
        OptionType::string,
        nullptr,
        "version 3: authentication passphrase (8 bytes or more; kept on the server, never "
        "shown again)",
        {},
        0,
        0,
        false,
        true},
       {"priv_protocol",
        "Privacy protocol (v3)",
        OptionType::choice,
        "none",
        "version 3: privacy (needs authentication)",
        {"none", "des", "aes", "aes192", "aes256"}},
       {"priv_password",
        "Privacy passphrase (v3)",
        OptionType::string,
        nullptr,
        "version 3: privacy passphrase (8 bytes or more; kept on the server, never shown "
        "again)",
        {},
        0,
        0,
        false,
        true},
       {"context", "Context (v3)", OptionType::string, nullptr,
        "version 3: context name (empty for the default context)"},
       {"oids", "Objects to read", OptionType::string_list, nullptr,
        "objects to GET, by name (`sysUpTime.0`, `IF-MIB::ifOperStatus.2`) or dotted OID; "
        "conditions read them as `oid(\"name\")`"},
       {"interfaces", "Poll interfaces", OptionType::boolean, false,
        "poll the interface table: `if_in_octets_total`, `if_out_octets_total`, "
        "`if_in/out_errors_total`, `if_in/out_discards_total` and `if_oper_status` per interface"},
       {"retries",
        "Retries",
        OptionType::integer,
        1,
        "tries after the first for each request",
        {},
        0,
        10}},
      {duration_fact("uptime", "the agent's sysUpTime"),
       duration_fact("latency", "time for every request of the run"),
       string_fact("values", "the objects of `oids`; read one with oid(\"sysName.0\")"),
       number_fact("interfaces", "interfaces polled (with `interfaces`)"),
       number_fact("interfaces_up", "interfaces whose ifOperStatus is up"),
       number_fact("interfaces_down", "interfaces administratively up but not operationally up")},
      {{"traffic",
        "Interface traffic",
        ChartUnit::bytes_total,
        {{"if_in_octets_total", "", {{"direction", "in"}}},
         {"if_out_octets_total", "", {{"direction", "out"}}}},
        {"ifName", "direction"},
        "interfaces"}},
      60000,
      5000,
      1024,
      make_probe<SnmpProbe>,
      check_options,
  };
  return k;
}

}  // namespace tt::probes
