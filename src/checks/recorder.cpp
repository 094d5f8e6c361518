#include "checks/recorder.h"

#include "checks/check.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/worker.h"
#include "inventory/service.h"

namespace tt::checks {

namespace {

constexpr std::size_t kMaxQueued = 1'000'000;
constexpr int kFlushEveryMs = 1000;

metrics::Counter& dropped_results() {
  static auto& c =
      metrics::counter("telltale_check_results_dropped_total",
                       "Check results not recorded because the recorder's queue was full.");
  return c;
}

void write_stretch(SQLite::Database& db, std::int64_t check_id, std::int64_t& row, TimeMs first_at,
                   TimeMs last_at, std::int64_t runs, bool up, const std::string& error,
                   const std::string& message) {
  if (row != 0) {
    SQLite::Statement st(db, "UPDATE check_outcomes SET last_at = ?, runs = ? WHERE id = ?");
    st.bind(1, static_cast<std::int64_t>(last_at));
    st.bind(2, runs);
    st.bind(3, row);
    st.exec();
    return;
  }
  // The check may have been deleted since the run: then there is nothing to record.
  SQLite::Statement st(
      db,
      "INSERT INTO check_outcomes(check_id, first_at, last_at, runs, up, error, message) "
      "SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM checks WHERE id = ?)");
  st.bind(1, check_id);
  st.bind(2, static_cast<std::int64_t>(first_at));
  st.bind(3, static_cast<std::int64_t>(last_at));
  st.bind(4, runs);
  st.bind(5, up ? 1 : 0);
  st.bind(6, error);
  st.bind(7, message);
  st.bind(8, check_id);
  if (st.exec() > 0) row = db.getLastInsertRowid();
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
      if (m_queue.empty()) return;
    }
  }
}

void Recorder::flush(std::vector<std::shared_ptr<const CheckResult>> batch) {
  std::vector<RefSample> samples;
  std::size_t n = 0;
  for (const auto& r : batch) n += r->samples.size();
  samples.reserve(n);
  for (const auto& r : batch)
    for (const auto& s : r->samples) samples.push_back(s);
  if (!samples.empty()) {
    if (auto appended = m_append(samples); !appended.ok())
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
        auto [it, fresh] = m_stretches.try_emplace(r->check_id);
        Stretch& s = it->second;
        bool same = !fresh && s.up == r->up && s.error == r->error;
        if (!same) {
          if (!fresh)
            write_stretch(db, r->check_id, s.row, s.first_at, s.last_at, s.runs, s.up, s.error,
                          s.message);
          s = Stretch{0, r->at, r->at, 1, r->up, r->error, r->message, 0};
        } else {
          s.last_at = r->at;
          ++s.runs;
        }
        if (s.row == 0 || now - s.written_ms >= kStretchCheckpointMs) {
          write_stretch(db, r->check_id, s.row, s.first_at, s.last_at, s.runs, s.up, s.error,
                        s.message);
          s.written_ms = now;
        }
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
        m_last_result_written[r->check_id] = now;
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
      } else if (r->is_run && now - m_last_result_written[r->check_id] >= kLastResultEveryMs) {
        SQLite::Statement st(db, "UPDATE checks SET last_result = ? WHERE id = ?");
        st.bind(1, result_json(*r).dump());
        st.bind(2, r->check_id);
        st.exec();
        m_last_result_written[r->check_id] = now;
      }
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
