// fleet/seqs.h — the seqs of one ingest stream that are committed, so that each batch is stored
// once whatever order it comes in. An agent sends its newest collection ahead of a long backlog
// (live data is not starved by a replay), so seqs arrive out of order.
//
// Kept as a floor (every seq up to it is committed or will never come) and the committed ranges
// above it, ascending, apart and not touching the floor: an in-order sender keeps no range, an
// agent replaying a backlog one or two. A sender raises the floor itself ("from": it holds
// nothing unacknowledged below), which closes the gaps it will never fill (records its buffer
// dropped, seqs a restart skipped). A sender that never says so and leaves gaps (a script that
// skips seqs) would grow the ranges: past kMaxRanges the lowest gap is closed, as it is for an
// in-order sender, for whom everything below its newest seq is done anyway.
//
// Stored as text beside the floor: "5-9,12-12" (at most kMaxRanges ranges, ~40 bytes each).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tt::fleet {

class SeqSet {
 public:
  static constexpr std::size_t kMaxRanges = 64;

  SeqSet() = default;
  explicit SeqSet(std::uint64_t floor) : m_floor(floor) {}
  // The stored form; nullopt when `ranges` is not one (the caller keeps the floor alone: a
  // batch of the lost ranges may then be stored again, which the store's one value per
  // timestamp keeps harmless).
  static std::optional<SeqSet> parse(std::uint64_t floor, std::string_view ranges);

  bool contains(std::uint64_t seq) const;
  // Adds a seq that is not contained.
  void add(std::uint64_t seq);
  // Every seq up to `floor` is done.
  void raise_floor(std::uint64_t floor);

  std::uint64_t floor() const { return m_floor; }
  std::string ranges() const;  // the stored form
  std::size_t range_count() const { return m_ranges.size(); }

 private:
  void settle();  // merges the ranges into the floor and bounds them

  std::uint64_t m_floor = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> m_ranges;  // [first, last]
};

}  // namespace tt::fleet
