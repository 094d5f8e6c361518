// tsdb/append_log.h — makes head samples durable before they are acknowledged, at a few bytes
// per sample: one compact record per batch appended to a segment file in DATA/tsdb/. Cut chunks
// in SQLite make old segments unnecessary; they are deleted after each full flush. Replayed at
// start. Not thread-safe: the store calls it from the writer thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/series.h"

namespace tt::tsdb {

struct LogBatch {
  struct Entry {
    std::int64_t series_id;
    std::vector<Sample> samples;
  };
  std::vector<Entry> entries;
};

// Record payload codec, public for the fuzz target and tests. Payloads are written deflated
// (about 4 bytes a sample instead of 6.4: the log is most of what ingest writes to disk); plain
// ones are in logs of releases before schema 4 and still replay after an upgrade.
enum class LogPayload { plain, deflated };
std::string encode_log_batch(const LogBatch& batch, LogPayload format = LogPayload::deflated);
Result<LogBatch> decode_log_batch(std::string_view payload,
                                  LogPayload format = LogPayload::deflated);

class AppendLog {
 public:
  explicit AppendLog(std::string dir);
  ~AppendLog();
  AppendLog(const AppendLog&) = delete;
  AppendLog& operator=(const AppendLog&) = delete;

  // Reads every segment in order and calls fn per batch with the segment it came from. A torn
  // record at the end of a segment (a crash mid-write) is cut off; a damaged one is skipped.
  Result<std::size_t> replay(const std::function<void(const LogBatch&, std::uint64_t segment)>& fn);
  // Opens a new segment for appends; returns its number. Segments before it may be removed
  // once their samples are in chunks.
  Result<std::uint64_t> rotate();
  // Appends one record (written to the OS before returning; a process kill cannot lose it).
  // Returns the segment it went to.
  Result<std::uint64_t> append(const LogBatch& batch);
  std::uint64_t current_segment() const { return m_current; }
  std::uint64_t current_segment_bytes() const { return m_current_bytes; }
  // Deletes segments numbered below `segment`.
  void remove_before(std::uint64_t segment);

 private:
  std::vector<std::uint64_t> segments() const;
  std::string path_of(std::uint64_t segment) const;

  std::string m_dir;
  int m_fd = -1;
  std::uint64_t m_current = 0;
  std::uint64_t m_current_bytes = 0;
};

}  // namespace tt::tsdb
