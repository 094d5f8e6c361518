// core/metrics.h — the process's own metrics, exposed at /metrics in the Prometheus text format.
// Counters and gauges are lock-free to update; families are registered once at start-up and live
// as long as the process. Safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tt::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(double v = 1) { add(m_value, v); }
  double value() const { return m_value.load(std::memory_order_relaxed); }

 private:
  static void add(std::atomic<double>& a, double v) {
    double cur = a.load(std::memory_order_relaxed);
    while (!a.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
    }
  }
  std::atomic<double> m_value{0};
};

class Gauge {
 public:
  void set(double v) { m_value.store(v, std::memory_order_relaxed); }
  void inc(double v = 1) {
    double cur = m_value.load(std::memory_order_relaxed);
    while (!m_value.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
    }
  }
  void dec(double v = 1) { inc(-v); }
  double value() const { return m_value.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> m_value{0};
};

// Fixed buckets (upper bounds in the family's unit, usually seconds).
class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void observe(double v);
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
    double sum;
    std::uint64_t count;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> m_bounds;
  std::unique_ptr<std::atomic<std::uint64_t>[]> m_counts;  // bounds.size() + 1
  std::atomic<double> m_sum{0};
};

enum class Type { counter, gauge, histogram };

// A metric family: one name, help text and type, and one child per label set.
class Family {
 public:
  Family(std::string name, std::string help, Type type, std::vector<double> bounds = {});
  Counter& counter(const Labels& labels = {});
  Gauge& gauge(const Labels& labels = {});
  Histogram& histogram(const Labels& labels = {});
  void render(std::string& out) const;

 private:
  struct Child {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  Child& child(const Labels& labels);

  std::string m_name, m_help;
  Type m_type;
  std::vector<double> m_bounds;
  mutable std::mutex m_mutex;
  std::map<Labels, Child> m_children;
};

class Registry {
 public:
  Family& family(const std::string& name, const std::string& help, Type type,
                 std::vector<double> bounds = {});
  // A gauge computed at scrape time (RSS, queue depth, ...). Called on the scraping thread.
  void add_collector(std::function<void(Registry&)> fn);
  std::string render();

 private:
  std::mutex m_mutex;
  std::vector<std::unique_ptr<Family>> m_families;
  std::map<std::string, Family*> m_by_name;
  std::vector<std::function<void(Registry&)>> m_collectors;
};

// The process-wide registry.
Registry& registry();

// The one metric of a family without labels in the process-wide registry; callers keep the
// reference (`static auto& c = metrics::counter(...)`), as it lives as long as the process.
Counter& counter(const std::string& name, const std::string& help);
Gauge& gauge(const std::string& name, const std::string& help);
Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> bounds);

// The gauge of one large pool of memory (telltale_memory_bytes{pool}): its owner sets it to
// what the pool holds, counted as its data structures are laid out, so a user sees where memory
// goes.
Gauge& memory_pool(const std::string& pool);

// Appends a label value escaped as the text format wants it (backslash, quote, newline).
void append_escaped_label_value(std::string& out, std::string_view value);

// Latency buckets in seconds, from 0.5 ms to 10 s.
const std::vector<double>& latency_buckets();

}  // namespace tt::metrics
