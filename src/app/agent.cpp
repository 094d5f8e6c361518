#include "app/agent.h"

#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "collect/collect.h"
#include "collect/identity.h"

namespace tt::app {

std::string agent_collector_names() {
  std::string names;
  for (const auto& c : collect::collectors()) {
    if (!names.empty()) names += ',';
    names += c.name;
  }
  return names;
}

namespace {

int print_identity(const collect::Roots& roots) {
  const auto id = collect::identify(roots);
  const nlohmann::json j{{"id", id.id},
                         {"hostname", id.hostname},
                         {"interface", id.interface},
                         {"mac", id.mac},
                         {"os", id.os},
                         {"kernel", id.kernel},
                         {"arch", id.arch},
                         {"cpu_model", id.cpu_model},
                         {"cores", id.cores},
                         {"memory_bytes", id.memory_bytes},
                         {"boot_time", id.boot_time_s}};
  fmt::print("{}\n", j.dump(2));
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int agent(const AgentOptions& options) {
  collect::Roots roots;
  roots.procfs = options.procfs;
  roots.sysfs = options.sysfs;
  roots.rootfs = options.rootfs;
  roots.docker_socket = options.docker_socket;
  roots.textfile_dir = options.textfile_dir;
  roots.scripts_dir = options.scripts_dir;
  if (options.once && options.identity) return print_identity(roots);
  if (!options.once || !options.print) {
    fmt::print(stderr,
               "telltale agent: only `telltale agent --once --print` and `--once --identity` are "
               "built so far; pushing to "
               "a hub (--hub, --token, the collection interval and the disk buffer) is not built "
               "yet\n");
    return 2;
  }
  std::vector<std::string> names;
  std::string_view list = options.collectors;
  while (!list.empty()) {
    auto end = list.find(',');
    auto name = list.substr(0, end);
    if (!name.empty() && !collect::find_collector(name)) {
      fmt::print(stderr, "telltale agent: unknown collector \"{}\" (known: {})\n", name,
                 agent_collector_names());
      return 2;
    }
    if (!name.empty()) names.emplace_back(name);
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
  auto text = collect::to_prometheus_text(collect::collect(roots, names));
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace tt::app
