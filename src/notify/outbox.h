// notify/outbox.h — the durable outbox: rows of the notifications table, inserted in the writer
// transaction of the alert transition they announce, and the dispatcher that delivers them.
// The dispatcher's own thread does the SQLite work (reads through the pool, marks through the
// writer); the requests go out on the core loop through a Transport (libcurl multi), so the loop
// never waits on SQLite and the dispatcher never waits on a receiver.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "db/database.h"
#include "db/writer.h"
#include "notify/channel.h"

namespace tt::notify {

struct OutboxOptions {
  std::int64_t backoff_min_ms = 5'000;         // the wait after the first failed attempt
  std::int64_t backoff_max_ms = 600'000;       // the cap of the doubling waits
  std::int64_t collapse_after_ms = 3'600'000;  // a firing whose resolution is older is dropped
  std::int64_t idle_poll_ms = 5'000;           // a look at the table even when nobody woke us
};

// The wait before the next attempt after `failures` failed ones (1, 2, ...): min, 2×min, 4×min,
// ... capped at max. Deterministic: a schedule the tests can freeze.
std::int64_t backoff_ms(int failures, const OutboxOptions& o);

// Inside the transaction that stores alert transition `transition_id`: one pending row per
// existing channel of rule `rule_id` (channels that no longer exist are skipped), and for a
// resolution also per channel that had the alert's firing. On a channel with grouping the row
// is a 'waiting' member of its group instead (flush_groups sends it). A second call
// for the same transition inserts nothing (UNIQUE(transition_id, channel_id)). `payload` is the
// alert's JSON at the transition. Returns the rows inserted.
int enqueue(SQLite::Database& db, std::int64_t transition_id, std::int64_t rule_id,
            std::int64_t alert_id, Notice::Event event, const std::string& payload, TimeMs at);

// A channel's grouping, as Alertmanager groups alerts per receiver: alerts with the same values
// of `group_by` (["..."]: all labels) go out together. A new group waits `group_wait` to collect
// more; news of a group that was notified waits until `group_interval` after its last
// notification (a group quiet for longer starts over with group_wait); a group still firing
// unacknowledged alerts is sent again `repeat_interval` after its last notification.
struct Grouping {
  std::vector<std::string> group_by;
  std::int64_t group_wait_ms = 30'000;
  std::int64_t group_interval_ms = 300'000;
  std::int64_t repeat_interval_ms = 14'400'000;
};
// The option table of channels' `grouping` (validation, defaults, the UI's form).
const std::vector<OptionSpec>& grouping_options();
// From the normalized JSON stored in channels.grouping.
Grouping parse_grouping(const nlohmann::json& normalized);

// A group whose next notification is due at `at`: waiting members to send, or a repeat.
struct DueGroup {
  std::int64_t channel_id = 0;
  std::string key;  // the group's labels (JSON object)
  TimeMs at = 0;
  bool repeat = false;
};
// Every group with waiting members, and every group of a grouped channel that still has firing,
// unacknowledged alerts, nothing queued and nothing waiting (a candidate for a repeat).
std::vector<DueGroup> due_groups(SQLite::Database& db);
// Writer thread: forms the group row of each group due at or before `now` (its waiting members,
// or for a repeat its firing unacknowledged alerts; and its other alerts still firing), marks
// the members grouped, and returns the rows inserted.
int flush_groups(SQLite::Database& db, TimeMs now);

// Escalation at `now`: for every firing alert that nobody acknowledged, each step of its rule
// whose `after` has passed since it fired queues a notification to the step's channels, keyed
// by the alert's firing transition (so once per step channel, and never to a channel that
// already had it). Returns the rows inserted. Writer thread (inside a writer job).
int escalate(SQLite::Database& db, TimeMs now);

// The outcome of one delivery attempt.
struct Outcome {
  bool ok = false;
  bool permanent = false;  // the receiver refused the request itself (4xx): retrying cannot help
  std::string error;       // what the receiver or the network said
};

// A request gets this long before it counts as failed.
inline constexpr std::int64_t kRequestTimeoutMs = 30'000;

// Sends requests; `done` is called exactly once, on any thread. Implementations: CurlTransport
// (the core loop), and what the unit tests use.
class Transport {
 public:
  using Done = std::function<void(Outcome)>;
  virtual ~Transport() = default;
  virtual void send(Request r, Done done) = 0;
};

// Delivers the outbox in order per channel: a channel's oldest pending rows (at most
// kChainLength) are sent one after another, each request once the previous one was answered,
// and recorded together when the chain ends, so a receiver that comes back gets the queue as it
// happened and a burst pays the outbox's reads and writes once per chain, not per message.
// A failed attempt ends its chain and waits by backoff_ms; a 4xx answer fails the row for good.
// A pending firing whose alert has a pending resolution older than collapse_after is marked
// collapsed and the resolution says so.
class Dispatcher {
 public:
  // The alerts among the ids that are muted now (silenced, in maintenance), as the alerts
  // subsystem knows (wired by app/).
  using MutedAlerts =
      std::function<std::set<std::int64_t>(const std::vector<std::int64_t>& alert_ids)>;

  Dispatcher(db::Writer& writer, db::Readers& readers, Transport& transport, const Clock& clock,
             OutboxOptions options = {});
  ~Dispatcher();  // stop()s
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Before start(): what is muted is not sent. A firing of a muted alert is marked `muted` (and
  // so is its resolution, then); if the mute ends while the alert still fires, the row is
  // queued again at the end of its channel's queue. A group leaves its muted alerts out (none
  // left: the row is muted); they are in the group's next message once the mute is over.
  void mute_with(MutedAlerts muted) { m_muted = std::move(muted); }
  // resume(), then starts the thread.
  void start();
  // Makes every pending row due now: at start, the outage that held them back may be over.
  void resume();
  // Joins the thread; attempts in flight are retried after the next start. Idempotent.
  void stop();
  // Any thread: new rows were committed, look now.
  void wake();

  // One round: records the attempts that finished, queues escalations, collapses stale firings, and
  // starts a chain on every channel whose head is due and that has nothing in flight. Returns the
  // rows the chains hold. The thread's body; unit tests call it directly on a ManualClock.
  std::size_t run_due();

  // The most rows one chain sends. Delivered rows are marked when their chain ends: a kill -9
  // in a chain repeats at most this many requests, each with its idempotency key.
  static constexpr std::size_t kChainLength = 16;
  // When the next head of a channel with nothing in flight is due, if any.
  std::optional<TimeMs> next_due();

 private:
  struct Finished {
    std::int64_t id = 0;
    std::int64_t channel_id = 0;
    Outcome outcome;
    bool attempted = true;  // false: the chain stopped before this row (the dispatcher is stopping)
    bool last = false;      // the chain's last: the channel may start another
  };
  struct Link {
    std::int64_t id = 0;
    Result<Request> request;
  };
  struct Chain {
    std::int64_t channel_id = 0;
    std::deque<Link> links;
  };
  // Sends the chain's next row, and from its answer the one after (any thread).
  void send_next(std::shared_ptr<Chain> chain);
  void finish(Finished f);
  void record(std::vector<Finished>& done);
  void unmute(TimeMs now);
  void run();

  db::Writer& m_writer;
  db::Readers& m_readers;
  Transport& m_transport;
  const Clock& m_clock;
  OutboxOptions m_options;
  MutedAlerts m_muted;

  std::set<std::int64_t> m_in_flight;   // channel ids; dispatcher thread only
  TimeMs m_escalations_checked_at = 0;  // dispatcher thread only

  std::mutex m_mutex;  // guards what follows
  std::condition_variable m_cv;
  std::vector<Finished> m_finished;
  bool m_chain_ended = false;  // a Finished with `last` is waiting to be recorded
  bool m_woken = false;
  bool m_stopping = false;
  std::thread m_thread;
};

}  // namespace tt::notify
