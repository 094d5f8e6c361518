#include "notify/dispatcher.h"

#include <algorithm>
#include <map>

#include "core/log.h"
#include "core/metrics.h"
#include "core/worker.h"
#include "db/row.h"
#include "notify/escalation.h"
#include "notify/grouping.h"

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
  bool group = false;  // a group row: payload is the group
};

// The id of an alert of a group row's payload.
std::int64_t alert_id_of(const nlohmann::json& member) {
  if (!member.is_object() || !member.contains("alert") || !member["alert"].is_object()) return 0;
  return member["alert"].value("id", std::int64_t{0});
}

constexpr TimeMs kEscalationCheckMs = 1000;

// A channel's head: its oldest pending row. Looked up per channel through the pending index, so
// a round costs the same whatever the delivered history holds.
constexpr const char* kHeadOf =
    "(SELECT min(m.id) FROM notifications m WHERE m.channel_id = c.id AND m.state = 'pending')";

// What one round of the dispatcher works on: the chains' rows, and what it settled about them.
struct Round {
  std::vector<Head> rows;        // each due head and the rows behind it, in queue order
  std::set<std::int64_t> muted;  // the rows' alerts muted now
  std::map<std::int64_t, nlohmann::json> groups;  // group rows' payloads, muted alerts left out
  std::set<std::int64_t> dropped;                 // rows not sent: muted or collapsed
};

// The heads due at `now` of the channels with nothing in flight, each with the rows behind it;
// a row waiting out a backoff ends its chain.
Round read_round(SQLite::Database& db, TimeMs now, const std::set<std::int64_t>& in_flight) {
  SQLite::Statement heads(
      db, "SELECT n.channel_id, n.id FROM channels c JOIN notifications n ON n.id = " +
              std::string(kHeadOf) + " WHERE n.next_at <= ? ORDER BY n.id");
  heads.bind(1, static_cast<std::int64_t>(now));
  std::vector<std::pair<std::int64_t, std::int64_t>> due;
  while (heads.executeStep())
    if (!in_flight.count(heads.getColumn(0).getInt64()))
      due.emplace_back(heads.getColumn(0).getInt64(), heads.getColumn(1).getInt64());
  SQLite::Statement st(
      db,
      "SELECT n.id, n.channel_id, c.kind, c.config, n.alert_id, n.event, n.payload, "
      "n.created_at, "
      "EXISTS(SELECT 1 FROM notifications f WHERE f.alert_id = n.alert_id AND f.channel_id = "
      "n.channel_id AND f.event = 'firing' AND f.state = 'collapsed'), n.next_at FROM "
      "notifications n "
      "JOIN channels c ON c.id = n.channel_id WHERE n.channel_id = ?1 AND n.state = 'pending' "
      "AND n.id >= ?2 "
      "ORDER BY n.id LIMIT ?3");
  Round round;
  for (const auto& [channel, head] : due) {
    st.reset();
    st.bind(1, channel);
    st.bind(2, head);
    st.bind(3, static_cast<std::int64_t>(Dispatcher::kChainLength));
    while (st.executeStep() && st.getColumn(9).getInt64() <= now) {
      Head h;
      std::string event;
      db::read_row(st, h.id, h.channel_id, h.kind, h.config, h.alert_id, event, h.payload,
                   h.created_at, h.firing_collapsed);
      h.group = event == "group";
      h.event = event == "resolved" ? Notice::Event::resolved : Notice::Event::firing;
      round.rows.push_back(std::move(h));
    }
  }
  return round;
}

// What is muted now, among the alerts the rows are about; group payloads lose their muted alerts.
void find_muted(Round& round, const Dispatcher::MutedAlerts& muted) {
  std::vector<std::int64_t> ids;
  for (const auto& h : round.rows) {
    if (!h.group) {
      ids.push_back(h.alert_id);
      continue;
    }
    auto& payload = round.groups[h.id] = nlohmann::json::parse(h.payload, nullptr, false);
    if (payload.contains("alerts") && payload["alerts"].is_array())
      for (const auto& a : payload["alerts"]) ids.push_back(alert_id_of(a));
  }
  if (!ids.empty()) round.muted = muted(ids);
  for (auto& [id, payload] : round.groups)
    if (payload.contains("alerts") && payload["alerts"].is_array()) {
      auto& alerts = payload["alerts"];
      alerts.erase(std::remove_if(alerts.begin(), alerts.end(),
                                  [&](const nlohmann::json& a) {
                                    return round.muted.count(alert_id_of(a)) > 0;
                                  }),
                   alerts.end());
    }
}

// Writer job: marks the rows that are not sent: firings that no longer matter (their
// resolution is queued too, and created before `old`), superseded group rows, muted ones
// (`muting`: find_muted ran). In queue order, in one transaction, so a row's checks see what the
// rows before it became. Returns how many were dropped (round.dropped).
int drop_unsent(SQLite::Database& db, Round& round, bool muting, TimeMs now, TimeMs old) {
  // A firing of a muted alert, a group whose alerts are all muted, and the resolution of a
  // firing that was muted and never delivered.
  SQLite::Statement mute(
      db,
      "UPDATE notifications SET state = 'muted', sent_at = ?1 WHERE id = ?2 AND state = "
      "'pending' AND (?3 OR "
      "(event = 'resolved' AND EXISTS(SELECT 1 FROM notifications f WHERE f.alert_id = "
      "notifications.alert_id "
      "AND f.channel_id = notifications.channel_id AND f.event = 'firing' AND f.state = "
      "'muted') AND NOT "
      "EXISTS(SELECT 1 FROM notifications f WHERE f.alert_id = notifications.alert_id AND "
      "f.channel_id = "
      "notifications.channel_id AND f.event = 'firing' AND f.state = 'delivered')))");
  SQLite::Statement stale(db,
                          "UPDATE notifications SET state = 'collapsed', sent_at = ?1 WHERE id = "
                          "?2 AND state = 'pending' "
                          "AND EXISTS(SELECT 1 FROM notifications r WHERE r.alert_id = ?3 AND "
                          "r.channel_id = ?4 AND "
                          "r.event = 'resolved' AND r.state = 'pending' AND r.created_at <= ?5)");
  // A group row superseded by a later one of its group (which carries the alerts' news and
  // what still fires), when that one is old too.
  SQLite::Statement superseded(
      db,
      "UPDATE notifications SET state = 'collapsed', sent_at = ?1 WHERE id = ?2 AND state = "
      "'pending' AND EXISTS(SELECT 1 FROM notifications r WHERE r.channel_id = ?3 AND "
      "r.group_key = notifications.group_key AND r.event = 'group' AND r.id > ?2 AND r.state "
      "= 'pending' AND r.created_at <= ?4)");
  auto run = [&](SQLite::Statement& q, const Head& h, std::initializer_list<std::int64_t> args) {
    q.reset();
    int i = 0;
    for (auto a : args) q.bind(++i, a);
    if (q.exec() == 0) return false;
    round.dropped.insert(h.id);
    return true;
  };
  const auto t = static_cast<std::int64_t>(now), before = static_cast<std::int64_t>(old);
  for (auto& h : round.rows) {
    if (muting) {
      auto g = round.groups.find(h.id);
      bool all_muted = h.group
                           ? g != round.groups.end() && g->second.is_object() &&
                                 g->second.contains("alerts") && g->second["alerts"].empty()
                           : h.event == Notice::Event::firing && round.muted.count(h.alert_id) > 0;
      if (run(mute, h, {t, h.id, all_muted ? 1 : 0})) continue;
    }
    if (h.group)
      run(superseded, h, {t, h.id, h.channel_id, before});
    else if (h.event == Notice::Event::firing &&
             run(stale, h, {t, h.id, h.alert_id, h.channel_id, before}))
      for (auto& later : round.rows)  // its resolution, further down this chain, says so
        if (later.alert_id == h.alert_id && later.channel_id == h.channel_id && later.id > h.id)
          later.firing_collapsed = true;
  }
  return static_cast<int>(round.dropped.size());
}

// The request of a row, by its channel's kind, sent at `now`.
Result<Request> render(const Head& h, Round& round, TimeMs now) {
  const auto* kind = find_channel_kind(h.kind);
  if (!kind)
    return Error::make(ErrorKind::internal, "CHANNEL_KIND_UNKNOWN",
                       "unknown channel kind " + h.kind);
  auto grouped = round.groups.find(h.id);
  auto payload = h.group && grouped != round.groups.end()
                     ? std::move(grouped->second)
                     : nlohmann::json::parse(h.payload, nullptr, false);
  Notice n = h.group ? notice_from_group(payload, h.created_at)
                     : notice_from_payload(h.event, payload, h.created_at);
  n.id = h.id;
  n.sent_at = now;
  n.collapsed = h.event == Notice::Event::resolved && h.firing_collapsed;
  return kind->render(nlohmann::json::parse(h.config, nullptr, false), n);
}

}  // namespace

Dispatcher::Dispatcher(db::Writer& writer, db::Readers& readers, Transport& transport,
                       const Clock& clock, OutboxOptions options)
    : m_writer(writer),
      m_readers(readers),
      m_transport(transport),
      m_clock(clock),
      m_options(options) {}

Dispatcher::~Dispatcher() { stop(); }

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

void Dispatcher::stop() { stop_worker(m_mutex, m_cv, m_stopping, m_thread); }

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
      if (!f.attempted) continue;
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
    if (f.last) m_in_flight.erase(f.channel_id);
    if (!f.attempted) continue;
    attempts_counter(f.outcome.ok ? "delivered" : f.outcome.permanent ? "failed" : "retry").inc();
    if (!f.outcome.ok) log::warn("notification {}: {}", f.id, f.outcome.error);
  }
}

std::optional<TimeMs> Dispatcher::next_due() {
  // The heads matter, not every row: a later row is due as soon as it is queued, but waits
  // behind its channel's head, which may be waiting out a backoff.
  auto r = m_readers.with([this](SQLite::Database& db) -> Result<std::optional<TimeMs>> {
    SQLite::Statement st(
        db, "SELECT n.channel_id, n.next_at FROM channels c JOIN notifications n ON n.id = " +
                std::string(kHeadOf));
    std::optional<TimeMs> next;
    while (st.executeStep()) {
      if (m_in_flight.count(st.getColumn(0).getInt64())) continue;  // its result wakes us
      TimeMs t = st.getColumn(1).getInt64();
      next = next ? std::min(*next, t) : t;
    }
    for (const auto& d : due_groups(db)) next = next ? std::min(*next, d.at) : d.at;
    return next;
  });
  return r.ok() ? r.value() : std::nullopt;
}

void Dispatcher::unmute(TimeMs now) {
  // Muted firings of alerts that still fire: those whose mute is over go to the end of their
  // channel's queue (a new id keeps the order by id), as Alertmanager notifies when a silence ends.
  auto rows = m_readers.with(
      [](SQLite::Database& db) -> Result<std::vector<std::pair<std::int64_t, std::int64_t>>> {
        SQLite::Statement st(
            db,
            "SELECT n.id, n.alert_id FROM notifications n JOIN alerts a ON a.id = n.alert_id WHERE "
            "n.state = 'muted' AND n.event = 'firing' AND a.state = 'firing' ORDER BY n.id");
        std::vector<std::pair<std::int64_t, std::int64_t>> out;
        while (st.executeStep())
          out.emplace_back(st.getColumn(0).getInt64(), st.getColumn(1).getInt64());
        return out;
      });
  if (!rows.ok() || rows->empty()) return;
  std::vector<std::int64_t> ids;
  for (const auto& r : rows.value()) ids.push_back(r.second);
  auto still = m_muted(ids);
  auto queued = m_writer.run<int>([&](SQLite::Database& db) -> Result<int> {
    SQLite::Statement st(
        db,
        "UPDATE notifications SET id = (SELECT max(id) + 1 FROM notifications), state = "
        "'pending', next_at = ?1, sent_at = NULL WHERE id = ?2 AND state = 'muted'");
    int n = 0;
    for (const auto& [id, alert] : rows.value()) {
      if (still.count(alert)) continue;
      st.reset();
      st.bind(1, static_cast<std::int64_t>(now));
      st.bind(2, id);
      n += st.exec();
    }
    return n;
  });
  if (!queued.ok())
    log::error("notifications: unmuted firings not queued: {}", queued.error().message);
}

std::size_t Dispatcher::run_due() {
  std::vector<Finished> done;
  {
    std::lock_guard lock(m_mutex);
    done.swap(m_finished);
    m_chain_ended = false;
  }
  if (!done.empty()) record(done);
  TimeMs now = m_clock.now_ms();
  if (m_muted) unmute(now);
  queue_escalations(now);
  form_groups(now);
  // Collapsing or muting every row of a chain leaves its channel's later rows: look again
  // (bounded).
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto round = m_readers.with(
        [&](SQLite::Database& db) -> Result<Round> { return read_round(db, now, m_in_flight); });
    if (!round.ok()) {
      log::error("notifications: cannot read the outbox: {}", round.error().message);
      return 0;
    }
    if (m_muted) find_muted(round.value(), m_muted);
    const TimeMs old = now - m_options.collapse_after_ms;
    auto dropped = m_writer.run<int>([&](SQLite::Database& db) -> Result<int> {
      return drop_unsent(db, round.value(), bool(m_muted), now, old);
    });
    if (!dropped.ok()) {
      log::error("notifications: cannot collapse stale firings: {}", dropped.error().message);
      return 0;
    }
    std::map<std::int64_t, std::shared_ptr<Chain>> chains;
    std::size_t started = 0;
    for (auto& h : round->rows) {
      if (round->dropped.count(h.id)) continue;
      auto& chain = chains[h.channel_id];
      if (!chain) chain = std::make_shared<Chain>(Chain{h.channel_id, {}});
      chain->links.push_back({h.id, render(h, round.value(), now)});
      ++started;
    }
    if (chains.empty() && !round->dropped.empty()) continue;
    for (auto& [channel, chain] : chains) {
      m_in_flight.insert(channel);
      send_next(chain);
    }
    return started;
  }
  return 0;
}

void Dispatcher::queue_escalations(TimeMs now) {
  // Escalations are looked for with a read; the writer is asked only when some are due. The
  // read visits every firing alert, and escalation delays are minutes: once a second is enough,
  // and a burst of notifications (one round each) does not pay it per message.
  if (now < m_escalations_checked_at + kEscalationCheckMs && now >= m_escalations_checked_at)
    return;
  m_escalations_checked_at = now;
  auto due = m_readers.with(
      [now](SQLite::Database& db) -> Result<bool> { return escalations_due(db, now); });
  if (!due.ok() || !due.value()) return;
  auto queued =
      m_writer.run<int>([now](SQLite::Database& db) -> Result<int> { return escalate(db, now); });
  if (!queued.ok()) log::error("notifications: escalations not queued: {}", queued.error().message);
}

void Dispatcher::form_groups(TimeMs now) {
  // Groups due: their rows commit before anything is sent. Looked for with a read first.
  auto groups = m_readers.with(
      [](SQLite::Database& db) -> Result<std::vector<DueGroup>> { return due_groups(db); });
  if (!groups.ok() || std::none_of(groups->begin(), groups->end(),
                                   [now](const DueGroup& d) { return d.at <= now; }))
    return;
  auto formed = m_writer.run<int>(
      [now](SQLite::Database& db) -> Result<int> { return flush_groups(db, now); });
  if (!formed.ok()) log::error("notifications: groups not formed: {}", formed.error().message);
}

void Dispatcher::send_next(std::shared_ptr<Chain> chain) {
  while (!chain->links.empty()) {
    Link link = std::move(chain->links.front());
    chain->links.pop_front();
    bool stopping;
    {
      std::lock_guard lock(m_mutex);
      stopping = m_stopping;
    }
    if (stopping) {  // the rest stays pending for the next start
      finish({link.id, chain->channel_id, {}, false, true});
      return;
    }
    if (!link.request.ok()) {  // cannot be rendered: fails for good, and the chain goes on
      finish({link.id,
              chain->channel_id,
              {false, true, link.request.error().message},
              true,
              chain->links.empty()});
      continue;
    }
    m_transport.send(std::move(link.request.value()), [this, chain, id = link.id](Outcome o) {
      bool more = o.ok && !chain->links.empty();
      finish({id, chain->channel_id, std::move(o), true, !more});
      if (more) send_next(chain);
    });
    return;
  }
}

void Dispatcher::finish(Finished f) {
  {
    std::lock_guard lock(m_mutex);
    m_chain_ended = m_chain_ended || f.last;
    m_finished.push_back(std::move(f));
  }
  m_cv.notify_all();
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
                  [this] { return m_stopping || m_woken || m_chain_ended; });
  }
}

}  // namespace tt::notify
