// agent/runner.h — `telltale agent` at work: every interval a collection goes into the disk
// buffer (compressed, as the batch the hub takes); one WebSocket carries what the buffer holds to
// the hub, oldest first, and a batch leaves the buffer only once the hub acknowledged it (after
// its commit). The hub drops a batch it has already, so a resend after a lost acknowledgement, a
// kill -9 or a restart stores nothing twice.
//
// Threads: the collector (a thread of its own, on the interval's grid: collections at multiples
// of the interval, timestamped with that time, so their timestamps are regular) and the sender
// (the caller's thread: registration, the socket, acknowledgements, reconnection with jittered
// backoff). They meet in the buffer only; an eventfd tells the sender of a new record (or of
// stop), so both sleep until there is work: at a 10 s interval the agent wakes a few times in
// 10 s, not several times a second. A backlog goes out oldest first as fast as the hub
// acknowledges, many times real time, and the newest collection goes ahead of a long one
// (agent/send_window.h), so live data is not starved by a replay. The same socket brings
// the runs of checks that run on this host (probe_runs.h) and takes their answers back.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/buffer.h"
#include "agent/probe_runs.h"
#include "client/link.h"
#include "collect/collect.h"
#include "core/result.h"

namespace tt::agent {

struct Location {
  double lat = 0, lon = 0;
  std::string place;
};

struct AgentConfig {
  std::string hub;      // "http://host:port" or "https://host:port"
  std::string ca_file;  // https: client::ServerUrl::ca_file
  std::string token;    // enrolment or API token; unused while the kept credential is valid
  std::string name;     // empty: the host name
  std::string type = "baremetal";
  std::map<std::string, std::string> labels;
  std::optional<Location> location;
  std::chrono::milliseconds interval{10'000};
  std::string buffer_dir;
  std::uint64_t buffer_max = 256ull << 20;
  std::chrono::milliseconds buffer_sync{30'000};  // BufferOptions::sync_delay
  std::vector<std::string> collectors;            // empty: every one
  collect::Roots roots;
  std::string version;
};

// "k=v,k2=v2" as labels; "LAT,LON[,PLACE]" as a location. nullopt when malformed.
std::optional<std::map<std::string, std::string>> parse_labels(std::string_view text);
std::optional<Location> parse_location(std::string_view text);

// The registration body for this host: identity, name, type, address, MAC, location, labels,
// interval and the host's facts as metadata.
std::string registration_body(const AgentConfig& config);

// The credential kept in the buffer directory ("credential", mode 0600); "" when none.
std::string load_credential(const std::string& dir);
Result<void> save_credential(const std::string& dir, const std::string& credential);

class Runner {
 public:
  Runner(AgentConfig config, std::unique_ptr<Buffer> buffer);
  ~Runner();
  // Runs until stop(). A hub that cannot be reached, or refuses the agent, is tried again (with
  // backoff) while the collections wait in the buffer.
  void run();
  // Any thread (a signal's): run() returns soon after; what is not delivered stays buffered.
  void stop();

 private:
  void collect_loop();
  void collect_once(std::int64_t at_ms);
  // Registers (with the kept credential, else the token) and keeps the credential.
  Result<std::string> ensure_credential(bool kept_invalid);
  // Sends and acknowledges until the link fails or stop().
  Result<void> deliver(client::WsLink& link);
  // A message from the hub: the seq an ack (or a nack for good) covers; a run is handed to the
  // probe runs. Errors: a nack to retry (the hub cannot store now).
  Result<std::optional<std::uint64_t>> take_message(std::string_view text);
  std::deque<std::string> take_answers();
  // Sleeps until `until` (wall ms) or stop(); false once stopped.
  bool sleep_until(std::int64_t until_ms);
  void wake_sender();

  AgentConfig m_config;
  std::unique_ptr<Buffer> m_buffer;
  client::ServerUrl m_hub;
  struct Containers;
  std::unique_ptr<Containers> m_containers;
  std::atomic<std::uint64_t> m_acked{0};
  std::atomic<std::uint64_t> m_sent_ahead{0};  // collections sent ahead of a backlog
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stopping = false;  // under m_mutex
  int m_wake_fd = -1;       // eventfd: a record was appended, an answer queued, or stop()
  // Answers of probe runs, sent while connected; an answer older than the last kMaxAnswers was
  // long timed out by the hub.
  static constexpr std::size_t kMaxAnswers = 1024;
  std::deque<std::string> m_answers;        // under m_mutex
  std::unique_ptr<ProbeRuns> m_probe_runs;  // with the first run the hub sends
};

}  // namespace tt::agent
