// tsdb/series_index.h — every known series in memory: id by label set, label set by id, and an
// inverted index (label name → value → ids) that selects series for a query without touching
// SQLite. Thread-safe (shared lock for readers).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "query/query.h"

namespace tt::tsdb {

using SeriesId = std::int64_t;

// The canonical text of a sorted label set: __name__ first, then name="value" pairs in name
// order, values escaped as in the Prometheus text format. Stable: it is stored in SQLite.
std::string canonical_labels(const LabelSet& sorted);
Result<LabelSet> parse_canonical_labels(std::string_view text);

class SeriesIndex {
 public:
  // Returns the id of `labels` (sorted), assigning the next id when it is new; `created` tells.
  SeriesId get_or_assign(const LabelSet& labels, bool& created);
  // The same, keeping `labels` itself (no copy) when the series is new.
  SeriesId get_or_assign(const std::shared_ptr<const LabelSet>& labels, bool& created);
  // Adds a series loaded from the database.
  void restore(SeriesId id, LabelSet labels);
  // Never assigns `id` or below: the append log may name ids no committed row has (a crash
  // between a new series' log record and its commit), and a new series must not inherit them.
  void reserve_through(SeriesId id);
  std::optional<LabelSet> labels_of(SeriesId id) const;
  // Ids of the series every matcher accepts, ascending.
  std::vector<SeriesId> select(const std::vector<query::Matcher>& matchers) const;
  std::vector<std::string> label_names() const;
  std::vector<std::string> label_values(const std::string& name) const;
  std::size_t size() const;

 private:
  // Looks label sets up by value without building their canonical text: appends ask for every
  // sample's series, so this lookup is on ingest's hot path.
  struct LabelSetHash {
    std::size_t operator()(const LabelSet* ls) const;
  };
  struct LabelSetEqual {
    bool operator()(const LabelSet* a, const LabelSet* b) const { return *a == *b; }
  };

  SeriesId assign(std::shared_ptr<const LabelSet> labels);  // under the unique lock

  mutable std::shared_mutex m_mutex;
  SeriesId m_next_id = 1;
  // Shared with the SeriesRefs of the producers that created them, so held once.
  std::unordered_map<SeriesId, std::shared_ptr<const LabelSet>> m_labels;
  // Keys point at m_labels' label sets: each label set is held once.
  std::unordered_map<const LabelSet*, SeriesId, LabelSetHash, LabelSetEqual> m_by_labels;
  // Ascending ids per label value: 8 bytes a series and label (a std::set node took 40).
  std::map<std::string, std::map<std::string, std::vector<SeriesId>>> m_postings;
};

}  // namespace tt::tsdb
