#include "tsdb/block_file.h"

#include <cstdio>
#include <cstring>

#include "core/log.h"
#include "tsdb/bitstream.h"

namespace tt::tsdb {

namespace {

// A record: the previous block's ref (segment, offset, bytes: three little-endian u32), then
// the block. A ref's `bytes` counts the whole record.
constexpr std::size_t kHeaderBytes = 12;

using detail::get_u32le;
using detail::put_u32le;

Error io_error(const std::string& what) {
  return Error::make(ErrorKind::unavailable, "HEAD_BLOCK_IO", what);
}

}  // namespace

BlockFile::BlockFile(std::string dir, FileSystem& fs) : m_fs(fs), m_dir(std::move(dir)) {}

std::string BlockFile::path_of(std::uint64_t segment) const {
  char name[32];
  std::snprintf(name, sizeof name, "/%010llu.blocks", static_cast<unsigned long long>(segment));
  return m_dir + name;
}

Result<void> BlockFile::reset() {
  m_segments.clear();
  m_bytes = 0;
  if (auto ec = m_fs.create_dirs(m_dir))
    return io_error("cannot create " + m_dir + ": " + ec.message());
  std::vector<std::string> names;
  if (auto ec = m_fs.list(m_dir, names))
    return io_error("cannot list " + m_dir + ": " + ec.message());
  for (const auto& name : names)
    if (name.ends_with(".blocks"))
      if (auto ec = m_fs.remove(m_dir + "/" + name))
        log::warn("tsdb: cannot remove {}/{}: {}", m_dir, name, ec.message());
  return {};
}

void BlockFile::advance(std::uint64_t segment) {
  if (segment <= m_current) return;
  if (auto it = m_segments.find(m_current); it != m_segments.end()) flush(it->first, it->second);
  m_current = segment;
}

Result<BlockRef> BlockFile::write(std::string_view block, BlockRef prev) {
  Segment& s = m_segments[m_current];
  const std::uint64_t at = s.written + s.pending.size();
  const std::uint64_t bytes = kHeaderBytes + block.size();
  // Refs hold 32-bit numbers: the log starts a new segment every 16 MiB, so neither limit is
  // reached in practice; past them a head keeps its blocks in memory.
  if (s.failed || m_current > UINT32_MAX || at + bytes > UINT32_MAX)
    return io_error("the head block file " + path_of(m_current) + " takes no more blocks");
  put_u32le(s.pending, prev.segment);
  put_u32le(s.pending, prev.offset);
  put_u32le(s.pending, prev.bytes);
  s.pending.append(block);
  m_bytes += bytes;
  if (s.pending.size() >= kFlushBytes) flush(m_current, s);
  return BlockRef{static_cast<std::uint32_t>(m_current), static_cast<std::uint32_t>(at),
                  static_cast<std::uint32_t>(bytes)};
}

void BlockFile::flush(std::uint64_t number, Segment& s) {
  if (s.failed || s.pending.empty()) return;
  std::error_code ec;
  if (!s.file) s.file = m_fs.open_append(path_of(number), ec);
  std::size_t done = 0;
  while (s.file && done < s.pending.size()) {
    const std::size_t n = s.file->write(std::string_view(s.pending).substr(done), ec);
    if (n == 0) break;
    done += n;
  }
  if (done == s.pending.size()) {
    s.written += done;
    s.pending.clear();
    // A pending buffer grown to its limit would otherwise stay allocated in every segment.
    if (s.pending.capacity() > 2 * kFlushBytes) std::string().swap(s.pending);
    return;
  }
  // The blocks stay readable from `pending`; new ones stay in their heads until the next
  // segment. What reached the file is cut back, so file offsets keep matching refs.
  log::warn("tsdb: cannot write the head block file {}: {}; heads keep new blocks in memory",
            path_of(number), ec.message());
  s.failed = true;
  if (s.file && done > 0) (void)s.file->truncate(s.written);
}

Result<std::string> BlockFile::read(BlockRef ref, BlockRef& prev) const {
  auto it = m_segments.find(ref.segment);
  if (!ref || ref.bytes < kHeaderBytes || it == m_segments.end())
    return io_error("a head block ref points nowhere (" + std::to_string(ref.segment) + ":" +
                    std::to_string(ref.offset) + ")");
  const Segment& s = it->second;
  std::string record;
  if (ref.offset >= s.written) {
    const std::size_t from = ref.offset - s.written;
    if (from + ref.bytes > s.pending.size())
      return io_error("a head block ref points past " + path_of(ref.segment));
    record.assign(s.pending, from, ref.bytes);
  } else if (!s.file) {
    return io_error("the head block file " + path_of(ref.segment) + " is not open");
  } else if (auto ec = s.file->read_at(ref.offset, ref.bytes, record)) {
    return io_error("cannot read " + path_of(ref.segment) + ": " + ec.message());
  } else if (record.size() != ref.bytes) {
    return io_error(path_of(ref.segment) + " is shorter than its blocks");
  }
  prev = {get_u32le(record.data()), get_u32le(record.data() + 4), get_u32le(record.data() + 8)};
  record.erase(0, kHeaderBytes);
  return record;
}

void BlockFile::remove_before(std::uint64_t segment) {
  for (auto it = m_segments.begin(); it != m_segments.end() && it->first < segment;) {
    if (it->first == m_current) break;
    const std::uint64_t number = it->first;
    m_bytes -= it->second.written + it->second.pending.size();
    const bool on_disk = it->second.file != nullptr;
    it = m_segments.erase(it);  // closes its file
    if (on_disk)
      if (auto ec = m_fs.remove(path_of(number)))
        log::warn("tsdb: cannot remove {}: {}", path_of(number), ec.message());
  }
}

std::size_t BlockFile::memory_bytes() const {
  std::size_t n = 0;
  for (const auto& [number, s] : m_segments) n += sizeof(s) + s.pending.capacity();
  return n;
}

}  // namespace tt::tsdb
