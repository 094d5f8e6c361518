// Polls the interface tables of many agents with Telltale's SNMP engine, all agents at once, for a
// number of rounds, and prints one JSON line: wall time, CPU time of this process, variables read.
//   snmp_bench --mode tables|check --community public --rounds 20 PORT...   (agents on 127.0.0.1)
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
    if (++round < rounds) start_round();
    else engine->close();
  }
};

}  // namespace

int main(int argc, char** argv) {
  Bench b;
  std::string community = "public";
  std::vector<int> ports;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--mode" && i + 1 < argc) b.check_mode = std::strcmp(argv[++i], "check") == 0;
    else if (a == "--community" && i + 1 < argc) community = argv[++i];
    else if (a == "--rounds" && i + 1 < argc) b.rounds = std::stoi(argv[++i]);
    else ports.push_back(std::stoi(a));
  }
  if (ports.empty() || b.rounds < 1) {
    std::fprintf(stderr, "usage: snmp_bench --mode tables|check --community C --rounds N PORT...\n");
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
  std::printf("{\"mode\":\"%s\",\"agents\":%zu,\"rounds\":%d,\"wall_s\":%.3f,\"cpu_s\":%.3f,\"varbinds\":%zu,\"failures\":%zu}\n",
              b.check_mode ? "check" : "tables", b.targets.size(), b.rounds, wall, cpu, b.varbinds, b.failures);
  return b.failures == 0 ? 0 : 1;
}
