// snmp/traps.h — the trap receiver: a UDP socket on the core loop that takes SNMP v1 and v2c
// traps and informs (informs are acknowledged) and SNMPv3 traps and informs of the users in a
// TrapKeyring (authenticated and decrypted with the codec and USM the engine uses), and a
// recorder thread that stores each trap as an event (topic "snmp", kind "snmp.trap") and
// publishes it after the commit, so the events API and WebSocket subscribers see traps like any
// other event, and counts them in the series `snmp_traps`, which alert rules match. trap_from,
// to_json, trap_series and read_v3_trap are pure (traps.cpp, fuzzed); the listener and the
// recorder are in trap_receiver.cpp.
#pragma once

#include <uv.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "bus/bus.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/series.h"
#include "db/writer.h"
#include "events/change.h"
#include "snmp/message.h"
#include "snmp/trap_limits.h"
#include "snmp/usm.h"

namespace tt::snmp {

struct Trap {
  std::string source;  // the sender's address, "192.0.2.1:47001"
  Version version = Version::v2c;
  Oid trap_oid;  // snmpTrapOID.0; for v1, per RFC 3584 3.1 (generic traps under snmpTraps)
  std::optional<std::uint32_t> uptime_ticks;
  std::vector<VarBind> varbinds;  // without sysUpTime.0 and snmpTrapOID.0
  std::string user, engine_id;    // v3: the USM user and the sender's engine id (bytes)
};

// The trap a message carries; nullopt for other PDUs and for v2 traps without snmpTrapOID.0 as
// second variable (RFC 3416 4.2.6).
std::optional<Trap> trap_from(const Message& m, std::string source);

// The event's data: {source, version, trap_oid, trap (its name), uptime (s), varbinds:
// [{oid, name, type, value}]}, and for v3 {user, engine_id (hex)}.
nlohmann::json to_json(const Trap& t);

// The sender's address without its port: "192.0.2.1", "2001:db8::1".
std::string source_address(const Trap& t);

// What a batch of traps received at `at` adds to the time series: per sender and trap,
// `snmp_traps{source="192.0.2.1", trap="linkDown", node="gw1"}` = how many arrived. A rule on
// `sum_over_time(snmp_traps{trap="linkDown"}[5m]) > 0` fires when one came and resolves five
// minutes after the last. `nodes` names the node of a source address, when one has it;
// `labels` bounds the series (past its limits, source or trap is "other").
std::vector<SeriesSamples> trap_series(const std::vector<Trap>& batch,
                                       const std::map<std::string, std::string>& nodes, TimeMs at,
                                       TrapLabels& labels);

// ---- SNMPv3 traps and informs ----
// A trap's sender is the authoritative engine (RFC 3414 1.5.1): its keys are localised to the
// sender's engine id, so a user is known by that engine id and its name, as snmptrapd's
// `createUser -e ENGINEID`. An inform's receiver is the authoritative one: the sender discovers
// Telltale's own engine id (LocalEngine) and localises its keys to that, so users who send
// informs are configured with Telltale's engine id. The keyring holds each user's keys
// localised once, when people change the users, never per trap.

struct TrapUserKeys {
  UsmUser user;
  std::string engine_id;  // bytes
  UsmKeys keys;
};
// By (engine id, user name).
using TrapKeyMap = std::map<std::pair<std::string, std::string>, TrapUserKeys>;

class TrapKeyring {
 public:
  // Replaces the users. Keys of users whose engine id, protocols and passwords did not change are
  // kept; the others are localised here, on the caller's thread (2 MB of hashing each). Any thread.
  void set(const std::vector<std::pair<std::string, UsmUser>>& users);  // (engine id, user)
  // The users as they are now; the map does not change once returned. Any thread.
  std::shared_ptr<const TrapKeyMap> snapshot() const;

 private:
  mutable std::mutex m_mutex;
  std::shared_ptr<const TrapKeyMap> m_map = std::make_shared<const TrapKeyMap>();
};

// What the receiver remembers of each sender's clock, by engine id (RFC 3414 2.3: the receiver
// of a trap is the non-authoritative side). Only authentic messages update it, so it holds at
// most one entry per configured engine id.
struct EngineClock {
  std::uint32_t boots = 0, latest_time = 0;
};
using EngineClocks = std::map<std::string, EngineClock>;

// Telltale's own engine (RFC 3411 snmpEngineID, boots and time), authoritative for the informs
// it receives. Loop thread: the receiver sets `time` before each read.
struct LocalEngine {
  std::string engine_id;  // bytes
  std::uint32_t boots = 0;
  std::uint32_t time = 0;  // seconds since this boot
  std::uint64_t salt = 0;  // privacy salt of the next encrypted answer
  std::uint32_t unknown_engine_ids = 0, not_in_time_windows = 0;  // usmStats, for the reports
};

// Why a v3 datagram was not recorded; the label of telltale_snmp_trap_v3_rejected_total.
enum class V3Reject {
  malformed,                   // not a v3 message, or a scoped PDU that does not decode
  unknown_engine_id,           // no user is configured for the message's engine id
  unknown_user,                // the engine id is known, the user name is not
  unsupported_security_level,  // the message's auth/priv flags differ from the user's
  wrong_digest,                // the HMAC does not verify: wrong auth password or protocol
  not_in_time_window,          // replayed or stale (RFC 3414 3.2.7)
  decryption_failed,           // the privacy parameters do not fit, or the plaintext is garbage
  not_a_trap,                  // neither a v2 trap nor an inform to Telltale's engine id
};
std::string_view to_string(V3Reject r);

// An engine id as people write it: lowercase hex without a prefix.
std::string hex_of(std::string_view bytes);

struct V3Trap {
  std::optional<Trap> trap;        // set when recorded
  std::optional<V3Reject> reject;  // set when dropped; neither for an engine discovery
  std::string detail;              // for the log: which user, engine id, what was wrong
  std::string reply;  // a datagram to send back (report or inform response); may be empty
};

// Reads one v3 datagram. An engine discovery (an empty engine id, reportable) is answered with
// `local`'s engine id, boots and time. Otherwise the user is looked up in `users`, the HMAC
// verified, the time window checked (against `local` for a message to Telltale's engine id,
// else against `clocks`, which authentic traps advance), the scoped PDU decrypted and decoded,
// the trap taken out, and an inform answered with a Response at the same security level.
V3Trap read_v3_trap(std::span<const std::uint8_t> datagram, std::string source,
                    const TrapKeyMap& users, EngineClocks& clocks, LocalEngine& local);

// Stores traps as events off the loop. take() never blocks; beyond kMaxQueued traps waiting for
// the disk, new ones are dropped and counted (a trap storm must not grow memory without bound).
// Events are rate-limited and series bounded as trap_limits.h says.
class TrapRecorder {
 public:
  // After each batch's commit, its trap_series() go to `samples` (the time-series store).
  // `series` are the snmp_traps series the store has, which keep their labels.
  using SampleSink = std::function<void(std::vector<SeriesSamples>)>;
  TrapRecorder(db::Writer& writer, bus::Bus& bus, const Clock& clock, SampleSink samples = {},
               const std::vector<LabelSet>& series = {}, TrapLimits limits = {});
  ~TrapRecorder();  // stop()s
  TrapRecorder(const TrapRecorder&) = delete;
  TrapRecorder& operator=(const TrapRecorder&) = delete;

  void take(Trap t);  // any thread
  void stop();        // writes what was taken, joins the thread; idempotent

  static constexpr std::size_t kMaxQueued = 10000;

 private:
  void run();

  events::Log m_log;
  const Clock& m_clock;
  SampleSink m_samples;
  TrapLabels m_labels;        // recorder thread only
  TrapEventLimiter m_events;  // recorder thread only
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<Trap> m_queue;
  bool m_stopping = false;
  std::thread m_thread;
};

// The listener. Loop thread only; `on_trap` is called on the loop for each trap. `keyring`
// outlives the receiver.
class TrapReceiver {
 public:
  // `engine_id` and `boots` of Telltale's engine (TrapUserService::engine()).
  TrapReceiver(uv_loop_t* loop, const TrapKeyring& keyring, std::string engine_id,
               std::uint32_t boots, std::function<void(Trap)> on_trap);
  ~TrapReceiver();
  TrapReceiver(const TrapReceiver&) = delete;
  TrapReceiver& operator=(const TrapReceiver&) = delete;

  // Binds host:port (an IP literal; the port may be 0). Returns the bound port.
  Result<int> listen(const std::string& host, int port);
  void close();

 private:
  void on_datagram(const sockaddr* from, std::span<const std::uint8_t> data);
  void on_v3(const sockaddr* from, std::span<const std::uint8_t> data, std::string source);
  void send_to(const sockaddr* to, std::string datagram);

  uv_loop_t* m_loop;
  const TrapKeyring& m_keyring;
  std::function<void(Trap)> m_on_trap;
  EngineClocks m_clocks;
  LocalEngine m_local;
  std::uint64_t m_started_ms = 0;  // uv_now at construction: the local engine's time counts from it
  std::uint64_t m_last_reject_log_ms = 0;
  std::uint64_t m_unlogged_rejects = 0;
  uv_udp_t* m_udp = nullptr;
  char m_buffer[65536];
};

}  // namespace tt::snmp
