// Polls the interface tables of many agents with Telltale's SNMP engine, all agents at once, for a
// number of rounds, and prints one JSON line: wall time, CPU time of this process, variables read.
//   snmp_bench --mode tables|check --community public --rounds 20 PORT...   (agents on 127.0.0.1)
//   snmp_bench ... --user U --auth sha --auth-pass P --priv aes --priv-pass P PORT...   (v3)
// `tables`: a walk of ifTable and ifXTable, exactly what `snmpbulkwalk` of the two tables reads.
// `check`: what an snmp check with `interfaces: true` does: GET sysUpTime.0, walk of the poll
// columns, counters turned into totals (snmp::InterfaceMemory).
#include <sys/resource.h>
#include <uv.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "snmp/engine.h"
#include "snmp/interfaces.h"
#include "snmp/mib.h"

using namespace tt::snmp;

namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct Bench {
  Engine* engine = nullptr;
  std::vector<Target> targets;
  std::vector<InterfaceMemory> memories;
  bool check_mode = false;
  int rounds = 0, round = 0;
  std::size_t outstanding = 0, varbinds = 0, failures = 0;

  void start_round() {
    outstanding = targets.size();
    for (std::size_t i = 0; i < targets.size(); ++i) poll(i);
  }

  void poll(std::size_t i) {
    if (!check_mode) {
      engine->walk(targets[i], {*resolve_name("ifTable"), *resolve_name("ifXTable")},
                   [this](auto r) { walked(r.ok() ? count(r.value()) : fail()); });
      return;
    }
    engine->get(targets[i], {*resolve_name("sysUpTime.0")}, [this, i](tt::Result<Pdu> g) {
      if (!g.ok()) return walked(fail());
      const std::uint64_t ticks = g.value().varbinds.at(0).value.number;
      engine->walk(targets[i], kPollColumns, [this, i, ticks](auto r) {
        if (!r.ok()) return walked(fail());
        auto poll = memories[i].apply(ticks, r.value());
        walked(count(r.value()) + (poll.interfaces.empty() ? 0 : 1));
      });
    });
  }

  std::size_t fail() {
    ++failures;
    return 0;
  }
  static std::size_t count(const std::vector<std::vector<VarBind>>& columns) {
    std::size_t n = 0;
    for (const auto& c : columns) n += c.size();
    return n;
  }

  void walked(std::size_t n) {
    varbinds += n;
    if (--outstanding > 0) return;
    if (++round < rounds)
      start_round();
    else
      engine->close();
  }
};

}  // namespace

int main(int argc, char** argv) {
  Bench b;
  std::string community = "public";
  UsmUser user;
  std::vector<int> ports;
  bool bad = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--mode" && has_value)
      b.check_mode = std::strcmp(argv[++i], "check") == 0;
    else if (a == "--community" && has_value)
      community = argv[++i];
    else if (a == "--rounds" && has_value)
      b.rounds = std::stoi(argv[++i]);
    else if (a == "--user" && has_value)
      user.name = argv[++i];
    else if (a == "--auth" && has_value) {
      auto p = auth_protocol_from(argv[++i]);
      bad |= !p;
      user.auth = p.value_or(AuthProtocol::none);
    } else if (a == "--auth-pass" && has_value)
      user.auth_password = argv[++i];
    else if (a == "--priv" && has_value) {
      auto p = priv_protocol_from(argv[++i]);
      bad |= !p;
      user.priv = p.value_or(PrivProtocol::none);
    } else if (a == "--priv-pass" && has_value)
      user.priv_password = argv[++i];
    else
      ports.push_back(std::stoi(a));
  }
  if (ports.empty() || b.rounds < 1 || bad) {
    std::fprintf(
        stderr,
        "usage: snmp_bench --mode tables|check [--community C | --user U --auth A --auth-pass P "
        "--priv X --priv-pass P] --rounds N PORT...\n");
    return 2;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  Engine engine(&loop);
  b.engine = &engine;
  for (int p : ports) {
    Target t;
    t.endpoint = *endpoint_from_literal("127.0.0.1", static_cast<std::uint16_t>(p));
    t.community = community;
    if (!user.name.empty()) {
      t.version = Version::v3;
      t.user = user;
    }
    t.timeout = std::chrono::milliseconds(5000);
    b.targets.push_back(t);
  }
  b.memories.resize(b.targets.size());
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  b.start_round();
  uv_run(&loop, UV_RUN_DEFAULT);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  uv_loop_close(&loop);
  std::printf(
      "{\"version\":\"%s\",\"mode\":\"%s\",\"agents\":%zu,\"rounds\":%d,\"wall_s\":%.3f,\"cpu_s\":%"
      ".3f,\"varbinds\":%zu,\"failures\":%zu}\n",
      user.name.empty() ? "2c" : "3", b.check_mode ? "check" : "tables", b.targets.size(), b.rounds,
      wall, cpu, b.varbinds, b.failures);
  return b.failures == 0 ? 0 : 1;
}
