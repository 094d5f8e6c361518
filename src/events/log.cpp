#include "events/log.h"

#include "core/redact.h"
#include "core/text.h"

namespace tt::events {

nlohmann::json to_json(const StoredEvent& e) {
  // Masked on the way out as well as in, for the rows written before secrets were masked.
  return {{"id", e.id},
          {"at", format_rfc3339(e.at)},
          {"topic", e.topic},
          {"kind", e.kind},
          {"subject", e.subject},
          {"actor", e.actor},
          {"data", redact::tree(e.data)}};
}

StoredEvent append(SQLite::Database& db, StoredEvent e) {
  SQLite::Statement st(
      db, "INSERT INTO events(at, topic, kind, subject, actor, data) VALUES (?,?,?,?,?,?)");
  st.bind(1, static_cast<std::int64_t>(e.at));
  st.bind(2, e.topic);
  st.bind(3, e.kind);
  st.bind(4, e.subject);
  st.bind(5, e.actor);
  st.bind(6, e.data.dump());
  st.exec();
  e.id = db.getLastInsertRowid();
  return e;
}

void publish(bus::Bus& bus, const StoredEvent& e) {
  bus.events.publish(
      bus::Event{e.id, e.topic, e.kind, std::make_shared<const std::string>(to_json(e).dump())});
}

namespace {

// Text as a search compares it: lower case, '.' and '_' as spaces (what the SQL below does).
std::string searched_text(std::string_view text) {
  std::string out = ascii_lower(text);
  for (char& c : out)
    if (c == '.' || c == '_') c = ' ';
  return out;
}

// Whether the event as it is served (secrets masked) holds `needle` (a searched_text).
bool served_event_holds(const StoredEvent& e, const std::string& needle) {
  return searched_text(
             e.kind + ' ' + e.subject + ' ' + e.actor + ' ' +
             redact::tree(e.data).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
             .find(needle) != std::string::npos;
}

}  // namespace

Result<std::vector<StoredEvent>> History::list(const EventQuery& q) {
  return m_readers.with([&](SQLite::Database& db) -> Result<std::vector<StoredEvent>> {
    std::string sql = "SELECT id, at, topic, kind, subject, actor, data FROM events WHERE ";
    if (!q.newest_first)
      sql += "id > ?";
    else
      sql += q.before > 0 ? "id < ?" : "1";
    if (!q.topic.empty()) sql += " AND topic = ?";
    if (!q.topic.empty() && !q.subject.empty()) sql += " AND subject = ?";
    // A scan from the newest (or the cursor) that stops at `limit` matches: no index helps a
    // substring, and a page of a common word costs a page of rows. SQLite finds candidates in
    // the stored text; each is checked again as it is served, so a secret that an old row holds
    // unmasked cannot be found by guessing it.
    const std::string needle = searched_text(trim(q.text));
    if (!needle.empty())
      sql +=
          " AND instr(replace(replace(lower(kind || ' ' || subject || ' ' || actor || ' ' || data),"
          " '.', ' '), '_', ' '), ?) > 0";
    sql += q.newest_first ? " ORDER BY id DESC" : " ORDER BY id";
    if (needle.empty()) sql += " LIMIT ?";
    SQLite::Statement st(db, sql);
    int i = 1;
    if (!q.newest_first)
      st.bind(i++, q.after);
    else if (q.before > 0)
      st.bind(i++, q.before);
    if (!q.topic.empty()) st.bind(i++, q.topic);
    if (!q.topic.empty() && !q.subject.empty()) st.bind(i++, q.subject);
    if (!needle.empty())
      st.bind(i++, needle);
    else
      st.bind(i++, q.limit);
    std::vector<StoredEvent> out;
    while (static_cast<int>(out.size()) < q.limit && st.executeStep()) {
      StoredEvent e{st.getColumn(0).getInt64(),
                    st.getColumn(1).getInt64(),
                    st.getColumn(2).getString(),
                    st.getColumn(3).getString(),
                    st.getColumn(4).getString(),
                    st.getColumn(5).getString(),
                    nlohmann::json::parse(st.getColumn(6).getString())};
      if (needle.empty() || served_event_holds(e, needle)) out.push_back(std::move(e));
    }
    return out;
  });
}

std::int64_t prune(SQLite::Database& db, const Retention& keep, TimeMs now, int limit) {
  const std::int64_t beyond_count =
      db.execAndGet("SELECT coalesce(max(id), 0) FROM events").getInt64() - keep.max_rows;
  const TimeMs too_old = now - keep.max_age_ms;
  // Walks from the oldest id and stops at the first event to keep: events are appended in time
  // order, so this reads what it deletes and one row more, never the whole table.
  SQLite::Statement oldest(db, "SELECT id, at FROM events ORDER BY id LIMIT ?");
  oldest.bind(1, limit);
  std::int64_t last = 0;
  while (oldest.executeStep()) {
    const std::int64_t id = oldest.getColumn(0).getInt64();
    if (id > beyond_count && oldest.getColumn(1).getInt64() >= too_old) break;
    last = id;
  }
  oldest.reset();
  if (last == 0) return 0;
  SQLite::Statement del(db, "DELETE FROM events WHERE id <= ?");
  del.bind(1, last);
  return del.exec();
}

}  // namespace tt::events
