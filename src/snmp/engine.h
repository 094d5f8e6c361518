// snmp/engine.h — SNMP v1/v2c/v3 requests on the core loop. One UDP socket per address family
// serves every request to every agent; answers are matched by request id and source address.
// Each request has its own timeout and retries; any number may be in flight. ICMP errors that
// the kernel queues for the socket (IP_RECVERR) end the requests to that address at once
// ("port unreachable") instead of letting them time out.
//
// Threads: everything runs on the loop thread that owns `loop` (callbacks too). A callback may
// start new requests. close() answers every request still in flight with SNMP_CANCELLED.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "snmp/message.h"
#include "snmp/usm.h"

namespace tt::snmp {

// A resolved agent address (IPv4 or IPv6) and how to show it ("127.0.0.1:161", "[::1]:161").
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string text;
};
// A literal address and port; nullopt when `host` is not an IPv4 or IPv6 literal.
std::optional<Endpoint> endpoint_from_literal(const std::string& host, std::uint16_t port);
Endpoint endpoint_from_sockaddr(const sockaddr* sa, std::uint16_t port);

struct Target {
  Endpoint endpoint;
  Version version = Version::v2c;
  std::string community = "public";         // v1, v2c
  UsmUser user;                             // v3
  std::string context;                      // v3 contextName
  std::chrono::milliseconds timeout{2000};  // per try
  int retries = 1;                          // tries after the first
};

// Errors (tt::Error codes, as the API shows them):
//   SNMP_TIMEOUT (gateway_timeout)        no answer after every try
//   SNMP_UNREACHABLE (bad_gateway)        ICMP unreachable (port closed, no route) or a send error
//   SNMP_MALFORMED (bad_gateway)          an answer that is not valid BER/SNMP, or a walk whose
//                                         OIDs do not increase
//   SNMP_ERROR_STATUS (bad_gateway)       the agent answered with a non-zero error-status
//   SNMP_CANCELLED (unavailable)          the engine was closed
// SNMPv3 (USM) failures the agent reports, each naming the request field at fault (validation):
//   SNMP_UNKNOWN_USER                     usmStatsUnknownUserNames (user)
//   SNMP_WRONG_DIGEST                     usmStatsWrongDigests: wrong auth password or protocol
//   SNMP_DECRYPTION_FAILED                usmStatsDecryptionErrors, or an agent that answers engine
//                                         discovery but never an encrypted request (net-snmp
//                                         drops what it cannot decrypt): wrong priv
//                                         password/protocol
//   SNMP_UNSUPPORTED_SECURITY_LEVEL       usmStatsUnsupportedSecLevels: the user has no such keys
//   SNMP_NOT_IN_TIME_WINDOW               still out of the time window after one resynchronisation
//   SNMP_UNKNOWN_CONTEXT                  snmpUnknownContexts / snmpUnavailableContexts (context)
//   SNMP_REPORT (bad_gateway)             any other Report
//
// v3 engine discovery (RFC 3414 4) happens on the first request to an agent; its engine id,
// boots and time are cached per agent address, with each user's localised keys. A
// notInTimeWindow or unknownEngineID report resynchronises once and resends. The cache holds the
// `max_agents` agents used most recently: an agent evicted from it is discovered again on its
// next request, which costs one more round trip and the key hashing again.
using PduDone = std::function<void(Result<Pdu>)>;
// One list of variables per root of the walk, in the agent's order.
using WalkDone = std::function<void(Result<std::vector<std::vector<VarBind>>>)>;

class Engine {
 public:
  explicit Engine(uv_loop_t* loop, std::size_t max_agents = kMaxAgents);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The answer's PDU; a non-zero error-status is an SNMP_ERROR_STATUS error naming the variable.
  void get(const Target& t, std::vector<Oid> oids, PduDone done);
  void get_next(const Target& t, std::vector<Oid> oids, PduDone done);
  void get_bulk(const Target& t, int non_repeaters, int max_repetitions, std::vector<Oid> oids,
                PduDone done);
  // Every variable under each root: GETBULK over all roots at once for v2c (columns of a
  // table advance together, so ifDescr, ifType, … of one table cost one walk), GETNEXT for v1.
  // At most kMaxWalkVarBinds variables in all.
  void walk(const Target& t, std::vector<Oid> roots, WalkDone done);
  void close();

  std::size_t in_flight() const { return m_pending.size(); }
  std::size_t agents_cached() const { return m_agents.size(); }

  static constexpr std::size_t kMaxWalkVarBinds = 100000;
  // v3 agents whose engine and keys are kept: a few hundred bytes each, so 4096 agents stay
  // around a megabyte whatever addresses a long-running server has polled.
  static constexpr std::size_t kMaxAgents = 4096;
  // Keys per agent (one set per user and passwords): old sets of a user whose password changed
  // go when the agent's keys are cleared at this many.
  static constexpr std::size_t kMaxKeysPerAgent = 16;
  // Users whose unlocalised keys are kept (one entry per distinct credentials in use).
  static constexpr std::size_t kMaxUsers = 1024;

 private:
  struct Socket;
  // What the engine knows of one v3 agent (RFC 3414 2.3), and its users' localised keys.
  struct Agent {
    std::string engine_id;
    std::uint32_t boots = 0, time = 0;
    std::uint64_t synced_ms = 0;  // uv_now when `time` was learnt
    std::map<std::string, UsmKeys> keys;
  };
  struct Pending {
    std::int32_t id = 0;
    Endpoint to;
    int family = AF_INET;
    std::string packet;
    Version version = Version::v2c;
    std::string community;
    // v3: the request to (re)encode once the agent's engine is known.
    Pdu pdu;
    UsmUser user;
    std::string context;
    bool discovering = false;  // `packet` is an engine discovery
    bool probing = false;      // every encrypted try went unanswered; is the agent there at all?
    bool agent_answered = false;
    int resyncs = 0;
    std::chrono::milliseconds timeout{};
    int tries = 0, max_tries = 1;
    std::uint64_t deadline_ms = 0;
    PduDone done;
  };
  class Walk;

  // Sends `pdu` (its request id is assigned here) and calls `done` with the matching answer,
  // whatever its error-status.
  void request(const Target& t, Pdu pdu, PduDone done);
  Socket* socket_for(int family, std::string& why);
  static void start_polling(Socket* s);
  bool send(Pending& p, std::string& why);
  void finish(std::int32_t id, Result<Pdu> result);
  void fail_endpoint(const sockaddr_storage& to, const Error& e);
  void arm_timer();
  void on_timer();
  void on_readable(Socket& s);
  void read_errors(Socket& s);
  void on_datagram(const sockaddr_storage& from, std::span<const std::uint8_t> data);
  void on_v3(const sockaddr_storage& from, std::span<const std::uint8_t> data);
  void on_report(Pending& p, const MessageV3& m, const Pdu& report);
  // Encodes the v3 packet of `p`: an engine discovery while the agent's engine is unknown.
  void encode_v3(Pending& p);
  // Encodes again (v3), sends, and starts the tries over.
  void resend(Pending& p);
  const UsmKeys& keys_for(Agent& a, const UsmUser& u);
  Error decryption_silence(const Pending& p) const;
  std::int32_t take_id();

  uv_loop_t* m_loop;
  uv_timer_t* m_timer = nullptr;
  Socket* m_sockets[2] = {nullptr, nullptr};  // IPv4, IPv6
  std::unordered_map<std::int32_t, Pending> m_pending;
  std::set<std::pair<std::uint64_t, std::int32_t>> m_deadlines;
  // The agent at `endpoint`, made the most recently used; nullptr when not cached.
  Agent* find_agent(const std::string& endpoint);
  // The agent at `endpoint`, inserted (empty) when new, evicting the least recently used beyond
  // m_max_agents.
  Agent& learn_agent(const std::string& endpoint);

  struct CachedAgent {
    Agent agent;
    std::list<std::string>::iterator used;  // its place in m_agents_by_use
  };
  std::unordered_map<std::string, CachedAgent> m_agents;         // by endpoint text
  std::unordered_map<std::string, UsmMasterKeys> m_master_keys;  // by key_of(user)
  std::list<std::string> m_agents_by_use;                        // most recently used first
  std::size_t m_max_agents;
  std::uint64_t m_salt;
  std::uint32_t m_next_id;
  bool m_closed = false;
};

}  // namespace tt::snmp
