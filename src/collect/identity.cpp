#include "collect/identity.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <climits>

#include "collect/files.h"
#include "collect/parsers.h"
#include "core/text.h"

namespace tt::collect {

namespace {

constexpr std::string_view kSpace = " \t\r\n";

// The value of a "key<tab>: value" line of /proc/cpuinfo, when the line has that key.
std::optional<std::string_view> cpuinfo_value(std::string_view line, std::string_view key) {
  auto colon = line.find(':');
  if (colon == std::string_view::npos || trim(line.substr(0, colon), kSpace) != key)
    return std::nullopt;
  return trim(line.substr(colon + 1), kSpace);
}

}  // namespace

std::optional<std::string> parse_machine_id(std::string_view text) {
  text = trim(text, kSpace);
  if (text.size() != 32) return std::nullopt;
  for (char c : text)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
  return ascii_lower(text);
}

std::string parse_default_route(std::string_view text) {
  std::string best;
  std::uint64_t best_metric = UINT64_MAX;
  for_each_line(text, [&](std::string_view line) {
    // Iface Destination Gateway Flags RefCnt Use Metric Mask ...; addresses in hex.
    auto f = fields(line);
    if (f.size() < 8 || f[1] != "00000000" || f[7] != "00000000") return;
    auto metric = to_u64(f[6]);
    if (metric && *metric < best_metric) {
      best_metric = *metric;
      best = f[0];
    }
  });
  return best;
}

std::string parse_default_route6(std::string_view text) {
  std::string found;
  for_each_line(text, [&](std::string_view line) {
    // dest dest_len src src_len next_hop metric refcnt use flags iface
    auto f = fields(line);
    if (!found.empty() || f.size() < 10 || f[1] != "00" || f[9] == "lo") return;
    if (std::all_of(f[0].begin(), f[0].end(), [](char c) { return c == '0'; })) found = f[9];
  });
  return found;
}

std::string parse_os_release(std::string_view text) {
  std::string name;
  for_each_line(text, [&](std::string_view line) {
    if (!line.starts_with("PRETTY_NAME=")) return;
    auto v = trim(line.substr(12), kSpace);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
      v = v.substr(1, v.size() - 2);
    name = v;
  });
  return name;
}

std::string parse_cpu_model(std::string_view text) {
  std::string model, board, hardware;
  for_each_line(text, [&](std::string_view line) {
    if (auto v = cpuinfo_value(line, "model name"); v && model.empty()) model = *v;
    if (auto v = cpuinfo_value(line, "Model"); v && board.empty()) board = *v;
    if (auto v = cpuinfo_value(line, "Hardware"); v && hardware.empty()) hardware = *v;
  });
  // A Raspberry Pi's CPUs say only "ARMv7 Processor rev 3 (v7l)"; its board says what it is.
  if (!board.empty()) return board;
  return model.empty() ? hardware : model;
}

int count_processors(std::string_view text) {
  int n = 0;
  for_each_line(text,
                [&](std::string_view line) { n += cpuinfo_value(line, "processor") ? 1 : 0; });
  return n;
}

Identity identify(const Roots& roots) {
  Identity id;
  auto kernel_value = [&](const char* name) {
    return read_value(join(roots.procfs, std::string("sys/kernel/") + name)).value_or("");
  };
  id.hostname = kernel_value("hostname");
  id.kernel = kernel_value("osrelease");
  // As collect_uname: uname(2) for the real /proc, the procfs's own file for another.
  utsname u{};
  id.arch = roots.procfs != "/proc" ? kernel_value("arch") : uname(&u) == 0 ? u.machine : "";

  id.interface = parse_default_route(read_file(join(roots.procfs, "net/route")).value_or(""));
  if (id.interface.empty())
    id.interface =
        parse_default_route6(read_file(join(roots.procfs, "net/ipv6_route")).value_or(""));
  if (!id.interface.empty())
    id.mac = ascii_lower(
        read_value(join(roots.sysfs, "class/net/" + id.interface + "/address")).value_or(""));

  auto machine_id = parse_machine_id(read_file(join(roots.rootfs, "etc/machine-id")).value_or(""));
  if (machine_id)
    id.id = "machine-id:" + *machine_id;
  else if (!id.mac.empty() && id.mac != "00:00:00:00:00:00")
    id.id = "mac:" + id.mac;

  auto os = read_file(join(roots.rootfs, "etc/os-release"));
  if (!os) os = read_file(join(roots.rootfs, "usr/lib/os-release"));
  id.os = parse_os_release(os.value_or(""));

  const auto cpuinfo = read_file(join(roots.procfs, "cpuinfo")).value_or("");
  id.cpu_model = parse_cpu_model(cpuinfo);
  id.cores = count_processors(cpuinfo);

  Samples samples;
  parse_meminfo(read_file(join(roots.procfs, "meminfo")).value_or(""), samples);
  parse_stat(read_file(join(roots.procfs, "stat")).value_or(""), samples);
  for (const auto& s : samples) {
    if (s.name == "node_memory_MemTotal_bytes")
      id.memory_bytes = static_cast<std::uint64_t>(s.value);
    if (s.name == "node_boot_time_seconds") id.boot_time_s = static_cast<std::int64_t>(s.value);
  }
  return id;
}

}  // namespace tt::collect
