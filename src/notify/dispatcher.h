// notify/dispatcher.h — the dispatcher thread that delivers the outbox. It does the SQLite work
// (reads through the pool, marks through the writer) on its own thread; the requests go out on
// the core loop through a Transport (libcurl multi), so the loop never waits on SQLite and the
// dispatcher never waits on a receiver.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "db/database.h"
#include "db/writer.h"
#include "notify/outbox.h"
#include "notify/transport.h"

namespace tt::notify {

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
  void queue_escalations(TimeMs now);
  void form_groups(TimeMs now);
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
