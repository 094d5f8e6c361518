// The hwmon and thermal_zone collectors: every sensor of sysfs' hwmon chips (temperatures,
// voltages, fans, power, ...), named as node_exporter 1.5 names them, and the thermal zones.
#include <algorithm>
#include <filesystem>
#include <map>

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

// A sensor file's name split as node_exporter splits it, ^([^0-9]+)([0-9]*)(_(.+))?$:
// "temp1_input" is sensor "temp1" (the number without leading zeros), element "input"; "pwm1" is
// element "". Only node_exporter's sensor types; nullopt for other files.
struct SensorFile {
  std::string type, sensor, element;
};
std::optional<SensorFile> sensor_file(std::string_view file) {
  static constexpr std::string_view kTypes[] = {
      "vrm",  "beep_enable", "update_interval", "in",     "cpu",      "fan",      "pwm",
      "temp", "curr",        "power",           "energy", "humidity", "intrusion"};
  auto digits = file.find_first_of("0123456789");
  if (digits == 0) return std::nullopt;
  SensorFile f;
  if (digits == std::string_view::npos) {  // no number: the type is the whole name
    f.type = file;
  } else {
    auto end = scan::digits_end(file, digits);
    if (end < file.size() && (file[end] != '_' || end + 1 == file.size())) return std::nullopt;
    f.type = file.substr(0, digits);
    auto n = to_u64(file.substr(digits, end - digits));
    if (!n || *n > 1'000'000) return std::nullopt;
    f.sensor = f.type + std::to_string(*n);
    if (end < file.size()) f.element = file.substr(end + 1);
  }
  if (std::find(std::begin(kTypes), std::end(kTypes), f.type) == std::end(kTypes))
    return std::nullopt;
  if (f.sensor.empty()) f.sensor = f.type + "0";
  return f;
}

// A chip's sensors: sensor → element → the file's text without its newlines.
using SensorData = std::map<std::string, std::map<std::string, std::string>>;

void read_sensors(const std::string& dir, SensorData& data) {
  for (const auto& file : list_dir(dir, "")) {
    auto f = sensor_file(file);
    if (!f) continue;
    auto text = read_file(dir + "/" + file);
    if (!text) continue;
    auto value = std::string_view(*text);
    while (value.starts_with('\n')) value.remove_prefix(1);
    while (value.ends_with('\n')) value.remove_suffix(1);
    data[f->sensor][f->element] = value;
  }
}

// One element's sample, named and scaled as node_exporter 1.5 names and scales it.
void add_element(const std::string& type, const std::string& element, bool has_bare_value, double v,
                 LabelSet labels, Samples& out) {
  std::string name = "node_hwmon_" + type;
  if (element == "input") {
    if (has_bare_value) name += "_input";  // both "fan1" and "fan1_input": keep them apart
  } else if (!element.empty()) {
    name += "_" + clean_chip_name(element);
  }
  if (element == "fault" || element == "alarm") return add(out, name, v, std::move(labels));
  if (element == "beep") return add(out, name + "_enabled", v, std::move(labels));
  struct Unit {
    std::string_view type, suffix;
    double scale;
  };
  static constexpr Unit kUnits[] = {{"in", "_volts", 1e-3},
                                    {"cpu", "_volts", 1e-3},
                                    {"temp", "_celsius", 1e-3},
                                    {"curr", "_amps", 1e-3},
                                    {"energy", "_joule_total", 1e-6}};
  for (const auto& u : kUnits)
    if (type == u.type && !(type == "temp" && element == "type"))
      return add(out, name + std::string(u.suffix), v * u.scale, std::move(labels));
  if (type == "power") {
    if (element == "accuracy") return add(out, name, v / 1e6, std::move(labels));
    if (element.starts_with("average_interval"))
      return add(out, name + "_seconds", v * 1e-3, std::move(labels));
    return add(out, name + "_watt", v / 1e6, std::move(labels));
  }
  if (type == "humidity") return add(out, name, v / 1e6, std::move(labels));
  if (type == "fan" &&
      (element == "input" || element == "min" || element == "max" || element == "target"))
    return add(out, name + "_rpm", v, std::move(labels));
  add(out, name, v, std::move(labels));
}

// One sensor's samples: its label; node_exporter's three types that are one value; else each
// element's.
void add_sensor(const std::string& chip, const std::string& sensor,
                const std::map<std::string, std::string>& elements, Samples& out) {
  LabelSet labels = {{"chip", chip}, {"sensor", sensor}};
  if (auto label = elements.find("label"); label != elements.end()) {
    auto text = trim(label->second, " \t\r");
    if (!text.empty())
      add(out, "node_hwmon_sensor_label", 1,
          {{"chip", chip}, {"label", std::string(text)}, {"sensor", sensor}});
  }
  const auto type = sensor_file(sensor)->type;
  const auto bare = elements.find("");
  const bool has_bare = bare != elements.end();
  if (type == "beep_enable")
    return add(out, "node_hwmon_beep_enabled", has_bare && bare->second == "1", labels);
  if (type == "vrm" || type == "update_interval") {
    auto v = has_bare ? to_double(bare->second) : std::nullopt;
    if (!v) return;
    if (type == "vrm") return add(out, "node_hwmon_voltage_regulator_version", *v, labels);
    return add(out, "node_hwmon_update_interval_seconds", *v * 1e-3, labels);
  }
  for (const auto& [element, text] : elements)
    if (element != "label")
      if (auto v = to_double(text)) add_element(type, element, has_bare, *v, labels, out);
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
  auto base = join(roots.sysfs, "class/hwmon");
  for (const auto& hwmon : list_dir(base, "hwmon")) {
    auto dir = base + "/" + hwmon;
    auto chip = chip_name(dir);
    if (auto name = read_value(dir + "/name"); name && !name->empty())
      add(out, "node_hwmon_chip_names", 1, {{"chip", chip}, {"chip_name", *name}});
    SensorData data;
    read_sensors(dir, data);
    read_sensors(dir + "/device", data);  // older drivers keep their files there
    for (const auto& [sensor, elements] : data) add_sensor(chip, sensor, elements, out);
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
