#include "checks/recorder.h"

#include <algorithm>
#include <span>

#include "checks/check.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/worker.h"
#include "inventory/service.h"

namespace tt::checks {

namespace {

constexpr std::size_t kMaxQueued = 1'000'000;
constexpr int kFlushEveryMs = 1000;
constexpr std::size_t kAppendSlice = 8192;  // samples per store append

metrics::Counter& dropped_results() {
  static auto& c =
      metrics::counter("telltale_check_results_dropped_total",
                       "Check results not recorded because the recorder's queue was full.");
  return c;
}

void write_last_result(SQLite::Database& db, std::int64_t check_id, const LastRun& last) {
  SQLite::Statement st(db, "UPDATE checks SET last_result = ? WHERE id = ?");
  st.bind(1, result_json(last).dump());
  st.bind(2, check_id);
  st.exec();
}

void write_stretch(SQLite::Database& db, Stretch& s) {
  auto bind_latency = [&](SQLite::Statement& st, int i) {
    if (s.timed)
      st.bind(i, s.latency_sum);
    else
      st.bind(i);
  };
  if (s.row != 0) {
    SQLite::Statement st(db,
                         "UPDATE check_outcomes SET last_at = ?, runs = ?, latency_sum = ? "
                         "WHERE id = ?");
    st.bind(1, static_cast<std::int64_t>(s.last_at));
    st.bind(2, s.runs);
    bind_latency(st, 3);
    st.bind(4, s.row);
    st.exec();
    return;
  }
  // The check may have been deleted since the run: then there is nothing to record.
  SQLite::Statement st(db,
                       "INSERT INTO check_outcomes(check_id, first_at, last_at, runs, up, error, "
                       "message, latency_sum) SELECT ?, ?, ?, ?, ?, ?, ?, ? "
                       "WHERE EXISTS (SELECT 1 FROM checks WHERE id = ?)");
  st.bind(1, s.check_id);
  st.bind(2, static_cast<std::int64_t>(s.first_at));
  st.bind(3, static_cast<std::int64_t>(s.last_at));
  st.bind(4, s.runs);
  st.bind(5, s.up ? 1 : 0);
  st.bind(6, s.error);
  st.bind(7, s.message);
  bind_latency(st, 8);
  st.bind(9, s.check_id);
  if (st.exec() > 0) s.row = db.getLastInsertRowid();
}

}  // namespace

Recorder::Recorder(db::Writer& writer, bus::Bus& bus, const Clock& clock, AppendSamples append)
    : m_log(writer, &bus, clock), m_append(std::move(append)) {
  m_thread = std::thread([this] { run(); });
}

Recorder::~Recorder() { stop(); }

void Recorder::take(std::shared_ptr<const CheckResult> r) {
  std::lock_guard lock(m_mutex);
  if (m_stopping || m_queue.size() >= kMaxQueued) {
    dropped_results().inc();
    return;
  }
  m_queue.push_back(std::move(r));
  // State changes are what people wait for: wake the thread at once for them.
  if (m_queue.back()->urgent()) m_cv.notify_one();
}

void Recorder::stop() { stop_worker(m_mutex, m_cv, m_stopping, m_thread); }

std::vector<Stretch> Recorder::open_stretches() const {
  std::lock_guard lock(m_open_mutex);
  std::vector<Stretch> out;
  out.reserve(m_open.size());
  for (const auto& [id, o] : m_open) out.push_back(o.s);
  return out;
}

void Recorder::run() {
  for (;;) {
    std::vector<std::shared_ptr<const CheckResult>> batch;
    bool stopping;
    {
      std::unique_lock lock(m_mutex);
      m_cv.wait_for(lock, std::chrono::milliseconds(kFlushEveryMs), [this] {
        if (m_stopping) return true;
        for (const auto& r : m_queue)
          if (r->urgent()) return true;
        return false;
      });
      batch.swap(m_queue);
      stopping = m_stopping;
    }
    if (!batch.empty()) flush(std::move(batch));
    if (stopping) {
      std::lock_guard lock(m_mutex);
      if (m_queue.empty()) break;
    }
  }
  // The open stretches' rows lag by up to a checkpoint, and last results by up to
  // kLastResultEveryMs: bring them up to date before a restart, so its uptime and bars go on
  // from where they were and each check shows its latest run.
  auto done = m_log.commit<bool>(kSystemActor, [this](events::Change& change) -> Result<bool> {
    std::lock_guard lock(m_open_mutex);
    for (auto& [id, o] : m_open)
      if (o.s.row != 0) write_stretch(change.db(), o.s);
    for (auto& [id, last] : m_last_results)
      if (last.unwritten) write_last_result(change.db(), id, *last.unwritten);
    return true;
  });
  if (!done.ok())
    log::error("check results: open stretches and last results not written: {}",
               done.error().message);
}

void Recorder::flush(std::vector<std::shared_ptr<const CheckResult>> batch) {
  std::vector<RefSample> samples;
  std::size_t n = 0;
  for (const auto& r : batch) n += r->samples.size();
  samples.reserve(n);
  for (const auto& r : batch)
    for (const auto& s : r->samples) samples.push_back(s);
  // A slice at a time: the store plans each series of an append at once, a few hundred bytes
  // apiece, and a backlog after a stalled writer would otherwise spike by megabytes.
  std::span<const RefSample> rest = samples;
  while (!rest.empty()) {
    auto slice = rest.first(std::min(rest.size(), kAppendSlice));
    rest = rest.subspan(slice.size());
    if (auto appended = m_append(slice); !appended.ok())
      log::error("check results: samples not stored: {}", appended.error().message);
  }

  bool urgent = false;
  for (const auto& r : batch) urgent = urgent || r->urgent();
  auto job = [&](events::Change& change) -> Result<bool> {
    SQLite::Database& db = change.db();
    const TimeMs now = change.now();
    for (const auto& r : batch) {
      if (r->is_run) {
        // Runs with the same outcome (up or not, and the same error) share a stretch.
        std::lock_guard lock(m_open_mutex);
        auto [it, fresh] = m_open.try_emplace(r->check_id);
        Open& o = it->second;
        Stretch& s = o.s;
        if (fresh || s.up != r->up || s.error != r->error) {
          if (!fresh) write_stretch(db, s);
          s = Stretch{0, r->check_id, r->at, r->at, 0, r->up, 0, r->up, r->error, r->message, 0};
          o.written_ms = 0;
        }
        s.last_at = r->at;
        ++s.runs;
        if (s.up) s.latency_sum += r->latency_s();
        if (s.row == 0 || now - o.written_ms >= kStretchCheckpointMs) {
          write_stretch(db, s);
          o.written_ms = now;
        }
      }
      // A node is seen at every up run of its checks; written once a minute at most, since
      // each write is a page on an SD card (a status change writes it at once).
      if (r->is_run && r->up && r->check_node != 0 &&
          now - m_last_seen_written[r->check_node] >= kLastSeenEveryMs) {
        SQLite::Statement st(db,
                             "UPDATE nodes SET last_seen = ? WHERE id = ? AND "
                             "(last_seen IS NULL OR last_seen < ?)");
        st.bind(1, static_cast<std::int64_t>(r->at));
        st.bind(2, r->check_node);
        st.bind(3, static_cast<std::int64_t>(r->at));
        st.exec();
        m_last_seen_written[r->check_node] = now;
      }
      for (const auto& [kind, data] : r->events) {
        nlohmann::json d = data;
        d["check_id"] = r->check_id;
        d["check"] = r->check_name;
        d["at"] = format_rfc3339(r->at);
        change.event("checks", kind, std::to_string(r->check_id), std::move(d));
      }
      if (r->node_id && !r->node_status.empty()) {
        if (auto status = inventory::parse_node_status(r->node_status))
          inventory::set_node_status(change, *r->node_id, *status);
      }
      if (r->state_changed || r->flapping_changed) {
        SQLite::Statement st(
            db,
            "UPDATE checks SET state = ?, state_since = CASE WHEN ? THEN ? ELSE state_since END, "
            "flapping = ?, last_result = coalesce(?, last_result) WHERE id = ?");
        st.bind(1, r->state);
        st.bind(2, r->state_changed ? 1 : 0);
        st.bind(3, static_cast<std::int64_t>(r->at));
        st.bind(4, r->flapping ? 1 : 0);
        if (!r->is_run)
          st.bind(5);
        else
          st.bind(5, result_json(*r).dump());
        st.bind(6, r->check_id);
        if (st.exec() == 0) continue;  // deleted meanwhile
        if (r->is_run) m_last_results[r->check_id] = {now, nullptr};
        nlohmann::json data{{"id", r->check_id},           {"name", r->check_name},
                            {"state", r->state},           {"flapping", r->flapping},
                            {"at", format_rfc3339(r->at)}, {"message", r->message}};
        if (r->state_changed) {
          data["from"] = r->from_state;
          change.event("checks", "check.state_changed", std::to_string(r->check_id), data);
        }
        if (r->flapping_changed) {
          change.event("checks", r->flapping ? "check.flapping_started" : "check.flapping_stopped",
                       std::to_string(r->check_id), data);
        }
      } else if (r->is_run) {
        auto& last = m_last_results[r->check_id];
        if (now - last.written_ms >= kLastResultEveryMs) {
          write_last_result(db, r->check_id, *r->last);
          last = {now, nullptr};
        } else {
          last.unwritten = r->last;
        }
      }
    }
    // A check that stopped running (paused, deleted) has no next run to write its last result:
    // each period, what waited a whole one is written, and the checks not heard of since are
    // forgotten (their next run, if any, writes at once).
    if (now - m_last_results_swept >= kLastResultEveryMs) {
      std::erase_if(m_last_results, [&](const auto& entry) {
        const auto& [id, last] = entry;
        if (!last.unwritten) return now - last.written_ms >= kLastResultEveryMs;
        if (now - last.unwritten->at < kLastResultEveryMs) return false;
        write_last_result(db, id, *last.unwritten);
        return true;
      });
      m_last_results_swept = now;
    }
    if (now - m_last_retention >= 3'600'000) {
      SQLite::Statement st(db, "DELETE FROM check_outcomes WHERE last_at < ?");
      st.bind(1, static_cast<std::int64_t>(now - kOutcomeRetentionMs));
      st.exec();
      m_last_retention = now;
    }
    return true;
  };
  auto done = m_log.commit<bool>(kSystemActor, job, urgent ? db::Urgency::now : db::Urgency::lazy);
  if (!done.ok()) log::error("check results: not recorded: {}", done.error().message);
}

}  // namespace tt::checks
