#include "tsdb/store.h"

#include <SQLiteCpp/VariadicBind.h>

#include <algorithm>

#include "core/log.h"
#include "core/metrics.h"
#include "tsdb/codec.h"
#include "tsdb/pack.h"
#include "tsdb/rollup.h"

namespace tt::tsdb {

namespace {

constexpr std::int64_t kRetentionPeriodMs = 10 * 60'000;
// A head's full blocks stay in memory this long (about one block of a 1 s series); see cut_heads.
constexpr std::int64_t kSpillAfterMs = 60'000;
// A cut or a merge writes its blobs once they take this much: bounds its memory, not its packs'
// size.
constexpr std::size_t kWriteBatchBytes = 1u << 20;

metrics::Counter& samples_appended() {
  static auto& c =
      metrics::counter("telltale_tsdb_samples_appended_total", "Samples accepted by the store.");
  return c;
}

// What the heads and the index hold, counted at each maintenance pass: where memory goes.
metrics::Gauge& head_bytes() {
  static auto& g = metrics::memory_pool("tsdb_heads");
  return g;
}
metrics::Gauge& index_bytes() {
  static auto& g = metrics::memory_pool("tsdb_series_index");
  return g;
}
metrics::Gauge& head_samples() {
  static auto& g = metrics::gauge("telltale_tsdb_head_samples",
                                  "Samples in the heads (not cut into chunks yet).");
  return g;
}
metrics::Gauge& head_series() {
  static auto& g = metrics::gauge("telltale_tsdb_head_series", "Series whose head holds samples.");
  return g;
}
metrics::Counter& chunks_merged() {
  static auto& c = metrics::counter(
      "telltale_tsdb_chunks_merged_total",
      "Short chunks of heads cut for memory, merged into long chunks with their rollups.");
  return c;
}
metrics::Gauge& head_block_file_bytes() {
  static auto& g = metrics::gauge(
      "telltale_tsdb_head_block_file_bytes",
      "Bytes of the heads' full blocks in DATA/tsdb/heads, deleted with the log they came from.");
  return g;
}
metrics::Counter& head_spills() {
  static auto& c = metrics::counter(
      "telltale_tsdb_head_spills_total",
      "Heads whose newest samples went to the head block file before a block was full, because "
      "all heads held --tsdb-head-mib.");
  return c;
}
metrics::Counter& head_cuts_for_memory() {
  static auto& c = metrics::counter(
      "telltale_tsdb_head_memory_cuts_total",
      "Heads cut into chunks before they were full because all heads held --tsdb-head-mib.");
  return c;
}

// The slice of a pack that a row of chunks or rollups (pack_id, pack_offset, pack_bytes
// first) points at.
Result<std::string> read_blob(PackReader& packs, SQLite::Statement& row) {
  return packs.read(row.getColumn(0).getInt64(), row.getColumn(1).getInt64(),
                    row.getColumn(2).getInt64());
}

// Sorts by time and keeps the last value written for a timestamp.
void normalize(std::vector<Sample>& s) {
  // The common case, one sample or samples in order, costs a scan and no sort buffer.
  if (std::adjacent_find(s.begin(), s.end(),
                         [](const Sample& a, const Sample& b) { return a.t >= b.t; }) == s.end())
    return;
  std::stable_sort(s.begin(), s.end(), [](const Sample& a, const Sample& b) { return a.t < b.t; });
  std::size_t out = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (out > 0 && s[out - 1].t == s[i].t)
      s[out - 1] = s[i];
    else
      s[out++] = s[i];
  }
  s.resize(out);
}

}  // namespace

Store::Store(db::Writer& writer, db::Readers& readers, const Clock& clock, StoreOptions options,
             FileSystem& fs)
    : m_writer(writer),
      m_readers(readers),
      m_clock(clock),
      m_options(std::move(options)),
      m_log(m_options.log_dir, fs),
      m_block_file(m_options.head_block_dir.empty()
                       ? nullptr
                       : std::make_unique<BlockFile>(m_options.head_block_dir, fs)) {
  samples_appended();
  head_bytes();
  index_bytes();
  head_samples();
  head_series();
  head_cuts_for_memory();
  head_spills();
  head_block_file_bytes();
  chunks_merged();
}

Store::~Store() { close(); }

Result<void> Store::open() {
  // The index and the persisted marks come from SQLite; the heads from the append log.
  auto loaded = m_readers.with([&](SQLite::Database& db) -> Result<bool> {
    SQLite::Statement series(db, "SELECT id, labels FROM series");
    while (series.executeStep()) {
      auto labels = parse_canonical_labels(series.getColumn(1).getString());
      if (!labels.ok()) return std::move(labels).error();
      m_index.restore(series.getColumn(0).getInt64(), std::move(labels.value()));
    }
    SQLite::Statement marks(db, "SELECT series_id, max(max_t) FROM chunks GROUP BY series_id");
    while (marks.executeStep())
      m_heads[marks.getColumn(0).getInt64()].persisted_max = marks.getColumn(1).getInt64();
    // Chunks and rollups draw from the same sequence: continue after the larger of both.
    m_next_seq = db.execAndGet(
                       "SELECT max(coalesce((SELECT max(seq) FROM chunks), 0), "
                       "coalesce((SELECT max(seq) FROM rollups), 0)) + 1")
                     .getInt64();
    return true;
  });
  if (!loaded.ok()) return std::move(loaded).error();
  if (m_block_file) TT_TRY(m_block_file->reset());
  std::size_t replayed = 0;
  SeriesId logged_max = 0;
  auto records = m_writer.run<std::size_t>([&](SQLite::Database&) -> Result<std::size_t> {
    auto now = m_clock.mono_ms();
    auto r = m_log.replay([&](const LogBatch& batch, std::uint64_t segment) {
      for (const auto& e : batch.entries) {
        logged_max = std::max(logged_max, e.series_id);
        if (!m_index.labels_of(e.series_id)) continue;  // never committed, never acknowledged
        auto& head = m_heads[e.series_id];
        std::vector<Sample> newer;
        for (const auto& s : e.samples)
          if (s.t > head.persisted_max) newer.push_back(s);
        if (newer.empty()) continue;
        if (head.samples.empty()) {
          head.first_segment = segment;
          head.first_append_mono_ms = now;
        }
        replayed += newer.size();
        head.samples.merge(newer);
        // Replay does not wait for maintenance: 6 hours of blocks would fill memory first.
        if (m_block_file) {
          m_block_file->advance(segment);
          head.samples.spill(*m_block_file);
        }
      }
    });
    if (!r.ok()) return r;
    // With the disk full the store opens anyway, read-only in effect: the first append opens a
    // segment, and appends are refused (DISK_FULL) until there is room.
    auto opened = m_log.rotate();
    if (!opened.ok() && opened.error().code != "DISK_FULL") return std::move(opened).error();
    if (m_block_file) m_block_file->advance(m_log.current_segment());
    return r;
  });
  if (!records.ok()) return std::move(records).error();
  m_index.reserve_through(logged_max);
  if (replayed > 0)
    log::info("tsdb: replayed {} samples from {} log records", replayed, records.value());
  m_open = true;
  m_maintenance = std::thread([this] { maintenance_loop(); });
  return {};
}

void Store::close(OnClose how) {
  {
    std::lock_guard lock(m_maint_mutex);
    if (!m_open || m_stopping) return;
    m_stopping = true;
  }
  m_maint_cv.notify_all();
  if (m_maintenance.joinable()) m_maintenance.join();
  if (how == OnClose::drop_heads) return;
  if (auto r = flush_all(); !r.ok()) log::error("tsdb: final flush failed: {}", r.error().message);
}

Result<AppendResult> Store::append(std::vector<SeriesSamples> batch) {
  return append(std::move(batch), nullptr);
}

Result<AppendResult> Store::append(std::vector<SeriesSamples> batch, const InJob& in_job) {
  for (auto& s : batch) normalize(s.samples);
  const TimeMs horizon = m_clock.now_ms() - m_options.max_head_age_ms;
  // The listener gets the batch as stored; otherwise its samples move into the plan.
  const bool listening = m_listener && m_listener_wanted();
  std::shared_lock gate(m_gate);
  std::vector<Planned> plan;
  plan.reserve(batch.size());
  {
    std::lock_guard lock(m_heads_mutex);
    for (auto& s : batch) {
      if (s.samples.empty()) continue;
      Planned p;
      bool fresh = false;
      p.id = m_index.get_or_assign(s.labels, fresh);
      if (fresh) m_uncommitted.insert(p.id);
      plan_series(p, listening ? std::vector<Sample>(s.samples) : std::move(s.samples), horizon);
      if (p.created) p.canonical = canonical_labels(s.labels);
      plan.push_back(std::move(p));
    }
  }
  auto result = commit(plan, in_job ? &in_job : nullptr);
  if (result.ok() && listening) m_listener(batch);
  return result;
}

Result<AppendResult> Store::append(std::span<const RefSample> points) {
  std::shared_lock gate(m_gate);
  // Ids first (the cached one, else the index's), then the samples grouped by series in time
  // order, so each series is planned once however many of its samples the batch holds.
  struct Point {
    SeriesId id;
    std::size_t at;  // index in `points`
  };
  std::vector<Point> order;
  order.reserve(points.size());
  std::vector<Planned> plan;
  {
    std::lock_guard lock(m_heads_mutex);
    for (std::size_t i = 0; i < points.size(); ++i) {
      const PackedLabels& labels = points[i].series;
      SeriesId id = labels.cached_id();
      if (id == 0) {
        bool fresh = false;
        id = m_index.get_or_assign(labels, fresh);  // shares them
        if (fresh) m_uncommitted.insert(id);
      }
      order.push_back({id, i});
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](const Point& a, const Point& b) { return a.id < b.id; });
    std::vector<Sample> samples;
    for (std::size_t i = 0; i < order.size();) {
      samples.clear();
      std::size_t j = i;
      for (; j < order.size() && order[j].id == order[i].id; ++j)
        samples.push_back(points[order[j].at].sample);
      normalize(samples);
      Planned p;
      p.id = order[i].id;
      p.ref = &points[order[i].at].series;
      plan_series(p, std::move(samples), INT64_MIN);  // live producers
      if (p.created) p.canonical = canonical_labels(p.ref->unpack());
      samples = {};
      plan.push_back(std::move(p));
      i = j;
    }
  }
  auto result = commit(plan);
  if (!result.ok()) return result;
  for (const auto& p : plan) p.ref->cache_id(p.id);
  if (m_listener && m_listener_wanted()) {
    std::vector<SeriesSamples> batch;
    batch.reserve(points.size());
    for (const auto& pt : points) batch.push_back({pt.series.unpack(), {pt.sample}});
    m_listener(batch);
  }
  return result;
}

void Store::plan_series(Planned& p, std::vector<Sample>&& samples, TimeMs horizon) {
  p.created = !m_uncommitted.empty() && m_uncommitted.contains(p.id);
  const Head* head = m_heads.find(p.id);
  TimeMs mark = head ? head->persisted_max : INT64_MIN;
  auto split = first_after(samples.begin(), samples.end(), mark);
  auto past_end = first_at_or_after(split, samples.end(), horizon);
  p.defer = static_cast<std::size_t>(past_end - split) >= m_options.defer_min_samples;
  if (split == samples.begin()) {
    p.head_part = std::move(samples);  // the common case: all of it for the head, no copy
    return;
  }
  p.backfill.assign(samples.begin(), split);
  p.head_part.assign(split, samples.end());
}

Result<AppendResult> Store::commit(std::vector<Planned>& plan, const InJob* in_job) {
  AppendResult result;
  for (auto& p : plan) {
    result.samples += p.backfill.size() + p.head_part.size();
    result.series_created += p.created ? 1 : 0;
    if (!p.backfill.empty()) encode_samples(p.id, p.backfill, p.blobs);
  }
  if (plan.empty() && !in_job) return result;
  auto now = m_clock.now_ms();
  std::uint64_t segment = 0;
  // Head parts move into the log record and, once it is written, from there into the heads.
  LogBatch log_batch;
  std::unordered_set<SeriesId> deferred;
  auto committed = m_writer.run<bool>([&](SQLite::Database& db) -> Result<bool> {
    SQLite::Statement add_series(
        db, "INSERT OR IGNORE INTO series(id, labels, created_at) VALUES (?, ?, ?)");
    PackWriter packs(db, m_next_seq);
    for (auto& p : plan) {
      if (p.created) {
        add_series.bind(1, p.id);
        add_series.bind(2, p.canonical);
        add_series.bind(3, static_cast<std::int64_t>(now));
        add_series.exec();
        add_series.reset();
      }
      write_blobs(packs, p.blobs);
      if (!p.head_part.empty()) {
        if (p.defer) deferred.insert(p.id);
        log_batch.entries.push_back({p.id, std::move(p.head_part)});
      }
    }
    packs.finish();
    if (in_job) TT_TRY((*in_job)(db));
    if (!log_batch.entries.empty()) {
      auto seg = m_log.append(log_batch);
      if (!seg.ok()) return std::move(seg).error();
      segment = seg.value();
    }
    return true;
  });
  if (!committed.ok()) return std::move(committed).error();
  bool wake_maintenance = false;
  {
    std::lock_guard lock(m_heads_mutex);
    auto now_mono = m_clock.mono_ms();
    for (const auto& p : plan)
      if (p.created) m_uncommitted.erase(p.id);
    if (m_block_file) m_block_file->advance(segment);
    for (auto& e : log_batch.entries) {
      auto& head = m_heads[e.series_id];
      if (head.samples.empty()) {
        head.first_segment = segment;
        head.first_append_mono_ms = now_mono;
      } else {
        head.first_segment = std::min(head.first_segment, segment);
      }
      if (deferred.empty() || !deferred.contains(e.series_id)) {
        head.samples.merge(e.samples);
        continue;
      }
      const std::size_t plain = head.samples.plain_samples();
      head.samples.merge(std::move(e.samples), HeadSamples::Blocks::defer);
      m_deferred_samples +=
          head.samples.plain_samples() - std::min(plain, head.samples.plain_samples());
    }
    wake_maintenance = m_deferred_samples >= m_options.max_deferred_samples;
  }
  if (wake_maintenance) m_maint_cv.notify_all();
  samples_appended().inc(static_cast<double>(result.samples));
  return result;
}

void Store::encode_samples(SeriesId id, std::span<const Sample> samples, std::vector<Blob>& out,
                           std::int64_t tier) const {
  for (std::size_t at = 0; at < samples.size(); at += m_options.max_chunk_samples) {
    auto part = samples.subspan(at, std::min(m_options.max_chunk_samples, samples.size() - at));
    out.push_back({tier, id, part.front().t, part.back().t, encode_chunk(part)});
  }
  if (tier == kUnmergedTier) return;  // the merge writes them
  for (std::int64_t tier : {kTier1m, kTier1h}) {
    if (tier == kTier1m && !wants_minute_tier(samples)) continue;
    const auto buckets = make_buckets(samples, tier);
    for (std::size_t at = 0; at < buckets.size(); at += kMaxBlobBuckets) {
      auto part = std::span(buckets).subspan(at, std::min(kMaxBlobBuckets, buckets.size() - at));
      out.push_back(
          {tier, id, part.front().start, part.back().start + tier - 1, encode_buckets(part)});
    }
  }
}

void Store::write_blobs(PackWriter& packs, const std::vector<Blob>& blobs) {
  for (const auto& b : blobs) packs.add(b.tier, b.id, b.min_t, b.max_t, b.data, b.seq);
}

Result<void> Store::cut_heads(Which which) {
  std::unique_lock gate(m_gate);
  std::vector<Cut> cuts;
  auto now = m_clock.mono_ms();
  {
    std::lock_guard lock(m_heads_mutex);
    // The budget is for samples, what a cut frees: with many series the fixed part (every
    // series' Head, held or not) alone would fill it, and every pass would cut heads of a few
    // samples.
    std::size_t held = 0, samples = 0, series = 0;
    std::vector<std::pair<std::size_t, SeriesId>> by_size;  // heads not due
    m_heads.for_each([&](SeriesId id, Head& head) {
      if (head.samples.empty()) return;
      // A head holding a plain run of the past (see defer_min_samples) is due at once.
      bool due = head.samples.size() >= m_options.max_chunk_samples ||
                 head.samples.has_deferred() ||
                 head.samples.last_t() - head.samples.first_t() >= m_options.max_chunk_span_ms ||
                 now - head.first_append_mono_ms >= m_options.max_head_age_ms;
      if (due || which == Which::all) {
        cuts.push_back({id});
        return;
      }
      // The others' full blocks go to the block file once the head is a minute old: one filled
      // faster (an import) is cut before it wrote them there, unless memory runs short.
      if (m_block_file && now - head.first_append_mono_ms >= kSpillAfterMs)
        head.samples.spill(*m_block_file);
      const std::size_t bytes = head.samples.memory_bytes() - sizeof(HeadSamples);
      by_size.emplace_back(bytes, id);
      held += bytes;
      samples += head.samples.size();
      ++series;
    });
    if (held > m_options.max_head_bytes) {
      std::sort(by_size.begin(), by_size.end(), std::greater<>());
      for (const auto& [bytes, id] : by_size) {
        if (held <= m_options.max_head_bytes / 4 * 3) break;
        HeadSamples& head = m_heads[id].samples;
        if (m_block_file && head.spill(*m_block_file, true)) {
          held -= bytes - (head.memory_bytes() - sizeof(HeadSamples));
          head_spills().inc();
          continue;
        }
        samples -= head.size();
        --series;
        cuts.push_back({id, true});
        held -= bytes;
        head_cuts_for_memory().inc();
      }
    }
    m_deferred_samples = 0;  // each head holding some is cut now
    head_bytes().set(static_cast<double>(m_heads.memory_bytes() + held +
                                         (m_block_file ? m_block_file->memory_bytes() : 0)));
    head_block_file_bytes().set(m_block_file ? static_cast<double>(m_block_file->bytes()) : 0.0);
    index_bytes().set(static_cast<double>(m_index.memory_bytes()));
    head_samples().set(static_cast<double>(samples));
    head_series().set(static_cast<double>(series));
  }
  if (cuts.empty()) {
    if (which == Which::all) m_log_in_doubt = false;
    return {};
  }
  // Neighbours in a pack are then neighbours in queries, which read series in id order.
  std::sort(cuts.begin(), cuts.end(), [](const Cut& a, const Cut& b) { return a.id < b.id; });
  // One head decoded at a time (the gate keeps appends out), and its chunks written in batches
  // of about kWriteBatchBytes: the heads of 1,000 pings fill at the same moment, and their
  // chunks together take about 100 MB. Each batch's heads are cleared once it committed, so a
  // failure or a crash between batches leaves every sample in a chunk or in a head (and the log).
  bool unreadable = false;
  for (std::size_t next = 0; next < cuts.size();) {
    const std::size_t first = next;
    std::size_t bytes = 0;
    for (; next < cuts.size() && bytes < kWriteBatchBytes; ++next) {
      Cut& c = cuts[next];
      std::vector<Sample> samples;
      {
        std::lock_guard lock(m_heads_mutex);
        const HeadSamples& head = m_heads[c.id].samples;
        auto copied = head.copy(m_block_file.get());
        if (!copied.ok()) {
          // Left as it is, with the log segments it needs: a restart rebuilds it from the log.
          log::error("tsdb: series {}: the head's blocks cannot be read ({}); it stays uncut", c.id,
                     copied.error().message);
          unreadable = true;
          continue;
        }
        samples = std::move(copied.value());
        // A backlog replayed behind live samples (an agent back after an outage): the live
        // samples stay, so the rest of the backlog still comes into the head in front of them
        // and is cut in long chunks at the next passes. Cut whole, what follows would be older
        // than the cut, backfill, each append's part in chunks of its own.
        auto live = std::lower_bound(samples.begin(), samples.end(), head.backlog_front(),
                                     [](const Sample& s, TimeMs t) { return s.t < t; });
        if (which == Which::due && live != samples.begin() && live != samples.end() &&
            static_cast<std::size_t>(samples.end() - live) < m_options.max_chunk_samples) {
          c.kept.assign(live, samples.end());
          samples.erase(live, samples.end());
        }
      }
      encode_samples(c.id, samples, c.blobs, c.early ? kUnmergedTier : kRawTier);
      for (const auto& b : c.blobs) bytes += b.data.size();
      c.last_t = samples.back().t;
    }
    const auto batch = std::span(cuts).subspan(first, next - first);
    auto done = m_writer.run<bool>([&](SQLite::Database& db) -> Result<bool> {
      PackWriter packs(db, m_next_seq);
      for (const auto& c : batch) write_blobs(packs, c.blobs);
      packs.finish();
      return true;
    });
    if (!done.ok()) return std::move(done).error();
    // The gate kept appends out, so each cut head now holds what it kept.
    std::lock_guard lock(m_heads_mutex);
    for (auto& c : batch) {
      if (c.blobs.empty()) continue;  // unreadable
      auto& head = m_heads[c.id];
      head.persisted_max = std::max(head.persisted_max, c.last_t);
      head.samples.clear();
      // Kept samples keep their place in the log (first_segment) and their age.
      if (!c.kept.empty())
        head.samples.merge(c.kept);
      else
        head.first_segment = 0;
      std::vector<Blob>().swap(c.blobs);
    }
  }
  // No sample depends on the log any more.
  if (which == Which::all && !unreadable) m_log_in_doubt = false;
  return {};
}

Result<void> Store::trim_log() {
  std::unique_lock gate(m_gate);  // no append is between its log write and its head
  std::uint64_t oldest = UINT64_MAX;
  {
    std::lock_guard lock(m_heads_mutex);
    m_heads.for_each([&](SeriesId, const Head& head) {
      if (!head.samples.empty()) oldest = std::min(oldest, head.first_segment);
    });
  }
  std::uint64_t current = 0;
  auto r = m_writer.run<bool>([&](SQLite::Database&) -> Result<bool> {
    if (auto synced = m_log.sync(); !synced.ok()) {
      m_log_in_doubt = true;
      return std::move(synced).error();
    }
    // An empty segment is kept: a rotation per pass on an idle server only churns files.
    const auto bytes = m_log.current_segment_bytes();
    if ((oldest == UINT64_MAX && bytes > 0) || bytes >= m_options.log_segment_bytes) {
      auto seg = m_log.rotate();
      if (!seg.ok()) return std::move(seg).error();
    }
    current = m_log.current_segment();
    m_log.remove_before(std::min(oldest, current));
    return true;
  });
  if (!r.ok()) return std::move(r).error();
  if (!m_block_file) return {};
  std::lock_guard lock(m_heads_mutex);
  m_block_file->advance(current);
  m_block_file->remove_before(std::min(oldest, current));
  return {};
}

Result<void> Store::flush_all() {
  TT_TRY(cut_heads(Which::all));
  return trim_log();
}

Result<void> Store::maintain() {
  TT_TRY(cut_heads(m_log_in_doubt ? Which::all : Which::due));
  auto trimmed = trim_log();
  if (m_log_in_doubt) {
    // The heads hold the samples of the records in doubt: store them now.
    if (!trimmed.ok())
      log::error("tsdb: {}; cutting every head into chunks rather than trusting the log",
                 trimmed.error().message);
    TT_TRY(flush_all());
  }
  TT_TRY(trimmed);
  if (m_clock.mono_ms() - m_last_retention_ms >= kRetentionPeriodMs) TT_TRY(apply_retention());
  return merge_unmerged();
}

Result<void> Store::merge_unmerged() {
  std::unique_lock busy(m_merge_mutex, std::try_to_lock);
  if (!busy.owns_lock()) return {};
  // The unmerged packs up to the newest now; cuts come from this thread, so none is added
  // while the merge runs, and at its end every chunk of those packs has been merged.
  std::int64_t last_pack = 0;
  std::vector<std::pair<SeriesId, TimeMs>> todo;  // series, the start of its oldest such chunk
  auto listed = m_readers.with([&](SQLite::Database& db) -> Result<bool> {
    SQLite::Statement due(db, "SELECT max(id), min(max_t) FROM packs WHERE tier = ?");
    due.bind(1, kUnmergedTier);
    if (!due.executeStep() || due.getColumn(0).isNull() ||
        m_clock.now_ms() - due.getColumn(1).getInt64() < m_options.merge_after_ms)
      return true;
    last_pack = due.getColumn(0).getInt64();
    SQLite::Statement series(db,
                             "SELECT c.series_id, min(c.min_t) FROM packs p JOIN chunks c ON "
                             "c.pack_id = p.id WHERE p.tier = ? AND p.id <= ? GROUP BY 1");
    SQLite::bind(series, kUnmergedTier, last_pack);
    while (series.executeStep())
      todo.emplace_back(series.getColumn(0).getInt64(), series.getColumn(1).getInt64());
    return true;
  });
  if (!listed.ok()) return std::move(listed).error();
  if (last_pack == 0) return {};
  for (std::size_t next = 0; next == 0 || next < todo.size();) {
    std::vector<Blob> blobs;
    std::vector<std::int64_t> rows;  // the unmerged chunks' rows the blobs replace
    std::size_t bytes = 0;
    auto read = m_readers.with([&](SQLite::Database& db) -> Result<bool> {
      SQLite::Statement chunks(
          db,
          "SELECT c.pack_id, c.pack_offset, c.pack_bytes, c.id, c.seq FROM chunks c JOIN packs p "
          "ON p.id = c.pack_id WHERE c.series_id = ? AND c.min_t >= ? AND p.tier = ? AND "
          "p.id <= ? ORDER BY c.seq");
      PackReader packs(db);
      for (; next < todo.size() && bytes < kWriteBatchBytes; ++next) {
        const auto [id, from] = todo[next];
        std::vector<Sample> samples;
        std::int64_t seq = 0;
        const auto first_row = rows.size();
        bool readable = true;
        SQLite::bind(chunks, id, from, kUnmergedTier, last_pack);
        while (chunks.executeStep()) {
          auto blob = read_blob(packs, chunks);
          auto decoded =
              blob.ok() ? decode_chunk(*blob) : Result<std::vector<Sample>>(blob.error());
          if (!decoded.ok()) {
            readable = false;
            log::error(
                "tsdb: series {}: an unmerged chunk is unreadable ({}); its chunks stay "
                "unmerged",
                id, decoded.error().message);
            break;
          }
          rows.push_back(chunks.getColumn(3).getInt64());
          if (seq == 0) seq = chunks.getColumn(4).getInt64();
          merge_samples(samples, *decoded);
        }
        chunks.reset();
        if (!readable) rows.resize(first_row);  // left as they are, and so are their packs
        if (!readable || samples.empty()) continue;
        const auto first = blobs.size();
        encode_samples(id, samples, blobs);
        for (auto i = first; i < blobs.size(); ++i) {
          // The oldest seq they replace: a backfill written after it still wins where they
          // share a timestamp, as it did over the unmerged chunk.
          if (blobs[i].tier == kRawTier) blobs[i].seq = seq;
          bytes += blobs[i].data.size();
        }
      }
      return true;
    });
    if (!read.ok()) return std::move(read).error();
    const bool last = next >= todo.size();
    auto wrote = m_writer.run<bool>([&](SQLite::Database& db) -> Result<bool> {
      PackWriter packs(db, m_next_seq);
      write_blobs(packs, blobs);
      packs.finish();
      SQLite::Statement drop(db, "DELETE FROM chunks WHERE id = ?");
      for (auto row : rows) {
        drop.bind(1, row);
        drop.exec();
        drop.reset();
      }
      if (last) {
        SQLite::Statement packs_done(db,
                                     "DELETE FROM packs WHERE tier = ? AND id <= ? AND NOT EXISTS "
                                     "(SELECT 1 FROM chunks WHERE pack_id = packs.id)");
        SQLite::bind(packs_done, kUnmergedTier, last_pack);
        packs_done.exec();
      }
      return true;
    });
    if (!wrote.ok()) return std::move(wrote).error();
    chunks_merged().inc(static_cast<double>(rows.size()));
    if (last) break;
    std::lock_guard lock(m_maint_mutex);
    if (m_stopping) break;  // the rest is merged after the next start
  }
  return {};
}

void Store::maintenance_loop() {
  std::unique_lock lock(m_maint_mutex);
  while (!m_stopping) {
    m_maint_cv.wait_for(lock, std::chrono::milliseconds(m_options.maintenance_period_ms));
    if (m_stopping) break;
    lock.unlock();
    if (auto r = maintain(); !r.ok()) log::warn("tsdb: maintenance failed: {}", r.error().message);
    if (m_maintenance_task) m_maintenance_task();
    lock.lock();
  }
}

Result<std::vector<Sample>> Store::head_copy(SeriesId id, TimeMs from, TimeMs to) const {
  std::lock_guard lock(m_heads_mutex);
  const Head* head = m_heads.find(id);
  return head ? head->samples.copy(m_block_file.get(), from, to) : std::vector<Sample>{};
}

Result<std::vector<SeriesData>> Store::select(const std::vector<query::Matcher>& matchers,
                                              TimeMs from, TimeMs to) {
  std::vector<SeriesData> out;
  TT_TRY(select_each(matchers, from, to, [&](SeriesData&& sd) -> Result<void> {
    out.push_back(std::move(sd));
    return {};
  }));
  return out;
}

Result<void> Store::select_each(const std::vector<query::Matcher>& matchers, TimeMs from, TimeMs to,
                                const EachSeries& each) {
  auto ids = m_index.select(matchers);
  auto r = m_readers.with([&](SQLite::Database& db) -> Result<bool> {
    SQLite::Statement chunks(
        db,
        "SELECT pack_id, pack_offset, pack_bytes FROM chunks WHERE series_id = ? "
        "AND min_t <= ? AND max_t >= ? ORDER BY seq");
    PackReader packs(db);
    for (SeriesId id : ids) {
      SeriesData sd;
      SQLite::bind(chunks, id, to, from);
      while (chunks.executeStep()) {
        auto blob = TT_TRY(read_blob(packs, chunks));
        auto decoded = TT_TRY(decode_chunk(blob));
        std::erase_if(decoded, [&](const Sample& s) { return s.t < from || s.t > to; });
        merge_samples(sd.samples, decoded);
      }
      chunks.reset();
      auto head = TT_TRY(head_copy(id, from, to));
      if (sd.samples.empty())
        sd.samples = std::move(head);
      else
        merge_samples(sd.samples, head);
      if (sd.samples.empty()) continue;
      sd.labels = m_index.labels_of(id).value_or(LabelSet{});
      TT_TRY(each(std::move(sd)));
    }
    return true;
  });
  if (!r.ok()) return std::move(r).error();
  return {};
}

Result<std::vector<Store::SeriesBuckets>> Store::select_buckets(
    const std::vector<query::Matcher>& matchers, TimeMs from, TimeMs to, std::int64_t tier_ms) {
  auto ids = m_index.select(matchers);
  std::vector<SeriesBuckets> out;
  TimeMs first = from - (((from % tier_ms) + tier_ms) % tier_ms);
  auto r = m_readers.with([&](SQLite::Database& db) -> Result<bool> {
    // The tier's rollups, then the unmerged chunks (which have none yet) to bucket here; one
    // statement, so a merge that replaces the ones by the others is seen whole or not at all.
    SQLite::Statement rows(
        db,
        "SELECT pack_id, pack_offset, pack_bytes, 1 FROM rollups WHERE tier = ?1 AND "
        "series_id = ?2 AND min_t <= ?3 AND max_t >= ?4 UNION ALL SELECT c.pack_id, "
        "c.pack_offset, c.pack_bytes, 0 FROM chunks c JOIN packs p ON p.id = c.pack_id WHERE "
        "c.series_id = ?2 AND c.min_t <= ?3 AND c.max_t >= ?4 AND p.tier = ?5");
    PackReader packs(db);
    for (SeriesId id : ids) {
      SeriesBuckets sb{id, m_index.labels_of(id).value_or(LabelSet{}), {}, false};
      SQLite::bind(rows, tier_ms, id, to, first, kUnmergedTier);
      while (rows.executeStep()) {
        auto blob = TT_TRY(read_blob(packs, rows));
        if (rows.getColumn(3).getInt() == 0) {
          auto samples = TT_TRY(decode_chunk(blob));
          merge_buckets(sb.buckets, make_buckets(samples, tier_ms));
          continue;
        }
        auto decoded = TT_TRY(decode_buckets(blob));
        sb.stored_tier = true;
        merge_buckets(sb.buckets, decoded);
      }
      rows.reset();
      auto head = TT_TRY(head_copy(id, first, to));
      merge_buckets(sb.buckets, make_buckets(head, tier_ms));
      std::erase_if(sb.buckets, [&](const Bucket& b) { return b.start < first || b.start > to; });
      out.push_back(std::move(sb));
    }
    return true;
  });
  if (!r.ok()) return std::move(r).error();
  return out;
}

Result<void> Store::apply_retention() {
  auto now = m_clock.now_ms();
  auto r = m_writer.run<bool>([&](SQLite::Database& db) -> Result<bool> {
    // Index rows go first; a pack goes when its newest member has, so no row points at it.
    SQLite::Statement chunks(db, "DELETE FROM chunks WHERE max_t < ?");
    SQLite::Statement rollups(db, "DELETE FROM rollups WHERE tier = ? AND max_t < ?");
    SQLite::Statement packs(db, "DELETE FROM packs WHERE tier = ? AND max_t < ?");
    for (auto [tier, keep] : {std::pair{kRawTier, m_options.raw_retention_ms},
                              std::pair{kUnmergedTier, m_options.raw_retention_ms},
                              std::pair{kTier1m, m_options.rollup_1m_retention_ms},
                              std::pair{kTier1h, m_options.rollup_1h_retention_ms}}) {
      const auto cutoff = static_cast<std::int64_t>(now - keep);
      if (tier != kUnmergedTier) {  // its chunk rows went with kRawTier's
        auto& members = tier == kRawTier ? chunks : rollups;
        if (tier != kRawTier) members.bind(1, tier);
        members.bind(tier == kRawTier ? 1 : 2, cutoff);
        members.exec();
        members.reset();
      }
      packs.bind(1, tier);
      packs.bind(2, cutoff);
      packs.exec();
      packs.reset();
    }
    // Give freed pages back to the file system, a bounded amount per pass.
    db.exec("PRAGMA incremental_vacuum(2048)");
    return true;
  });
  if (!r.ok()) return std::move(r).error();
  m_last_retention_ms = m_clock.mono_ms();
  return {};
}

}  // namespace tt::tsdb
