#include "core/metrics.h"

#include <cmath>
#include <cstdio>

namespace tt::metrics {

namespace {

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void render_labels(std::string& out, const Labels& labels, const char* extra_key = nullptr,
                   const std::string& extra_val = {}) {
  if (labels.empty() && !extra_key) return;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    append_escaped_label_value(out, v);
    out += '"';
  }
  if (extra_key) {
    if (!first) out += ',';
    out += extra_key;
    out += "=\"";
    out += extra_val;
    out += '"';
  }
  out += '}';
}

}  // namespace

Histogram::Histogram(const std::vector<double>& bounds)
    : m_bounds(bounds), m_counts(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (std::size_t i = 0; i <= bounds.size(); ++i) m_counts[i] = 0;
}

void Histogram::observe(double v) {
  std::size_t i = 0;
  while (i < m_bounds.size() && v > m_bounds[i]) ++i;
  m_counts[i].fetch_add(1, std::memory_order_relaxed);
  double cur = m_sum.load(std::memory_order_relaxed);
  while (!m_sum.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s{m_bounds, {}, m_sum.load(), 0};
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i <= m_bounds.size(); ++i) {
    acc += m_counts[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(acc);
  }
  s.count = acc;
  return s;
}

Family::Family(std::string name, std::string help, Type type, std::vector<double> bounds)
    : m_name(std::move(name)), m_help(std::move(help)), m_type(type), m_bounds(std::move(bounds)) {}

Family::Child& Family::child(const Labels& labels) {
  std::lock_guard lock(m_mutex);
  auto& c = m_children[labels];
  if (!c.counter && !c.gauge && !c.histogram) {
    switch (m_type) {
      case Type::counter:
        c.counter = std::make_unique<Counter>();
        break;
      case Type::gauge:
        c.gauge = std::make_unique<Gauge>();
        break;
      case Type::histogram:
        c.histogram = std::make_unique<Histogram>(m_bounds);
        break;
    }
  }
  return c;
}

Counter& Family::counter(const Labels& labels) { return *child(labels).counter; }
Gauge& Family::gauge(const Labels& labels) { return *child(labels).gauge; }
Histogram& Family::histogram(const Labels& labels) { return *child(labels).histogram; }

void Family::render(std::string& out) const {
  static constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};
  std::lock_guard lock(m_mutex);
  if (m_children.empty()) return;
  out += "# HELP " + m_name + " " + m_help + "\n";
  out += "# TYPE " + m_name + " " + kTypeNames[static_cast<int>(m_type)] + "\n";
  for (const auto& [labels, c] : m_children) {
    if (c.counter || c.gauge) {
      out += m_name;
      render_labels(out, labels);
      out += ' ';
      out += format_value(c.counter ? c.counter->value() : c.gauge->value());
      out += '\n';
      continue;
    }
    auto s = c.histogram->snapshot();
    for (std::size_t i = 0; i <= s.bounds.size(); ++i) {
      out += m_name + "_bucket";
      render_labels(out, labels, "le", i < s.bounds.size() ? format_value(s.bounds[i]) : "+Inf");
      out += ' ' + std::to_string(s.cumulative[i]) + '\n';
    }
    out += m_name + "_sum";
    render_labels(out, labels);
    out += ' ' + format_value(s.sum) + '\n';
    out += m_name + "_count";
    render_labels(out, labels);
    out += ' ' + std::to_string(s.count) + '\n';
  }
}

Family& Registry::family(const std::string& name, const std::string& help, Type type,
                         std::vector<double> bounds) {
  std::lock_guard lock(m_mutex);
  auto it = m_by_name.find(name);
  if (it != m_by_name.end()) return *it->second;
  m_families.push_back(std::make_unique<Family>(name, help, type, std::move(bounds)));
  m_by_name[name] = m_families.back().get();
  return *m_families.back();
}

void Registry::add_collector(std::function<void(Registry&)> fn) {
  std::lock_guard lock(m_mutex);
  m_collectors.push_back(std::move(fn));
}

std::string Registry::render() {
  std::vector<std::function<void(Registry&)>> collectors;
  {
    std::lock_guard lock(m_mutex);
    collectors = m_collectors;
  }
  for (auto& c : collectors) c(*this);
  std::string out;
  std::lock_guard lock(m_mutex);
  for (const auto& [name, f] : m_by_name) f->render(out);
  return out;
}

Registry& registry() {
  static Registry r;
  return r;
}

Counter& counter(const std::string& name, const std::string& help) {
  return registry().family(name, help, Type::counter).counter();
}

Gauge& gauge(const std::string& name, const std::string& help) {
  return registry().family(name, help, Type::gauge).gauge();
}

Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> bounds) {
  return registry().family(name, help, Type::histogram, std::move(bounds)).histogram();
}

Gauge& memory_pool(const std::string& pool) {
  return registry()
      .family("telltale_memory_bytes",
              "Bytes held by each large pool of memory, as its owner last counted them.",
              Type::gauge)
      .gauge({{"pool", pool}});
}

void append_escaped_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> b = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return b;
}

}  // namespace tt::metrics
