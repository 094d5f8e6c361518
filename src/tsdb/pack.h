// tsdb/pack.h — how chunk and rollup blobs sit in SQLite. The blobs one writer job produces are
// concatenated into packs (rows of ~1 MiB, one tier each) so pages fill: a row per blob left
// most of its last overflow page empty. Each blob keeps an index row (chunks, rollups) naming
// its pack, offset and length; readers fetch just that slice. Equal blobs of one pack share a
// slice. Used by Store only.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "tsdb/series_index.h"

struct sqlite3_blob;

namespace tt::tsdb {

inline constexpr std::int64_t kRawTier = 0;  // the tier of chunks in packs.tier
// Chunks of heads cut early for memory: short, without rollups, merged by maintenance into
// chunks of kRawTier with their rollups (Store::merge_unmerged).
inline constexpr std::int64_t kUnmergedTier = -1;
inline bool is_chunk_tier(std::int64_t tier) { return tier == kRawTier || tier == kUnmergedTier; }

// Collects the blobs of one writer job. On the writer thread, inside its transaction; the
// packs and index rows are written by the time finish() returns (or a pack fills up).
class PackWriter {
 public:
  // seq numbers the blobs in write order (the newer wins on equal timestamps).
  PackWriter(SQLite::Database& db, std::atomic<std::int64_t>& seq);
  ~PackWriter() = default;
  PackWriter(const PackWriter&) = delete;
  PackWriter& operator=(const PackWriter&) = delete;

  // `tier` is a chunk tier or a rollup tier; [min_t, max_t] the time it covers. seq 0 takes the
  // next number; a merged chunk keeps the seq of the oldest it replaces.
  void add(std::int64_t tier, SeriesId id, TimeMs min_t, TimeMs max_t, const std::string& blob,
           std::int64_t seq = 0);
  // Writes the packs still open. Must be called before the transaction commits.
  void finish();

 private:
  struct Member {
    SeriesId id;
    TimeMs min_t, max_t;
    std::int64_t seq;
    std::size_t offset, bytes;
  };
  struct Open {
    std::int64_t tier = 0;
    std::string data;
    TimeMs max_t = INT64_MIN;
    std::vector<Member> members;
    // Where each blob's bytes are, by their hash: a blob equal to one already in the pack is
    // not stored again, its row names the same slice. Series that repeat each other (a ping of
    // one packet has equal minimum, average and maximum) are neighbours in a cut.
    std::unordered_multimap<std::size_t, std::size_t> slices;
  };
  void write(Open& pack);

  SQLite::Database& m_db;
  std::atomic<std::int64_t>& m_seq;
  std::vector<Open> m_open;  // one per tier seen
};

// Reads blob slices out of packs on one connection through one incremental-blob handle, which
// follows the overflow chain through the pointer map instead of reading every page before the
// slice. Reading series in id order stays on one pack for long: cuts pack series by id.
// Not thread-safe; lives inside one Readers::with call.
class PackReader {
 public:
  explicit PackReader(SQLite::Database& db) : m_db(db) {}
  ~PackReader();
  PackReader(const PackReader&) = delete;
  PackReader& operator=(const PackReader&) = delete;

  // The bytes of [offset, offset + bytes) of pack `pack_id`; CHUNK_CORRUPT if they are not there.
  Result<std::string> read(std::int64_t pack_id, std::int64_t offset, std::int64_t bytes);

 private:
  SQLite::Database& m_db;
  sqlite3_blob* m_blob = nullptr;
  std::int64_t m_pack_id = 0;  // the row m_blob is on
};

}  // namespace tt::tsdb
