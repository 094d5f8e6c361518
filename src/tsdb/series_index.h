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
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "query/query.h"
#include "tsdb/id_set.h"

namespace tt::tsdb {

using SeriesId = std::int64_t;

// The canonical text of a sorted label set: __name__ first, then name="value" pairs in name
// order, values escaped as in the Prometheus text format. Stable: it is stored in SQLite.
std::string canonical_labels(const LabelSet& sorted);
Result<LabelSet> parse_canonical_labels(std::string_view text);

class SeriesIndex {
 public:
  SeriesIndex() = default;
  SeriesIndex(const SeriesIndex&) = delete;  // the set's hash and equality point at this
  SeriesIndex& operator=(const SeriesIndex&) = delete;
  // Returns the id of `labels` (sorted), assigning the next id when it is new; `created` tells.
  SeriesId get_or_assign(const LabelSet& labels, bool& created);
  // The same, sharing `labels` (no copy) when the series is new.
  SeriesId get_or_assign(const PackedLabels& labels, bool& created);
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
  std::size_t memory_bytes() const;  // about

 private:
  template <class Labels>
  SeriesId get_or_assign_impl(const Labels& labels, bool& created);
  // The id of `labels` (either form, hashed by hash_labels), 0 when none. Under a lock.
  template <class Labels>
  SeriesId find(const Labels& labels, std::size_t hash) const;
  SeriesId assign(PackedLabels labels, std::size_t hash);  // under the unique lock
  void add_postings(SeriesId id, const PackedLabels& labels);

  mutable std::shared_mutex m_mutex;
  SeriesId m_next_id = 1;
  // By id (ids are dense: assigned in turn). Shared with the producers that
  // created them, so held once.
  std::vector<PackedLabels> m_labels;
  std::size_t m_count = 0;
  // Ids by their labels' hash, compared through m_labels: no copy of the labels. A LabelSet or
  // PackedLabels finds an id without being packed or copied first.
  IdSet m_ids;
  // Ascending ids per label value: 8 bytes a series and label (a std::set node took 40).
  std::map<std::string, std::map<std::string, std::vector<SeriesId>, std::less<>>, std::less<>>
      m_postings;
  std::size_t m_postings_bytes = 0, m_labels_bytes = 0;
};

}  // namespace tt::tsdb
