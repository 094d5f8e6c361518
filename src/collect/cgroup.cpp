// The parsers of the cgroup v2 files the containers collector reads.
#include "collect/files.h"
#include "collect/parsers.h"

namespace tt::collect {

std::optional<std::string> parse_cgroup_v2_path(std::string_view text) {
  std::optional<std::string> path;
  for_each_line(text, [&](std::string_view line) {
    if (!path && line.starts_with("0::/")) path = std::string(line.substr(3));
  });
  return path;
}

std::optional<std::uint64_t> keyed_value(std::string_view text, std::string_view key) {
  std::optional<std::uint64_t> value;
  for_each_line(text, [&](std::string_view line) {
    auto f = fields(line);
    if (!value && f.size() == 2 && f[0] == key) value = to_u64(f[1]);
  });
  return value;
}

std::vector<IoStat> parse_io_stat(std::string_view text) {
  std::vector<IoStat> out;
  for_each_line(text, [&](std::string_view line) {
    auto f = fields(line);
    if (f.empty() || f[0].find(':') == std::string_view::npos) return;
    IoStat io{std::string(f[0])};
    for (std::size_t i = 1; i < f.size(); ++i) {
      auto eq = f[i].find('=');
      if (eq == std::string_view::npos) continue;
      auto key = f[i].substr(0, eq);
      auto v = to_u64(f[i].substr(eq + 1)).value_or(0);
      if (key == "rbytes")
        io.rbytes = v;
      else if (key == "wbytes")
        io.wbytes = v;
      else if (key == "rios")
        io.rios = v;
      else if (key == "wios")
        io.wios = v;
    }
    out.push_back(std::move(io));
  });
  return out;
}

}  // namespace tt::collect
