// core/series.h — the time-series vocabulary shared by ingestion, storage and queries: the
// Prometheus data model. A series is identified by its label set, which includes the metric
// name as the label "__name__"; a sample is a millisecond timestamp and a float64.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace tt {

struct Label {
  std::string name;
  std::string value;
  bool operator==(const Label&) const = default;
  auto operator<=>(const Label&) const = default;
};

// Sorted by name, names unique, no empty values (an empty value means "label absent").
using LabelSet = std::vector<Label>;

inline constexpr std::string_view kMetricNameLabel = "__name__";

struct Sample {
  TimeMs t = 0;
  double v = 0;
};

// Binary searches by time over samples in ascending order: the first at or after t, and the
// first after t (std::lower_bound and std::upper_bound by Sample::t).
template <class It>
It first_at_or_after(It begin, It end, TimeMs t) {
  return std::lower_bound(begin, end, t, [](const Sample& s, TimeMs x) { return s.t < x; });
}
template <class It>
It first_after(It begin, It end, TimeMs t) {
  return std::upper_bound(begin, end, t, [](TimeMs x, const Sample& s) { return x < s.t; });
}

// Samples of one series, as ingestion produces them and the store takes them.
struct SeriesSamples {
  LabelSet labels;
  std::vector<Sample> samples;
};

// A sorted label set packed into one shared allocation: what the series index and producers
// hold for each series. A LabelSet costs 64 bytes a label, plus a heap block for each string
// past 15 bytes; packed, a label costs its text and two length bytes, which took a series in
// memory from about 1 KiB to a few hundred bytes. Copies share the bytes.
//
// The allocation also holds the series' id in the store once it is known: a producer that
// appends to a series again and again (a check's probe_up) keeps its labels, and the store
// reads the id there instead of hashing them. Used with one store per process. (A separate
// shared object for the id took 48 bytes a series more.)
class PackedLabels {
 public:
  PackedLabels() = default;
  explicit PackedLabels(const LabelSet& sorted);
  LabelSet unpack() const;
  bool empty() const { return !m_data; }
  // Calls f(name, value) for each label, in order.
  template <class F>
  void for_each(F&& f) const {
    std::string_view rest = bytes();
    while (!rest.empty()) {
      auto name = take(rest);
      auto value = take(rest);
      f(name, value);
    }
  }
  std::string_view value_of(std::string_view name) const;  // "" when absent
  bool equals(const LabelSet& sorted) const;
  bool operator==(const PackedLabels& o) const { return bytes() == o.bytes(); }
  std::size_t memory_bytes() const;  // of the shared allocation
  // The store's id of the series, 0 until cache_id(). Any thread; on an empty set, 0.
  std::int64_t cached_id() const;
  void cache_id(std::int64_t id) const;

 private:
  std::string_view bytes() const;
  static std::string_view take(std::string_view& rest);  // a length-prefixed string
  // Words: the cached id, then a uint32 size and per label: the name's length (varint), name,
  // the value's, value.
  std::shared_ptr<std::uint64_t[]> m_data;
};

// One hash for both forms, so either finds a series in the index.
std::size_t hash_labels(const LabelSet& sorted);
std::size_t hash_labels(const PackedLabels& labels);

// A sample of a series a producer appends to again and again: its labels are built once, shared
// by its samples and with the store's index, which caches the series' id in them.
struct RefSample {
  PackedLabels series;
  Sample sample;
};

// Sorts by name; callers that may hold duplicates must check with has_duplicate_names().
inline void sort_labels(LabelSet& ls) {
  std::sort(ls.begin(), ls.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
}

inline bool has_duplicate_names(const LabelSet& sorted) {
  for (std::size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i].name == sorted[i - 1].name) return true;
  return false;
}

inline std::string_view metric_name(const LabelSet& ls) {
  for (const auto& l : ls)
    if (l.name == kMetricNameLabel) return l.value;
  return {};
}

// Prometheus naming rules: metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names
// [a-zA-Z_][a-zA-Z0-9_]* (names starting with "__" are reserved for internal use).
inline bool valid_metric_name(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

inline bool valid_label_name(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace tt
