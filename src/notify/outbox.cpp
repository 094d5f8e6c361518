#include "notify/outbox.h"

#include <fmt/format.h>

#include "core/log.h"
#include "core/metrics.h"

namespace tt::notify {

namespace {

metrics::Counter& attempts_counter(std::string_view outcome) {
  return metrics::registry()
      .family("telltale_notification_attempts_total", "Notification delivery attempts by outcome.",
              metrics::Type::counter)
      .counter({{"outcome", std::string(outcome)}});
}

struct Head {
  std::int64_t id = 0;
  std::int64_t channel_id = 0;
  std::string kind;
  std::string config;
  std::int64_t alert_id = 0;
  Notice::Event event = Notice::Event::firing;
  std::string payload;
  TimeMs created_at = 0;
  bool firing_collapsed = false;
};

}  // namespace

std::int64_t backoff_ms(int failures, const OutboxOptions& o) {
  std::int64_t wait = o.backoff_min_ms;
  for (int i = 1; i < failures && wait < o.backoff_max_ms; ++i) wait *= 2;
  return std::min(wait, o.backoff_max_ms);
}

int enqueue(SQLite::Database& db, std::int64_t transition_id, std::int64_t rule_id,
            std::int64_t alert_id, Notice::Event event, const std::string& payload, TimeMs at) {
  // A resolution also goes to every channel that was told of the firing (escalation steps,
  // channels since removed from the rule).
  SQLite::Statement st(
      db,
      "INSERT OR IGNORE INTO notifications(channel_id, transition_id, alert_id, event, payload, "
      "created_at, "
      "next_at) SELECT c.id, ?1, ?2, ?3, ?4, ?5, ?5 FROM channels c WHERE c.id IN (SELECT j.value "
      "FROM "
      "alert_rules r, json_each(r.channels) j WHERE r.id = ?6 UNION SELECT channel_id FROM "
      "notifications "
      "WHERE alert_id = ?2 AND event = 'firing' AND ?3 = 'resolved') ORDER BY c.id");
  st.bind(1, transition_id);
  st.bind(2, alert_id);
  st.bind(3, std::string(to_string(event)));
  st.bind(4, payload);
  st.bind(5, static_cast<std::int64_t>(at));
  st.bind(6, rule_id);
  return st.exec();
}

namespace {

// The unacknowledged firing alerts, the step channels whose time has come, and the alert's
// latest firing transition; rows already queued for it are skipped by the UNIQUE key.
constexpr const char* kEscalationSelect =
    "FROM alerts a JOIN alert_rules r ON r.id = a.rule_id, json_each(r.escalations) e, "
    "json_each(e.value, '$.channels') ch JOIN channels c ON c.id = ch.value "
    "JOIN alert_transitions t ON t.id = (SELECT max(id) FROM alert_transitions WHERE alert_id = "
    "a.id AND to_state = 'firing') "
    "WHERE a.state = 'firing' AND a.acked_at IS NULL AND a.fired_at + json_extract(e.value, "
    "'$.after_ms') <= ?1 "
    "AND NOT EXISTS(SELECT 1 FROM notifications n WHERE n.transition_id = t.id AND n.channel_id = "
    "c.id)";

}  // namespace

int escalate(SQLite::Database& db, TimeMs now) {
  SQLite::Statement st(
      db,
      std::string(
          "INSERT OR IGNORE INTO notifications(channel_id, transition_id, alert_id, event, "
          "payload, created_at, next_at) SELECT c.id, t.id, a.id, 'firing', json_object('id', "
          "a.id, 'rule_name', a.rule_name, 'severity', a.severity, 'labels', json(a.labels), "
          "'annotations', json(a.annotations), 'value', a.value, 'active_at_ms', a.active_at, "
          "'fired_at_ms', a.fired_at, 'escalated_after_ms', json_extract(e.value, '$.after_ms')), "
          "t.at, ?1 ") +
          kEscalationSelect + " ORDER BY a.id, e.key, ch.key");
  st.bind(1, static_cast<std::int64_t>(now));
  return st.exec();
}

Dispatcher::Dispatcher(db::Writer& writer, db::Readers& readers, Transport& transport,
                       const Clock& clock, OutboxOptions options)
    : m_writer(writer),
      m_readers(readers),
      m_transport(transport),
      m_clock(clock),
      m_options(options) {}

Dispatcher::~Dispatcher() {
  stop();
}

void Dispatcher::start() {
  resume();
  m_thread = std::thread([this] { run(); });
}

void Dispatcher::resume() {
  TimeMs now = m_clock.now_ms();
  auto resumed = m_writer.run<int>([now](SQLite::Database& db) -> Result<int> {
    SQLite::Statement st(
        db, "UPDATE notifications SET next_at = ? WHERE state = 'pending' AND next_at > ?");
    st.bind(1, static_cast<std::int64_t>(now));
    st.bind(2, static_cast<std::int64_t>(now));
    return st.exec();
  });
  if (!resumed.ok())
    log::error("notifications: cannot resume the outbox: {}", resumed.error().message);
}

void Dispatcher::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

void Dispatcher::wake() {
  {
    std::lock_guard lock(m_mutex);
    m_woken = true;
  }
  m_cv.notify_all();
}

void Dispatcher::record(std::vector<Finished>& done) {
  TimeMs now = m_clock.now_ms();
  auto r = m_writer.run<bool>([&](SQLite::Database& db) -> Result<bool> {
    SQLite::Statement delivered(db,
                                "UPDATE notifications SET state = 'delivered', attempts = attempts "
                                "+ 1, sent_at = ? WHERE id = ?");
    SQLite::Statement failed(db,
                             "UPDATE notifications SET state = 'failed', attempts = attempts + 1, "
                             "last_error = ?, sent_at = ? "
                             "WHERE id = ?");
    for (const auto& f : done) {
      if (f.outcome.ok) {
        delivered.reset();
        delivered.bind(1, static_cast<std::int64_t>(now));
        delivered.bind(2, f.id);
        delivered.exec();
      } else if (f.outcome.permanent) {
        failed.reset();
        failed.bind(1, f.outcome.error);
        failed.bind(2, static_cast<std::int64_t>(now));
        failed.bind(3, f.id);
        failed.exec();
      } else {
        SQLite::Statement attempts(db, "SELECT attempts FROM notifications WHERE id = ?");
        attempts.bind(1, f.id);
        int failures = attempts.executeStep() ? attempts.getColumn(0).getInt() + 1 : 1;
        SQLite::Statement st(db,
                             "UPDATE notifications SET attempts = attempts + 1, last_error = ?, "
                             "next_at = ? WHERE id = ?");
        st.bind(1, f.outcome.error);
        st.bind(2, static_cast<std::int64_t>(now + backoff_ms(failures, m_options)));
        st.bind(3, f.id);
        st.exec();
      }
    }
    return true;
  });
  if (!r.ok())
    log::error("notifications: attempts not recorded (they will be repeated): {}",
               r.error().message);
  for (const auto& f : done) {
    m_in_flight.erase(f.channel_id);
    attempts_counter(f.outcome.ok ? "delivered" : f.outcome.permanent ? "failed" : "retry").inc();
    if (!f.outcome.ok) log::warn("notification {}: {}", f.id, f.outcome.error);
  }
}

std::optional<TimeMs> Dispatcher::next_due() {
  // The heads matter, not every row: a later row is due as soon as it is queued, but waits
  // behind its channel's head, which may be waiting out a backoff.
  auto r = m_readers.with([this](SQLite::Database& db) -> Result<std::optional<TimeMs>> {
    SQLite::Statement st(
        db,
        "SELECT n.channel_id, n.next_at FROM notifications n WHERE n.state = 'pending' AND n.id = "
        "(SELECT min(m.id) FROM notifications m WHERE m.channel_id = n.channel_id AND m.state = "
        "'pending')");
    std::optional<TimeMs> next;
    while (st.executeStep()) {
      if (m_in_flight.count(st.getColumn(0).getInt64())) continue;  // its result wakes us
      TimeMs t = st.getColumn(1).getInt64();
      next = next ? std::min(*next, t) : t;
    }
    return next;
  });
  return r.ok() ? r.value() : std::nullopt;
}

std::size_t Dispatcher::run_due() {
  std::vector<Finished> done;
  {
    std::lock_guard lock(m_mutex);
    done.swap(m_finished);
  }
  if (!done.empty()) record(done);
  TimeMs now = m_clock.now_ms();
  // Escalations are looked for with a read; the writer is asked only when some are due.
  auto due = m_readers.with([&](SQLite::Database& db) -> Result<bool> {
    SQLite::Statement st(db, std::string("SELECT 1 ") + kEscalationSelect + " LIMIT 1");
    st.bind(1, static_cast<std::int64_t>(now));
    return st.executeStep();
  });
  if (due.ok() && due.value()) {
    auto queued =
        m_writer.run<int>([now](SQLite::Database& db) -> Result<int> { return escalate(db, now); });
    if (!queued.ok())
      log::error("notifications: escalations not queued: {}", queued.error().message);
  }
  // Collapsing a firing makes its channel's next row the head: look again (bounded).
  for (int round = 0; round < 8; ++round) {
    auto heads = m_readers.with([&](SQLite::Database& db) -> Result<std::vector<Head>> {
      SQLite::Statement st(
          db,
          "SELECT n.id, n.channel_id, c.kind, c.config, n.alert_id, n.event, n.payload, "
          "n.created_at, "
          "EXISTS(SELECT 1 FROM notifications f WHERE f.alert_id = n.alert_id AND f.channel_id = "
          "n.channel_id AND f.event = 'firing' AND f.state = 'collapsed') FROM notifications n "
          "JOIN "
          "channels c ON c.id = n.channel_id WHERE n.state = 'pending' AND n.next_at <= ? AND n.id "
          "= "
          "(SELECT min(m.id) FROM notifications m WHERE m.channel_id = n.channel_id AND m.state = "
          "'pending') ORDER BY n.id");
      st.bind(1, static_cast<std::int64_t>(now));
      std::vector<Head> out;
      while (st.executeStep()) {
        Head h;
        h.id = st.getColumn(0).getInt64();
        h.channel_id = st.getColumn(1).getInt64();
        h.kind = st.getColumn(2).getString();
        h.config = st.getColumn(3).getString();
        h.alert_id = st.getColumn(4).getInt64();
        h.event = st.getColumn(5).getString() == "resolved" ? Notice::Event::resolved
                                                            : Notice::Event::firing;
        h.payload = st.getColumn(6).getString();
        h.created_at = st.getColumn(7).getInt64();
        h.firing_collapsed = st.getColumn(8).getInt() != 0;
        out.push_back(std::move(h));
      }
      return out;
    });
    if (!heads.ok()) {
      log::error("notifications: cannot read the outbox: {}", heads.error().message);
      return 0;
    }
    // Firings that no longer matter: their resolution is queued too, and old.
    auto collapsed = m_writer.run<int>([&](SQLite::Database& db) -> Result<int> {
      SQLite::Statement st(db,
                           "UPDATE notifications SET state = 'collapsed', sent_at = ?1 WHERE id = "
                           "?2 AND state = 'pending' "
                           "AND EXISTS(SELECT 1 FROM notifications r WHERE r.alert_id = ?3 AND "
                           "r.channel_id = ?4 AND "
                           "r.event = 'resolved' AND r.state = 'pending' AND r.created_at <= ?5)");
      int n = 0;
      for (const auto& h : heads.value()) {
        if (h.event != Notice::Event::firing || m_in_flight.count(h.channel_id)) continue;
        st.reset();
        st.bind(1, static_cast<std::int64_t>(now));
        st.bind(2, h.id);
        st.bind(3, h.alert_id);
        st.bind(4, h.channel_id);
        st.bind(5, static_cast<std::int64_t>(now - m_options.collapse_after_ms));
        n += st.exec();
      }
      return n;
    });
    if (!collapsed.ok()) {
      log::error("notifications: cannot collapse stale firings: {}", collapsed.error().message);
      return 0;
    }
    if (collapsed.value() > 0) continue;
    std::size_t started = 0;
    for (auto& h : heads.value()) {
      if (m_in_flight.count(h.channel_id)) continue;
      const auto* kind = find_channel_kind(h.kind);
      Result<Request> request = Error::make(ErrorKind::internal, "CHANNEL_KIND_UNKNOWN",
                                            "unknown channel kind " + h.kind);
      if (kind) {
        auto payload = nlohmann::json::parse(h.payload, nullptr, false);
        Notice n = notice_from_payload(h.event, payload, h.created_at);
        n.id = h.id;
        n.sent_at = now;
        n.collapsed = h.event == Notice::Event::resolved && h.firing_collapsed;
        request = kind->render(nlohmann::json::parse(h.config, nullptr, false), n);
      }
      m_in_flight.insert(h.channel_id);
      ++started;
      if (!request.ok()) {
        std::lock_guard lock(m_mutex);
        m_finished.push_back({h.id, h.channel_id, {false, true, request.error().message}});
        continue;
      }
      m_transport.send(std::move(request.value()),
                       [this, id = h.id, channel = h.channel_id](Outcome o) {
                         {
                           std::lock_guard lock(m_mutex);
                           m_finished.push_back({id, channel, std::move(o)});
                         }
                         m_cv.notify_all();
                       });
    }
    return started;
  }
  return 0;
}

void Dispatcher::run() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    m_woken = false;
    lock.unlock();
    run_due();
    TimeMs now = m_clock.now_ms();
    TimeMs next = now + m_options.idle_poll_ms;
    if (auto due = next_due()) next = std::clamp(*due, now, next);
    lock.lock();
    if (m_stopping) break;
    m_cv.wait_for(lock, std::chrono::milliseconds(std::max<TimeMs>(next - m_clock.now_ms(), 1)),
                  [this] { return m_stopping || m_woken || !m_finished.empty(); });
  }
}

}  // namespace tt::notify
