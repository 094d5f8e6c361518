// The hwmon and thermal_zone collectors: temperatures from sysfs.
#include <filesystem>

#include "collect/collectors.h"
#include "collect/files.h"
#include "collect/parsers.h"
#include "core/scan.h"
#include "core/text.h"

namespace tt::collect {

namespace {

// node_exporter's chip name: "<bus>_<device>" of the device the hwmon belongs to (stable across
// boots, unlike hwmonN: platform_coretemp_0, thermal_thermal_zone0), else its name file, else
// hwmonN.
std::string chip_name(const std::string& dir) {
  std::error_code ec;
  auto device = std::filesystem::canonical(dir + "/device", ec);
  if (!ec) {
    auto name = clean_chip_name(device.filename().string());
    auto bus = clean_chip_name(device.parent_path().filename().string());
    if (!bus.empty() && !name.empty()) return bus + "_" + name;
    if (!name.empty()) return name;
  }
  if (auto name = read_value(dir + "/name")) {
    auto clean = clean_chip_name(*name);
    if (!clean.empty()) return clean;
  }
  return clean_chip_name(std::filesystem::path(dir).filename().string());
}

// "temp<N>_input" → "temp<N>"; empty for other files.
std::string_view temp_sensor(std::string_view file, std::string_view suffix) {
  if (!file.starts_with("temp") || !file.ends_with(suffix)) return {};
  auto sensor = file.substr(0, file.size() - suffix.size());
  if (sensor.size() == 4 || scan::digits_end(sensor, 4) != sensor.size()) return {};
  return sensor;
}

}  // namespace

std::optional<double> parse_milli(std::string_view text) {
  while (!text.empty() && scan::is_space(text.back())) text.remove_suffix(1);
  bool negative = text.starts_with('-');
  auto v = to_u64(negative ? text.substr(1) : text);
  if (!v) return std::nullopt;
  return (negative ? -1.0 : 1.0) * static_cast<double>(*v) / 1000;
}

std::string clean_chip_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    c = ascii_lower(c);
    bool ok = (c >= 'a' && c <= 'z') || scan::is_digit(c) || c == ':' || c == '_';
    out += ok ? c : '_';
  }
  auto first = out.find_first_not_of('_');
  if (first == std::string::npos) return {};
  return out.substr(first, out.find_last_not_of('_') - first + 1);
}

void collect_hwmon(const Roots& roots, Samples& out) {
  static constexpr std::pair<std::string_view, std::string_view> kTemps[] = {
      {"_input", "node_hwmon_temp_celsius"},
      {"_max", "node_hwmon_temp_max_celsius"},
      {"_crit", "node_hwmon_temp_crit_celsius"}};
  auto base = join(roots.sysfs, "class/hwmon");
  for (const auto& hwmon : list_dir(base, "hwmon")) {
    auto dir = base + "/" + hwmon;
    auto chip = chip_name(dir);
    if (auto name = read_value(dir + "/name"); name && !name->empty())
      add(out, "node_hwmon_chip_names", 1, {{"chip", chip}, {"chip_name", *name}});
    for (const auto& file : list_dir(dir, "temp")) {
      if (auto sensor = temp_sensor(file, "_label"); !sensor.empty()) {
        if (auto label = read_value(dir + "/" + file); label && !label->empty())
          add(out, "node_hwmon_sensor_label", 1,
              {{"chip", chip}, {"label", *label}, {"sensor", std::string(sensor)}});
        continue;
      }
      for (const auto& [suffix, metric] : kTemps) {
        auto sensor = temp_sensor(file, suffix);
        if (sensor.empty()) continue;
        auto text = read_file(dir + "/" + file);
        if (auto v = text ? parse_milli(*text) : std::nullopt)
          add(out, std::string(metric), *v, {{"chip", chip}, {"sensor", std::string(sensor)}});
      }
    }
  }
}

void collect_thermal_zone(const Roots& roots, Samples& out) {
  auto base = join(roots.sysfs, "class/thermal");
  for (const auto& zone : list_dir(base, "thermal_zone")) {
    auto type = read_value(base + "/" + zone + "/type");
    auto text = read_file(base + "/" + zone + "/temp");
    auto v = text ? parse_milli(*text) : std::nullopt;
    if (!type || !v) continue;
    add(out, "node_thermal_zone_temp", *v,
        {{"type", *type}, {"zone", zone.substr(std::string_view("thermal_zone").size())}});
  }
}

}  // namespace tt::collect
