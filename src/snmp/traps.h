// snmp/traps.h — the trap receiver: a UDP socket on the core loop that takes SNMP v1 and v2c
// traps and informs (informs are acknowledged), and a recorder thread that stores each trap as an
// event (topic "snmp", kind "snmp.trap") and publishes it after the commit, so the events API
// and WebSocket subscribers see traps like any other event, and counts them in the series
// `snmp_traps`, which alert rules match. trap_from, to_json and trap_series are pure (traps.cpp,
// fuzzed); the listener and the recorder are in trap_receiver.cpp.
#pragma once

#include <uv.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "bus/bus.h"
#include "core/clock.h"
#include "core/result.h"
#include "db/writer.h"
#include "snmp/message.h"

namespace tt::snmp {

struct Trap {
  std::string source;  // the sender's address, "192.0.2.1:47001"
  Version version = Version::v2c;
  Oid trap_oid;  // snmpTrapOID.0; for v1, per RFC 3584 3.1 (generic traps under snmpTraps)
  std::optional<std::uint32_t> uptime_ticks;
  std::vector<VarBind> varbinds;  // without sysUpTime.0 and snmpTrapOID.0
};

// The trap a message carries; nullopt for other PDUs and for v2 traps without snmpTrapOID.0 as
// second variable (RFC 3416 4.2.6).
std::optional<Trap> trap_from(const Message& m, std::string source);

// The event's data: {source, version, trap_oid, trap (its name), uptime (s), varbinds:
// [{oid, name, type, value}]}.
nlohmann::json to_json(const Trap& t);

// The sender's address without its port: "192.0.2.1", "2001:db8::1".
std::string source_address(const Trap& t);

// What a batch of traps received at `at` adds to the time series: per sender and trap,
// `snmp_traps{source="192.0.2.1", trap="linkDown", node="gw1"}` = how many arrived. A rule on
// `sum_over_time(snmp_traps{trap="linkDown"}[5m]) > 0` fires when one came and resolves five
// minutes after the last. `nodes` names the node of a source address, when one has it.
std::vector<SeriesSamples> trap_series(const std::vector<Trap>& batch, const std::map<std::string, std::string>& nodes,
                                       TimeMs at);

// Stores traps as events off the loop. take() never blocks; beyond kMaxQueued traps waiting for
// the disk, new ones are dropped and counted (a trap storm must not grow memory without bound).
class TrapRecorder {
 public:
  // After each batch's commit, its trap_series() go to `samples` (the time-series store).
  using SampleSink = std::function<void(std::vector<SeriesSamples>)>;
  TrapRecorder(db::Writer& writer, bus::Bus& bus, const Clock& clock, SampleSink samples = {});
  ~TrapRecorder();  // stop()s
  TrapRecorder(const TrapRecorder&) = delete;
  TrapRecorder& operator=(const TrapRecorder&) = delete;

  void take(Trap t);  // any thread
  void stop();        // writes what was taken, joins the thread; idempotent

  static constexpr std::size_t kMaxQueued = 10000;

 private:
  void run();

  db::Writer& m_writer;
  bus::Bus& m_bus;
  const Clock& m_clock;
  SampleSink m_samples;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<Trap> m_queue;
  bool m_stopping = false;
  std::thread m_thread;
};

// The listener. Loop thread only; `on_trap` is called on the loop for each trap.
class TrapReceiver {
 public:
  TrapReceiver(uv_loop_t* loop, std::function<void(Trap)> on_trap) : m_loop(loop), m_on_trap(std::move(on_trap)) {}
  ~TrapReceiver();
  TrapReceiver(const TrapReceiver&) = delete;
  TrapReceiver& operator=(const TrapReceiver&) = delete;

  // Binds host:port (an IP literal; the port may be 0). Returns the bound port.
  Result<int> listen(const std::string& host, int port);
  void close();

 private:
  void on_datagram(const sockaddr* from, std::span<const std::uint8_t> data);

  uv_loop_t* m_loop;
  std::function<void(Trap)> m_on_trap;
  uv_udp_t* m_udp = nullptr;
  char m_buffer[65536];
};

}  // namespace tt::snmp
