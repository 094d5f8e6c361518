// The cpu collector: /proc/stat, which node_exporter reads in two collectors (cpu and stat).
#include <array>

#include "collect/collectors.h"
#include "collect/files.h"
#include "collect/parsers.h"

namespace tt::collect {

namespace {

constexpr double kUserHz = 100;  // the unit of /proc/stat's times, fixed by the kernel's ABI
constexpr std::array<std::string_view, 8> kModes = {"user",   "nice", "system",  "idle",
                                                    "iowait", "irq",  "softirq", "steal"};
constexpr std::array<std::string_view, 2> kGuestModes = {"user", "nice"};

// "cpuN user nice system idle iowait irq softirq steal guest guest_nice" (older kernels stop
// earlier; the modes they have are reported).
void add_cpu_line(const std::vector<std::string_view>& f, Samples& out) {
  std::string cpu(f[0].substr(3));
  for (std::size_t i = 0; i < kModes.size() + kGuestModes.size() && i + 1 < f.size(); ++i) {
    auto ticks = to_u64(f[i + 1]);
    if (!ticks) return;
    bool guest = i >= kModes.size();
    auto mode = guest ? kGuestModes[i - kModes.size()] : kModes[i];
    add(out, guest ? "node_cpu_guest_seconds_total" : "node_cpu_seconds_total",
        static_cast<double>(*ticks) / kUserHz, {{"cpu", cpu}, {"mode", std::string(mode)}});
  }
}

}  // namespace

void parse_stat(std::string_view text, Samples& out) {
  static constexpr std::pair<std::string_view, std::string_view> kSingles[] = {
      {"btime", "node_boot_time_seconds"},     {"ctxt", "node_context_switches_total"},
      {"processes", "node_forks_total"},       {"intr", "node_intr_total"},
      {"procs_running", "node_procs_running"}, {"procs_blocked", "node_procs_blocked"},
  };
  for_each_line(text, [&](std::string_view line) {
    auto f = fields(line);
    if (f.size() < 2) return;
    if (f[0].starts_with("cpu") && to_u64(f[0].substr(3))) return add_cpu_line(f, out);
    for (const auto& [key, name] : kSingles) {
      if (f[0] != key) continue;
      if (auto v = to_u64(f[1])) add(out, std::string(name), static_cast<double>(*v));
      return;
    }
  });
}

void collect_cpu(const Roots& roots, Samples& out) {
  if (auto text = read_file(join(roots.procfs, "stat"))) parse_stat(*text, out);
}

}  // namespace tt::collect
