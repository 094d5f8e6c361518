// checks/service.h — create, read, update, delete and list checks; every change is committed
// with its event and audit row, then handed to the runner, which reschedules at once. Also the
// entry points of "run now", push heartbeats and a check's result history. Thread-safe: called
// from HTTP pool threads.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "bus/bus.h"
#include "checks/check.h"
#include "checks/history.h"
#include "checks/recorder.h"
#include "checks/runner.h"
#include "core/actor.h"
#include "core/page.h"
#include "db/database.h"
#include "db/writer.h"
#include "events/change.h"
#include "query/query.h"

namespace tt::checks {

struct CheckQuery {
  std::optional<std::string> kind;
  std::optional<CheckState> state;
  std::optional<std::int64_t> node_id;
  std::vector<std::pair<std::string, std::string>> labels;  // all must match
  std::string text;                                         // in name or target
  std::string sort = "name";  // name, kind, state, created_at, id; '-' = descending
  PageRequest page;
};
bool valid_check_sort(const std::string& sort);

// One run in a check's history: numbers from the time-series store, words from the outcome
// stretch that covers it.
struct ResultRow {
  TimeMs at = 0;
  bool up = false;
  double duration_s = 0;
  std::string error, message;
};
nlohmann::json to_json(const ResultRow& r);

// A check's or a node's (over its checks) recent past, for lists and the overview.
struct Summary {
  std::string heartbeat;     // checks/history.h's bar
  std::int64_t slot_ms = 0;  // the width of its slots: the (shortest) interval
  Availability day, week, month;
  std::optional<TimeMs> last_up;  // the last up run: for a node, its last contact
};
nlohmann::json to_json(const Summary& s);
enum class SummaryOf { check, node };

class CheckService {
 public:
  CheckService(db::Writer& writer, db::Readers& readers, bus::Bus& bus, Runner& runner,
               const Recorder& recorder, query::Storage& store, const Clock& clock)
      : m_log(writer, &bus, clock),
        m_writer(writer),
        m_readers(readers),
        m_runner(runner),
        m_recorder(recorder),
        m_store(store),
        m_clock(clock) {}

  // Every stored check, for the runner at start.
  Result<std::vector<Check>> load_all();
  // A node was renamed: its checks' samples carry the new `node` label from their next run (the
  // runner's copies are replaced; slots and states stay). Safe to call on the loop: the checks
  // are read in a writer job.
  void node_renamed(std::int64_t node_id);

  Result<Check> create(const CheckInput& in, const Actor& actor);
  Result<Check> get(std::int64_t id);
  Result<Check> update(std::int64_t id, const CheckInput& patch, const Actor& actor);
  Result<void> remove(std::int64_t id, const Actor& actor);
  Result<Page<Check>> list(const CheckQuery& q);

  // Runs the check now and waits for its result (at most its timeout and a little more).
  Result<nlohmann::json> run_now(std::int64_t id);
  // Runs a check described by `in` (validated as a create is, but not stored: its name may be
  // taken) once and waits for what it concludes, with its metrics. At most kMaxTests at a time
  // (CHECK_TESTS_BUSY beyond).
  Result<nlohmann::json> test(const CheckInput& in);
  // Each holds an HTTP thread: its timeout is cut to this.
  static constexpr int kMaxTests = 2;
  static constexpr std::int64_t kMaxTestTimeoutMs = 30'000;
  // A heartbeat for the push check with this token.
  Result<void> push(const std::string& token, const Heartbeat& hb);
  // Runs in [from, to], newest first, at most `limit`.
  Result<std::vector<ResultRow>> results(std::int64_t id, TimeMs from, TimeMs to, int limit);
  // Every check's (or node's) summary with a bar of `slots` slots, by id; only those with
  // runs in the last 30 days. `check`: that check's alone.
  Result<std::map<std::int64_t, Summary>> summaries(SummaryOf of, int slots,
                                                    std::optional<std::int64_t> check = {});
  // The check's outages that overlap [from, to], newest first.
  Result<std::vector<Outage>> outages(std::int64_t id, TimeMs from, TimeMs to);

 private:
  Check with_live(Check c) const;
  // Stretches whose runs reach into [from, to] (of one check, or all), by check and first run,
  // the open ones as the recorder has them. When `nodes` is given, it gets each one's node id
  // (0: none) and they come by node first, so a node's are in a row.
  Result<std::vector<Stretch>> stretches(std::optional<std::int64_t> check, TimeMs from, TimeMs to,
                                         std::vector<std::int64_t>* nodes = nullptr);

  events::Log m_log;
  db::Writer& m_writer;
  db::Readers& m_readers;
  Runner& m_runner;
  const Recorder& m_recorder;
  query::Storage& m_store;
  const Clock& m_clock;
  std::atomic<int> m_tests{0};
};

}  // namespace tt::checks
