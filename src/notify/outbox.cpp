#include "notify/outbox.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

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
  bool group = false;  // a group row: payload is the group
};

// The id of an alert of a group row's payload.
std::int64_t alert_id_of(const nlohmann::json& member) {
  if (!member.is_object() || !member.contains("alert") || !member["alert"].is_object()) return 0;
  return member["alert"].value("id", std::int64_t{0});
}

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
  // On a grouped channel the row waits in its group: the alert's values of group_by.
  SQLite::Statement st(
      db,
      "INSERT OR IGNORE INTO notifications(channel_id, transition_id, alert_id, event, payload, "
      "created_at, next_at, state, group_key) SELECT c.id, ?1, ?2, ?3, ?4, ?5, ?5, "
      "CASE WHEN c.grouping IS NULL THEN 'pending' ELSE 'waiting' END, "
      "CASE WHEN c.grouping IS NULL THEN NULL "
      "WHEN EXISTS(SELECT 1 FROM json_each(c.grouping, '$.group_by') g WHERE g.value = '...') "
      "THEN json(json_extract(?4, '$.labels')) "
      "ELSE (SELECT json_group_object(g.value, coalesce(json_extract(?4, '$.labels.' || g.value), "
      "'')) FROM json_each(c.grouping, '$.group_by') g) END "
      "FROM channels c WHERE c.id IN (SELECT j.value FROM alert_rules r, json_each(r.channels) j "
      "WHERE r.id = ?6 UNION SELECT channel_id FROM notifications WHERE alert_id = ?2 AND event = "
      "'firing' AND ?3 = 'resolved') ORDER BY c.id");
  st.bind(1, transition_id);
  st.bind(2, alert_id);
  st.bind(3, std::string(to_string(event)));
  st.bind(4, payload);
  st.bind(5, static_cast<std::int64_t>(at));
  st.bind(6, rule_id);
  return st.exec();
}

const std::vector<OptionSpec>& grouping_options() {
  static const std::vector<OptionSpec> specs = [] {
    std::vector<OptionSpec> o{
        {"group_by", OptionType::string_list, nlohmann::json::array({"alertname"}),
         "labels whose values form a group; [\"...\"] groups by all labels, [] puts every alert "
         "in one group"},
        {"group_wait", OptionType::duration, "30s",
         "how long a new group waits to collect more alerts before its first notification"},
        {"group_interval", OptionType::duration, "5m",
         "how long news of a notified group waits after its last notification"},
        {"repeat_interval", OptionType::duration, "4h",
         "a group with firing, unacknowledged alerts is sent again this long after its last "
         "notification"}};
    o[1].max = o[2].max = o[3].max = 7 * 86'400'000.0;
    o[2].min = o[3].min = 1000;
    return o;
  }();
  return specs;
}

Grouping parse_grouping(const nlohmann::json& normalized) {
  auto r = resolved_options(grouping_options(), normalized);
  Grouping g;
  g.group_by = r.value("group_by", std::vector<std::string>{"alertname"});
  g.group_wait_ms = r.value("group_wait", g.group_wait_ms);
  g.group_interval_ms = r.value("group_interval", g.group_interval_ms);
  g.repeat_interval_ms = r.value("repeat_interval", g.repeat_interval_ms);
  return g;
}

std::vector<DueGroup> due_groups(SQLite::Database& db) {
  std::vector<DueGroup> out;
  auto grouping = [](const SQLite::Column& c) {
    return c.isNull() ? std::optional<Grouping>()
                      : parse_grouping(nlohmann::json::parse(c.getString(), nullptr, false));
  };
  // Waiting members: a new group (or one quiet for longer than group_interval) after
  // group_wait, a notified one group_interval after its last row. A channel whose grouping was
  // removed sends what waits at once.
  SQLite::Statement waiting(
      db,
      "SELECT w.channel_id, w.group_key, min(w.created_at), c.grouping, (SELECT max(g.created_at) "
      "FROM notifications g WHERE g.channel_id = w.channel_id AND g.group_key = w.group_key AND "
      "g.event = 'group') FROM notifications w JOIN channels c ON c.id = w.channel_id WHERE "
      "w.state = 'waiting' GROUP BY w.channel_id, w.group_key ORDER BY w.channel_id, min(w.id)");
  while (waiting.executeStep()) {
    DueGroup d{waiting.getColumn(0).getInt64(), waiting.getColumn(1).getString(), 0, false};
    TimeMs first = waiting.getColumn(2).getInt64();
    auto g = grouping(waiting.getColumn(3));
    if (!g) {
      d.at = first;
    } else if (!waiting.getColumn(4).isNull() &&
               waiting.getColumn(4).getInt64() + g->group_interval_ms >= first) {
      d.at = waiting.getColumn(4).getInt64() + g->group_interval_ms;
    } else {
      d.at = first + g->group_wait_ms;
    }
    out.push_back(std::move(d));
  }
  // Repeats, counted from when the group's last row went out: never into a queue (a group row
  // still pending), never over waiting news.
  SQLite::Statement repeats(
      db,
      "SELECT g.channel_id, g.group_key, max(coalesce(g.sent_at, g.created_at)), c.grouping FROM "
      "notifications g JOIN "
      "channels c ON c.id = g.channel_id WHERE g.event = 'group' AND c.grouping IS NOT NULL GROUP "
      "BY g.channel_id, g.group_key HAVING max(g.state = 'pending') = 0 AND NOT EXISTS(SELECT 1 "
      "FROM notifications w WHERE w.channel_id = g.channel_id AND w.group_key = g.group_key AND "
      "w.state = 'waiting') AND EXISTS(SELECT 1 FROM notifications m JOIN alerts a ON a.id = "
      "m.alert_id WHERE m.channel_id = g.channel_id AND m.group_key = g.group_key AND m.event = "
      "'firing' AND a.state = 'firing' AND a.acked_at IS NULL) ORDER BY g.channel_id, min(g.id)");
  while (repeats.executeStep()) {
    auto g = grouping(repeats.getColumn(3));
    out.push_back({repeats.getColumn(0).getInt64(), repeats.getColumn(1).getString(),
                   repeats.getColumn(2).getInt64() + g->repeat_interval_ms, true});
  }
  return out;
}

int flush_groups(SQLite::Database& db, TimeMs now) {
  // Each alert once, as its newest member says: the waiting news, and the alerts of the group
  // still firing (for a repeat only those nobody acknowledged).
  SQLite::Statement members(
      db,
      "SELECT m.event, m.payload FROM notifications m WHERE m.channel_id = ?1 AND m.group_key = "
      "?2 AND m.event != 'group' AND m.id = (SELECT max(x.id) FROM notifications x WHERE "
      "x.channel_id = ?1 AND x.group_key = ?2 AND x.alert_id = m.alert_id AND x.event != 'group') "
      "AND (m.state = 'waiting' OR (m.event = 'firing' AND EXISTS(SELECT 1 FROM alerts a WHERE "
      "a.id = m.alert_id AND a.state = 'firing' AND (?3 = 0 OR a.acked_at IS NULL)))) ORDER BY "
      "m.alert_id");
  SQLite::Statement insert(
      db,
      "INSERT INTO notifications(channel_id, event, payload, created_at, next_at, group_key) "
      "VALUES (?, 'group', ?, ?, ?, ?)");
  SQLite::Statement grouped(
      db,
      "UPDATE notifications SET state = 'grouped', group_id = ?1 WHERE channel_id = ?2 AND "
      "group_key = ?3 AND state = 'waiting'");
  int formed = 0;
  for (const auto& d : due_groups(db)) {
    if (d.at > now) continue;
    members.reset();
    members.bind(1, d.channel_id);
    members.bind(2, d.key);
    members.bind(3, d.repeat ? 1 : 0);
    auto alerts = nlohmann::json::array();
    while (members.executeStep())
      alerts.push_back(
          {{"event", members.getColumn(0).getString()},
           {"alert", nlohmann::json::parse(members.getColumn(1).getString(), nullptr, false)}});
    if (alerts.empty()) continue;
    nlohmann::json payload{{"group_labels", nlohmann::json::parse(d.key, nullptr, false)},
                           {"repeat", d.repeat},
                           {"alerts", std::move(alerts)}};
    insert.reset();
    insert.bind(1, d.channel_id);
    insert.bind(2, payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    insert.bind(3, static_cast<std::int64_t>(now));
    insert.bind(4, static_cast<std::int64_t>(now));
    insert.bind(5, d.key);
    insert.exec();
    grouped.reset();
    grouped.bind(1, db.getLastInsertRowid());
    grouped.bind(2, d.channel_id);
    grouped.bind(3, d.key);
    grouped.exec();
    ++formed;
  }
  return formed;
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

constexpr TimeMs kEscalationCheckMs = 1000;

// A channel's head: its oldest pending row. Looked up per channel through the pending index, so
// a round costs the same whatever the delivered history holds.
constexpr const char* kHeadOf =
    "(SELECT min(m.id) FROM notifications m WHERE m.channel_id = c.id AND m.state = 'pending')";

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
  // Escalations are looked for with a read; the writer is asked only when some are due. The
  // read visits every firing alert, and escalation delays are minutes: once a second is enough,
  // and a burst of notifications (one round each) does not pay it per message.
  Result<bool> due = false;
  if (now >= m_escalations_checked_at + kEscalationCheckMs || now < m_escalations_checked_at) {
    m_escalations_checked_at = now;
    due = m_readers.with([&](SQLite::Database& db) -> Result<bool> {
      SQLite::Statement st(db, std::string("SELECT 1 ") + kEscalationSelect + " LIMIT 1");
      st.bind(1, static_cast<std::int64_t>(now));
      return st.executeStep();
    });
  }
  if (due.ok() && due.value()) {
    auto queued =
        m_writer.run<int>([now](SQLite::Database& db) -> Result<int> { return escalate(db, now); });
    if (!queued.ok())
      log::error("notifications: escalations not queued: {}", queued.error().message);
  }
  // Groups due: their rows commit before anything is sent. Looked for with a read first.
  auto groups = m_readers.with(
      [](SQLite::Database& db) -> Result<std::vector<DueGroup>> { return due_groups(db); });
  if (groups.ok() && std::any_of(groups->begin(), groups->end(),
                                 [now](const DueGroup& d) { return d.at <= now; })) {
    auto formed = m_writer.run<int>(
        [now](SQLite::Database& db) -> Result<int> { return flush_groups(db, now); });
    if (!formed.ok()) log::error("notifications: groups not formed: {}", formed.error().message);
  }
  // Collapsing or muting every row of a chain leaves its channel's later rows: look again
  // (bounded).
  for (int round = 0; round < 8; ++round) {
    auto rows = m_readers.with([&](SQLite::Database& db) -> Result<std::vector<Head>> {
      SQLite::Statement heads(
          db, "SELECT n.channel_id, n.id FROM channels c JOIN notifications n ON n.id = " +
                  std::string(kHeadOf) + " WHERE n.next_at <= ? ORDER BY n.id");
      heads.bind(1, static_cast<std::int64_t>(now));
      std::vector<std::pair<std::int64_t, std::int64_t>> due;
      while (heads.executeStep())
        if (!m_in_flight.count(heads.getColumn(0).getInt64()))
          due.emplace_back(heads.getColumn(0).getInt64(), heads.getColumn(1).getInt64());
      // Each due head and the rows behind it, in order; a row waiting out a backoff ends the chain.
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
      std::vector<Head> out;
      for (const auto& [channel, head] : due) {
        st.reset();
        st.bind(1, channel);
        st.bind(2, head);
        st.bind(3, static_cast<std::int64_t>(kChainLength));
        while (st.executeStep() && st.getColumn(9).getInt64() <= now) {
          Head h;
          h.id = st.getColumn(0).getInt64();
          h.channel_id = st.getColumn(1).getInt64();
          h.kind = st.getColumn(2).getString();
          h.config = st.getColumn(3).getString();
          h.alert_id = st.getColumn(4).getInt64();
          auto event = st.getColumn(5).getString();
          h.group = event == "group";
          h.event = event == "resolved" ? Notice::Event::resolved : Notice::Event::firing;
          h.payload = st.getColumn(6).getString();
          h.created_at = st.getColumn(7).getInt64();
          h.firing_collapsed = st.getColumn(8).getInt() != 0;
          out.push_back(std::move(h));
        }
      }
      return out;
    });
    if (!rows.ok()) {
      log::error("notifications: cannot read the outbox: {}", rows.error().message);
      return 0;
    }
    // What is muted now, among the alerts the rows are about.
    std::set<std::int64_t> muted;
    std::map<std::int64_t, nlohmann::json> groups;  // group rows' payloads, muted alerts left out
    if (m_muted) {
      std::vector<std::int64_t> ids;
      for (const auto& h : rows.value()) {
        if (!h.group) {
          ids.push_back(h.alert_id);
          continue;
        }
        auto& payload = groups[h.id] = nlohmann::json::parse(h.payload, nullptr, false);
        if (payload.contains("alerts") && payload["alerts"].is_array())
          for (const auto& a : payload["alerts"]) ids.push_back(alert_id_of(a));
      }
      if (!ids.empty()) muted = m_muted(ids);
      for (auto& [id, payload] : groups)
        if (payload.contains("alerts") && payload["alerts"].is_array()) {
          auto& alerts = payload["alerts"];
          alerts.erase(std::remove_if(alerts.begin(), alerts.end(),
                                      [&](const nlohmann::json& a) {
                                        return muted.count(alert_id_of(a)) > 0;
                                      }),
                       alerts.end());
        }
    }
    // Rows that are not sent: firings that no longer matter (their resolution is queued too, and
    // old), superseded group rows, muted ones. In queue order, in one transaction, so a row's
    // checks see what the rows before it became.
    std::set<std::int64_t> dropped;
    auto collapsed = m_writer.run<int>([&](SQLite::Database& db) -> Result<int> {
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
      SQLite::Statement stale(
          db,
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
      auto run = [&](SQLite::Statement& q, const Head& h,
                     std::initializer_list<std::int64_t> args) {
        q.reset();
        int i = 0;
        for (auto a : args) q.bind(++i, a);
        if (q.exec() == 0) return false;
        dropped.insert(h.id);
        return true;
      };
      const auto t = static_cast<std::int64_t>(now),
                 old = static_cast<std::int64_t>(now - m_options.collapse_after_ms);
      for (auto& h : rows.value()) {
        if (m_muted) {
          auto g = groups.find(h.id);
          bool all_muted = h.group
                               ? g != groups.end() && g->second.is_object() &&
                                     g->second.contains("alerts") && g->second["alerts"].empty()
                               : h.event == Notice::Event::firing && muted.count(h.alert_id) > 0;
          if (run(mute, h, {t, h.id, all_muted ? 1 : 0})) continue;
        }
        if (h.group)
          run(superseded, h, {t, h.id, h.channel_id, old});
        else if (h.event == Notice::Event::firing &&
                 run(stale, h, {t, h.id, h.alert_id, h.channel_id, old}))
          for (auto& later : rows.value())  // its resolution, further down this chain, says so
            if (later.alert_id == h.alert_id && later.channel_id == h.channel_id && later.id > h.id)
              later.firing_collapsed = true;
      }
      return static_cast<int>(dropped.size());
    });
    if (!collapsed.ok()) {
      log::error("notifications: cannot collapse stale firings: {}", collapsed.error().message);
      return 0;
    }
    std::map<std::int64_t, std::shared_ptr<Chain>> chains;
    std::size_t started = 0;
    for (auto& h : rows.value()) {
      if (dropped.count(h.id)) continue;
      const auto* kind = find_channel_kind(h.kind);
      Result<Request> request = Error::make(ErrorKind::internal, "CHANNEL_KIND_UNKNOWN",
                                            "unknown channel kind " + h.kind);
      if (kind) {
        auto grouped = groups.find(h.id);
        auto payload = h.group && grouped != groups.end()
                           ? std::move(grouped->second)
                           : nlohmann::json::parse(h.payload, nullptr, false);
        Notice n = h.group ? notice_from_group(payload, h.created_at)
                           : notice_from_payload(h.event, payload, h.created_at);
        n.id = h.id;
        n.sent_at = now;
        n.collapsed = h.event == Notice::Event::resolved && h.firing_collapsed;
        request = kind->render(nlohmann::json::parse(h.config, nullptr, false), n);
      }
      auto& chain = chains[h.channel_id];
      if (!chain) chain = std::make_shared<Chain>(Chain{h.channel_id, {}});
      chain->links.push_back({h.id, std::move(request)});
      ++started;
    }
    if (chains.empty() && !dropped.empty()) continue;
    for (auto& [channel, chain] : chains) {
      m_in_flight.insert(channel);
      send_next(chain);
    }
    return started;
  }
  return 0;
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
