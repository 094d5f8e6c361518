#include "tsdb/pack.h"

#include <sqlite3.h>

#include <algorithm>
#include <optional>
#include <string_view>

namespace tt::tsdb {

namespace {

// A pack is written once it holds this much: large enough that the partly filled last page of
// each pack is noise (< 0.2%), small enough to bound the writer's memory per tier.
constexpr std::size_t kPackBytes = 1u << 20;

Error missing_slice() {
  return Error::make(ErrorKind::internal, "CHUNK_CORRUPT", "a chunk's pack slice is missing");
}

}  // namespace

PackWriter::PackWriter(SQLite::Database& db, std::atomic<std::int64_t>& seq)
    : m_db(db), m_seq(seq) {}

void PackWriter::add(std::int64_t tier, SeriesId id, TimeMs min_t, TimeMs max_t,
                     const std::string& blob, std::int64_t seq) {
  auto it =
      std::find_if(m_open.begin(), m_open.end(), [&](const Open& p) { return p.tier == tier; });
  if (it == m_open.end()) {
    m_open.push_back(Open{.tier = tier});
    it = m_open.end() - 1;
  }
  Open& pack = *it;
  const std::size_t hash = std::hash<std::string_view>{}(blob);
  std::optional<std::size_t> offset;
  for (auto [slice, end] = pack.slices.equal_range(hash); slice != end && !offset; ++slice)
    if (std::string_view(pack.data).substr(slice->second, blob.size()) == blob)
      offset = slice->second;
  if (!offset) {
    offset = pack.data.size();
    pack.slices.emplace(hash, *offset);
    pack.data += blob;
  }
  pack.members.push_back(Member{id, min_t, max_t, seq != 0 ? seq : m_seq++, *offset, blob.size()});
  pack.max_t = std::max(pack.max_t, max_t);
  if (pack.data.size() >= kPackBytes) write(pack);
}

void PackWriter::finish() {
  for (auto& p : m_open) write(p);
}

void PackWriter::write(Open& pack) {
  if (pack.members.empty()) return;
  SQLite::Statement add_pack(m_db, "INSERT INTO packs(tier, max_t, data) VALUES (?, ?, ?)");
  add_pack.bind(1, pack.tier);
  add_pack.bind(2, static_cast<std::int64_t>(pack.max_t));
  add_pack.bind(3, pack.data.data(), static_cast<int>(pack.data.size()));
  add_pack.exec();
  const std::int64_t pack_id = m_db.getLastInsertRowid();
  const bool raw = is_chunk_tier(pack.tier);
  SQLite::Statement add_member(
      m_db,
      raw ? "INSERT INTO chunks(series_id, min_t, max_t, seq, pack_id, pack_offset, pack_bytes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)"
          : "INSERT INTO rollups(series_id, min_t, max_t, seq, pack_id, pack_offset, pack_bytes, "
            "tier) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& m : pack.members) {
    add_member.bind(1, m.id);
    add_member.bind(2, static_cast<std::int64_t>(m.min_t));
    add_member.bind(3, static_cast<std::int64_t>(m.max_t));
    add_member.bind(4, m.seq);
    add_member.bind(5, pack_id);
    add_member.bind(6, static_cast<std::int64_t>(m.offset));
    add_member.bind(7, static_cast<std::int64_t>(m.bytes));
    if (!raw) add_member.bind(8, pack.tier);
    add_member.exec();
    add_member.reset();
  }
  pack.data.clear();
  pack.members.clear();
  pack.slices.clear();
  pack.max_t = INT64_MIN;
}

PackReader::~PackReader() {
  if (m_blob) sqlite3_blob_close(m_blob);
}

Result<std::string> PackReader::read(std::int64_t pack_id, std::int64_t offset,
                                     std::int64_t bytes) {
  // Staying on the row keeps SQLite's list of its overflow pages: the next slice is found
  // without walking the chain again.
  if (!m_blob || pack_id != m_pack_id) {
    int rc =
        m_blob ? sqlite3_blob_reopen(m_blob, pack_id)
               : sqlite3_blob_open(m_db.getHandle(), "main", "packs", "data", pack_id, 0, &m_blob);
    if (rc != SQLITE_OK) {
      // A failed reopen leaves the handle unusable; a failed open may still return one.
      if (m_blob) sqlite3_blob_close(m_blob);
      m_blob = nullptr;
      return missing_slice();
    }
    m_pack_id = pack_id;
  }
  if (offset < 0 || bytes < 0 || bytes > INT32_MAX || offset + bytes > sqlite3_blob_bytes(m_blob))
    return missing_slice();
  std::string out(static_cast<std::size_t>(bytes), '\0');
  if (sqlite3_blob_read(m_blob, out.data(), static_cast<int>(bytes), static_cast<int>(offset)) !=
      SQLITE_OK)
    return missing_slice();
  return out;
}

}  // namespace tt::tsdb
