// The small collectors of whole-host values: loadavg, pressure, entropy, uname.
#include <sys/utsname.h>

#include "collect/collectors.h"
#include "collect/files.h"
#include "collect/parsers.h"

namespace tt::collect {

void parse_loadavg(std::string_view text, Samples& out) {
  auto f = fields(text.substr(0, text.find('\n')));
  if (f.size() < 3) return;
  static constexpr std::string_view kNames[] = {"node_load1", "node_load5", "node_load15"};
  for (std::size_t i = 0; i < 3; ++i)
    if (auto v = to_double(f[i])) add(out, std::string(kNames[i]), *v);
}

void parse_pressure(std::string_view resource, std::string_view text, Samples& out) {
  if (resource != "cpu" && resource != "io" && resource != "memory") return;
  for_each_line(text, [&](std::string_view line) {
    auto f = fields(line);
    if (f.empty() || (f[0] != "some" && f[0] != "full")) return;
    if (f[0] == "full" && resource == "cpu") return;  // node_exporter 1.5 has no cpu "full"
    for (auto field : f) {
      if (!field.starts_with("total=")) continue;
      auto us = to_u64(field.substr(6));
      if (!us) return;
      auto kind = f[0] == "some" ? "_waiting_seconds_total" : "_stalled_seconds_total";
      add(out, "node_pressure_" + std::string(resource) + kind, static_cast<double>(*us) / 1e6);
    }
  });
}

void collect_loadavg(const Roots& roots, Samples& out) {
  if (auto text = read_file(join(roots.procfs, "loadavg"))) parse_loadavg(*text, out);
}

void collect_pressure(const Roots& roots, Samples& out) {
  for (std::string_view resource : {"cpu", "io", "memory"})
    if (auto text = read_file(join(roots.procfs, "pressure/" + std::string(resource))))
      parse_pressure(resource, *text, out);
}

void collect_entropy(const Roots& roots, Samples& out) {
  auto dir = join(roots.procfs, "sys/kernel/random/");
  auto bits = [&](const char* file) {
    auto text = read_value(dir + file);
    return text ? to_u64(*text) : std::nullopt;
  };
  if (auto v = bits("entropy_avail"))
    add(out, "node_entropy_available_bits", static_cast<double>(*v));
  if (auto v = bits("poolsize")) add(out, "node_entropy_pool_size_bits", static_cast<double>(*v));
}

// uname(2) describes the machine we run on, so it answers only for the real /proc; another
// procfs (a host's, mounted into a container; a fixture) is read from its sys/kernel files.
void collect_uname(const Roots& roots, Samples& out) {
  LabelSet labels;
  if (roots.procfs == "/proc") {
    utsname u{};
    if (uname(&u) != 0) return;
    labels = {{"domainname", u.domainname}, {"machine", u.machine}, {"nodename", u.nodename},
              {"release", u.release},       {"sysname", u.sysname}, {"version", u.version}};
  } else {
    auto dir = join(roots.procfs, "sys/kernel/");
    static constexpr std::pair<std::string_view, std::string_view> kFiles[] = {
        {"domainname", "domainname"}, {"machine", "arch"},   {"nodename", "hostname"},
        {"release", "osrelease"},     {"sysname", "ostype"}, {"version", "version"}};
    if (!read_value(dir + "ostype")) return;  // not a Linux procfs
    for (const auto& [label, file] : kFiles)
      labels.push_back({std::string(label), read_value(dir + std::string(file)).value_or("")});
  }
  add(out, "node_uname_info", 1, std::move(labels));
}

}  // namespace tt::collect
