// tsdb/append_log.h — makes head samples durable before they are acknowledged, at a few bytes
// per sample: one compact record per batch appended to a segment file in DATA/tsdb/. Cut chunks
// in SQLite make old segments unnecessary; they are deleted after each full flush. Replayed at
// start. Files go through a FileSystem (core/fs.h). Not thread-safe: the store calls it from the
// writer thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/fs.h"
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

// Record payload codec, public for the fuzz target and tests. Payloads are written chained
// (deflated, each entry's first timestamp a delta from the previous entry's: 1.5 bytes a sample
// of 1,000 pings a second instead of 7 plain; the log is most of what ingest writes to disk).
// Plain ones are in logs of releases before schema 4, deflated ones (timestamps from the batch's
// base) in logs before chaining; both still replay after an upgrade.
enum class LogPayload { plain, deflated, chained };
std::string encode_log_batch(const LogBatch& batch, LogPayload format = LogPayload::chained);
Result<LogBatch> decode_log_batch(std::string_view payload,
                                  LogPayload format = LogPayload::chained);

class AppendLog {
 public:
  explicit AppendLog(std::string dir, FileSystem& fs = posix_fs());
  AppendLog(const AppendLog&) = delete;
  AppendLog& operator=(const AppendLog&) = delete;

  // Creates the directory, reads every segment in order and calls fn per batch with the segment
  // it came from. A torn record at the end of a segment (a crash mid-write) is cut off; a damaged
  // one is skipped. Called first.
  Result<std::size_t> replay(const std::function<void(const LogBatch&, std::uint64_t segment)>& fn);
  // Opens a new segment for appends, its directory entry durable; returns its number. The
  // segment it closes is not synced (sync() first). Segments before it may be removed once their
  // samples are in chunks.
  Result<std::uint64_t> rotate();
  // Appends one record, written to the OS before returning: a process kill cannot lose it, a
  // power loss can until sync(). Returns the segment it went to, or DISK_FULL / LOG_IO with
  // nothing of the record left: a failed write is cut back, and when even that fails the segment
  // is left with its torn tail (which replay drops) and the next append opens a new one.
  Result<std::uint64_t> append(const LogBatch& batch);
  // Makes the records appended so far durable. A failure leaves those since the last good sync
  // in doubt (see AppendFile::sync): the segment is closed for good, the next append opens a new
  // one, and the caller must save their samples another way.
  Result<void> sync();
  std::uint64_t current_segment() const { return m_current; }
  std::uint64_t current_segment_bytes() const { return m_current_bytes; }
  // Deletes segments numbered below `segment`.
  void remove_before(std::uint64_t segment);

 private:
  std::vector<std::uint64_t> segments() const;
  std::string path_of(std::uint64_t segment) const;

  FileSystem& m_fs;
  std::string m_dir;
  std::unique_ptr<AppendFile> m_file;  // the current segment; null until opened or after a fault
  std::uint64_t m_current = 0;
  std::uint64_t m_current_bytes = 0;
  std::uint64_t m_synced_bytes = 0;  // of the current segment
};

}  // namespace tt::tsdb
