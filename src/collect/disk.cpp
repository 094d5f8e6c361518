// The diskstats collector.
#include <algorithm>

#include "collect/collectors.h"
#include "collect/files.h"
#include "collect/parsers.h"
#include "core/scan.h"

namespace tt::collect {

namespace {

// The columns after "major minor name" (Documentation/admin-guide/iostats.rst): the metric
// and how to reach its unit (times are in milliseconds, sectors 512 bytes whatever the
// device's). Kernels before 4.18 have the first 11, before 5.5 the first 15.
struct Field {
  std::string_view name;
  double multiply = 1, divide = 1;
};
constexpr Field kFields[] = {
    {"node_disk_reads_completed_total"},
    {"node_disk_reads_merged_total"},
    {"node_disk_read_bytes_total", 512},
    {"node_disk_read_time_seconds_total", 1, 1000},
    {"node_disk_writes_completed_total"},
    {"node_disk_writes_merged_total"},
    {"node_disk_written_bytes_total", 512},
    {"node_disk_write_time_seconds_total", 1, 1000},
    {"node_disk_io_now"},
    {"node_disk_io_time_seconds_total", 1, 1000},
    {"node_disk_io_time_weighted_seconds_total", 1, 1000},
    {"node_disk_discards_completed_total"},
    {"node_disk_discards_merged_total"},
    {"node_disk_discarded_sectors_total"},
    {"node_disk_discard_time_seconds_total", 1, 1000},
    {"node_disk_flush_requests_total"},
    {"node_disk_flush_requests_time_seconds_total", 1, 1000},
};

}  // namespace

bool disk_excluded(std::string_view d) {
  auto stem_end = d.size();
  while (stem_end > 0 && scan::is_digit(d[stem_end - 1])) --stem_end;
  if (stem_end == d.size()) return false;  // the pattern ends in \d+
  auto stem = d.substr(0, stem_end);
  if (stem == "ram" || stem == "loop" || stem == "fd") return true;
  // (h|s|v|xv)d[a-z]
  if (stem.size() >= 3 && stem[stem.size() - 2] == 'd' && stem.back() >= 'a' &&
      stem.back() <= 'z') {
    auto prefix = stem.substr(0, stem.size() - 2);
    if (prefix == "h" || prefix == "s" || prefix == "v" || prefix == "xv") return true;
  }
  // nvme\d+n\d+p
  if (!stem.starts_with("nvme") || !stem.ends_with('p')) return false;
  auto i = scan::digits_end(stem, 4);
  if (i == 4 || i >= stem.size() || stem[i] != 'n') return false;
  auto j = scan::digits_end(stem, i + 1);
  return j > i + 1 && j == stem.size() - 1;
}

void parse_diskstats(std::string_view text, Samples& out) {
  for_each_line(text, [&](std::string_view line) {
    auto f = fields(line);
    if (f.size() < 3 + 11 || !to_u64(f[0]) || !to_u64(f[1]) || disk_excluded(f[2])) return;
    std::string device(f[2]);
    for (std::size_t i = 0; i < std::size(kFields) && i + 3 < f.size(); ++i)
      if (auto v = to_u64(f[i + 3]))
        add(out, std::string(kFields[i].name),
            static_cast<double>(*v) * kFields[i].multiply / kFields[i].divide,
            {{"device", device}});
    add(out, "node_disk_info", 1,
        {{"device", device}, {"major", std::string(f[0])}, {"minor", std::string(f[1])}});
  });
}

LabelSet parse_udev_info(std::string_view text) {
  static constexpr std::pair<std::string_view, std::string_view> kProperties[] = {
      {"E:ID_MODEL=", "model"},
      {"E:ID_PATH=", "path"},
      {"E:ID_REVISION=", "revision"},
      {"E:ID_SERIAL_SHORT=", "serial"},
      {"E:ID_WWN=", "wwn"}};
  LabelSet labels;
  for_each_line(text, [&](std::string_view line) {
    for (const auto& property : kProperties) {
      auto name = property.second;
      bool seen = std::any_of(labels.begin(), labels.end(),
                              [name](const Label& l) { return l.name == name; });
      if (line.starts_with(property.first) && !seen)
        labels.push_back({std::string(name), std::string(line.substr(property.first.size()))});
    }
  });
  return labels;
}

// node_disk_info gets its model, serial, ... from udev's database when the host has one.
void collect_diskstats(const Roots& roots, Samples& out) {
  auto text = read_file(join(roots.procfs, "diskstats"));
  if (!text) return;
  auto first = out.size();
  parse_diskstats(*text, out);
  for (auto i = first; i < out.size(); ++i) {
    auto& s = out[i];
    if (s.name != "node_disk_info") continue;
    auto label = [&s](std::string_view name) {
      for (const auto& l : s.labels)
        if (l.name == name) return l.value;
      return std::string();
    };
    auto udev =
        read_file(join(roots.rootfs, "run/udev/data/b" + label("major") + ":" + label("minor")));
    if (!udev) continue;
    for (auto& l : parse_udev_info(*udev))
      if (!l.value.empty()) s.labels.push_back(std::move(l));
    sort_labels(s.labels);
  }
}

}  // namespace tt::collect
