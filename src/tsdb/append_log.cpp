#include "tsdb/append_log.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>

#include "core/log.h"
#include "core/varint.h"
#include "db/disk_health.h"
#include "tsdb/bitstream.h"

namespace tt::tsdb {

namespace {

constexpr std::uint32_t kMaxRecordBytes = 64u << 20;  // also the bound of an inflated payload
// Set in a record's length word (lengths stay below 2^26): the payload is deflated, and with
// the second flag its entries' timestamps are chained (LogPayload::chained).
constexpr std::uint32_t kDeflatedFlag = 0x80000000u;
constexpr std::uint32_t kChainedFlag = 0x40000000u;
constexpr std::size_t kMaxEntries = 1u << 22;
constexpr int kMaxScale = 9;
constexpr unsigned char kRawValue = 0xff;
constexpr double kPow10[kMaxScale + 1] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

using detail::get_u32le;
using detail::put_u32le;

Error corrupt(const char* what) { return Error::make(ErrorKind::internal, "LOG_CORRUPT", what); }

// A failed write or create, reported to the disk's health: DISK_FULL (unavailable, as SQLite's
// SQLITE_FULL is) for ENOSPC, else LOG_IO.
// Both are 503s: the samples were not stored, and a retry may succeed once the disk recovers.
Error io_error(std::error_code ec, const std::string& what) {
  const bool full = ec == std::errc::no_space_on_device ||
                    (ec.category() == std::generic_category() && ec.value() == EDQUOT);
  db::disk_health().failed(full ? db::WriteFailure::disk_full : db::WriteFailure::io);
  return Error::make(ErrorKind::unavailable, full ? "DISK_FULL" : "LOG_IO",
                     what + ": " + ec.message());
}

// One deflate state per thread, reset per record: a new one allocates ~270 KiB that zlib then
// clears, which faulted in fresh pages for every record (a few % of a small append's CPU). A
// reset state writes the same bytes as a new one.
struct Deflater {
  z_stream z{};
  // The fastest level with string matching: the series of one check or one scrape share their
  // timestamp's and often their value's bytes, which Huffman coding alone left at twice the
  // size (4.2 bytes a sample of 1,000 pings a second instead of 1.5), for no less CPU.
  Deflater() { deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY); }
  ~Deflater() { deflateEnd(&z); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
};

// Raw deflate (no zlib header: the record has its own CRC).
std::string deflate_payload(std::string_view in) {
  thread_local Deflater d;
  z_stream& z = d.z;
  deflateReset(&z);
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);  // deflateBound leaves room for the whole stream
  out.resize(z.total_out);
  return out;
}

// Inflates exactly one complete stream filling `in`, of at most kMaxRecordBytes.
std::optional<std::string> inflate_payload(std::string_view in) {
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK) return std::nullopt;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  int rc = Z_OK;
  while (rc == Z_OK) {
    std::size_t have = out.size();
    if (have >= kMaxRecordBytes) break;
    out.resize(std::min<std::size_t>(kMaxRecordBytes, std::max<std::size_t>(4096, have * 2)));
    z.next_out = reinterpret_cast<Bytef*>(out.data() + have);
    z.avail_out = static_cast<uInt>(out.size() - have);
    rc = inflate(&z, Z_NO_FLUSH);
    out.erase(out.size() - z.avail_out);              // a shrink (resize here makes GCC 12 warn)
    if (rc == Z_BUF_ERROR && z.avail_out > 0) break;  // input ended inside the stream
    if (rc == Z_BUF_ERROR) rc = Z_OK;                 // only the output was full
  }
  const bool whole = rc == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  if (!whole) return std::nullopt;
  return out;
}

std::int64_t wrapping_sub(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}
std::int64_t wrapping_add(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

}  // namespace

// Record payload: entry count and a base timestamp, then per entry the series id (as a delta
// from the previous entry's), the sample count, and per sample the timestamp as a delta from the
// previous one and the value. An entry's first timestamp is a delta from the previous entry's
// first (chained), or from the base (plain and deflated, before): the series of one check are
// neighbours, sampled at one moment, so chained they cost a byte a timestamp however the checks'
// moments spread over a second. Values that are decimals with up to nine places (most
// monitoring data: 12.345 ms, 21.5 °C, integer counters) are stored as their scale and integer
// mantissa; anything else as its 8 raw bytes. Every sample stands alone: a damaged record cannot
// spoil the ones after it. Deflate then squeezes out the repetition of a tick's series ids,
// counts, scales and timestamps.
std::string encode_log_batch(const LogBatch& batch, LogPayload format) {
  std::string out;
  put_varint(out, batch.entries.size());
  TimeMs base = 0;
  for (const auto& e : batch.entries)
    if (!e.samples.empty()) {
      base = e.samples.front().t;
      break;
    }
  put_varint(out, zigzag(base));
  std::int64_t prev_id = 0;
  for (const auto& e : batch.entries) {
    put_varint(out, zigzag(e.series_id - prev_id));
    prev_id = e.series_id;
    put_varint(out, e.samples.size());
    std::int64_t prev_t = base;
    if (format == LogPayload::chained && !e.samples.empty()) base = e.samples.front().t;
    for (const auto& s : e.samples) {
      put_varint(out, zigzag(wrapping_sub(s.t, prev_t)));
      prev_t = s.t;
      int scale = -1;
      std::int64_t mantissa = 0;
      for (int k = 0; k <= kMaxScale && scale < 0; ++k) {
        double m = s.v * kPow10[k];
        if (!(std::fabs(m) < 9.0e15) || m != std::nearbyint(m)) continue;
        auto mi = static_cast<std::int64_t>(m);
        double back = static_cast<double>(mi) / kPow10[k];
        if (std::memcmp(&back, &s.v, 8) == 0) {
          scale = k;
          mantissa = mi;
        }
      }
      if (scale >= 0) {
        out += static_cast<char>(scale);
        put_varint(out, zigzag(mantissa));
      } else {
        out += static_cast<char>(kRawValue);
        std::uint64_t bits;
        std::memcpy(&bits, &s.v, 8);
        for (int i = 0; i < 8; ++i) out += static_cast<char>((bits >> (8 * i)) & 0xff);
      }
    }
  }
  return format == LogPayload::plain ? out : deflate_payload(out);
}

Result<LogBatch> decode_log_batch(std::string_view payload, LogPayload format) {
  std::optional<std::string> inflated;
  if (format != LogPayload::plain && !(inflated = inflate_payload(payload)))
    return corrupt("bad deflate stream");
  std::string_view in = inflated ? std::string_view(*inflated) : payload;
  LogBatch batch;
  std::uint64_t n = 0, base = 0;
  if (!get_varint(in, n) || n > kMaxEntries || !get_varint(in, base))
    return corrupt("bad record header");
  std::int64_t id = 0, first_t = unzigzag(base);
  for (std::uint64_t i = 0; i < n; ++i) {
    LogBatch::Entry e;
    std::uint64_t did = 0, count = 0;
    if (!get_varint(in, did) || !get_varint(in, count) || count > in.size())
      return corrupt("bad entry header");
    // A series id delta that overflows comes from damaged bytes. Timestamp deltas wrap instead:
    // an entry's far-off first sample may wrap on the way in and must wrap back on the way out.
    if (__builtin_add_overflow(id, unzigzag(did), &id)) return corrupt("bad series id");
    e.series_id = id;
    e.samples.reserve(count);
    std::int64_t t = first_t;
    for (std::uint64_t k = 0; k < count; ++k) {
      std::uint64_t dt = 0;
      if (!get_varint(in, dt) || in.empty()) return corrupt("bad sample");
      t = wrapping_add(t, unzigzag(dt));
      if (k == 0 && format == LogPayload::chained) first_t = t;
      auto head = static_cast<unsigned char>(in.front());
      in.remove_prefix(1);
      double v;
      if (head == kRawValue) {
        if (in.size() < 8) return corrupt("short value");
        std::uint64_t bits = 0;
        for (int b = 0; b < 8; ++b)
          bits |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[b])) << (8 * b);
        in.remove_prefix(8);
        std::memcpy(&v, &bits, 8);
      } else {
        std::uint64_t m = 0;
        if (head > kMaxScale || !get_varint(in, m)) return corrupt("bad value");
        v = static_cast<double>(unzigzag(m)) / kPow10[head];
      }
      e.samples.push_back({t, v});
    }
    batch.entries.push_back(std::move(e));
  }
  if (!in.empty()) return corrupt("trailing bytes");
  return batch;
}

AppendLog::AppendLog(std::string dir, FileSystem& fs) : m_fs(fs), m_dir(std::move(dir)) {}

std::string AppendLog::path_of(std::uint64_t segment) const {
  char name[32];
  std::snprintf(name, sizeof name, "/%010llu.log", static_cast<unsigned long long>(segment));
  return m_dir + name;
}

std::vector<std::uint64_t> AppendLog::segments() const {
  std::vector<std::string> names;
  if (auto ec = m_fs.list(m_dir, names)) log::warn("tsdb: cannot list {}: {}", m_dir, ec.message());
  std::vector<std::uint64_t> out;
  for (const auto& name : names) {
    std::uint64_t n = 0;
    if (name.size() == 14 && name.ends_with(".log") &&
        std::from_chars(name.data(), name.data() + 10, n).ptr == name.data() + 10)
      out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::size_t> AppendLog::replay(
    const std::function<void(const LogBatch&, std::uint64_t)>& fn) {
  if (auto ec = m_fs.create_dirs(m_dir))
    return Error::make(ErrorKind::unavailable, "LOG_IO",
                       "cannot create " + m_dir + ": " + ec.message());
  std::size_t records = 0;
  auto all = segments();
  for (std::size_t s = 0; s < all.size(); ++s) {
    auto path = path_of(all[s]);
    std::string data;
    if (auto ec = m_fs.read(path, data))
      return Error::make(ErrorKind::unavailable, "LOG_IO",
                         "cannot read " + path + ": " + ec.message());
    std::size_t at = 0;
    while (at + 8 <= data.size()) {
      std::uint32_t len = get_u32le(data.data() + at), crc = get_u32le(data.data() + at + 4);
      const auto format = !(len & kDeflatedFlag) ? LogPayload::plain
                          : len & kChainedFlag   ? LogPayload::chained
                                                 : LogPayload::deflated;
      len &= ~(kDeflatedFlag | kChainedFlag);
      if (len > kMaxRecordBytes || at + 8 + len > data.size()) break;
      std::string_view payload(data.data() + at + 8, len);
      if (crc32(0, reinterpret_cast<const Bytef*>(payload.data()), len) != crc) break;
      auto batch = decode_log_batch(payload, format);
      if (batch.ok()) {
        fn(batch.value(), all[s]);
        ++records;
      } else {
        log::error("tsdb: skipping an unreadable record in {} at byte {}: {}", path, at,
                   batch.error().message);
      }
      at += 8 + len;
    }
    if (at < data.size()) {
      log::warn(
          "tsdb: {} ends in {} unreadable bytes (a write cut short by a crash); dropping them",
          path, data.size() - at);
      if (auto ec = m_fs.truncate(path, at))
        log::warn("tsdb: cannot truncate {}: {}", path, ec.message());
    }
  }
  m_current = all.empty() ? 0 : all.back();
  return records;
}

Result<std::uint64_t> AppendLog::rotate() {
  m_file.reset();
  ++m_current;
  m_current_bytes = m_synced_bytes = 0;
  auto path = path_of(m_current);
  std::error_code ec;
  m_file = m_fs.open_append(path, ec);
  if (!m_file) return io_error(ec, "cannot create " + path);
  // Without its directory entry on disk, a synced segment could still vanish in a power loss.
  if ((ec = m_fs.sync_dir(m_dir))) {
    m_file.reset();
    return io_error(ec, "cannot sync " + m_dir);
  }
  return m_current;
}

Result<std::uint64_t> AppendLog::append(const LogBatch& batch) {
  if (!m_file) {
    auto opened = rotate();
    if (!opened.ok()) return std::move(opened).error();
  }
  std::string payload = encode_log_batch(batch);
  std::string record;
  put_u32le(record, static_cast<std::uint32_t>(payload.size()) | kDeflatedFlag | kChainedFlag);
  put_u32le(record,
            static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(payload.data()),
                                             static_cast<uInt>(payload.size()))));
  record += payload;
  std::string_view rest = record;
  while (!rest.empty()) {
    std::error_code ec;
    std::size_t n = m_file->write(rest, ec);
    if (n == 0) {
      // Cut back to the record's start so the segment stays readable. Failing that, the torn
      // record stays the segment's last: a record after it would be lost with it at replay.
      if (rest.size() < record.size() && m_file->truncate(m_current_bytes)) m_file.reset();
      return io_error(ec, "cannot append to the sample log");
    }
    rest.remove_prefix(n);
  }
  m_current_bytes += record.size();
  db::disk_health().stored();
  return m_current;
}

Result<void> AppendLog::sync() {
  if (!m_file || m_synced_bytes == m_current_bytes) return {};
  if (auto ec = m_file->sync()) {
    m_file.reset();
    return io_error(ec, "cannot sync the sample log");
  }
  m_synced_bytes = m_current_bytes;
  return {};
}

void AppendLog::remove_before(std::uint64_t segment) {
  for (auto s : segments())
    if (s < segment)
      if (auto ec = m_fs.remove(path_of(s)))
        log::warn("tsdb: cannot remove {}: {}", path_of(s), ec.message());
}

}  // namespace tt::tsdb
