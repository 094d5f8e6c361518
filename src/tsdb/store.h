// tsdb/ — the time-series store inside SQLite. Samples enter an in-memory head per series,
// made durable by the append log before they are acknowledged, and are cut into compressed
// chunks (codec.h) with downsampled rollups beside them. Called by ingestion (api/), probes
// and the query engine; thread-safe.
//
// On faults of the log's disk (core/fs.h; tests/unit/tsdb/test_store_faults.cpp proves each):
// - full (ENOSPC) or failing (EIO) during an append: the append answers DISK_FULL or LOG_IO
//   (503) and stores nothing of its batch; what was acknowledged before stays, and the next
//   append after the disk recovers succeeds, without a restart. During a cut: a cut SQLite
//   refuses (DISK_FULL) leaves the heads as they were for a later pass; a log that cannot start
//   its next segment refuses appends, as above, until there is room.
// - a write cut short by a crash: replay drops the torn record and keeps every one before it.
// - power loss: the log is synced at each maintenance pass (10 s) and new segments' directory
//   entries at once, so it loses at most the samples acknowledged since the last pass (as SQLite,
//   at synchronous=NORMAL, may lose its last commits).
// - a failed sync: its records are not trusted (the kernel may have dropped them): the segment
//   is closed, every head is cut into SQLite at once, and maintenance reports the error.
// A batch refused because SQLite's commit failed after its log record was written may still
// reappear after a restart (refused means not promised, not necessarily absent).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <thread>
#include <unordered_set>

#include "core/clock.h"
#include "core/result.h"
#include "core/series.h"
#include "db/database.h"
#include "db/writer.h"
#include "tsdb/append_log.h"
#include "tsdb/block_file.h"
#include "tsdb/dense_table.h"
#include "tsdb/head.h"
#include "tsdb/pack.h"
#include "tsdb/rollup.h"
#include "tsdb/series_index.h"

namespace tt::tsdb {

struct StoreOptions {
  std::string log_dir;  // DATA/tsdb
  // Where heads keep their full blocks (block_file.h), DATA/tsdb/heads; empty keeps them in
  // memory, as heads do anyway behind a replayed backlog.
  std::string head_block_dir;
  // A head is cut when it holds this many samples (or spans max_chunk_span_ms). Long chunks
  // amortise the codec's per-chunk tables (packs fill the pages whatever their size); a query
  // decodes whole chunks, and heads cost 16 bytes a sample.
  std::size_t max_chunk_samples = 8192;
  std::int64_t max_chunk_span_ms = 24 * 3600'000;  // or spans this long
  // A head whose oldest sample arrived this long ago is cut: bounds head memory in real-time
  // operation (a 15 s series holds at most 1,440 samples, 23 KB) and how much log a crash replays.
  std::int64_t max_head_age_ms = 6 * 3600'000;
  // Memory the heads' samples may take. Full blocks are on disk (block_file.h), so this is
  // mostly the newest samples of each series. Past it, a maintenance pass moves the largest
  // heads' newest samples to disk too, and cuts early those it cannot (heads holding blocks in
  // memory), until the heads take three quarters of it: memory stays bounded however many series
  // there are and however long they wait. Early cuts are short chunks without rollups (tier
  // kUnmergedTier), merged into long chunks with their rollups once the oldest is
  // merge_after_ms old: short chunks alone compressed worse and cost an index row and rollup
  // headers each. The trade-off (memory, bytes written, bytes on disk) is measured in
  // bench/MEMORY_RESULTS.md.
  std::size_t max_head_bytes = 8u << 20;
  std::int64_t merge_after_ms = 3600'000;
  // Samples older than max_head_age_ms (by their timestamp) would have been cut already had they
  // arrived on time. When an append brings at least this many of them for a series (an import
  // of the past), they are logged as usual but kept plain in the head instead of encoded into
  // blocks, and the next maintenance pass cuts that head: one codec pass instead of three.
  // Fewer are treated as live samples (a plain head costs 16 bytes a sample).
  std::size_t defer_min_samples = 1024;
  // Plain samples all heads may hold so; past it, maintenance runs at once (64 MiB).
  std::size_t max_deferred_samples = 1u << 22;
  std::uint64_t log_segment_bytes = 16u << 20;  // the append log starts a new segment past this
  std::int64_t maintenance_period_ms = 10'000;
  std::int64_t raw_retention_ms = 30LL * 86'400'000;
  std::int64_t rollup_1m_retention_ms = 180LL * 86'400'000;
  std::int64_t rollup_1h_retention_ms = 5LL * 365 * 86'400'000;
};

using query::SeriesData;

struct AppendResult {
  std::size_t samples = 0;
  std::size_t series_created = 0;
};

// Also the query engine's storage: select() serves PromQL and the REST queries alike.
class Store : public query::Storage {
 public:
  // The append log's files go through `fs` (tests inject faults there); it must outlive the store.
  Store(db::Writer& writer, db::Readers& readers, const Clock& clock, StoreOptions options,
        FileSystem& fs = posix_fs());
  ~Store() override;  // close()s
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Loads the series index, replays the append log into the heads and starts maintenance.
  Result<void> open();
  // Stops maintenance and cuts every head into chunks; drop_heads skips the cut, leaving the
  // heads to the append log as a crash would (for tests of recovery). Idempotent.
  enum class OnClose { flush, drop_heads };
  void close(OnClose how = OnClose::flush);

  // Durable when it returns ok: samples newer than a series' stored chunks go to the head and
  // the append log, older ones (backfill) straight into chunks of their own. Samples of one
  // series with the same timestamp keep the last value. Labels must be valid and sorted.
  Result<AppendResult> append(std::vector<SeriesSamples> batch);
  // The same, with `in_job` run in the append's writer job after its series rows: what the
  // caller writes there (a pushed batch's number, a node's last_seen) commits with the samples
  // or not at all. A failure of `in_job` fails the append and stores nothing.
  using InJob = std::function<Result<void>(SQLite::Database&)>;
  Result<AppendResult> append(std::vector<SeriesSamples> batch, const InJob& in_job);
  // The same for producers that append to the same series again and again (a check's
  // probe_up): once a series is known its id is cached in its labels, so they are neither copied
  // nor hashed. Several samples of one series, in any order, are fine.
  Result<AppendResult> append(std::span<const RefSample> points);

  // Raw samples of every series the matchers select, in [from, to].
  Result<std::vector<SeriesData>> select(const std::vector<query::Matcher>& matchers, TimeMs from,
                                         TimeMs to) override;
  Result<void> select_each(const std::vector<query::Matcher>& matchers, TimeMs from, TimeMs to,
                           const EachSeries& each) override;

  // Rollup buckets of `tier_ms` (kTier1m or kTier1h) starting in [from, to]; the head's samples
  // are bucketed on the fly. Series without that tier stored have only their head's buckets:
  // callers fall back to raw samples for them (see has_tier).
  struct SeriesBuckets {
    SeriesId id;
    LabelSet labels;
    std::vector<Bucket> buckets;
    bool stored_tier = false;  // some rollup of this tier was stored for the series
  };
  Result<std::vector<SeriesBuckets>> select_buckets(const std::vector<query::Matcher>& matchers,
                                                    TimeMs from, TimeMs to, std::int64_t tier_ms);

  // Called after each successful append, on the appending thread, with the batch as stored,
  // when `wanted` says someone listens. Set before open(); keep both cheap (ingest's path).
  using AppendListener = std::function<void(const std::vector<SeriesSamples>&)>;
  void set_append_listener(std::function<bool()> wanted, AppendListener fn) {
    m_listener_wanted = std::move(wanted);
    m_listener = std::move(fn);
  }

  // Runs after each maintenance pass on the maintenance thread, for the other stores' periodic
  // upkeep (pruning the event log), so one thread paces all of it. Set before open().
  void set_maintenance_task(std::function<void()> task) { m_maintenance_task = std::move(task); }

  const SeriesIndex& index() const { return m_index; }
  const StoreOptions& options() const { return m_options; }
  // Cuts every head now and empties the append log. For tests and close().
  Result<void> flush_all();
  // One maintenance pass, as the maintenance thread runs it: cut the heads that are due, sync
  // and trim the append log, and apply retention when it is time. When the sync fails, every
  // head is cut at once (its samples are then in SQLite, not only in records in doubt) and the
  // sync's error is returned all the same.
  Result<void> maintain();
  // Deletes chunks and rollups past their tier's retention and returns the freed pages.
  Result<void> apply_retention();

 private:
  struct Head {
    HeadSamples samples;
    TimeMs persisted_max = INT64_MIN;  // newest timestamp already in chunks
    // The oldest log segment holding one of `samples` (0 when empty): segments before the
    // oldest of all heads are no longer needed and are deleted.
    std::uint64_t first_segment = 0;
    std::int64_t first_append_mono_ms = 0;  // when the oldest of `samples` arrived
  };
  // A chunk or rollup blob, encoded off the writer thread, on its way into a pack.
  struct Blob {
    std::int64_t tier;
    SeriesId id;
    TimeMs min_t, max_t;
    std::string data;
    std::int64_t seq = 0;  // 0: the next
  };
  struct Planned {
    SeriesId id = 0;
    bool created = false;  // the series' row is to be inserted
    std::string canonical;
    const PackedLabels* ref = nullptr;  // for append(points)
    std::vector<Sample> head_part, backfill;
    bool defer = false;       // head_part holds a run of the past: kept plain (defer_min_samples)
    std::vector<Blob> blobs;  // of backfill
  };
  // Fills p from a series' samples (normalized): split at the persisted mark; `horizon` is
  // where the past begins (see defer_min_samples). The caller adds p.canonical when p.created.
  // Under m_heads_mutex.
  void plan_series(Planned& p, std::vector<Sample>&& samples, TimeMs horizon);
  // Encodes the plan's chunks, writes its new series, chunks and log record in one writer job,
  // then extends the heads.
  Result<AppendResult> commit(std::vector<Planned>& plan, const InJob* in_job = nullptr);
  struct Cut {
    SeriesId id;
    bool early = false;  // for memory: unmerged chunks, no rollups
    std::vector<Blob> blobs;
    TimeMs last_t = 0;
    std::vector<Sample> kept;  // the newest samples, left in the head
  };

  void maintenance_loop();
  // Moves heads into chunks: all of them, or those that are full, span too long or are too old
  // (but the live samples of a head a backlog is replayed into, see HeadSamples::backlog_front).
  // Past max_head_bytes, the largest of the other heads are cut too.
  enum class Which { all, due };
  Result<void> cut_heads(Which which);
  // Syncs the append log, starts a new segment when the current one is large (or no head needs
  // it), and deletes the segments no head needs any more. A failed sync sets m_log_in_doubt.
  Result<void> trim_log();
  // Merges the unmerged chunks into long ones with their rollups when the oldest is
  // merge_after_ms old, a batch of series per writer job (each job replaces what it read, so a
  // crash between jobs leaves every sample readable once, and the next merge finishes).
  Result<void> merge_unmerged();
  // Samples as chunks of `tier` and, unless unmerged, their rollups. Pure: called outside the
  // writer job, so the writer thread (which every SQLite write waits for) only copies the blobs
  // into packs.
  void encode_samples(SeriesId id, std::span<const Sample> samples, std::vector<Blob>& out,
                      std::int64_t tier = kRawTier) const;
  // On the writer thread, in its transaction.
  static void write_blobs(PackWriter& packs, const std::vector<Blob>& blobs);
  Result<std::vector<Sample>> head_copy(SeriesId id, TimeMs from, TimeMs to) const;

  db::Writer& m_writer;
  db::Readers& m_readers;
  const Clock& m_clock;
  StoreOptions m_options;
  SeriesIndex m_index;
  std::function<bool()> m_listener_wanted;
  AppendListener m_listener;
  std::function<void()> m_maintenance_task;
  AppendLog m_log;  // used on the writer thread only

  // Appends hold it shared from assigning ids to updating heads; cuts hold it exclusively,
  // so a cut never moves the persisted mark past samples still on their way to a head.
  std::shared_mutex m_gate;
  mutable std::mutex m_heads_mutex;
  DenseTable<Head> m_heads;
  std::unique_ptr<BlockFile> m_block_file;  // null without head_block_dir; under m_heads_mutex
  std::size_t m_deferred_samples = 0;       // plain samples in heads due for the next pass, about
  // Ids assigned to new series whose row no commit has written yet. Every append that touches
  // one inserts its row, so a failed commit cannot leave later, acknowledged samples under an
  // id that a restart would drop.
  std::unordered_set<SeriesId> m_uncommitted;
  std::atomic<std::int64_t> m_next_seq{1};
  std::atomic<std::int64_t> m_last_retention_ms{0};
  // A sync of the log failed: its latest records may be lost in a power loss, so every head is
  // to be cut (their samples saved in SQLite). Cleared by a cut of all heads.
  std::atomic<bool> m_log_in_doubt{false};

  std::mutex m_merge_mutex;  // one merge at a time (tests call maintain() too)
  std::mutex m_maint_mutex;
  std::condition_variable m_maint_cv;
  bool m_stopping = false;
  bool m_open = false;
  std::thread m_maintenance;
};

}  // namespace tt::tsdb
