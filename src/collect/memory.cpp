// The meminfo collector.
#include "collect/collectors.h"
#include "collect/files.h"
#include "collect/parsers.h"
#include "core/scan.h"

namespace tt::collect {

namespace {

// node_exporter's name for a field: "Active(anon)" → "Active_anon"; nullopt when the result
// would not be a metric name.
std::optional<std::string> field_name(std::string_view key) {
  std::string name;
  for (char c : key) {
    if (c == '(') {
      name += '_';
    } else if (c != ')') {
      if (!scan::is_ident_char(c)) return std::nullopt;
      name += c;
    }
  }
  if (name.empty()) return std::nullopt;
  return name;
}

}  // namespace

void parse_meminfo(std::string_view text, Samples& out) {
  for_each_line(text, [&](std::string_view line) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    auto name = field_name(line.substr(0, colon));
    auto f = fields(line.substr(colon + 1));
    if (!name || f.empty() || f.size() > 2) return;
    auto v = to_u64(f[0]);
    if (!v) return;
    if (f.size() == 1) return add(out, "node_memory_" + *name, static_cast<double>(*v));
    if (f[1] == "kB") add(out, "node_memory_" + *name + "_bytes", static_cast<double>(*v) * 1024);
  });
}

void collect_meminfo(const Roots& roots, Samples& out) {
  if (auto text = read_file(join(roots.procfs, "meminfo"))) parse_meminfo(*text, out);
}

}  // namespace tt::collect
