// fleet/ingestor.h — the hub's end of the ingest WebSocket: numbered batches from agents (and
// scripts with an API token) are decoded, checked and appended to the store on this thread, and
// acknowledged only after their commit. A stream (one credential) keeps its committed seqs
// (fleet/seqs.h) in ingest_streams, written in the same writer job as the samples, so a batch sent
// again after a lost acknowledgement, or after a restart of either side, or out of order, is
// acknowledged and not stored twice.
// Also each agent's liveness: a push makes its node up (and stamps last_seen), and no push for 3
// intervals makes it down, with the node.updated event alert rules and the UI see, and the
// Prometheus `up` series of the host (1 with each batch, 0 when it goes down).
//
// Threading: submit() from any thread (the core loop); everything else runs on the ingestor's
// own thread, never on the loop: decoding is up to megabytes of JSON and appending waits for the
// writer. Replies go back through the `Reply` callback, from that thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

#include "bus/bus.h"
#include "core/clock.h"
#include "db/database.h"
#include "db/writer.h"
#include "events/change.h"
#include "fleet/batch.h"
#include "fleet/seqs.h"
#include "tsdb/store.h"

namespace tt::metrics {
class Counter;
class Gauge;
}  // namespace tt::metrics

namespace tt::fleet {

// Who pushes on a connection: decided when the socket opens.
struct Stream {
  std::string key;           // "agent:<credential id>" or "token:<API token id>"
  std::int64_t node_id = 0;  // an agent's node; 0 for an API token (labels as sent, no events)
  std::int64_t credential_id = 0;  // the agent's
  std::string node_name;
  std::int64_t interval_ms = 0;
};

struct IngestOptions {
  std::size_t max_queued_bytes = 64u << 20;  // submit() refuses beyond: the sender slows down
  std::size_t max_round_bytes = 8u << 20;    // taken into one append (one writer job)
  int missed_intervals = 3;                  // a node with no push for this many is down
  std::int64_t tick_ms = 1000;               // how often liveness is checked
};

class Ingestor {
 public:
  // A message for a connection: an ack or a nack; `close` asks to close it after (the batch
  // failed in a way that a resend after reconnecting may fix, and later ones must wait for it).
  using Reply = std::function<void(std::uint64_t connection, std::string message, bool close)>;

  Ingestor(tsdb::Store& store, db::Writer& writer, db::Readers& readers, bus::Bus& bus,
           const Clock& clock, Reply reply, IngestOptions options = {});
  ~Ingestor();
  Ingestor(const Ingestor&) = delete;
  Ingestor& operator=(const Ingestor&) = delete;

  // Loads the agents' nodes (each gets a whole grace period from now) and starts the thread.
  Result<void> start();
  void stop();

  // Queues a message of `connection` (a binary one when `binary`: see decode_binary_batch). False
  // when the queue is full: the caller closes the connection (its sender resends later).
  bool submit(std::uint64_t connection, std::shared_ptr<const Stream> stream, std::string message,
              bool binary);

  // One round: the queued messages, then liveness at the clock's time. The thread calls it; tests
  // call it without start().
  void run_once();

 private:
  struct Item {
    std::uint64_t connection;
    std::shared_ptr<const Stream> stream;
    std::string text;
    bool binary = false;
  };
  struct Live {
    std::string name;
    std::int64_t interval_ms = 0;
    TimeMs last_ms = 0;  // the last push, or when the hub started
    bool up = false;
  };
  struct Round;

  std::vector<Item> take_round();
  void ingest(std::vector<Item> items);
  void accept(Round& round, Item& item);
  // The stream's seqs as the round has them (loaded from the database at first).
  SeqSet& round_seqs(Round& round, const std::string& stream);
  void check_liveness();
  void run();

  tsdb::Store& m_store;
  db::Writer& m_writer;
  db::Readers& m_readers;
  events::Log m_log;
  const Clock& m_clock;
  Reply m_reply;
  IngestOptions m_options;

  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<Item> m_queue;
  std::size_t m_queued_bytes = 0;
  bool m_stopping = false;
  std::thread m_thread;

  // The ingestor's thread only.
  std::unordered_map<std::string, SeqSet> m_seqs;  // stream -> its committed seqs
  std::unordered_map<std::int64_t, Live> m_live;   // agents' nodes by id
  // Connections told to close, and when: what they still had queued is dropped (it is resent).
  std::unordered_map<std::uint64_t, TimeMs> m_failed;

  metrics::Counter* m_stored;
  metrics::Counter* m_duplicate;
  metrics::Counter* m_rejected;
  metrics::Counter* m_retry;
  metrics::Counter* m_samples;
  metrics::Counter* m_dropped_records;
  metrics::Gauge* m_queued;
};

}  // namespace tt::fleet
