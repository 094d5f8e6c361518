#include "collect/collect.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "collect/collectors.h"
#include "core/metrics.h"

namespace tt::collect {

namespace {

constexpr Collector kCollectors[] = {
    {"cpu", collect_cpu},
    {"loadavg", collect_loadavg},
    {"meminfo", collect_meminfo},
    {"filesystem", collect_filesystem},
    {"diskstats", collect_diskstats},
    {"netdev", collect_netdev},
    {"hwmon", collect_hwmon},
    {"thermal_zone", collect_thermal_zone},
    {"uname", collect_uname},
    {"time", collect_time},
    {"pressure", collect_pressure},
    {"entropy", collect_entropy},
    {"systemd", collect_systemd},
    {"containers", collect_container_engine},
    {"textfile", collect_textfile},
    {"scripts", collect_scripts},
};

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
  }
}

}  // namespace

void add(Samples& out, std::string name, double value, LabelSet labels) {
  std::erase_if(labels, [](const Label& l) { return l.value.empty(); });
  sort_labels(labels);
  out.push_back({std::move(name), std::move(labels), value});
}

std::span<const Collector> collectors() { return kCollectors; }

const Collector* find_collector(std::string_view name) {
  for (const auto& c : kCollectors)
    if (c.name == name) return &c;
  return nullptr;
}

Samples collect(const Roots& roots, std::span<const std::string> names) {
  Samples out;
  for (const auto& c : kCollectors)
    if (names.empty() || std::find(names.begin(), names.end(), c.name) != names.end())
      c.collect(roots, out);
  return out;
}

std::string to_prometheus_text(Samples samples) {
  std::stable_sort(samples.begin(), samples.end(),
                   [](const Sample& a, const Sample& b) { return a.name < b.name; });
  std::string out;
  const std::string* family = nullptr;
  for (const auto& s : samples) {
    if (!family || *family != s.name) {
      family = &s.name;
      out += "# TYPE " + s.name + (s.name.ends_with("_total") ? " counter\n" : " gauge\n");
    }
    out += s.name;
    if (!s.labels.empty()) {
      out += '{';
      for (std::size_t i = 0; i < s.labels.size(); ++i) {
        if (i) out += ',';
        out += s.labels[i].name + "=\"";
        metrics::append_escaped_label_value(out, s.labels[i].value);
        out += '"';
      }
      out += '}';
    }
    out += ' ';
    append_value(out, s.value);
    out += '\n';
  }
  return out;
}

}  // namespace tt::collect
