// agent/ — what `telltale agent` needs beside its collectors: the disk buffer of collections not
// yet delivered (this file) and the link to the hub (agent/hub_link.h). Used by app/ only.
//
// agent/buffer.h — the agent's disk buffer: records (one collection each) wait here until the
// hub has them, through a week offline, a kill -9 and a power loss.
//
// On disk: a directory of segment files, each named by the seq of its first record (16 lowercase
// hex digits + ".seg"), holding records in the format of agent/segment.h:
// [u32 payload length][u32 crc32 of seq and payload][u64 seq][payload], little-endian, so a record
// costs its payload + 16 bytes. A segment takes records until the next would pass segment_bytes.
// Beside them, "dropped": the drop counters (below), replaced by rename.
//
// Seqs are assigned here: strictly increasing and never reused, across restarts too (the hub drops
// a seq it has seen from the same credential, so a reused one would lose data). The newest segment
// is kept even when empty or fully acknowledged, so its name bounds the next seq; after a tail was
// cut at open the next seq skips past every seq the cut bytes could have held.
//
// Durability: append() fdatasyncs the segment before it returns (one sync per append; the agent
// appends once per collection interval, 10 s by default), and the directory is synced when a
// segment is created or deleted. So an appended record survives a kill -9 and a power loss; an
// append that did not return may leave a torn record, which open() cuts.
//
// Acknowledgement lives in memory only: after a restart every record still on disk is read again
// from the oldest, acknowledged or not, and sent again; the hub drops the repeats. Segments whose
// records are all acknowledged are deleted (the newest excepted), so what comes again is at most
// the newest segment's acknowledged records.
//
// Bound: when an append would take the segments past max_bytes, the oldest whole segments are
// deleted first, acknowledged or not; their unacknowledged records count as dropped. open() counts
// what it cuts as dropped too: a torn or corrupt tail, or the rest of a segment after a corrupt
// record (each cut as one record and its bytes: a damaged record's length cannot be trusted).
// The counts are persisted in "dropped" (written to "dropped.tmp", synced, renamed, the directory
// synced) whenever they change, so drops before a restart are still reported after it.
//
// Faults: a write or sync that fails makes append() return BUFFER_FULL (no space) or BUFFER_IO,
// after truncating the segment back to its last whole record; a segment whose sync failed (its
// bytes are in doubt) or whose truncation failed takes no more records, the next append starts a
// new one. So later appends work once the disk does.
//
// Memory: the index of segments (40 bytes each: 64 segments at the defaults) and nothing of
// the records' payloads but what a read() returns; a read holds one 64 KiB block and one record
// more while it runs. Thread-safe: one mutex around everything, so a collection thread may append
// while a sender thread reads and acknowledges (a read waits for an append's sync, and the
// reverse).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/fs.h"
#include "core/result.h"

namespace tt::agent {

struct BufferOptions {
  std::string dir;                           // created when missing
  std::uint64_t max_bytes = 256ull << 20;    // all segments together
  std::uint64_t segment_bytes = 4ull << 20;  // at most 1/2 of max_bytes
};

struct Record {
  std::uint64_t seq = 0;
  std::string payload;
};

struct BufferStats {
  std::uint64_t bytes = 0;       // of the segments on disk, headers included
  std::uint64_t records = 0;     // on disk, acknowledged or not
  std::uint64_t oldest_seq = 0;  // of the records on disk; 0 when there is none
  std::uint64_t newest_seq = 0;
  std::uint64_t segments = 0;
};

// Records and bytes (payload + header) lost to the bound or to damage.
struct Dropped {
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  bool operator==(const Dropped&) const = default;
};

class Buffer {
 public:
  // Opens (creating) the directory, checks every record of every segment and cuts what is torn
  // or corrupt. Errors: BUFFER_OPTIONS, BUFFER_IO.
  static Result<std::unique_ptr<Buffer>> open(BufferOptions options, FileSystem& fs = posix_fs());

  // Stores one record and returns its seq, once synced. Errors: BUFFER_RECORD_TOO_LARGE (a payload
  // larger than segment_bytes - 16), BUFFER_FULL, BUFFER_IO; the buffer stays usable.
  Result<std::uint64_t> append(std::string_view payload);

  // The records with a seq above `after_seq`, in order: as many as fit in max_payload_bytes and
  // max_records, and at least one when there is one. Error: BUFFER_IO.
  Result<std::vector<Record>> read(std::uint64_t after_seq, std::size_t max_payload_bytes,
                                   std::size_t max_records);

  // Records up to `up_to_seq` are delivered; segments holding only those are deleted (a failure to
  // delete is logged and tried again at the next ack).
  void ack(std::uint64_t up_to_seq);

  BufferStats stats() const;
  // Every drop since the directory was created (persisted).
  Dropped dropped() const;
  // The drops not taken before (persisted), which are then taken. The caller reports them, e.g. as
  // a record of their own, so the report is as durable as the records.
  Result<Dropped> take_dropped();

  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

 private:
  struct Segment {
    std::uint64_t name = 0;       // the seq in its file name; every record's seq is >= it
    std::uint64_t first_seq = 0;  // 0 while empty
    std::uint64_t last_seq = 0;
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
  };
  struct Counters {
    Dropped total;
    Dropped untaken;
  };
  Buffer(BufferOptions options, FileSystem& fs);

  std::string path_of(std::uint64_t name) const;
  Result<void> scan();
  Result<void> load_counters();
  void remove_empty_segments();
  Result<std::uint64_t> scan_segment(Segment& segment, std::uint64_t below);
  Result<void> start_segment();
  Result<void> drop_oldest();
  Dropped unacked_in(const Segment& segment);
  void delete_acked();
  Result<void> write_record(const std::string& record);
  Result<void> save_counters();
  void count_drop(Dropped drop);

  const BufferOptions m_options;
  FileSystem& m_fs;
  mutable std::mutex m_mutex;
  std::vector<Segment> m_segments;     // by name; the last one takes appends
  std::unique_ptr<AppendFile> m_file;  // the last segment's; null when it takes no more records
  std::uint64_t m_next_seq = 1;
  std::uint64_t m_acked = 0;
  std::uint64_t m_bytes = 0;  // sum of the segments'
  Counters m_counters;
  // Where the last read() stopped, so that the next one, reading on, starts there.
  struct {
    std::uint64_t segment = 0, offset = 0, seq = 0;
  } m_cursor;
};

}  // namespace tt::agent
