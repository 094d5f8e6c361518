// events/change.h — a change of the domain committed together with what it leaves in the logs:
// the service's rows, its events and its audit rows are written by one writer job (one
// transaction), and the events are published on the bus only after that commit, so the bus
// never tells of a change that was rolled back and no committed change goes untold. Every
// service's mutations go through Log::commit, e.g.
//
//   return m_log.commit<Node>(actor, [&](events::Change& change) -> Result<Node> {
//     ... INSERT the row through change.db() ...
//     change.created(kNodes, n.id, to_json(n), {{"node", to_json(n)}});
//     return n;
//   });
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "bus/bus.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"
#include "db/writer.h"
#include "events/log.h"

namespace tt::events {

// What a kind of record is called in the logs.
struct Resource {
  std::string_view topic;  // the bus and WebSocket topic of its events, e.g. "alerts"
  std::string_view name;   // its events are "<name>.created", its audit actions "<name>.create"
  std::string_view key;    // the record's JSON is under this key in its events' data, e.g. "rule"
};

// Inside one writer job (the writer thread, for the job's duration): what a change records.
// Its events and audit rows carry the change's time and actor; the events wait for the commit.
class Change {
 public:
  Change(SQLite::Database& db, TimeMs now, const Actor& actor)
      : m_db(db), m_now(now), m_actor(actor) {}
  Change(const Change&) = delete;
  Change& operator=(const Change&) = delete;

  SQLite::Database& db() { return m_db; }
  TimeMs now() const { return m_now; }
  const Actor& actor() const { return m_actor; }

  // An event of this change's time and actor.
  void event(std::string_view topic, std::string kind, std::string subject, nlohmann::json data);
  // An event as given: for a job that tells of other times than its own.
  void event(StoredEvent e);
  // An audit row of this change's time and actor; `details` is a JSON object.
  void audit(std::string_view action, const std::string& target,
             const nlohmann::json& details = nlohmann::json::object());

  // A record created, updated or deleted: the event (the record's JSON under the resource's key;
  // an update adds the changed fields and their values before) and the audit row, whose details
  // are `audit`.
  void created(const Resource& r, std::int64_t id, nlohmann::json record,
               const nlohmann::json& audit);
  void updated(const Resource& r, std::int64_t id, nlohmann::json record, const FieldChanges& diff,
               const nlohmann::json& audit);
  void deleted(const Resource& r, std::int64_t id, nlohmann::json record,
               const nlohmann::json& audit);

  // Runs `fn` after the commit, before the events are published (e.g. handing a changed check
  // to its runner). Never runs when the job or the commit fails.
  void after_commit(std::function<void()> fn) { m_after_commit.push_back(std::move(fn)); }

 private:
  friend class Log;
  void record(const Resource& r, std::string_view event_kind, std::string_view audit_action,
              std::int64_t id, nlohmann::json data, const nlohmann::json& audit);

  SQLite::Database& m_db;
  TimeMs m_now;
  const Actor& m_actor;
  std::vector<StoredEvent> m_events;
  std::vector<std::function<void()>> m_after_commit;
};

// Gathers the changes of many services into one writer job, one transaction (`telltale apply`):
// while an Ambient lives on the writer thread, a Log::commit made on that thread runs its job
// inline in the ambient Change instead of submitting a job of its own, which would wait for the
// writer thread, that is for itself. The outer job's commit then publishes every event and runs
// every after-commit action; its failure or rollback leaves none of the changes.
class Ambient {
 public:
  explicit Ambient(Change& change);
  ~Ambient();
  Ambient(const Ambient&) = delete;
  Ambient& operator=(const Ambient&) = delete;
  static Change* current();

 private:
  Change* m_previous;
};

// Commits changes through the writer and publishes their events on the bus. A handle on both:
// thread-safe, and each service keeps its own.
class Log {
 public:
  // `bus` may be null for a service whose changes record audit rows only.
  Log(db::Writer& writer, bus::Bus* bus, const Clock& clock)
      : m_writer(writer), m_bus(bus), m_clock(clock) {}

  // Runs `job` as one writer job at the clock's time and waits for its commit. Only when the
  // job succeeded and its batch committed are the after-commit actions run and then the events
  // published; a failed job leaves nothing (its savepoint is rolled back), and neither does a
  // failed commit.
  template <typename T>
  Result<T> commit(const Actor& actor, std::function<Result<T>(Change&)> job,
                   db::Urgency urgency = db::Urgency::now);

  // For a writer job that someone else submits (the store's append runs its caller's part in
  // its own job): what a Change recorded, taken at the end of the job, and told once that job
  // committed.
  struct Recorded {
    std::vector<StoredEvent> events;
    std::vector<std::function<void()>> after_commit;
  };
  static Recorded take(Change& change);
  void committed(const Recorded& recorded);

 private:
  db::Writer& m_writer;
  bus::Bus* m_bus;
  const Clock& m_clock;
};

template <typename T>
Result<T> Log::commit(const Actor& actor, std::function<Result<T>(Change&)> job,
                      db::Urgency urgency) {
  if (Change* outer = Ambient::current()) return job(*outer);
  const TimeMs now = m_clock.now_ms();
  Recorded recorded;
  auto done = m_writer
                  .submit<T>(
                      [&](SQLite::Database& db) -> Result<T> {
                        Change change(db, now, actor);
                        auto r = job(change);
                        if (r.ok()) recorded = take(change);
                        return r;
                      },
                      urgency)
                  .get();
  if (done.ok()) committed(recorded);
  return done;
}

}  // namespace tt::events
