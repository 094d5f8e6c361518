// tsdb/block_file.h — where heads keep their full blocks. At each maintenance pass the encoded
// blocks of 64 samples of the heads not cut are appended to segment files in DATA/tsdb/heads/,
// and a head keeps in memory only its newest samples and the place of its newest block; each
// block names the one before it. A 1 s series' head can so grow to a whole chunk (8,192
// samples) while its memory stays a few hundred bytes, and it is cut into SQLite once, as one
// long chunk: heads cut early for memory had cost a B-tree leaf page per few hundred samples,
// twice (bench/MEMORY_RESULTS.md).
//
// Neither synced nor trusted across restarts: the append log is the durable copy, and open()
// rebuilds the heads from it. Segments take the numbers of the log's: once samples logged in
// segment s are in a head, the store calls advance(s), so a block lies in a segment at or after
// the log segment of each of its samples, and the segments before the oldest log segment a head
// still needs can go with that log segment. Blocks are written in batches (kFlushBytes): reads
// of the newest are served from memory. Not thread-safe: the store calls it under its heads'
// lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "core/fs.h"
#include "core/result.h"

namespace tt::tsdb {

// A block's place: 12 bytes, kept by each head for its newest block only.
struct BlockRef {
  std::uint32_t segment = 0, offset = 0, bytes = 0;  // bytes 0: none
  explicit operator bool() const { return bytes != 0; }
};

class BlockFile {
 public:
  static constexpr std::size_t kFlushBytes = 64u << 10;

  BlockFile(std::string dir, FileSystem& fs);
  BlockFile(const BlockFile&) = delete;
  BlockFile& operator=(const BlockFile&) = delete;

  // Creates the directory and deletes every segment in it (the heads are rebuilt from the log).
  Result<void> reset();
  // Writes from now on go to segment `segment` when it is after the current one.
  void advance(std::uint64_t segment);
  // Appends a block, chained to `prev` (the head's newest block before it). HEAD_BLOCK_IO when
  // it cannot be kept (the segment's file failed, or is full): the head keeps the block in
  // memory then.
  Result<BlockRef> write(std::string_view block, BlockRef prev);
  // The block at `ref`; `prev` is set to the one before it.
  Result<std::string> read(BlockRef ref, BlockRef& prev) const;
  // Deletes the segments numbered below `segment`, but never the current one.
  void remove_before(std::uint64_t segment);
  std::uint64_t bytes() const { return m_bytes; }  // in the segments, written or not
  std::size_t memory_bytes() const;                // the blocks not written yet

 private:
  struct Segment {
    std::unique_ptr<AppendFile> file;  // null until the first flush
    std::uint64_t written = 0;         // bytes in the file; the rest is in `pending`
    std::string pending;
    bool failed = false;  // a write failed: no more blocks here, `pending` stays for reads
  };
  void flush(std::uint64_t number, Segment& segment);
  std::string path_of(std::uint64_t segment) const;

  FileSystem& m_fs;
  std::string m_dir;
  std::map<std::uint64_t, Segment> m_segments;  // open ones; the current is the last
  std::uint64_t m_current = 0;
  std::uint64_t m_bytes = 0;
};

}  // namespace tt::tsdb
