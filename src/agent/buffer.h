// agent/ — what `telltale agent` needs beside its collectors: the disk buffer of collections not
// yet delivered (this file) and the link to the hub (client/link.h). Used by app/ only.
//
// agent/buffer.h — the agent's disk buffer: records (one collection each) wait here until the
// hub has them, through a week offline, a kill -9 and a power loss.
//
// On disk: a directory of segment files, each named by the seq of its first record (16 lowercase
// hex digits + ".seg"), holding records in the format of agent/segment.h:
// [u32 payload length][u32 crc32 of seq and payload][u64 seq][payload], little-endian, so a record
// costs its payload + 16 bytes. A segment takes records until the next would pass segment_bytes.
// Beside them, "dropped": the drop counters (below), and "seq-reserve" (Durability, below), each
// replaced by rename.
//
// Seqs are assigned here: strictly increasing and never reused, across restarts too (the hub drops
// a seq it has seen from the same credential, so a reused one would lose data). The newest segment
// is kept even when empty or fully acknowledged, so its name bounds the next seq; after a tail was
// cut at open the next seq skips past every seq the cut bytes could have held.
//
// Durability (BufferOptions::sync_delay). The page cache outlives the process, so a record
// survives a kill -9 once append() returned, synced or not; only a power loss (or a kernel crash)
// takes what is not synced. With sync_delay 0, append() fdatasyncs the segment before it returns.
// Otherwise syncs are deferred: a record the hub has not acknowledged is synced at most
// sync_delay after its append, by sync_due() (the caller wakes for it: sync_wait()), with every
// record before it in one fdatasync; a record acknowledged before then is never synced (the hub
// has it). Leaving a segment for a new one syncs what it holds, and so does the destructor (a
// clean stop). So a power loss takes at most the undelivered records of the last sync_delay, and
// what it takes is whole records at a segment's end: a torn one is cut at open (below). An agent
// in touch with its hub never syncs a record, which on an SD card saves a page and a journal
// commit a collection. The directory is synced when a segment is created or deleted.
//
// Seqs under deferred syncs: records a power loss took had seqs that the hub may already have,
// and a restart that gave them again would see the new records dropped as repeats. So seqs are
// reserved ahead on disk, kSeqReserve at a time, in "seq-reserve" (the first seq not reserved,
// replaced by rename, synced), and open() starts at or past it. A restart skips the rest of the
// reservation; seqs need only increase.
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
// new one. So later appends work once the disk does. A deferred sync that fails (sync_due()
// returns BUFFER_IO) ends its segment the same way; its records stay to be sent (the page cache
// holds them) but may not survive a power loss.
//
// Memory: the index of segments (40 bytes each: 64 segments at the defaults) and nothing of
// the records' payloads but what a read() returns; a read holds one 64 KiB block and one record
// more while it runs. Thread-safe: one mutex around everything, so a collection thread may append
// while a sender thread reads and acknowledges (a read waits for an append's sync, and the
// reverse).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/fs.h"
#include "core/result.h"

namespace tt::agent {

struct BufferOptions {
  std::string dir;                           // created when missing
  std::uint64_t max_bytes = 256ull << 20;    // all segments together
  std::uint64_t segment_bytes = 4ull << 20;  // at most 1/2 of max_bytes
  // The longest a record the hub has not acknowledged waits for its fdatasync; 0: append()
  // syncs before it returns (see Durability above).
  std::chrono::milliseconds sync_delay{0};
};

// Seqs reserved on disk at a time when syncs are deferred (Durability above).
inline constexpr std::uint64_t kSeqReserve = 4096;

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
  // or corrupt. `clock` times deferred syncs (its mono_ms). Errors: BUFFER_OPTIONS, BUFFER_IO.
  static Result<std::unique_ptr<Buffer>> open(BufferOptions options, FileSystem& fs = posix_fs(),
                                              const Clock& clock = SystemClock::instance());

  // Stores one record and returns its seq, once written (and synced when sync_delay is 0).
  // Errors: BUFFER_RECORD_TOO_LARGE (a payload larger than segment_bytes - 16), BUFFER_FULL,
  // BUFFER_IO; the buffer stays usable.
  Result<std::uint64_t> append(std::string_view payload);

  // Deferred syncs: how long until the records waiting for their sync are due (zero: they are),
  // or nullopt when none waits (every record is synced or acknowledged).
  std::optional<std::chrono::milliseconds> sync_wait() const;
  // Syncs the records waiting for it once they are due. Error: BUFFER_IO (the segment takes no
  // more records; see Faults above).
  Result<void> sync_due();

  // The records with a seq above `after_seq`, in order: as many as fit in max_payload_bytes and
  // max_records, and at least one when there is one. Error: BUFFER_IO.
  Result<std::vector<Record>> read(std::uint64_t after_seq, std::size_t max_payload_bytes,
                                   std::size_t max_records);

  // Records up to `up_to_seq` are delivered, and need no sync; segments holding only those are
  // deleted (a failure to delete is logged and tried again at the next ack).
  void ack(std::uint64_t up_to_seq);

  BufferStats stats() const;
  // Every drop since the directory was created (persisted).
  Dropped dropped() const;
  // The drops not taken before (persisted), which are then taken. The caller reports them, e.g. as
  // a record of their own, so the report is as durable as the records.
  Result<Dropped> take_dropped();

  // Syncs what waits for it (a failure is logged).
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
  Buffer(BufferOptions options, FileSystem& fs, const Clock& clock);

  std::string path_of(std::uint64_t name) const;
  Result<void> scan();
  Result<void> load_counters();
  Result<void> load_reservation();
  Result<void> reserve_seqs();
  void remove_empty_segments();
  Result<std::uint64_t> scan_segment(Segment& segment, std::uint64_t below);
  Result<void> start_segment();
  Result<void> drop_oldest();
  Dropped unacked_in(const Segment& segment);
  void delete_acked();
  Result<void> write_record(const std::string& record);
  Result<void> sync_waiting();
  void close_file();
  Result<void> save_counters();
  Result<void> replace_file(const char* name, const std::string& text);
  void count_drop(Dropped drop);

  const BufferOptions m_options;
  FileSystem& m_fs;
  mutable std::mutex m_mutex;
  std::vector<Segment> m_segments;     // by name; the last one takes appends
  std::unique_ptr<AppendFile> m_file;  // the last segment's; null when it takes no more records
  const Clock& m_clock;
  std::uint64_t m_next_seq = 1;
  std::uint64_t m_seq_limit = 0;  // seqs below it are reserved on disk (deferred syncs)
  std::uint64_t m_acked = 0;
  std::uint64_t m_bytes = 0;  // sum of the segments'
  Counters m_counters;
  // Deferred syncs: the mono_ms of the first append since the last sync, while a record of
  // m_file up to m_unsynced_seq is neither synced nor acknowledged.
  std::optional<std::int64_t> m_unsynced_since_ms;
  std::uint64_t m_unsynced_seq = 0;
  // Where the last read() stopped, so that the next one, reading on, starts there.
  struct {
    std::uint64_t segment = 0, offset = 0, seq = 0;
  } m_cursor;
};

}  // namespace tt::agent
