// agent/segment.h — the record format of the agent's buffer (agent/buffer.h) and a reader of a
// segment file that holds no more than a block and one record in memory. Internal to agent/.
//
// A record, little-endian: [u32 payload length][u32 crc32 of seq and payload][u64 seq][payload].
// The crc (zlib's crc32) covers the 8 seq bytes, then the payload.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "core/fs.h"

namespace tt::agent {

inline constexpr std::size_t kRecordHeaderBytes = 16;

// The bytes of one record.
std::string encode_record(std::uint64_t seq, std::string_view payload);

// Reads the records of one segment in order, from a byte offset, through FileSystem::read_at in
// blocks. A record is good when it is whole, its crc matches and its seq lies in (after, below):
// the reader stops at the first one that is not (a torn or corrupt tail, or the end), and
// end_offset() tells where the good records end. Not thread-safe.
class SegmentReader {
 public:
  struct Bounds {
    std::uint64_t after = 0;           // every seq is greater, and greater than the last
    std::uint64_t below = UINT64_MAX;  // every seq is smaller (the next segment's name)
    // A longer length is taken as damage (the file's size will do): it is read whole.
    std::uint64_t max_payload_bytes = 0;
  };
  SegmentReader(FileSystem& fs, std::string path, std::uint64_t offset, Bounds bounds);

  // The next good record: true with `seq`, `payload` (unless null) and its offset; false at the
  // end of the good records, or with `ec` set when the file could not be read.
  bool next(std::uint64_t& seq, std::string* payload, std::error_code& ec);

  std::uint64_t record_offset() const { return m_record_offset; }  // of the last one next() gave
  std::uint64_t end_offset() const { return m_offset; }            // after the last good record
  // True when next() stopped on bytes that are not a good record, rather than at the file's end.
  bool stopped_on_bad_bytes() const { return m_bad; }

 private:
  bool fill(std::size_t need, std::error_code& ec);  // m_block holds `need` bytes from m_offset

  FileSystem& m_fs;
  std::string m_path;
  std::uint64_t m_offset;         // file offset of m_block[m_pos]
  std::uint64_t m_record_offset;  // of the last record given
  Bounds m_bounds;
  std::string m_block;
  std::size_t m_pos = 0;
  bool m_eof = false;
  bool m_bad = false;
};

}  // namespace tt::agent
