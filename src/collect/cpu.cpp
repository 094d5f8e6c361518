// The cpu collector: /proc/stat, which node_exporter reads in two collectors (cpu and stat),
// and the thermal throttle counters of sysfs.
#include <array>
#include <map>

#include "collect/collectors.h"
#include "collect/files.h"
#include "collect/parsers.h"
#include "core/scan.h"

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

namespace {

// node_cpu_core_throttles_total{core,package} and node_cpu_package_throttles_total{package} from
// /sys/devices/system/cpu/cpu<N>/thermal_throttle, as node_exporter: each core and package once
// (its CPUs' hyperthreads share the counters), from the first of its CPUs that has the file.
void collect_throttles(const Roots& roots, Samples& out) {
  auto base = join(roots.sysfs, "devices/system/cpu");
  auto number = [](const std::string& path) {
    auto text = read_value(path);
    return text ? to_u64(*text) : std::nullopt;
  };
  std::map<std::uint64_t, std::uint64_t> packages;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> cores;  // (package, core)
  for (const auto& cpu : list_dir(base, "cpu")) {
    if (cpu.size() == 3 || !scan::is_digit(cpu[3])) continue;  // cpu[0-9]*, not cpufreq
    auto dir = base + "/" + cpu;
    auto package = number(dir + "/topology/physical_package_id");
    auto core = number(dir + "/topology/core_id");
    if (!package || !core) continue;
    if (!cores.contains({*package, *core}))
      if (auto n = number(dir + "/thermal_throttle/core_throttle_count"))
        cores[{*package, *core}] = *n;
    if (!packages.contains(*package))
      if (auto n = number(dir + "/thermal_throttle/package_throttle_count"))
        packages[*package] = *n;
  }
  for (const auto& [package, n] : packages)
    add(out, "node_cpu_package_throttles_total", static_cast<double>(n),
        {{"package", std::to_string(package)}});
  for (const auto& [key, n] : cores)
    add(out, "node_cpu_core_throttles_total", static_cast<double>(n),
        {{"core", std::to_string(key.second)}, {"package", std::to_string(key.first)}});
}

}  // namespace

void collect_cpu(const Roots& roots, Samples& out) {
  if (auto text = read_file(join(roots.procfs, "stat"))) parse_stat(*text, out);
  collect_throttles(roots, out);
}

}  // namespace tt::collect
