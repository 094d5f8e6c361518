#include "agent/buffer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>

#include "agent/segment.h"
#include "core/log.h"

namespace tt::agent {

namespace {

constexpr std::string_view kSuffix = ".seg";
constexpr std::size_t kNameDigits = 16;
constexpr const char* kCountersFile = "dropped";
constexpr const char* kReserveFile = "seq-reserve";
// Seqs stay below it, so that no damaged (or forged) record brings the next seq near overflow:
// at one record a second it lasts 146 billion years.
constexpr std::uint64_t kSeqLimit = std::uint64_t{1} << 62;

Error io_error(std::string_view what, const std::string& path, std::error_code ec) {
  const bool full = ec == std::errc::no_space_on_device || ec.value() == EDQUOT;
  return Error::make(ErrorKind::unavailable, full ? "BUFFER_FULL" : "BUFFER_IO",
                     fmt::format("agent buffer: {} {}: {}", what, path, ec.message()));
}

// The seq a segment file is named by, or nullopt for any other file.
std::optional<std::uint64_t> segment_name(const std::string& file) {
  if (file.size() != kNameDigits + kSuffix.size() || !file.ends_with(kSuffix)) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < kNameDigits; ++i) {
    const char c = file[i];
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  if (v == 0 || v >= kSeqLimit) return std::nullopt;  // seqs start at 1
  return v;
}

}  // namespace

Buffer::Buffer(BufferOptions options, FileSystem& fs, const Clock& clock)
    : m_options(std::move(options)), m_fs(fs), m_clock(clock) {}

Buffer::~Buffer() {
  if (auto synced = sync_waiting(); !synced) log::warn("{}", synced.error().message);
}

std::string Buffer::path_of(std::uint64_t name) const {
  return fmt::format("{}/{:016x}{}", m_options.dir, name, kSuffix);
}

Result<std::unique_ptr<Buffer>> Buffer::open(BufferOptions options, FileSystem& fs,
                                             const Clock& clock) {
  if (options.dir.empty() || options.segment_bytes <= kRecordHeaderBytes ||
      options.segment_bytes > options.max_bytes / 2)
    return Error::make(ErrorKind::validation, "BUFFER_OPTIONS",
                       "agent buffer: a directory, and segment_bytes between 17 and "
                       "max_bytes / 2, are needed");
  if (auto ec = fs.create_dirs(options.dir)) return io_error("creating", options.dir, ec);
  std::unique_ptr<Buffer> buffer(new Buffer(std::move(options), fs, clock));
  TT_TRY(buffer->scan());
  return buffer;
}

// The counters, the segments (each record checked, damaged tails cut), the next seq (past any
// reservation), and the newest segment opened for appends.
Result<void> Buffer::scan() {
  std::vector<std::string> files;
  if (auto ec = m_fs.list(m_options.dir, files)) return io_error("listing", m_options.dir, ec);
  if (std::find(files.begin(), files.end(), kCountersFile) != files.end()) TT_TRY(load_counters());
  for (const auto& file : files)
    if (auto name = segment_name(file)) m_segments.push_back(Segment{.name = *name});
  std::sort(m_segments.begin(), m_segments.end(),
            [](const Segment& a, const Segment& b) { return a.name < b.name; });

  const Dropped before = m_counters.total;
  std::uint64_t skip = 0;  // seqs the newest segment's cut tail may have held
  for (std::size_t i = 0; i < m_segments.size(); ++i) {
    const bool newest = i + 1 == m_segments.size();
    const std::uint64_t cut = TT_TRY(scan_segment(
        m_segments[i], newest ? kSeqLimit : std::min(kSeqLimit, m_segments[i + 1].name)));
    if (newest) skip = (cut + kRecordHeaderBytes - 1) / kRecordHeaderBytes;
    m_bytes += m_segments[i].bytes;
  }
  remove_empty_segments();

  if (!m_segments.empty())
    m_next_seq = std::max(m_segments.back().name, m_segments.back().last_seq + 1) + skip;
  if (std::find(files.begin(), files.end(), kReserveFile) != files.end())
    TT_TRY(load_reservation());
  if (m_segments.empty()) {
    TT_TRY(start_segment());
  } else {
    const std::string path = path_of(m_segments.back().name);
    std::error_code ec;
    m_file = m_fs.open_append(path, ec);
    if (!m_file) return io_error("opening", path, ec);
  }
  if (!(m_counters.total == before)) TT_TRY(save_counters());
  return ok();
}

Result<void> Buffer::load_counters() {
  const std::string path = m_options.dir + "/" + kCountersFile;
  std::string text;
  if (auto ec = m_fs.read(path, text)) return io_error("reading", path, ec);
  Counters& c = m_counters;
  if (std::sscanf(text.c_str(), "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, &c.total.records,
                  &c.total.bytes, &c.untaken.records, &c.untaken.bytes) != 4) {
    log::warn("agent buffer: {} is malformed; drop counts start again from 0", path);
    c = {};
  }
  return ok();
}

// A restart starts past the seqs reserved before it: they may have been given to records a power
// loss took.
Result<void> Buffer::load_reservation() {
  const std::string path = m_options.dir + "/" + kReserveFile;
  std::string text;
  if (auto ec = m_fs.read(path, text)) return io_error("reading", path, ec);
  std::uint64_t limit = 0;
  if (std::sscanf(text.c_str(), "%" SCNu64, &limit) == 1 && limit < kSeqLimit)
    m_next_seq = std::max(m_next_seq, limit);
  else
    log::warn("agent buffer: {} is malformed; seqs go on from the segments", path);
  return ok();
}

// Empty segments other than the newest tell nothing (a failure to delete one is harmless).
void Buffer::remove_empty_segments() {
  bool removed = false;
  for (std::size_t i = 0; i + 1 < m_segments.size();) {
    if (m_segments[i].records > 0 || m_fs.remove(path_of(m_segments[i].name))) {
      ++i;
      continue;
    }
    m_segments.erase(m_segments.begin() + static_cast<std::ptrdiff_t>(i));
    removed = true;
  }
  if (removed) (void)m_fs.sync_dir(m_options.dir);
}

// Reads every record of `segment`, notes its seqs and size, and cuts what follows the last good
// record. Returns the bytes cut.
Result<std::uint64_t> Buffer::scan_segment(Segment& segment, std::uint64_t below) {
  const std::string path = path_of(segment.name);
  std::uint64_t size = 0;
  if (auto ec = m_fs.file_size(path, size)) return io_error("reading", path, ec);
  SegmentReader reader(m_fs, path, 0,
                       {.after = segment.name - 1, .below = below, .max_payload_bytes = size});
  std::uint64_t seq = 0;
  std::error_code ec;
  while (reader.next(seq, nullptr, ec)) {
    if (segment.records++ == 0) segment.first_seq = seq;
    segment.last_seq = seq;
  }
  if (ec) return io_error("reading", path, ec);
  segment.bytes = reader.end_offset();
  if (segment.bytes >= size) return std::uint64_t{0};
  const std::uint64_t cut = size - segment.bytes;
  log::warn("agent buffer: {}: cutting {} damaged bytes after byte {}", path, cut, segment.bytes);
  if (auto tec = m_fs.truncate(path, segment.bytes)) return io_error("truncating", path, tec);
  count_drop({1, cut});
  return cut;
}

// A new newest segment, named by the next seq, durable in the directory before any record goes
// in. An empty newest segment is started again in place: its name still bounds the next seq.
Result<void> Buffer::start_segment() {
  close_file();
  const bool reuse = !m_segments.empty() && m_segments.back().records == 0;
  const std::uint64_t name = reuse ? m_segments.back().name : m_next_seq;
  const std::string path = path_of(name);
  if (reuse) {
    if (auto ec = m_fs.truncate(path, 0); ec && ec != std::errc::no_such_file_or_directory)
      return io_error("truncating", path, ec);
    m_bytes -= m_segments.back().bytes;
    m_segments.back().bytes = 0;
  }
  std::error_code ec;
  auto file = m_fs.open_append(path, ec);
  if (!file) return io_error("creating", path, ec);
  if ((ec = m_fs.sync_dir(m_options.dir))) return io_error("syncing", m_options.dir, ec);
  if (!reuse) m_segments.push_back(Segment{.name = name});
  m_file = std::move(file);
  return ok();
}

Result<std::uint64_t> Buffer::append(std::string_view payload) {
  std::lock_guard lock(m_mutex);
  if (payload.size() > m_options.segment_bytes - kRecordHeaderBytes)
    return Error::make(
        ErrorKind::too_large, "BUFFER_RECORD_TOO_LARGE",
        fmt::format("agent buffer: a record of {} bytes is larger than a segment", payload.size()));
  TT_TRY(reserve_seqs());
  const std::string record = encode_record(m_next_seq, payload);
  const Segment& last = m_segments.back();
  if (!m_file || (last.records > 0 && last.bytes + record.size() > m_options.segment_bytes))
    TT_TRY(start_segment());
  while (m_bytes + record.size() > m_options.max_bytes && m_segments.size() > 1)
    TT_TRY(drop_oldest());
  TT_TRY(write_record(record));
  Segment& newest = m_segments.back();
  if (newest.records++ == 0) newest.first_seq = m_next_seq;
  newest.last_seq = m_next_seq;
  newest.bytes += record.size();
  m_bytes += record.size();
  if (m_options.sync_delay.count() > 0) {
    if (!m_unsynced_since_ms) m_unsynced_since_ms = m_clock.mono_ms();
    m_unsynced_seq = m_next_seq;
  }
  return m_next_seq++;
}

Result<void> Buffer::reserve_seqs() {
  if (m_options.sync_delay.count() == 0 || m_next_seq < m_seq_limit) return ok();
  const std::uint64_t limit = m_next_seq + kSeqReserve;
  TT_TRY(replace_file(kReserveFile, fmt::format("{}\n", limit)));
  m_seq_limit = limit;
  return ok();
}

// Writes a whole record (and syncs it when syncs are not deferred), or cuts the segment back to
// where it was. A segment whose sync failed, or that could not be cut, takes no more records.
Result<void> Buffer::write_record(const std::string& record) {
  const std::uint64_t before = m_segments.back().bytes;
  const std::string path = path_of(m_segments.back().name);
  std::error_code ec;
  for (std::size_t done = 0; done < record.size();) {
    done += m_file->write(std::string_view(record).substr(done), ec);
    if (!ec) continue;
    if (m_file->truncate(before)) close_file();
    return io_error("writing", path, ec);
  }
  if (m_options.sync_delay.count() > 0) return ok();
  if ((ec = m_file->sync())) {
    (void)m_file->truncate(before);
    m_file.reset();
    return io_error("syncing", path, ec);
  }
  return ok();
}

std::optional<std::chrono::milliseconds> Buffer::sync_wait() const {
  std::lock_guard lock(m_mutex);
  if (!m_unsynced_since_ms) return std::nullopt;
  const std::int64_t due = *m_unsynced_since_ms + m_options.sync_delay.count();
  return std::chrono::milliseconds(std::max<std::int64_t>(0, due - m_clock.mono_ms()));
}

Result<void> Buffer::sync_due() {
  std::lock_guard lock(m_mutex);
  if (!m_unsynced_since_ms ||
      m_clock.mono_ms() < *m_unsynced_since_ms + m_options.sync_delay.count())
    return ok();
  return sync_waiting();
}

// Syncs m_file when records wait for it. After a failure its bytes are in doubt: it takes no more
// records.
Result<void> Buffer::sync_waiting() {
  if (!m_unsynced_since_ms) return ok();
  m_unsynced_since_ms.reset();
  if (!m_file) return ok();
  if (auto ec = m_file->sync()) {
    m_file.reset();
    return io_error("syncing", path_of(m_segments.back().name), ec);
  }
  return ok();
}

// Closes the newest segment's file, syncing first what waits for it: nothing syncs it later.
void Buffer::close_file() {
  if (auto synced = sync_waiting(); !synced) log::warn("{}", synced.error().message);
  m_file.reset();
}

Result<void> Buffer::drop_oldest() {
  const Segment oldest = m_segments.front();
  const Dropped lost = unacked_in(oldest);
  const std::string path = path_of(oldest.name);
  if (auto ec = m_fs.remove(path); ec && ec != std::errc::no_such_file_or_directory)
    return io_error("deleting", path, ec);
  if (auto ec = m_fs.sync_dir(m_options.dir))
    log::warn("agent buffer: syncing {}: {}", m_options.dir, ec.message());
  m_segments.erase(m_segments.begin());
  m_bytes -= oldest.bytes;
  if (lost.records == 0) return ok();
  log::warn("agent buffer: full ({} bytes): dropped {} records not delivered", m_options.max_bytes,
            lost.records);
  count_drop(lost);
  if (auto saved = save_counters(); !saved)
    log::warn("agent buffer: saving the drop counts: {}", saved.error().message);
  return ok();
}

// The records of `segment` above the acknowledged seq, and their bytes.
Dropped Buffer::unacked_in(const Segment& segment) {
  if (segment.records == 0 || m_acked >= segment.last_seq) return {};
  if (m_acked < segment.first_seq) return {segment.records, segment.bytes};
  Dropped lost;
  SegmentReader reader(m_fs, path_of(segment.name), 0,
                       {.after = segment.name - 1, .max_payload_bytes = segment.bytes});
  std::uint64_t seq = 0, offset = 0;
  std::error_code ec;
  while (reader.next(seq, nullptr, ec)) {
    if (seq > m_acked) {
      ++lost.records;
      lost.bytes += reader.end_offset() - offset;
    }
    offset = reader.end_offset();
  }
  return lost;
}

Result<std::vector<Record>> Buffer::read(std::uint64_t after_seq, std::size_t max_payload_bytes,
                                         std::size_t max_records) {
  std::lock_guard lock(m_mutex);
  std::vector<Record> out;
  std::size_t payload_bytes = 0;
  for (const Segment& segment : m_segments) {
    if (segment.records == 0 || segment.last_seq <= after_seq) continue;
    const std::string path = path_of(segment.name);
    const bool on = m_cursor.segment == segment.name && m_cursor.seq <= after_seq;
    SegmentReader reader(
        m_fs, path, on ? m_cursor.offset : 0,
        {.after = on ? m_cursor.seq : segment.name - 1, .max_payload_bytes = segment.bytes});
    Record record;
    std::error_code ec;
    while (reader.next(record.seq, &record.payload, ec)) {
      if (record.seq <= after_seq) continue;
      if (!out.empty() &&
          (out.size() >= max_records || payload_bytes + record.payload.size() > max_payload_bytes))
        return out;
      payload_bytes += record.payload.size();
      m_cursor = {segment.name, reader.end_offset(), record.seq};
      out.push_back(std::move(record));
    }
    if (ec) return io_error("reading", path, ec);
    if (reader.end_offset() < segment.bytes)
      log::warn("agent buffer: {}: a record after byte {} went bad since the start", path,
                reader.end_offset());
  }
  return out;
}

void Buffer::ack(std::uint64_t up_to_seq) {
  std::lock_guard lock(m_mutex);
  m_acked = std::max(m_acked, up_to_seq);
  if (m_unsynced_since_ms && m_acked >= m_unsynced_seq) m_unsynced_since_ms.reset();
  delete_acked();
}

void Buffer::delete_acked() {
  bool removed = false;
  while (m_segments.size() > 1 &&
         (m_segments.front().records == 0 || m_segments.front().last_seq <= m_acked)) {
    const std::string path = path_of(m_segments.front().name);
    if (auto ec = m_fs.remove(path); ec && ec != std::errc::no_such_file_or_directory) {
      log::warn("agent buffer: deleting {}: {}", path, ec.message());
      break;
    }
    m_bytes -= m_segments.front().bytes;
    m_segments.erase(m_segments.begin());
    removed = true;
  }
  if (!removed) return;
  if (auto ec = m_fs.sync_dir(m_options.dir))
    log::warn("agent buffer: syncing {}: {}", m_options.dir, ec.message());
}

BufferStats Buffer::stats() const {
  std::lock_guard lock(m_mutex);
  BufferStats s;
  s.bytes = m_bytes;
  s.segments = m_segments.size();
  for (const Segment& segment : m_segments) {
    if (segment.records == 0) continue;
    if (s.oldest_seq == 0) s.oldest_seq = segment.first_seq;
    s.newest_seq = segment.last_seq;
    s.records += segment.records;
  }
  return s;
}

Dropped Buffer::dropped() const {
  std::lock_guard lock(m_mutex);
  return m_counters.total;
}

Result<Dropped> Buffer::take_dropped() {
  std::lock_guard lock(m_mutex);
  const Dropped taken = m_counters.untaken;
  if (taken.records == 0 && taken.bytes == 0) return taken;
  m_counters.untaken = {};
  if (auto saved = save_counters(); !saved) {
    m_counters.untaken = taken;
    return std::move(saved).error();
  }
  return taken;
}

void Buffer::count_drop(Dropped drop) {
  m_counters.total.records += drop.records;
  m_counters.total.bytes += drop.bytes;
  m_counters.untaken.records += drop.records;
  m_counters.untaken.bytes += drop.bytes;
}

// "dropped": "<total records> <total bytes> <untaken records> <untaken bytes>\n", replaced whole.
Result<void> Buffer::save_counters() {
  const Counters& c = m_counters;
  return replace_file(kCountersFile, fmt::format("{} {} {} {}\n", c.total.records, c.total.bytes,
                                                 c.untaken.records, c.untaken.bytes));
}

// The file `name` of the directory holds `text`, durably: written to "<name>.tmp", synced, renamed
// over it, the directory synced.
Result<void> Buffer::replace_file(const char* name, const std::string& text) {
  const std::string temp = fmt::format("{}/{}.tmp", m_options.dir, name);
  const std::string path = m_options.dir + "/" + name;
  (void)m_fs.remove(temp);
  std::error_code ec;
  auto file = m_fs.open_append(temp, ec);
  if (!file) return io_error("creating", temp, ec);
  for (std::size_t done = 0; done < text.size() && !ec;)
    done += file->write(std::string_view(text).substr(done), ec);
  if (ec || (ec = file->sync())) return io_error("writing", temp, ec);
  file.reset();
  if ((ec = m_fs.rename(temp, path))) return io_error("renaming", temp, ec);
  if ((ec = m_fs.sync_dir(m_options.dir))) return io_error("syncing", m_options.dir, ec);
  return ok();
}

}  // namespace tt::agent
