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
// device's; milliseconds times 0.001, as node_exporter, to the last bit). Kernels before 4.18
// have the first 11, before 5.5 the first 15.
struct Field {
  std::string_view name;
  double multiply = 1;
};
constexpr Field kFields[] = {
    {"node_disk_reads_completed_total"},
    {"node_disk_reads_merged_total"},
    {"node_disk_read_bytes_total", 512},
    {"node_disk_read_time_seconds_total", 0.001},
    {"node_disk_writes_completed_total"},
    {"node_disk_writes_merged_total"},
    {"node_disk_written_bytes_total", 512},
    {"node_disk_write_time_seconds_total", 0.001},
    {"node_disk_io_now"},
    {"node_disk_io_time_seconds_total", 0.001},
    {"node_disk_io_time_weighted_seconds_total", 0.001},
    {"node_disk_discards_completed_total"},
    {"node_disk_discards_merged_total"},
    {"node_disk_discarded_sectors_total"},
    {"node_disk_discard_time_seconds_total", 0.001},
    {"node_disk_flush_requests_total"},
    {"node_disk_flush_requests_time_seconds_total", 0.001},
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
        add(out, std::string(kFields[i].name), static_cast<double>(*v) * kFields[i].multiply,
            {{"device", device}});
    add(out, "node_disk_info", 1,
        {{"device", device}, {"major", std::string(f[0])}, {"minor", std::string(f[1])}});
  });
}

UdevProperties parse_udev(std::string_view text) {
  UdevProperties properties;
  for_each_line(text, [&](std::string_view line) {
    if (!line.starts_with("E:")) return;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) return;
    auto name = line.substr(2, eq - 2);
    if (std::none_of(properties.begin(), properties.end(),
                     [name](const auto& p) { return p.first == name; }))
      properties.emplace_back(std::string(name), std::string(line.substr(eq + 1)));
  });
  return properties;
}

namespace {

std::string property(const UdevProperties& properties, std::string_view name) {
  for (const auto& [n, v] : properties)
    if (n == name) return v;
  return {};
}

// The labels of `names` (udev property, label) that udev has, as node_exporter leaves out the
// empty ones in its text.
LabelSet labels_of(const UdevProperties& properties,
                   std::initializer_list<std::pair<std::string_view, std::string_view>> names) {
  LabelSet labels;
  for (const auto& [name, label] : names)
    if (auto v = property(properties, name); !v.empty()) labels.push_back({std::string(label), v});
  return labels;
}

LabelSet info_labels(const UdevProperties& properties) {
  return labels_of(properties, {{"ID_MODEL", "model"},
                                {"ID_PATH", "path"},
                                {"ID_REVISION", "revision"},
                                {"ID_SERIAL_SHORT", "serial"},
                                {"ID_WWN", "wwn"}});
}

}  // namespace

LabelSet parse_udev_info(std::string_view text) { return info_labels(parse_udev(text)); }

void udev_samples(const UdevProperties& properties, const std::string& device, Samples& out) {
  auto with_device = [&device](LabelSet labels) {
    labels.push_back({"device", device});
    sort_labels(labels);
    return labels;
  };
  if (!property(properties, "ID_FS_TYPE").empty())
    add(out, "node_disk_filesystem_info", 1,
        with_device(labels_of(properties, {{"ID_FS_TYPE", "type"},
                                           {"ID_FS_USAGE", "usage"},
                                           {"ID_FS_UUID", "uuid"},
                                           {"ID_FS_VERSION", "version"}})));
  if (!property(properties, "DM_NAME").empty())
    add(out, "node_disk_device_mapper_info", 1,
        with_device(labels_of(properties, {{"DM_NAME", "name"},
                                           {"DM_UUID", "uuid"},
                                           {"DM_VG_NAME", "vg_name"},
                                           {"DM_LV_NAME", "lv_name"},
                                           {"DM_LV_LAYER", "lv_layer"}})));
  if (property(properties, "ID_ATA").empty()) return;
  static constexpr std::pair<std::string_view, std::string_view> kAta[] = {
      {"ID_ATA_WRITE_CACHE", "node_disk_ata_write_cache"},
      {"ID_ATA_WRITE_CACHE_ENABLED", "node_disk_ata_write_cache_enabled"},
      {"ID_ATA_ROTATION_RATE_RPM", "node_disk_ata_rotation_rate_rpm"}};
  for (const auto& [name, metric] : kAta)
    if (auto v = to_double(property(properties, name)))
      add(out, std::string(metric), *v, {{"device", device}});
}

// node_disk_info gets its model, serial, ... from udev's database when the host has one, and
// the device's filesystem, device-mapper and ATA facts come from there too.
void collect_diskstats(const Roots& roots, Samples& out) {
  auto text = read_file(join(roots.procfs, "diskstats"));
  if (!text) return;
  auto first = out.size();
  parse_diskstats(*text, out);
  Samples extra;
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
    auto properties = parse_udev(*udev);
    for (auto& l : info_labels(properties)) s.labels.push_back(std::move(l));
    sort_labels(s.labels);
    udev_samples(properties, label("device"), extra);
  }
  for (auto& s : extra) out.push_back(std::move(s));
}

}  // namespace tt::collect
