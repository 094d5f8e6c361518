#include "agent/segment.h"

#include <zlib.h>

#include <algorithm>

namespace tt::agent {

namespace {

constexpr std::size_t kBlockBytes = 64 * 1024;

void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::uint64_t get_le(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// crc32 of the seq's 8 bytes, then the payload.
std::uint32_t record_crc(const char* seq_bytes, std::string_view payload) {
  uLong crc = crc32(0, reinterpret_cast<const Bytef*>(seq_bytes), 8);
  crc =
      crc32(crc, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size()));
  return static_cast<std::uint32_t>(crc);
}

}  // namespace

std::string encode_record(std::uint64_t seq, std::string_view payload) {
  std::string seq_bytes;
  put_le(seq_bytes, seq, 8);
  std::string out;
  out.reserve(kRecordHeaderBytes + payload.size());
  put_le(out, payload.size(), 4);
  put_le(out, record_crc(seq_bytes.data(), payload), 4);
  out += seq_bytes;
  out.append(payload);
  return out;
}

SegmentReader::SegmentReader(FileSystem& fs, std::string path, std::uint64_t offset, Bounds bounds)
    : m_fs(fs),
      m_path(std::move(path)),
      m_offset(offset),
      m_record_offset(offset),
      m_bounds(bounds) {}

bool SegmentReader::fill(std::size_t need, std::error_code& ec) {
  const std::size_t have = m_block.size() - m_pos;
  if (have >= need) return true;
  if (m_eof) return false;
  m_block.erase(0, m_pos);
  m_pos = 0;
  const std::size_t want = std::max(kBlockBytes, need - have);
  if ((ec = m_fs.read_at(m_path, m_offset + have, want, m_block))) return false;
  if (m_block.size() - have < want) m_eof = true;
  return m_block.size() >= need;
}

bool SegmentReader::next(std::uint64_t& seq, std::string* payload, std::error_code& ec) {
  if (m_bad) return false;
  if (!fill(kRecordHeaderBytes, ec)) {
    m_bad = !ec && m_pos < m_block.size();  // part of a header: a torn write
    return false;
  }
  const char* head = m_block.data() + m_pos;
  const std::uint64_t length = get_le(head, 4);
  const auto crc = static_cast<std::uint32_t>(get_le(head + 4, 4));
  seq = get_le(head + 8, 8);
  if (length > m_bounds.max_payload_bytes || seq <= m_bounds.after || seq >= m_bounds.below) {
    m_bad = true;
    return false;
  }
  const std::size_t size = kRecordHeaderBytes + static_cast<std::size_t>(length);
  if (!fill(size, ec)) {
    m_bad = !ec;
    return false;
  }
  head = m_block.data() + m_pos;  // fill may have moved the block
  const std::string_view body(head + kRecordHeaderBytes, static_cast<std::size_t>(length));
  if (record_crc(head + 8, body) != crc) {
    m_bad = true;
    return false;
  }
  if (payload) payload->assign(body);
  m_record_offset = m_offset;
  m_pos += size;
  m_offset += size;
  m_bounds.after = seq;
  return true;
}

}  // namespace tt::agent
