#include "app/agent.h"

#include <fmt/format.h>

#include <cstdio>
#include <vector>

#include "collect/collect.h"

namespace tt::app {

std::string agent_collector_names() {
  std::string names;
  for (const auto& c : collect::collectors()) {
    if (!names.empty()) names += ',';
    names += c.name;
  }
  return names;
}

int agent(const AgentOptions& options) {
  if (!options.once || !options.print) {
    fmt::print(stderr,
               "telltale agent: only `telltale agent --once --print` is built so far; pushing to "
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
  collect::Roots roots;
  roots.procfs = options.procfs;
  roots.sysfs = options.sysfs;
  roots.rootfs = options.rootfs;
  auto text = collect::to_prometheus_text(collect::collect(roots, names));
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace tt::app
